/**
 * "Waarom zie ik dit niet?": where the access policy hides figures, a button that asks the server
 * which rule applies to this user for this indicator (or profile) in this area and level
 * (GET /api/access/explain) and shows the answer in words — which grant would allow it, or why none
 * does. The server's own sentence is shown too (in English, marked as such).
 */
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { accounts, type Explanation } from "../api/accounts";
import type { Level } from "../api/types";
import { useApp } from "../app-context";
import { useSession } from "../lib/session";
import { StateLink } from "./StateLink";
import { currentPlace } from "./UserMenu";

export function WhyNot({
  indicator,
  area,
  level,
  areaName,
  indicatorName,
  known,
  explanation,
}: {
  /** An indicator id or profile:<id>. */
  readonly indicator: string;
  readonly area: string;
  readonly level?: Level;
  readonly areaName?: string;
  readonly indicatorName?: string;
  /** The rule the data's answer already named (deniedReason of a partly hidden list): no request. */
  readonly known?: string;
  /** The answer of /api/access/explain when the caller already asked. */
  readonly explanation?: Explanation;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const { session } = useSession();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [answer, setAnswer] = useState<{ key: string; value?: Explanation; error?: string }>();
  const key = `${indicator}|${area}|${level ?? ""}`;
  const shown = known
    ? { key, value: { allowed: false, grantId: null, reason: known, level } satisfies Explanation }
    : explanation
      ? { key, value: explanation }
      : answer?.key === key
        ? answer
        : undefined;

  const toggle = () => {
    const opening = !open;
    setOpen(opening);
    if (!opening || shown) return;
    accounts.explain(indicator, area, level).then(
      (value) => setAnswer({ key, value }),
      (e: unknown) => setAnswer({ key, error: e instanceof Error ? e.message : String(e) }),
    );
  };

  const what = indicatorName ?? indicator;
  const where = areaName ? `${areaName} (${area})` : area;
  const serverLang = state.lang === "en" ? undefined : "en";
  return (
    <div className="why-not" data-testid="why-not">
      <button
        type="button"
        className="link-button"
        aria-expanded={open}
        aria-controls={id}
        onClick={toggle}
        data-testid="why-not-button"
      >
        {t("why.button")}
      </button>
      <div id={id} className="why-answer" hidden={!open} role="status" data-testid="why-answer">
        {open && !shown && <p className="loading">{t("loading")}</p>}
        {open && shown?.error && <p className="field-error">{t("error.api", { detail: shown.error })}</p>}
        {open && shown?.value && (
          <>
            <p>
              {shown.value.allowed
                ? t("why.allowed", { grant: shown.value.grantId ?? "–", what, where })
                : known
                  ? t("why.deniedSome", { what })
                  : t("why.denied", {
                      what,
                      where,
                      level: t(`level.${shown.value.level ?? level ?? "buurt"}`),
                    })}
            </p>
            <p className="why-reason">
              <span className="why-reason-label">{t("why.rule")}</span>{" "}
              <span lang={serverLang} data-testid="why-reason">
                {shown.value.reason}
              </span>
            </p>
            {!shown.value.allowed && (
              <p className="hint">
                {session.authenticated ? (
                  t("why.askAdmin")
                ) : (
                  <>
                    {t("why.visitor")}{" "}
                    <StateLink patch={{ view: "login", next: currentPlace(state.lang) }}>
                      {t("user.login")}
                    </StateLink>
                  </>
                )}
              </p>
            )}
          </>
        )}
      </div>
    </div>
  );
}
