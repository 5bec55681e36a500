/** Name, value, period and references of the area under the pointer (or tapped). */
import { useTranslation } from "react-i18next";
import type { AlertMapArea, ValueRow, ValuesResponse } from "../api/types";
import { useApp } from "../app-context";
import type { LayerClass } from "../lib/alerts";
import { formatValue, text } from "../lib/format";
import { StateLink } from "./StateLink";

export function Tooltip({
  values,
  row,
  name,
  x,
  y,
  pinned,
  panelWidth,
  canDrill,
  onDrill,
  onClose,
  alert,
  layerClass,
  onOpenAlert,
}: {
  readonly values: ValuesResponse;
  readonly row: ValueRow | undefined;
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly pinned: boolean;
  /** Width of the element the card is positioned in. */
  readonly panelWidth: number;
  readonly canDrill: boolean;
  readonly onDrill: () => void;
  readonly onClose: () => void;
  /** The area's alerts when the alert layer is shown. */
  readonly alert?: AlertMapArea;
  /** The area's class on the alert layer when it is shown (blue, grey, untested without an alert). */
  readonly layerClass?: LayerClass;
  readonly onOpenAlert?: () => void;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const ind = values.indicator;
  const parentRef = row?.parent ? values.references.parents[row.parent] : undefined;
  const national = values.references.national;
  const figure =
    row?.status === "suppressed"
      ? t("legend.suppressed")
      : row && typeof row.value === "number"
        ? formatValue(row.value, ind, state.lang)
        : t("legend.noData");
  const flip = x > panelWidth / 2;
  // On the right half of the map the card opens to the left of the pointer, so it never leaves the
  // screen (a 375 px phone has no room for it on the right).
  const style = flip
    ? { right: Math.max(8, panelWidth - x + 12), top: Math.max(8, y + 12) }
    : { left: Math.max(8, x + 12), top: Math.max(8, y + 12) };
  return (
    <div
      className={`tooltip${pinned ? " pinned" : ""}`}
      style={style}
      role={pinned ? "dialog" : "tooltip"}
      aria-label={pinned ? name : undefined}
      data-testid="tooltip"
    >
      <p className="tooltip-name">{name}</p>
      <p className="tooltip-value">
        <span className="tooltip-indicator">{text(ind.name, state.lang)}:</span> <strong>{figure}</strong> (
        {values.period})
      </p>
      {parentRef && typeof parentRef.value === "number" && (
        <p className="tooltip-ref">
          {t("tooltip.parent")}: {formatValue(parentRef.value, ind, state.lang)}
        </p>
      )}
      {national && typeof national.value === "number" && (
        <p className="tooltip-ref">
          {t("tooltip.national")}: {formatValue(national.value, ind, state.lang)}
        </p>
      )}
      {alert && (
        <p className="tooltip-alert" data-testid="tooltip-alert">
          <span className={`chip severity severity-${alert.severity}`}>
            {t(`severity.${alert.severity}`)}
          </span>{" "}
          {t("alertLegend.tooltip", {
            count: alert.alerts,
            domains: alert.domains.map((d) => t(`domain.${d}`)).join(", "),
          })}
        </p>
      )}
      {!alert && layerClass && (
        <p className="tooltip-alert" data-testid="tooltip-alert" data-class={layerClass}>
          {layerClass !== "untested" && (
            <>
              <span className={`chip severity severity-${layerClass}`}>
                {t(`severity.${layerClass}`)}
              </span>{" "}
            </>
          )}
          {t(`alertLegend.${layerClass}`)}
        </p>
      )}
      {pinned && (row || alert) && (
        <div className="tooltip-actions">
          {alert && onOpenAlert && (
            <button type="button" onClick={onOpenAlert}>
              {t("alertLegend.open")}
            </button>
          )}
          {canDrill && (
            <button type="button" onClick={onDrill}>
              {t("tooltip.drill")}
            </button>
          )}
          {row && (
            <StateLink patch={{ view: "profile", area: row.code }} className="button-link">
              {t("tooltip.profile")}
            </StateLink>
          )}
          <button type="button" onClick={onClose} aria-label={t("tooltip.close")}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
