/** Organisations: add, rename or change kind, remove (only without users). */
import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { accounts, ORGANISATION_KINDS, type Organisation } from "../../api/accounts";
import { fieldErrors, FormErrors, SelectField, TextField, type FieldErrors } from "../../components/forms";
import { useAsync } from "../../lib/use-async";
import { ConfirmButton, Done } from "./common";

const FIELDS = ["id", "name", "kind"] as const;

export function OrganisationsTab() {
  const { t } = useTranslation();
  const [version, setVersion] = useState(0);
  const list = useAsync(() => accounts.organisations(), [version]);
  const [editing, setEditing] = useState<Organisation>();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<string>("gemeente");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);

  const reset = () => {
    setEditing(undefined);
    setId("");
    setName("");
    setKind("gemeente");
    setErrors({});
    setRest([]);
  };
  const edit = (o: Organisation) => {
    reset();
    setEditing(o);
    setId(o.id);
    setName(o.name);
    setKind(o.kind);
    requestAnimationFrame(() => first.current?.focus());
  };
  const fail = (e: unknown) => {
    const r = fieldErrors(e, FIELDS);
    setErrors(r.byField);
    setRest(r.rest);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setErrors({});
    setRest([]);
    setBusy(true);
    try {
      if (editing) {
        await accounts.updateOrganisation(editing.id, { name: name.trim(), kind });
        setDone(t("admin.org.updated", { id: editing.id }));
      } else {
        const r = await accounts.createOrganisation({ id: id.trim(), name: name.trim(), kind });
        setDone(t("admin.org.created", { id: r.id }));
      }
      reset();
      setVersion((v) => v + 1);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (o: Organisation) => {
    setDone(undefined);
    setRest([]);
    try {
      await accounts.deleteOrganisation(o.id);
      setDone(t("admin.org.deleted", { id: o.id }));
      if (editing?.id === o.id) reset();
      setVersion((v) => v + 1);
    } catch (err) {
      fail(err);
    }
  };

  return (
    <>
      <form className="admin-form" onSubmit={(e) => void submit(e)} noValidate data-testid="org-form">
        <h3>{editing ? t("admin.org.editTitle", { id: editing.id }) : t("admin.org.newTitle")}</h3>
        <div className="form-grid">
          <TextField
            ref={first}
            label={t("admin.org.id")}
            hint={t("admin.slugHint")}
            value={id}
            onChange={(e) => setId(e.target.value)}
            disabled={editing !== undefined}
            error={errors.id}
            autoComplete="off"
            spellCheck={false}
          />
          <TextField
            label={t("admin.org.name")}
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errors.name}
            autoComplete="organization"
          />
          <SelectField
            label={t("admin.org.kind")}
            value={kind}
            onChange={(e) => setKind(e.target.value)}
            error={errors.kind}
          >
            {ORGANISATION_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`orgKind.${k}`)}
              </option>
            ))}
          </SelectField>
        </div>
        <FormErrors lines={rest} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {editing ? t("admin.save") : t("admin.add")}
          </button>
          {editing && (
            <button type="button" onClick={reset}>
              {t("admin.cancel")}
            </button>
          )}
        </div>
      </form>
      <Done text={done} />
      {list.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: list.error.message })}
        </p>
      )}
      {!list.value && list.state === "loading" && <p className="loading">{t("loading")}</p>}
      {list.value && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t("admin.tab.organisations")}>
          <table className="admin-table" data-testid="org-table">
            <thead>
              <tr>
                <th scope="col">{t("admin.org.id")}</th>
                <th scope="col">{t("admin.org.name")}</th>
                <th scope="col">{t("admin.org.kind")}</th>
                <th scope="col" className="num">
                  {t("admin.org.users")}
                </th>
                <th scope="col">{t("admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((o) => (
                <tr key={o.id} data-id={o.id}>
                  <th scope="row">{o.id}</th>
                  <td>{o.name}</td>
                  <td>{t(`orgKind.${o.kind}`, { defaultValue: o.kind })}</td>
                  <td className="num">{o.users ?? "–"}</td>
                  <td className="actions">
                    <button type="button" onClick={() => edit(o)}>
                      {t("admin.edit")}
                      <span className="visually-hidden"> {o.id}</span>
                    </button>
                    <ConfirmButton
                      question={t("admin.org.confirmDelete", { id: o.id })}
                      onConfirm={() => remove(o)}
                      disabled={(o.users ?? 0) > 0}
                    >
                      {t("admin.delete")}
                      <span className="visually-hidden"> {o.id}</span>
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
