/**
 * Registering an intervention: title, goal, kind, problem, domain, the areas (picked with the area
 * search; division and level follow from them), the target indicators from the catalogue grouped by
 * domain, start and end, owner organisation, budget, status, whether it is shared in the library,
 * and lessons. "Hergebruik" in the library fills it in from a shared intervention (without its areas).
 * The server checks everything; its problem lines appear under the fields they name.
 */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { DOMAINS } from "../../api/accounts";
import {
  fieldWork,
  INTERVENTION_STATUSES,
  type Intervention,
  type InterventionInput,
  type InterventionStatus,
} from "../../api/field-work";
import type { AreaSummary } from "../../api/types";
import { useApp } from "../../app-context";
import { text as localised } from "../../lib/format";
import { useSession } from "../../lib/session";
import { fieldErrors, FormErrors, SelectField, TextField, type FieldErrors } from "../forms";
import { SearchBox } from "../SearchBox";
import { ScreenedText } from "./ScreenedText";

export const INTERVENTION_KINDS = [
  "physical",
  "social",
  "enforcement",
  "prevention",
  "participation",
  "care",
  "other",
] as const;

const FIELDS = [
  "title",
  "goal",
  "kind",
  "problem",
  "domain",
  "areas",
  "division",
  "targetIndicators",
  "startDate",
  "endDate",
  "ownerOrganisation",
  "budget",
  "status",
  "shared",
  "lessons",
] as const;

/** What the form starts from: empty, or a library item to reuse. */
export interface InterventionDraft {
  readonly title?: string;
  readonly goal?: string;
  readonly kind?: string;
  readonly problem?: string;
  readonly domain?: string;
  readonly targetIndicators?: readonly string[];
  readonly lessons?: string | null;
}

export function InterventionForm({
  draft,
  onCreated,
}: {
  readonly draft?: InterventionDraft;
  readonly onCreated: (created: Intervention) => void;
}) {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const { session } = useSession();
  const [title, setTitle] = useState(draft?.title ?? "");
  const [goal, setGoal] = useState(draft?.goal ?? "");
  const [kind, setKind] = useState(draft?.kind ?? "");
  const [problem, setProblem] = useState(draft?.problem ?? "");
  const [domain, setDomain] = useState(draft?.domain ?? "");
  const [areas, setAreas] = useState<AreaSummary[]>([]);
  const [targets, setTargets] = useState<string[]>([...(draft?.targetIndicators ?? [])]);
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [owner, setOwner] = useState(session.authenticated ? session.user.organisation : "");
  const [budget, setBudget] = useState("");
  const [status, setStatus] = useState<InterventionStatus>("planned");
  const [shared, setShared] = useState(false);
  const [lessons, setLessons] = useState(draft?.lessons ?? "");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const first = areas[0];
  const mixed = areas.some((a) => a.level !== first?.level || a.division !== first?.division);
  // Indicators with figures at the areas' level, grouped by domain (the chosen domain first).
  const usable = indicators.filter((i) => !first || i.levels.includes(first.level));
  const domains = [...new Set(usable.map((i) => i.domain))].sort((a, b) =>
    a === domain ? -1 : b === domain ? 1 : t(`domain.${a}`).localeCompare(t(`domain.${b}`), state.lang),
  );

  const addArea = (a: AreaSummary) =>
    setAreas((list) => (list.some((x) => x.code === a.code) ? list : [...list, a]));
  const toggleTarget = (id: string, on: boolean) =>
    setTargets((list) => (on ? [...new Set([...list, id])] : list.filter((x) => x !== id)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setRest([]);
    const missing: Record<string, string> = {};
    for (const [k, v] of [
      ["title", title],
      ["goal", goal],
      ["kind", kind],
      ["problem", problem],
      ["domain", domain],
      ["startDate", start],
      ["ownerOrganisation", owner],
    ] as const)
      if (!v.trim()) missing[k] = t("board.required");
    if (areas.length === 0) missing.areas = t("interventions.form.areasRequired");
    else if (mixed) missing.areas = t("interventions.form.areasMixed");
    if (targets.length === 0) missing.targetIndicators = t("interventions.form.targetsRequired");
    const money = budget.trim() ? Number(budget.replace(",", ".")) : undefined;
    if (money !== undefined && !(Number.isFinite(money) && money >= 0))
      missing.budget = t("interventions.form.budgetNumber");
    if (Object.keys(missing).length) return setErrors(missing);
    const input: InterventionInput = {
      title: title.trim(),
      goal: goal.trim(),
      kind,
      problem: problem.trim(),
      domain,
      areas: areas.map((a) => a.code),
      division: first!.division,
      targetIndicators: targets,
      startDate: start,
      ...(end ? { endDate: end } : {}),
      ownerOrganisation: owner.trim(),
      ...(money !== undefined ? { budget: money } : {}),
      status,
      shared,
      ...(lessons.trim() ? { lessons: lessons.trim() } : {}),
    };
    setBusy(true);
    try {
      onCreated(await fieldWork.register(input));
    } catch (err) {
      const r = fieldErrors(err, FIELDS);
      setErrors(r.byField);
      setRest(r.rest);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="stack-form board-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="intervention-form"
      aria-labelledby="intervention-form-title"
    >
      <h3 id="intervention-form-title">{t("interventions.form.title")}</h3>
      <div className="form-grid">
        <TextField
          id="iv-title"
          label={t("interventions.field.title")}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          error={errors.title}
          autoComplete="off"
        />
        <TextField
          id="iv-problem"
          label={t("interventions.field.problem")}
          hint={t("interventions.form.problemHint")}
          value={problem}
          onChange={(e) => setProblem(e.target.value)}
          error={errors.problem}
          autoComplete="off"
        />
        <SelectField
          id="iv-kind"
          label={t("interventions.field.kind")}
          value={kind}
          onChange={(e) => setKind(e.target.value)}
          error={errors.kind}
        >
          <option value="">{t("board.choose")}</option>
          {[
            ...INTERVENTION_KINDS,
            ...(kind && !INTERVENTION_KINDS.includes(kind as never) ? [kind] : []),
          ].map((k) => (
            <option key={k} value={k}>
              {t(`interventions.kind.${k}`, { defaultValue: k })}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="iv-domain"
          label={t("interventions.field.domain")}
          value={domain}
          onChange={(e) => setDomain(e.target.value)}
          error={errors.domain}
        >
          <option value="">{t("board.choose")}</option>
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {t(`domain.${d}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <ScreenedText
        id="iv-goal"
        label={t("interventions.field.goal")}
        value={goal}
        onChange={setGoal}
        error={errors.goal}
        rows={2}
      />
      <fieldset className="iv-areas" aria-describedby={errors.areas ? "iv-areas-error" : undefined}>
        <legend>{t("interventions.field.areas")}</legend>
        <SearchBox id="iv-area-search" label={t("interventions.form.findArea")} onSelect={addArea} />
        {areas.length > 0 && (
          <ul className="chip-list" data-testid="iv-areas">
            {areas.map((a) => (
              <li key={a.code} className="chip">
                <span>
                  {a.name ?? a.code} <span className="hint">{a.code}</span>
                </span>
                <button
                  type="button"
                  onClick={() => setAreas((list) => list.filter((x) => x.code !== a.code))}
                  aria-label={t("interventions.form.removeArea", { area: a.name ?? a.code })}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        {first && !mixed && (
          <p className="hint" data-testid="iv-division">
            {t("interventions.form.derived", { level: t(`level.${first.level}`), division: first.division })}
          </p>
        )}
        {(errors.areas ?? errors.division) && (
          <p id="iv-areas-error" className="field-error">
            {[errors.areas, errors.division].filter(Boolean).join("; ")}
          </p>
        )}
      </fieldset>
      <fieldset className="iv-targets">
        <legend>{t("interventions.field.targetIndicators")}</legend>
        <p className="hint">{t("interventions.form.targetsHint", { count: targets.length })}</p>
        {domains.map((d) => (
          <details
            key={d}
            open={d === domain || usable.some((i) => i.domain === d && targets.includes(i.id))}
          >
            <summary>
              {t(`domain.${d}`, { defaultValue: d })} ({usable.filter((i) => i.domain === d).length})
            </summary>
            <div className="check-list">
              {usable
                .filter((i) => i.domain === d)
                .map((i) => (
                  <label key={i.id} className="check">
                    <input
                      type="checkbox"
                      value={i.id}
                      checked={targets.includes(i.id)}
                      onChange={(e) => toggleTarget(i.id, e.target.checked)}
                    />{" "}
                    <span>{localised(i.name, state.lang)}</span>
                  </label>
                ))}
            </div>
          </details>
        ))}
        {errors.targetIndicators && <p className="field-error">{errors.targetIndicators}</p>}
      </fieldset>
      <div className="form-grid">
        <TextField
          id="iv-start"
          type="date"
          label={t("interventions.field.startDate")}
          value={start}
          onChange={(e) => setStart(e.target.value)}
          error={errors.startDate}
        />
        <TextField
          id="iv-end"
          type="date"
          label={t("interventions.field.endDate")}
          hint={t("interventions.form.optional")}
          value={end}
          onChange={(e) => setEnd(e.target.value)}
          error={errors.endDate}
        />
        <TextField
          id="iv-owner"
          label={t("interventions.field.ownerOrganisation")}
          hint={t("board.ownerHint")}
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          error={errors.ownerOrganisation}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          id="iv-budget"
          inputMode="decimal"
          label={t("interventions.field.budget")}
          hint={t("interventions.form.optional")}
          value={budget}
          onChange={(e) => setBudget(e.target.value)}
          error={errors.budget}
          autoComplete="off"
        />
        <SelectField
          id="iv-status"
          label={t("interventions.field.status")}
          value={status}
          onChange={(e) => setStatus(e.target.value as InterventionStatus)}
          error={errors.status}
        >
          {INTERVENTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`interventions.status.${s}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="check-field">
        <label>
          <input
            type="checkbox"
            checked={shared}
            onChange={(e) => setShared(e.target.checked)}
            id="iv-shared"
          />
          <span>{t("interventions.field.shared")}</span>
        </label>
        {errors.shared && <span className="field-error">{errors.shared}</span>}
      </div>
      <ScreenedText
        id="iv-lessons"
        label={t("interventions.field.lessons")}
        hint={t("interventions.form.optional")}
        value={lessons}
        onChange={setLessons}
        error={errors.lessons}
        rows={2}
      />
      <FormErrors lines={rest} testId="intervention-errors" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="intervention-submit">
          {t("interventions.form.submit")}
        </button>
      </div>
    </form>
  );
}
