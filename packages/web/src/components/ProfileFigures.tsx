/**
 * The profiles of the microdata vault for one area (counted from the synthetic Almere in the demo),
 * on the area profile: each profile's share in the area, after disclosure control — or, where the
 * access policy hides it from this user, "no access" with "Waarom zie ik dit niet?". Asked per
 * profile as the map layer profile:<id> at the area's level under its parent, so one request per
 * profile answers for the area and its siblings.
 */
import { useTranslation } from "react-i18next";
import { accounts, type Explanation } from "../api/accounts";
import { api, ApiError } from "../api/client";
import type { Level, ValuesResponse } from "../api/types";
import { useApp } from "../app-context";
import { formatValue, text } from "../lib/format";
import { useAsync } from "../lib/use-async";
import { WhyNot } from "./WhyNot";

const PROFILE_LEVELS: readonly Level[] = ["gemeente", "wijk", "buurt", "pc4", "pc6"];

type Figure =
  | {
      readonly kind: "value";
      readonly values: ValuesResponse;
      readonly value: number;
      readonly period: string;
    }
  | { readonly kind: "suppressed"; readonly values: ValuesResponse }
  | { readonly kind: "denied"; readonly explanation?: Explanation }
  | { readonly kind: "none" }
  | { readonly kind: "error"; readonly detail: string };

/**
 * First the policy (GET /api/access/explain always answers 200): a hidden figure costs no refused
 * request. Then the figures of the area's level under its parent.
 */
async function figureOf(id: string, code: string, level: Level, parent: string | null): Promise<Figure> {
  try {
    const explanation = await accounts.explain(`profile:${id}`, code, level);
    if (!explanation.allowed) return { kind: "denied", explanation };
    const values = await api.latestValues(`profile:${id}`, level, parent);
    const row = values.values.find((v) => v.code === code);
    if (row?.status === "suppressed") return { kind: "suppressed", values };
    if (row && typeof row.value === "number")
      return { kind: "value", values, value: row.value, period: values.period };
    // Not among the released figures: hidden by the policy when the answer says it denied some.
    return values.denied > 0 ? { kind: "denied" } : { kind: "none" };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return { kind: "denied" };
    if (e instanceof ApiError && e.status === 404) return { kind: "none" };
    return { kind: "error", detail: e instanceof Error ? e.message : String(e) };
  }
}

export function ProfileFigures({
  code,
  level,
  parent,
  areaName,
}: {
  readonly code: string;
  readonly level: Level;
  readonly parent: string | null;
  readonly areaName: string;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const applies = PROFILE_LEVELS.includes(level);
  const list = useAsync(() => (applies ? accounts.profiles() : undefined), [applies]);
  const figures = useAsync(
    () =>
      list.value
        ? Promise.all(
            list.value.map(async (p) => ({ profile: p, figure: await figureOf(p.id, code, level, parent) })),
          )
        : undefined,
    [list.value, code, level, parent],
  );
  if (!applies || (list.state === "ready" && list.value.length === 0)) return null;
  // Areas the vault has no figures for (outside the synthetic municipality): nothing to say.
  if (figures.value?.every((f) => f.figure.kind === "none")) return null;

  return (
    <section
      className="profile-domain profile-figures"
      aria-labelledby="profile-figures-title"
      data-testid="profile-figures"
    >
      <h2 id="profile-figures-title">{t("profileFigures.title")}</h2>
      <p className="hint">{t("profileFigures.intro")}</p>
      {list.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: list.error.message })}
        </p>
      )}
      {!figures.value && list.state !== "error" && <p className="loading">{t("loading")}</p>}
      {figures.value && (
        <table className="profile-table">
          <thead>
            <tr>
              <th scope="col">{t("profileFigures.profile")}</th>
              <th scope="col" className="num">
                {areaName}
              </th>
              <th scope="col">{t("profileFigures.about")}</th>
            </tr>
          </thead>
          <tbody>
            {figures.value.map(({ profile, figure }) => {
              const name = text(profile.name, state.lang);
              return (
                <tr key={profile.id} data-profile={profile.id} data-state={figure.kind}>
                  <th scope="row" className="indicator-name">
                    {name}
                  </th>
                  <td className="num" data-label={areaName} data-testid="profile-figure">
                    {figure.kind === "value"
                      ? formatValue(figure.value, figure.values.indicator, state.lang)
                      : figure.kind === "suppressed"
                        ? t("legend.suppressed")
                        : figure.kind === "denied"
                          ? t("profileFigures.denied")
                          : figure.kind === "none"
                            ? t("legend.noData")
                            : t("error.api", { detail: figure.detail })}
                  </td>
                  <td data-label={t("profileFigures.about")}>
                    {figure.kind === "value" || figure.kind === "suppressed" ? (
                      <span className="figure-source">
                        {figure.values.source.attribution} · {figure.values.period}
                      </span>
                    ) : figure.kind === "denied" ? (
                      <WhyNot
                        explanation={figure.explanation}
                        indicator={`profile:${profile.id}`}
                        area={code}
                        indicatorName={name}
                        areaName={areaName}
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
