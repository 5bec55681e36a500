/**
 * "Kies op de kaart": MapLibre (loaded only now, in a chunk of its own) with the buurt boundaries of
 * the current gemeente from /api/geo and no base map (no tiles from anywhere). A tap sets the point;
 * the buurt under it is shown at once from the boundaries, the server snaps it again when saving.
 */
import type { GeoJSONSource, Map as MapLibreMap, MapMouseEvent, StyleSpecification } from "maplibre-gl";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { getFresh, query } from "../api/client";
import type { GeoResponse } from "../api/types";

const STYLE: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2f6" } }],
};

export default function MapPicker({
  gemeente,
  onPick,
}: {
  readonly gemeente: string | undefined;
  readonly onPick: (lon: number, lat: number, area?: { code: string; name: string }) => void;
}) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  const [state, setState] = useState<"loading" | "ready" | "failed">("loading");
  const [picked, setPicked] = useState<string>();

  useEffect(() => {
    pick.current = onPick;
  });

  useEffect(() => {
    if (!gemeente) return;
    let disposed = false;
    let map: MapLibreMap | undefined;
    Promise.all([
      import("maplibre-gl"),
      import("maplibre-gl/dist/maplibre-gl-worker.mjs?url"),
      import("maplibre-gl/dist/maplibre-gl.css"),
      getFresh<GeoResponse>(`/api/geo/buurt${query({ parent: gemeente })}`),
    ])
      .then(([{ Map: MapClass, NavigationControl, setWorkerUrl }, worker, , geo]) => {
        if (disposed || !container.current) return;
        setWorkerUrl(worker.default);
        let box: [number, number, number, number] | undefined;
        const visit = (c: unknown): void => {
          if (Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number") {
            const [x, y] = c as [number, number];
            box = box
              ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)]
              : [x, y, x, y];
          } else if (Array.isArray(c)) c.forEach(visit);
        };
        for (const f of geo.features) visit((f.geometry as { coordinates: unknown }).coordinates);
        const m = new MapClass({
          container: container.current,
          style: STYLE,
          bounds: box ?? [3.3, 50.7, 7.3, 53.6],
          fitBoundsOptions: { padding: 8 },
          pixelRatio: Math.min(window.devicePixelRatio || 1, 1.5),
          dragRotate: false,
          pitchWithRotate: false,
          attributionControl: false,
          fadeDuration: 0,
        });
        map = m;
        m.touchZoomRotate.disableRotation();
        m.addControl(new NavigationControl({ showCompass: false }), "top-right");
        m.on("load", () => {
          m.addSource("areas", { type: "geojson", data: geo as never, promoteId: "code" });
          m.addSource("pick", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
          m.addLayer({ id: "areas-fill", type: "fill", source: "areas", paint: { "fill-color": "#ffffff" } });
          m.addLayer({
            id: "areas-line",
            type: "line",
            source: "areas",
            paint: { "line-color": "#4a5561", "line-width": 1 },
          });
          m.addLayer({
            id: "pick",
            type: "circle",
            source: "pick",
            paint: {
              "circle-radius": 8,
              "circle-color": "#b35900",
              "circle-stroke-color": "#ffffff",
              "circle-stroke-width": 2,
            },
          });
          if (!disposed) setState("ready");
        });
        m.on("click", (e: MapMouseEvent) => {
          const { lng, lat } = e.lngLat;
          const hit = m.queryRenderedFeatures(e.point, { layers: ["areas-fill"] })[0];
          const code = hit?.properties?.code as string | undefined;
          const name = (hit?.properties?.name as string | undefined) ?? code;
          void (m.getSource("pick") as GeoJSONSource).setData({
            type: "Feature",
            geometry: { type: "Point", coordinates: [lng, lat] },
            properties: {},
          });
          setPicked(code ? `${name} (${code})` : undefined);
          pick.current(lng, lat, code ? { code, name: name ?? code } : undefined);
        });
      })
      .catch(() => {
        if (!disposed) setState("failed");
      });
    return () => {
      disposed = true;
      map?.remove();
    };
  }, [gemeente]);

  if (!gemeente) return <p className="f-hint">{t("field.new.map.noArea")}</p>;
  return (
    <div className="f-map-wrap">
      <p className="f-hint">{state === "failed" ? t("field.new.map.failed") : t("field.new.map.hint")}</p>
      <div
        ref={container}
        className="f-map"
        role="application"
        aria-label={t("field.new.map.label")}
        data-testid="pick-map"
        data-state={state}
      />
      {picked && <p className="f-hint">{t("field.new.map.picked", { area: picked })}</p>}
    </div>
  );
}
