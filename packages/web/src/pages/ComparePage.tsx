/**
 * Compare two or more areas side by side: one column per area, one row per indicator, grouped by
 * domain, with the country as the reference column. Areas are added with the search box and removed
 * with their button; the list lives in the URL (?v=compare&c=GM0034,GM0363).
 */
import { Fragment, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { Indicator, ProfileEntry, ProfileResponse } from "../api/types";
import { useApp } from "../app-context";
import { SearchBox } from "../components/SearchBox";
import { deviation } from "../lib/deviation";
import { formatValue, text } from "../lib/format";
import { useAsync } from "../lib/use-async";

export default function ComparePage() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const codes = state.compare;
  const profiles = useAsync(() => Promise.all(codes.map((c) => api.profile(c))), [codes.join(",")]);
  const list = profiles.value && profiles.value.length === codes.length ? profiles.value : undefined;

  const rows = useMemo(() => {
    if (!list) return [];
    const byId = new Map<string, { indicator: Indicator; entries: (ProfileEntry | undefined)[] }>();
    list.forEach((p: ProfileResponse, i) => {
      for (const entry of Object.values(p.domains).flat()) {
        let row = byId.get(entry.indicator.id);
        if (!row) {
          row = { indicator: entry.indicator, entries: list.map(() => undefined) };
          byId.set(entry.indicator.id, row);
        }
        row.entries[i] = entry;
      }
    });
    return [...byId.values()].sort(
      (a, b) =>
        t(`domain.${a.indicator.domain}`).localeCompare(t(`domain.${b.indicator.domain}`), state.lang) ||
        text(a.indicator.name, state.lang).localeCompare(text(b.indicator.name, state.lang), state.lang),
    );
  }, [list, state.lang, t]);

  const remove = (code: string) => update({ compare: codes.filter((c) => c !== code) }, { push: true });

  return (
    <article className="compare">
      <h1>{t("compare.title")}</h1>
      <p className="hint">{t("compare.help")}</p>
      <div className="compare-picker no-print">
        <SearchBox
          id="compare-search"
          label={t("compare.add")}
          onSelect={(a) => update({ compare: [...new Set([...codes, a.code])] }, { push: true })}
        />
        <ul className="chips" aria-label={t("compare.chosen")}>
          {codes.map((c, i) => (
            <li key={c}>
              <span>{list?.[i]?.area.name ?? c}</span>
              <button
                type="button"
                onClick={() => remove(c)}
                aria-label={t("compare.remove", { name: list?.[i]?.area.name ?? c })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      </div>
      {profiles.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: profiles.error.message })}
        </p>
      )}
      {codes.length < 2 && <p className="empty">{t("compare.empty")}</p>}
      {list && codes.length > 0 && (
        <div className="table-wrap">
          <table className="compare-table" data-testid="compare-table">
            <caption>
              {t("compare.caption", { names: list.map((p) => p.area.name ?? p.area.code).join(", ") })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("profile.indicator")}</th>
                {list.map((p) => (
                  <th scope="col" key={p.area.code} className="num">
                    {p.area.name ?? p.area.code}
                    <span className="profile-code"> {p.area.code}</span>
                  </th>
                ))}
                <th scope="col" className="num">
                  {t("profile.national")}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => {
                const national = row.entries.find((e) => e?.national)?.national;
                const newDomain = i === 0 || rows[i - 1]!.indicator.domain !== row.indicator.domain;
                return (
                  <Fragment key={row.indicator.id}>
                    {newDomain && (
                      <tr className="domain-row">
                        <th scope="colgroup" colSpan={list.length + 2}>
                          {t(`domain.${row.indicator.domain}`)}
                        </th>
                      </tr>
                    )}
                    <tr>
                      <th scope="row">
                        <span className="indicator-name">{text(row.indicator.name, state.lang)}</span>
                        <span className="figure-source">{row.indicator.source.attribution}</span>
                      </th>
                      {row.entries.map((e, j) => {
                        const dev = e
                          ? deviation(e.value, e.national?.value, row.indicator.polarity)
                          : undefined;
                        return (
                          <td key={codes[j]} className="num">
                            {e ? (
                              <>
                                <span className={dev ? `deviation-${dev.judgement}` : undefined}>
                                  {e.status === "suppressed"
                                    ? t("legend.suppressed")
                                    : formatValue(e.value, row.indicator, state.lang)}
                                </span>
                                <span className="figure-period"> ({e.period})</span>
                              </>
                            ) : (
                              "–"
                            )}
                          </td>
                        );
                      })}
                      <td className="num">{formatValue(national?.value, row.indicator, state.lang)}</td>
                    </tr>
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}
