/**
 * A free-text field (signal, response, action, lessons) that warns about personal data while it is
 * typed: core `screenNote` finds BSNs (11-test), phone numbers, e-mail addresses and names after
 * "meneer/mevrouw/dhr./mw."; the warning names what was found and where, before anything is sent.
 * The server screens again and refuses such text (its error is shown under the field).
 */
import { useId, type TextareaHTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { screenNote, type NoteFinding } from "../../../../core/src/field/screen-note";

/** What the screen finds in `text` (nothing for an empty text). */
export function personalData(text: string): readonly NoteFinding[] {
  return text.trim() ? screenNote(text) : [];
}

export function ScreenedText({
  label,
  hint,
  error,
  value,
  multiline = true,
  id: idProp,
  className,
  onChange,
  ...rest
}: {
  readonly label: string;
  readonly hint?: string;
  readonly error?: string;
  readonly value: string;
  readonly multiline?: boolean;
  readonly onChange: (value: string) => void;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "onChange" | "value">) {
  const { t } = useTranslation();
  const generated = useId();
  const id = idProp ?? generated;
  const findings = personalData(value);
  const kinds = [...new Set(findings.map((f) => f.kind))];
  const described = [hint ? `${id}-hint` : "", kinds.length ? `${id}-pd` : "", error ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  const common = {
    id,
    value,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described || undefined,
  } as const;
  return (
    <div className={`field form-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...rest} {...common} rows={rest.rows ?? 3} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type="text" {...(rest as object)} {...common} onChange={(e) => onChange(e.target.value)} />
      )}
      {hint && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
      <span id={`${id}-pd`} className="pd-warning" role="status" data-testid="pd-warning">
        {kinds.length > 0 &&
          t("board.personalData", {
            kinds: kinds.map((k) => t(`board.pdKind.${k}`, { defaultValue: k })).join(", "),
            found: findings.map((f) => `“${value.slice(f.start, f.end)}”`).join(", "),
          })}
      </span>
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}
