/**
 * "Mijn waarnemingen": what waits, what the server has and what it refused (with its reason). A
 * refused or waiting observation can be changed (category, postcode, note) and sent again, or
 * deleted. Notes are shown here only: they never leave the server to anyone but their author.
 */
import { useState, useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { normalisePostcode } from "./api";
import { categoryLabel, useField } from "./context";
import type { OutboxItem } from "./outbox";
import { NOTE_MAX_LENGTH, screenNote } from "./screen";

export function OutboxScreen() {
  const { t, i18n } = useTranslation();
  const { outbox, categories, lang } = useField();
  const { items, status } = useSyncExternalStore(outbox.subscribe, outbox.getSnapshot);
  const [editing, setEditing] = useState<string>();
  const when = (iso: string) =>
    new Intl.DateTimeFormat(i18n.language === "en" ? "en-GB" : "nl-NL", {
      dateStyle: "medium",
      timeStyle: "short",
    }).format(new Date(iso));

  return (
    <div className="f-outbox" data-testid="outbox">
      <h1>{t("field.outbox.title")}</h1>
      {status.lastError && items.some((i) => i.state === "waiting") && (
        <p className="f-hint" data-testid="sync-error">
          {status.lastError === "network"
            ? t("field.outbox.noConnection")
            : t("field.outbox.error", { detail: status.lastError })}
        </p>
      )}
      {items.some((i) => i.state === "waiting") && (
        <button
          type="button"
          onClick={() => void outbox.sync()}
          disabled={status.syncing || !status.online}
          data-testid="sync-now"
        >
          {t("field.outbox.syncNow")}
        </button>
      )}
      {items.length === 0 ? (
        <p>{t("field.outbox.empty")}</p>
      ) : (
        <ul className="f-items">
          {items.map((item) => (
            <li
              key={item.id}
              className={`f-item f-item-${item.state}`}
              data-testid="outbox-item"
              data-id={item.id}
              data-state={item.state}
            >
              <p className="f-item-head">
                <strong>{categoryLabel(categories, item.category, lang)}</strong>
                <span className={`f-state f-state-${item.state}`}>
                  {t(`field.outbox.state.${item.state}`)}
                </span>
              </p>
              <p className="f-hint">
                {when(item.observedAt)}
                {" · "}
                {"postcode" in item.location
                  ? item.location.postcode
                  : t(`field.new.where.${item.location.source}`, {
                      lon: item.location.lon.toFixed(4),
                      lat: item.location.lat.toFixed(4),
                    })}
                {item.areaCode ? ` · ${item.areaName ?? item.areaCode}` : ""}
              </p>
              {item.note && <p className="f-note">{item.note}</p>}
              {item.state === "waiting" && item.attempts > 0 && (
                <p className="f-hint">{t("field.outbox.attempts", { count: item.attempts })}</p>
              )}
              {item.state === "rejected" && (
                <p className="f-error" data-testid="problem">
                  {t("field.outbox.refused", { detail: item.problem ?? "" })}
                </p>
              )}
              {(item.state === "rejected" || item.state === "waiting") && editing !== item.id && (
                <div className="f-row">
                  <button type="button" onClick={() => setEditing(item.id)} data-testid="edit">
                    {t("field.outbox.edit")}
                  </button>
                  <button
                    type="button"
                    className="f-danger"
                    onClick={() => {
                      if (confirm(t("field.outbox.confirmDelete"))) void outbox.remove(item.id);
                    }}
                    data-testid="delete"
                  >
                    {t("field.outbox.delete")}
                  </button>
                </div>
              )}
              {editing === item.id && <Editor item={item} onDone={() => setEditing(undefined)} />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Editor({ item, onDone }: { readonly item: OutboxItem; readonly onDone: () => void }) {
  const { t } = useTranslation();
  const { outbox, categories, lang } = useField();
  const [category, setCategory] = useState(item.category);
  const [postcode, setPostcode] = useState("postcode" in item.location ? item.location.postcode : "");
  const [note, setNote] = useState(item.note ?? "");
  const [confirmed, setConfirmed] = useState(item.noteConfirmed === true);
  const [error, setError] = useState<string>();
  const kinds = [...new Set(screenNote(note).map((f) => f.kind))];
  const prefix = `f-edit-${item.id}`;

  const resend = async () => {
    let location = item.location;
    if (postcode.trim() && !("postcode" in location && location.postcode === postcode.trim())) {
      const pc = normalisePostcode(postcode);
      if (!pc) return setError(t("field.new.postcode.invalid"));
      location = { postcode: pc };
    }
    if (kinds.length > 0 && !confirmed) return setError(t("field.outbox.confirmNote"));
    await outbox.edit(item.id, {
      category,
      location,
      note: note.trim() || undefined,
      noteConfirmed: kinds.length > 0 && confirmed ? true : undefined,
    });
    onDone();
  };

  return (
    <div className="f-form f-editor">
      <label htmlFor={`${prefix}-category`}>{t("field.new.category")}</label>
      <select id={`${prefix}-category`} value={category} onChange={(e) => setCategory(e.target.value)}>
        {categories.map((c) => (
          <option key={c.id} value={c.id}>
            {categoryLabel(categories, c.id, lang)}
          </option>
        ))}
      </select>
      <label htmlFor={`${prefix}-postcode`}>{t("field.outbox.postcode")}</label>
      <input
        id={`${prefix}-postcode`}
        value={postcode}
        placeholder="1234 AB"
        onChange={(e) => setPostcode(e.target.value)}
      />
      <label htmlFor={`${prefix}-note`}>{t("field.new.note.label")}</label>
      <textarea
        id={`${prefix}-note`}
        rows={3}
        maxLength={NOTE_MAX_LENGTH}
        value={note}
        onChange={(e) => {
          setNote(e.target.value);
          setConfirmed(false);
        }}
      />
      {kinds.length > 0 && (
        <div className="f-warning" aria-live="polite">
          <p>
            {t("field.new.note.warning", {
              kinds: kinds.map((k) => t(`field.new.note.kind.${k}`)).join(", "),
            })}
          </p>
          <label className="f-check">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} />
            {t("field.outbox.keepNote")}
          </label>
        </div>
      )}
      {error && (
        <p className="f-error" role="alert">
          {error}
        </p>
      )}
      <div className="f-row">
        <button type="button" className="f-primary" onClick={() => void resend()} data-testid="resend">
          {t("field.outbox.resend")}
        </button>
        <button type="button" onClick={onDone}>
          {t("field.outbox.cancel")}
        </button>
      </div>
    </div>
  );
}
