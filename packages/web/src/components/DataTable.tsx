/**
 * The table alternative to the map (WCAG 1.1.1): every area with its figure, status and references,
 * sortable by column, including areas that have a figure but no boundary to draw.
 */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { ValueRow, ValuesResponse } from "../api/types";
import { useApp } from "../app-context";
import { formatValue, text } from "../lib/format";
import { StateLink } from "./StateLink";

type SortKey = "name" | "code" | "value" | "parent";

export function DataTable({
  values,
  unmatched,
}: {
  readonly values: ValuesResponse;
  readonly unmatched: readonly ValueRow[];
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: "name", ascending: true });
  const ind = values.indicator;
  const noBoundary = new Set(unmatched.map((u) => u.code));
  const parentValue = (r: ValueRow) =>
    (r.parent ? values.references.parents[r.parent]?.value : undefined) ?? null;
  const keyOf = (r: ValueRow): string | number | null =>
    sort.key === "name"
      ? (r.name ?? r.code)
      : sort.key === "code"
        ? r.code
        : sort.key === "value"
          ? (r.value ?? null)
          : parentValue(r);
  const rows = [...values.values].sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const c =
      typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), state.lang);
    return sort.ascending ? c : -c;
  });
  const header = (key: SortKey, label: string, numeric = false) => (
    <th
      scope="col"
      aria-sort={sort.key === key ? (sort.ascending ? "ascending" : "descending") : undefined}
      className={numeric ? "num" : undefined}
    >
      <button
        type="button"
        onClick={() => setSort({ key, ascending: sort.key === key ? !sort.ascending : true })}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.ascending ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
  const national = values.references.national;
  return (
    <div className="table-wrap">
      <table className="data-table" data-testid="data-table">
        <caption>
          {t("table.caption", {
            indicator: text(ind.name, state.lang),
            period: values.period,
            level: t(`levelPlural.${values.level}`),
          })}
          {national && typeof national.value === "number" && (
            <>
              {" "}
              · {t("tooltip.national")}: {formatValue(national.value, ind, state.lang)}
            </>
          )}
        </caption>
        <thead>
          <tr>
            {header("name", t("table.area"))}
            {header("code", t("table.code"))}
            {header("value", t("table.value"), true)}
            {header("parent", t("table.parent"), true)}
            <th scope="col">{t("table.note")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.code} data-code={r.code}>
              <th scope="row">
                <StateLink patch={{ view: "profile", area: r.code }}>{r.name ?? r.code}</StateLink>
              </th>
              <td>{r.code}</td>
              <td className="num">
                {r.status === "suppressed" ? t("legend.suppressed") : formatValue(r.value, ind, state.lang)}
              </td>
              <td className="num">{formatValue(parentValue(r), ind, state.lang)}</td>
              <td>
                {[
                  noBoundary.has(r.code) ? t("table.noBoundary") : "",
                  r.derived ? t("table.derived") : "",
                  r.nameDivision ? t("table.nameFrom", { division: r.nameDivision }) : "",
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="source">
        {t("source.figure", {
          source: values.source.attribution,
          licence: values.source.licence,
          period: values.period,
        })}
      </p>
    </div>
  );
}
