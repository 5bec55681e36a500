/**
 * Form building blocks for the account and administration views: a labelled field with its hint and
 * its error (aria-invalid, aria-describedby), a form-level error that is announced, and the mapping
 * of the server's problem lines ("grant.to.id: organisation x does not exist") to the fields they
 * name. Everything a user types is checked by the server; these only say where it went wrong.
 */
import { useId, type InputHTMLAttributes, type ReactNode, type Ref, type SelectHTMLAttributes } from "react";
export { fieldErrors, type FieldErrors } from "../lib/problems";

interface FieldProps {
  readonly label: ReactNode;
  readonly hint?: ReactNode;
  readonly error?: string;
  readonly className?: string;
}

function described(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function Messages({ id, hint, error }: { id: string; hint?: ReactNode; error?: string }) {
  return (
    <>
      {hint && (
        <span id={`${id}-hint`} className="hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </>
  );
}

export function TextField({
  label,
  hint,
  error,
  className,
  id: idProp,
  ref,
  ...input
}: FieldProps & InputHTMLAttributes<HTMLInputElement> & { readonly ref?: Ref<HTMLInputElement> }) {
  const generated = useId();
  const id = idProp ?? generated;
  return (
    <div className={`field form-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input
        type="text"
        {...input}
        ref={ref}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(id, hint, error)}
      />
      <Messages id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({
  label,
  hint,
  error,
  className,
  id: idProp,
  children,
  ...select
}: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const generated = useId();
  const id = idProp ?? generated;
  return (
    <div className={`field form-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      <select
        {...select}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described(id, hint, error)}
      >
        {children}
      </select>
      <Messages id={id} hint={hint} error={error} />
    </div>
  );
}

/** A form's own errors (not of one field), announced when they appear. */
export function FormErrors({
  lines,
  testId,
}: {
  readonly lines: readonly string[];
  readonly testId?: string;
}) {
  return (
    <div role="alert" className="form-errors" data-testid={testId}>
      {lines.length === 1 && <p>{lines[0]}</p>}
      {lines.length > 1 && (
        <ul>
          {lines.map((l, i) => (
            <li key={i}>{l}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Date and time as the user's language writes them. */
export function dateTime(iso: string | null | undefined, lang: "nl" | "en"): string {
  if (!iso) return "–";
  const d = new Date(iso.includes("T") || iso.endsWith("Z") ? iso : `${iso.replace(" ", "T")}Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === "nl" ? "nl-NL" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
}
