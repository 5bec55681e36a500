/**
 * The area profile: every indicator of one area, grouped by domain or sorted by deviation, with its
 * value, the parent and national reference, the deviation judged by polarity, the series as a
 * sparkline, and the source and period of each figure. Prints as a clean one-area report.
 */
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import { BOARD_ROLES } from "../api/field-work";
import type { ProfileEntry } from "../api/types";
import { useApp } from "../app-context";
import { Breadcrumb } from "../components/Breadcrumb";
import { ProfileFigures } from "../components/ProfileFigures";
import { Sparkline } from "../components/Sparkline";
import { StateLink } from "../components/StateLink";
import { areaChain } from "../lib/area-chain";
import { deviation, type Deviation } from "../lib/deviation";
import { formatNumber, formatValue, text, type Lang } from "../lib/format";
import { useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";

type Sort = "domain" | "deviation";

interface Row {
  readonly entry: ProfileEntry;
  readonly dev: Deviation | undefined;
}

export default function ProfilePage() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const profile = useAsync(() => api.profile(state.area), [state.area]);
  const [sort, setSort] = useState<Sort>("domain");
  const { session } = useSession();
  const boardRole = session.authenticated && BOARD_ROLES.includes(session.user.role);
  const data = profile.value?.area.code === state.area ? profile.value : undefined;
  // Names as they were in the division of the figures (a code can name another area in another year).
  const chain = useAsync(
    () => (data ? areaChain(state.area, data.area.division) : undefined),
    [state.area, data?.area.division],
  );

  const focus = state.focus && data?.domains[state.focus] ? state.focus : undefined;
  const rows = useMemo(() => {
    if (!data) return [];
    return (
      Object.values(data.domains)
        .flat()
        // From a signal's "look at the underlying factors": that domain only.
        .filter((entry) => !focus || entry.indicator.domain === focus)
        .map((entry) => {
          const ref =
            entry.parent?.status === "released" && typeof entry.parent.value === "number"
              ? entry.parent
              : entry.national;
          return { entry, dev: deviation(entry.value, ref?.value, entry.indicator.polarity) };
        })
    );
  }, [data, focus]);

  if (profile.state === "error")
    return (
      <p role="alert" className="page-error">
        {t("error.api", { detail: profile.error.message })}
      </p>
    );
  if (!data) return <p className="loading">{t("loading")}</p>;

  const chainValue = chain.value?.at(-1)?.code === state.area ? chain.value : [];
  const parent = chainValue.at(-2);
  const parentLabel = parent
    ? parent.level === "land"
      ? t("profile.national")
      : (parent.name ?? parent.code)
    : t("profile.parent");
  const name = data.area.name ?? data.area.code;
  // A code can name other areas in other divisions (CBS reuses wijk and buurt codes): say so.
  const divisions = [...new Set(rows.map((r) => r.entry.division))].sort((a, b) => a - b);

  const groups: [string, Row[]][] =
    sort === "domain"
      ? Object.keys(data.domains)
          .filter((d) => !focus || d === focus)
          .sort((a, b) => t(`domain.${a}`).localeCompare(t(`domain.${b}`), state.lang))
          .map((d) => [
            d,
            rows
              .filter((r) => r.entry.indicator.domain === d)
              .sort((a, b) =>
                text(a.entry.indicator.name, state.lang).localeCompare(
                  text(b.entry.indicator.name, state.lang),
                  state.lang,
                ),
              ),
          ])
      : [["all", [...rows].sort((a, b) => (b.dev?.score ?? -Infinity) - (a.dev?.score ?? -Infinity))]];

  return (
    <article className="profile" data-testid="profile">
      <header className="profile-header">
        <Breadcrumb chain={chainValue} />
        <h1>
          {name}{" "}
          <span className="profile-code">
            {t(`level.${data.area.level}`)} {data.area.code}
          </span>
        </h1>
        <p className="profile-summary">
          {t("profile.summary", {
            count: data.indicators,
            unfavourable: rows.filter((r) => r.dev?.judgement === "unfavourable").length,
            parent: parentLabel,
          })}
        </p>
        {divisions.length > 1 && (
          <p className="profile-note" role="note">
            {t("profile.divisions", { divisions: divisions.join(", "), code: data.area.code })}
          </p>
        )}
        {state.focus && (
          <p className="profile-note" role="note" data-testid="profile-focus">
            {focus
              ? t("board.focusNote", { domain: t(`domain.${focus}`) })
              : t("board.focusNone", {
                  domain: t(`domain.${state.focus}`, { defaultValue: state.focus }),
                })}{" "}
            <StateLink patch={{ focus: undefined }} className="button-link" data-testid="focus-all">
              {t("board.focusAll")}
            </StateLink>
          </p>
        )}
        <div className="profile-actions no-print">
          <div className="field">
            <label htmlFor="profile-sort">{t("profile.sort")}</label>
            <select id="profile-sort" value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
              <option value="domain">{t("profile.byDomain")}</option>
              <option value="deviation">{t("profile.byDeviation")}</option>
            </select>
          </div>
          <StateLink patch={{ view: "map", level: undefined }} className="button-link">
            {t("profile.showMap")}
          </StateLink>
          <button
            type="button"
            onClick={() =>
              update(
                { view: "compare", compare: [...new Set([...state.compare, data.area.code])] },
                { push: true },
              )
            }
          >
            {t("profile.compare")}
          </button>
          <button type="button" onClick={() => window.print()}>
            {t("profile.print")}
          </button>
          {boardRole && (
            <StateLink
              patch={{ view: "board", area: data.area.code }}
              className="button-link"
              data-testid="board-link"
            >
              {t("board.link")}
            </StateLink>
          )}
        </div>
      </header>
      <ProfileFigures
        code={data.area.code}
        level={data.area.level}
        parent={data.area.level === "gemeente" ? null : data.area.parentCode}
        areaName={name}
      />
      {groups.map(([domain, list]) => (
        <section key={domain} className="profile-domain" aria-labelledby={`domain-${domain}`}>
          <h2 id={`domain-${domain}`}>
            {domain === "all" ? t("profile.byDeviation") : t(`domain.${domain}`)}
          </h2>
          <table className="profile-table">
            <thead>
              <tr>
                <th scope="col">{t("profile.indicator")}</th>
                <th scope="col" className="num">
                  {name}
                </th>
                <th scope="col" className="num">
                  {parentLabel}
                </th>
                <th scope="col" className="num">
                  {t("profile.national")}
                </th>
                <th scope="col">{t("profile.deviation")}</th>
                <th scope="col">{t("profile.series")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <ProfileRow
                  key={r.entry.indicator.id}
                  areaDivision={data.area.division}
                  row={r}
                  lang={state.lang}
                  parentLabel={parentLabel}
                  areaName={name}
                />
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <p className="source print-only">
        {t("profile.printed", {
          date: new Date().toLocaleDateString(state.lang === "nl" ? "nl-NL" : "en-GB"),
        })}
      </p>
    </article>
  );
}

function ProfileRow({
  row,
  lang,
  parentLabel,
  areaName,
  areaDivision,
}: {
  readonly row: Row;
  readonly lang: Lang;
  readonly parentLabel: string;
  readonly areaName: string;
  readonly areaDivision: number;
}) {
  const { t } = useTranslation();
  const { entry, dev } = row;
  const ind = entry.indicator;
  const value = entry.status === "suppressed" ? t("legend.suppressed") : formatValue(entry.value, ind, lang);
  const seriesLabel = t("profile.seriesLabel", {
    series: entry.series
      .map(
        (s) =>
          `${s.period}: ${s.status === "suppressed" ? t("legend.suppressed") : formatValue(s.value, ind, lang)}`,
      )
      .join("; "),
  });
  return (
    <tr data-indicator={ind.id}>
      <th scope="row">
        <span className="indicator-name">{text(ind.name, lang)}</span>
        <span className="figure-source">
          {t("source.short", { source: entry.source.attribution, period: entry.period })}
          {entry.division !== areaDivision && <> {t("profile.inDivision", { division: entry.division })}</>}
        </span>
      </th>
      <td className="num" data-label={areaName}>
        <strong data-testid="profile-value">{value}</strong>
      </td>
      <td className="num" data-label={parentLabel}>
        {entry.parent?.status === "suppressed"
          ? t("legend.suppressed")
          : formatValue(entry.parent?.value, ind, lang)}
      </td>
      <td className="num" data-label={t("profile.national")}>
        {entry.national?.status === "suppressed"
          ? t("legend.suppressed")
          : formatValue(entry.national?.value, ind, lang)}
      </td>
      <td data-label={t("profile.deviation")}>
        {dev ? (
          <span className={`deviation deviation-${dev.judgement}`}>
            <span aria-hidden="true">{dev.relative > 0 ? "▲" : dev.relative < 0 ? "▼" : "="} </span>
            {t(`deviation.${dev.judgement}`)} ({dev.relative > 0 ? "+" : ""}
            {formatNumber(dev.relative * 100, lang, Math.abs(dev.relative) < 0.1 ? 1 : 0)} %)
          </span>
        ) : (
          "–"
        )}
      </td>
      <td data-label={t("profile.series")}>
        {entry.series.length > 1 ? (
          <Sparkline series={entry.series} label={seriesLabel} />
        ) : (
          <span className="hint">{t("profile.onePeriod")}</span>
        )}
      </td>
    </tr>
  );
}
