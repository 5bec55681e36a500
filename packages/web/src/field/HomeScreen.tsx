/**
 * The current area and its quick view (GET /api/field/area/:code): the state of the latest signal,
 * open alerts (count and top 3), observation counts per category for the last weeks (released
 * figures only, each with its source and period), and links to the area's profile and signal board
 * in the dashboard. The area comes from the last choice on this phone, else the user's grant, else
 * GPS or a postcode. The last quick view is kept for offline use and says when it was fetched.
 */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { accounts } from "../api/accounts";
import { ApiError } from "../api/client";
import { fieldApi, normalisePostcode, type QuickView } from "./api";
import { categoryLabel, useField } from "./context";
import {
  currentArea,
  currentPosition,
  fromLocated,
  GeolocationFailed,
  rememberArea,
  type CurrentArea,
} from "./location";
import { cache, cached } from "./outbox";
import { useFieldSession } from "./session";

interface Stored {
  readonly view: QuickView;
  readonly fetchedAt: string;
}

type Load =
  | { readonly kind: "idle" | "loading" }
  | { readonly kind: "shown"; readonly stored: Stored; readonly stale: boolean }
  | { readonly kind: "failed"; readonly message: string };

export function HomeScreen() {
  const { t, i18n } = useTranslation();
  const { db, categories, lang, go } = useField();
  const session = useFieldSession();
  const [area, setArea] = useState<CurrentArea>();
  const [load, setLoad] = useState<Load>({ kind: "idle" });
  const [postcode, setPostcode] = useState("");
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  // The area: the last one on this phone, else the first area of the user's grants.
  useEffect(() => {
    let live = true;
    void (async () => {
      const known = await currentArea(db);
      if (known) {
        if (live) setArea(known);
        return;
      }
      if (session.kind !== "user") return;
      try {
        const me = await accounts.me();
        const code = me.grants.flatMap((g) => g.areas ?? [])[0];
        if (code && live) setArea({ code, name: code, how: "grant" });
      } catch {
        // offline or no grants: the user chooses
      }
    })();
    return () => {
      live = false;
    };
  }, [db, session.kind]);

  // Its quick view: the kept one at once, then the server's.
  useEffect(() => {
    if (!area) return;
    let live = true;
    const key = `quick:${area.code}`;
    void (async () => {
      const kept = await cached<Stored>(db, key);
      if (live) setLoad(kept ? { kind: "shown", stored: kept, stale: true } : { kind: "loading" });
      try {
        const view = await fieldApi.area(area.code);
        const stored = { view, fetchedAt: new Date().toISOString() };
        await cache(db, key, stored);
        const gemeente = view.parents.find((p) => p.level === "gemeente")?.code ?? area.gemeente;
        const named = { ...area, name: view.area.name || area.name, gemeente };
        if (named.name !== area.name || named.gemeente !== area.gemeente) await rememberArea(db, named);
        if (live) setLoad({ kind: "shown", stored, stale: false });
      } catch (e) {
        if (!live) return;
        if (!kept)
          setLoad({
            kind: "failed",
            message: e instanceof ApiError ? e.message : t("field.home.offline"),
          });
      }
    })();
    return () => {
      live = false;
    };
  }, [area, db, t]);

  const choose = async (next: CurrentArea) => {
    await rememberArea(db, next);
    setArea(next);
  };

  const byGps = async () => {
    setProblem(undefined);
    setBusy(true);
    try {
      const p = await currentPosition();
      await choose(fromLocated(await fieldApi.locatePoint(p.lon, p.lat), "gps"));
    } catch (e) {
      setProblem(
        e instanceof GeolocationFailed
          ? t(`field.new.gps.${e.reason}`)
          : e instanceof ApiError
            ? e.message
            : t("field.home.offline"),
      );
    } finally {
      setBusy(false);
    }
  };

  const byPostcode = async () => {
    const pc = normalisePostcode(postcode);
    if (!pc) return setProblem(t("field.new.postcode.invalid"));
    setProblem(undefined);
    setBusy(true);
    try {
      await choose(fromLocated(await fieldApi.locatePostcode(pc), "postcode"));
    } catch (e) {
      setProblem(e instanceof ApiError ? e.message : t("field.home.offline"));
    } finally {
      setBusy(false);
    }
  };

  const fmt = new Intl.NumberFormat(i18n.language === "en" ? "en-GB" : "nl-NL");
  const when = (iso: string) =>
    new Intl.DateTimeFormat(i18n.language === "en" ? "en-GB" : "nl-NL", {
      dateStyle: "medium",
      timeStyle: "short",
    }).format(new Date(iso));
  const view = load.kind === "shown" ? load.stored.view : undefined;
  /** A released weekly count, or what stands in its place. */
  const figure = (w: { status: string; value: number | null } | undefined): string =>
    w?.status === "released" && w.value !== null
      ? fmt.format(w.value)
      : t(
          `field.home.status.${w?.status === "denied" ? "denied" : w?.status === "suppressed" ? "suppressed" : "missing"}`,
        );
  const code = view?.area.code || area?.code;

  return (
    <div className="f-home" data-testid="home">
      <h1>{view?.area.name || area?.name || t("field.home.title")}</h1>
      {area && (
        <p className="f-hint" data-testid="area-how">
          {t(`field.home.how.${area.how}`)} · {code}
          {view && view.parents.length > 0 ? ` · ${view.parents.map((p) => p.name).join(", ")}` : ""}
        </p>
      )}
      <p>
        <button type="button" className="f-primary f-wide" onClick={() => go("new")} data-testid="go-new">
          {t("field.home.newObservation")}
        </button>
      </p>

      {load.kind === "loading" && <p className="f-hint">{t("field.home.loading")}</p>}
      {load.kind === "failed" && (
        <p className="f-error" role="alert">
          {load.message}
        </p>
      )}
      {load.kind === "shown" && view && (
        <>
          {load.stale && (
            <p className="f-hint" data-testid="quick-stale">
              {t("field.home.stale", { when: when(load.stored.fetchedAt) })}
            </p>
          )}
          <section aria-labelledby="f-state" className="f-card">
            <h2 id="f-state">{t("field.home.state")}</h2>
            <p data-testid="signal">
              {view.signal?.severity
                ? t(view.signal.domains.length > 0 ? "field.home.signal" : "field.home.signalPlain", {
                    severity: t(`field.severity.${view.signal.severity}`, {
                      defaultValue: view.signal.severity,
                    }),
                    domains: view.signal.domains
                      .map((d) => t(`field.domain.${d}`, { defaultValue: d }))
                      .join(", "),
                  })
                : t("field.home.noSignal")}
            </p>
          </section>
          <section aria-labelledby="f-alerts" className="f-card">
            <h2 id="f-alerts">{t("field.home.alerts", { count: view.alerts.count })}</h2>
            {view.alerts.top.length > 0 ? (
              <ul className="f-list" data-testid="alerts">
                {view.alerts.top.slice(0, 3).map((a) => (
                  <li key={a.id}>
                    <a href={`/?v=alert&id=${a.id}`}>{a.indicatorId ?? `#${a.id}`}</a>
                    {a.severity
                      ? ` · ${t(`field.severity.${a.severity}`, { defaultValue: a.severity })}`
                      : ""}
                    {a.domain ? ` · ${t(`field.domain.${a.domain}`, { defaultValue: a.domain })}` : ""}
                    {a.period ? ` · ${a.period}` : ""}
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t("field.home.noAlerts")}</p>
            )}
          </section>
          <section aria-labelledby="f-counts" className="f-card">
            <h2 id="f-counts">{t("field.home.counts")}</h2>
            {view.counts.length === 0 ? (
              <p>{t("field.home.noCounts")}</p>
            ) : (
              <table className="f-table" data-testid="counts">
                <thead>
                  <tr>
                    <th scope="col">{t("field.home.category")}</th>
                    <th scope="col">{t("field.home.thisWeek")}</th>
                    <th scope="col">{t("field.home.fourWeeks")}</th>
                  </tr>
                </thead>
                <tbody>
                  {view.counts.map((c) => {
                    const last = c.weeks[c.weeks.length - 1];
                    const all = c.weeks.every((w) => w.status === "released" && w.value !== null);
                    const total = c.weeks.reduce((sum, w) => sum + (w.value ?? 0), 0);
                    const label =
                      c.category === "totaal"
                        ? t("field.home.total")
                        : (c.label?.[lang] ?? categoryLabel(categories, c.category, lang));
                    return (
                      <tr key={c.category} data-category={c.category}>
                        <th scope="row">{label}</th>
                        <td data-status={last?.status}>{figure(last)}</td>
                        <td data-status={all ? "released" : "partial"}>
                          {all ? fmt.format(total) : t("field.home.status.partial")}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            <p className="f-source" data-testid="counts-source">
              {t("field.home.source", {
                source: view.source,
                period:
                  view.weeks.length > 0
                    ? `${view.weeks[0]} – ${view.weeks[view.weeks.length - 1]}`
                    : t("field.home.lastWeeks"),
              })}
            </p>
          </section>
          {code && (
            <p className="f-links">
              <a className="f-button" href={`/?v=profile&a=${encodeURIComponent(code)}`}>
                {t("field.home.profile")}
              </a>
              <a
                className="f-button"
                href={`/?v=board&a=${encodeURIComponent(code)}`}
                data-testid="board-link"
              >
                {t("field.home.board")}
              </a>
            </p>
          )}
        </>
      )}

      <section aria-labelledby="f-choose" className="f-card">
        <h2 id="f-choose">{area ? t("field.home.other") : t("field.home.choose")}</h2>
        <button type="button" onClick={() => void byGps()} disabled={busy} data-testid="home-gps">
          {t("field.new.gps.button")}
        </button>
        <label htmlFor="f-home-postcode">{t("field.new.postcode.label")}</label>
        <div className="f-row">
          <input
            id="f-home-postcode"
            placeholder="1234 AB"
            autoComplete="postal-code"
            autoCapitalize="characters"
            value={postcode}
            onChange={(e) => setPostcode(e.target.value)}
          />
          <button type="button" onClick={() => void byPostcode()} disabled={busy}>
            {t("field.new.postcode.use")}
          </button>
        </div>
        {problem && (
          <p className="f-error" role="alert">
            {problem}
          </p>
        )}
      </section>
    </div>
  );
}
