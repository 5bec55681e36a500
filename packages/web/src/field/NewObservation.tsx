/**
 * A new observation: the category as big buttons, the location (my location, a tap on the map or a
 * postcode) with the buurt it snaps to when online ("wordt bepaald bij verzenden" offline), the time
 * (now, editable), an optional note of at most 280 characters with a live personal-data warning
 * (core screenNote) that must be rephrased or confirmed ("toch opslaan"), and Save → the outbox.
 */
import { lazy, Suspense, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client";
import { fieldApi, normalisePostcode, type Located, type ObservationLocation } from "./api";
import { categoryLabel, useField } from "./context";
import { randomId } from "./id";
import {
  currentArea,
  currentPosition,
  fromLocalInput,
  GeolocationFailed,
  toLocalInput,
  type CurrentArea,
} from "./location";
import { NOTE_MAX_LENGTH, screenNote } from "./screen";

const MapPicker = lazy(() => import("./MapPicker"));

type Snap =
  | { readonly kind: "none" }
  | { readonly kind: "pending" }
  | { readonly kind: "located"; readonly area: Located }
  | { readonly kind: "later" }
  | { readonly kind: "refused"; readonly message: string };

export function NewObservation() {
  const { t } = useTranslation();
  const { categories, lang, outbox, db } = useField();
  const ids = useId();
  const [category, setCategory] = useState<string>();
  const [location, setLocation] = useState<ObservationLocation>();
  const [snap, setSnap] = useState<Snap>({ kind: "none" });
  const [postcode, setPostcode] = useState("");
  const [postcodeError, setPostcodeError] = useState<string>();
  const [gpsError, setGpsError] = useState<string>();
  const [gpsBusy, setGpsBusy] = useState(false);
  const [mapOpen, setMapOpen] = useState(false);
  const [area, setArea] = useState<CurrentArea>();
  const [time, setTime] = useState(() => toLocalInput(new Date()));
  const [note, setNote] = useState("");
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [saved, setSaved] = useState<string>();
  const errorsRef = useRef<HTMLDivElement>(null);
  const warningRef = useRef<HTMLDivElement>(null);
  const request = useRef(0);

  useEffect(() => {
    void currentArea(db).then(setArea);
  }, [db]);

  // The form is usable from its first paint (categories bundled): bench/field-load.ts waits for this.
  useEffect(() => {
    performance.mark("wijkradar:field-ready");
  }, []);

  const findings = note ? screenNote(note) : [];
  const kinds = [...new Set(findings.map((f) => f.kind))];

  /** Asks the server which buurt a location snaps to; offline that is left to the sync. */
  const snapTo = async (loc: ObservationLocation) => {
    const mine = ++request.current;
    setSnap({ kind: "pending" });
    try {
      const located =
        "postcode" in loc
          ? await fieldApi.locatePostcode(loc.postcode)
          : await fieldApi.locatePoint(loc.lon, loc.lat);
      if (mine === request.current) setSnap({ kind: "located", area: located });
    } catch (e) {
      if (mine !== request.current) return;
      if (e instanceof ApiError && (e.status === 400 || e.status === 404 || e.status === 422))
        setSnap({ kind: "refused", message: e.message });
      else setSnap({ kind: "later" });
    }
  };

  const choose = (loc: ObservationLocation) => {
    setLocation(loc);
    setSaved(undefined);
    if (navigator.onLine) void snapTo(loc);
    else setSnap({ kind: "later" });
  };

  const locateByGps = async () => {
    setGpsError(undefined);
    setGpsBusy(true);
    try {
      const p = await currentPosition();
      setPostcode("");
      choose({ lon: p.lon, lat: p.lat, source: "gps" });
    } catch (e) {
      setGpsError(t(`field.new.gps.${e instanceof GeolocationFailed ? e.reason : "unavailable"}`));
    } finally {
      setGpsBusy(false);
    }
  };

  const locateByPostcode = () => {
    const pc = normalisePostcode(postcode);
    if (!pc) {
      setPostcodeError(t("field.new.postcode.invalid"));
      return;
    }
    setPostcodeError(undefined);
    choose({ postcode: pc });
  };

  const reset = () => {
    setCategory(undefined);
    setNote("");
    setConfirmOpen(false);
    setTime(toLocalInput(new Date()));
    setErrors([]);
  };

  const save = async (confirmed: boolean) => {
    const problems: string[] = [];
    const when = fromLocalInput(time);
    if (!category) problems.push(t("field.new.error.category"));
    if (!location) problems.push(t("field.new.error.location"));
    if (snap.kind === "refused") problems.push(t("field.new.error.refused", { detail: snap.message }));
    if (!when) problems.push(t("field.new.error.time"));
    else if (when.getTime() > Date.now() + 5 * 60_000) problems.push(t("field.new.error.future"));
    if (note.length > NOTE_MAX_LENGTH) problems.push(t("field.new.error.note", { max: NOTE_MAX_LENGTH }));
    setErrors(problems);
    if (problems.length > 0 || !category || !location || !when) {
      requestAnimationFrame(() => errorsRef.current?.focus());
      return;
    }
    if (kinds.length > 0 && !confirmed) {
      setConfirmOpen(true);
      requestAnimationFrame(() => warningRef.current?.focus());
      return;
    }
    const trimmed = note.trim();
    await outbox.add(
      {
        id: randomId(),
        category,
        observedAt: when.toISOString(),
        location,
        ...(trimmed ? { note: trimmed } : {}),
        ...(trimmed && kinds.length > 0 ? { noteConfirmed: true } : {}),
      },
      snap.kind === "located" ? { areaCode: snap.area.code, areaName: snap.area.name } : undefined,
    );
    setSaved(categoryLabel(categories, category, lang));
    reset();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save(false);
  };

  const where =
    location === undefined
      ? undefined
      : "postcode" in location
        ? t("field.new.where.postcode", { postcode: location.postcode })
        : t(`field.new.where.${location.source}`, {
            lon: location.lon.toFixed(4),
            lat: location.lat.toFixed(4),
          });

  return (
    <form
      className="f-form f-new"
      onSubmit={submit}
      noValidate
      data-testid="new-observation"
      data-ready="true"
    >
      <h1>{t("field.new.title")}</h1>
      {saved && (
        <p className="f-saved" role="status" data-testid="saved">
          {t("field.new.saved", { category: saved })}
        </p>
      )}
      <fieldset className="f-categories">
        <legend>{t("field.new.category")}</legend>
        <div className="f-category-grid">
          {categories.map((c) => (
            <button
              key={c.id}
              type="button"
              className="f-category"
              aria-pressed={category === c.id}
              data-category={c.id}
              onClick={() => {
                setCategory(c.id);
                setSaved(undefined);
              }}
            >
              {c.label[lang]}
            </button>
          ))}
        </div>
      </fieldset>

      <fieldset className="f-location">
        <legend>{t("field.new.location")}</legend>
        <div className="f-row">
          <button type="button" onClick={() => void locateByGps()} disabled={gpsBusy} data-testid="use-gps">
            {gpsBusy ? t("field.new.gps.busy") : t("field.new.gps.button")}
          </button>
          <button
            type="button"
            aria-expanded={mapOpen}
            aria-controls={`${ids}-map`}
            onClick={() => setMapOpen((o) => !o)}
            data-testid="open-map"
          >
            {t("field.new.map.button")}
          </button>
        </div>
        {gpsError && (
          <p className="f-error" role="alert">
            {gpsError}
          </p>
        )}
        <div id={`${ids}-map`}>
          {mapOpen && (
            <Suspense fallback={<p className="f-hint">{t("field.new.map.loading")}</p>}>
              <MapPicker
                gemeente={area?.gemeente}
                onPick={(lon, lat) => {
                  setPostcode("");
                  choose({ lon, lat, source: "map" });
                }}
              />
            </Suspense>
          )}
        </div>
        <label htmlFor={`${ids}-postcode`}>{t("field.new.postcode.label")}</label>
        <div className="f-row">
          <input
            id={`${ids}-postcode`}
            name="postcode"
            inputMode="text"
            autoCapitalize="characters"
            autoComplete="postal-code"
            placeholder="1234 AB"
            value={postcode}
            aria-invalid={postcodeError ? true : undefined}
            aria-describedby={postcodeError ? `${ids}-postcode-error` : undefined}
            onChange={(e) => setPostcode(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                locateByPostcode();
              }
            }}
            data-testid="postcode"
          />
          <button type="button" onClick={locateByPostcode} data-testid="use-postcode">
            {t("field.new.postcode.use")}
          </button>
        </div>
        {postcodeError && (
          <p className="f-error" id={`${ids}-postcode-error`}>
            {postcodeError}
          </p>
        )}
        <div className="f-where" aria-live="polite" data-testid="where" data-snap={snap.kind}>
          {where && <p>{where}</p>}
          {snap.kind === "pending" && <p>{t("field.new.snap.pending")}</p>}
          {snap.kind === "located" && (
            <p data-area={snap.area.code}>
              {t("field.new.snap.located", { name: snap.area.name, code: snap.area.code })}
            </p>
          )}
          {snap.kind === "later" && <p>{t("field.new.snap.later")}</p>}
          {snap.kind === "refused" && <p className="f-error">{snap.message}</p>}
        </div>
      </fieldset>

      <label htmlFor={`${ids}-time`}>{t("field.new.time")}</label>
      <input
        id={`${ids}-time`}
        name="observedAt"
        type="datetime-local"
        value={time}
        onChange={(e) => setTime(e.target.value)}
        data-testid="time"
      />

      <label htmlFor={`${ids}-note`}>{t("field.new.note.label")}</label>
      <p className="f-hint" id={`${ids}-note-hint`}>
        {t("field.new.note.hint", { max: NOTE_MAX_LENGTH })}
      </p>
      <textarea
        id={`${ids}-note`}
        name="note"
        rows={3}
        maxLength={NOTE_MAX_LENGTH}
        value={note}
        aria-describedby={`${ids}-note-hint ${ids}-note-warning`}
        onChange={(e) => {
          setNote(e.target.value);
          setConfirmOpen(false);
        }}
        data-testid="note"
      />
      <div id={`${ids}-note-warning`} aria-live="polite">
        {kinds.length > 0 && (
          <div
            className="f-warning"
            ref={warningRef}
            tabIndex={-1}
            data-testid="note-warning"
            data-kinds={kinds.join(" ")}
          >
            <p>
              {t("field.new.note.warning", {
                kinds: kinds.map((k) => t(`field.new.note.kind.${k}`)).join(", "),
              })}
            </p>
            {confirmOpen && (
              <button type="button" onClick={() => void save(true)} data-testid="save-anyway">
                {t("field.new.note.confirm")}
              </button>
            )}
          </div>
        )}
      </div>

      <div ref={errorsRef} tabIndex={-1} className="f-errors" data-testid="new-errors">
        {errors.length > 0 && (
          <ul role="alert">
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        )}
      </div>
      <button type="submit" className="f-primary" data-testid="save">
        {t("field.new.save")}
      </button>
    </form>
  );
}
