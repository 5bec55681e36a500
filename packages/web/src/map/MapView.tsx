/**
 * The choropleth: MapLibre GL with one GeoJSON source of area boundaries and no base map (no tiles,
 * fonts or sprites from anywhere: a municipal network is closed). Colours are set per feature with
 * feature-state, so switching indicator or period repaints without re-uploading geometry.
 */
import type {
  ExpressionSpecification,
  GeoJSONSource,
  Map as MapLibreMap,
  StyleSpecification,
} from "maplibre-gl";
import type { FeatureCollection } from "geojson";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { GeoResponse } from "../api/types";
import {
  HIGHLIGHT_COLOUR,
  NO_DATA_COLOUR,
  OTHER_DIVISION_COLOUR,
  OUTLINE_COLOUR,
  SUPPRESSED_COLOUR,
} from "../lib/palette";

export type Fill = { readonly status: "value"; readonly colour: string } | { readonly status: "suppressed" };

export interface MapViewProps {
  readonly geo: GeoResponse | undefined;
  readonly fills: ReadonlyMap<string, Fill>;
  /** Changes when the data shown changes; set on the container as data-rendered once painted. */
  readonly renderKey: string;
  readonly hovered: string | null;
  readonly selected: string | null;
  readonly label: string;
  /** What the fills show ("values", "alerts"): set on the container as data-layer once painted. */
  readonly layer?: string;
  readonly onHover: (code: string | null, point?: { x: number; y: number }) => void;
  readonly onActivate: (code: string, point: { x: number; y: number }, touch: boolean) => void;
}

const EMPTY: FeatureCollection = { type: "FeatureCollection", features: [] };

const STYLE: StyleSpecification = {
  version: 8,
  // No fades between states: every frame costs a full software redraw where there is no GPU.
  transition: { duration: 0, delay: 0 },
  sources: {
    areas: {
      type: "geojson",
      data: EMPTY,
      promoteId: "code",
      attribution: "Grenzen: CBS, PDOK/Kadaster (CC BY 4.0)",
    },
  },
  layers: [
    { id: "background", type: "background", paint: { "background-color": "#eef2f5" } },
    {
      id: "areas-fill",
      type: "fill",
      source: "areas",
      paint: {
        "fill-color": [
          "case",
          ["==", ["feature-state", "status"], "value"],
          ["coalesce", ["feature-state", "colour"], NO_DATA_COLOUR],
          ["==", ["feature-state", "status"], "suppressed"],
          SUPPRESSED_COLOUR,
          ["==", ["get", "inData"], false],
          OTHER_DIVISION_COLOUR,
          NO_DATA_COLOUR,
        ] as ExpressionSpecification,
      },
    },
    {
      id: "areas-suppressed",
      type: "fill",
      source: "areas",
      filter: ["in", ["get", "code"], ["literal", []]],
      paint: { "fill-pattern": "hatch" },
    },
    {
      id: "areas-other-division",
      type: "fill",
      source: "areas",
      filter: ["==", ["get", "inData"], false],
      paint: { "fill-pattern": "dots" },
    },
    {
      id: "areas-outline",
      type: "line",
      source: "areas",
      paint: { "line-color": OUTLINE_COLOUR, "line-width": 0.6, "line-opacity": 0.7 },
    },
    {
      id: "areas-focus",
      type: "line",
      source: "areas",
      paint: {
        "line-color": HIGHLIGHT_COLOUR,
        "line-width": [
          "case",
          ["boolean", ["feature-state", "hover"], false],
          3.5,
          ["boolean", ["feature-state", "selected"], false],
          2.5,
          0,
        ],
      },
    },
  ],
};

/** Small repeating patterns drawn on a canvas: nothing is fetched. */
function pattern(kind: "hatch" | "dots"): ImageData {
  const size = 8;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  if (kind === "hatch") {
    ctx.fillStyle = SUPPRESSED_COLOUR;
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(0, size);
    ctx.lineTo(size, 0);
    ctx.stroke();
  } else {
    ctx.fillStyle = OTHER_DIVISION_COLOUR;
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = "#737373";
    ctx.beginPath();
    ctx.arc(4, 4, 1.3, 0, Math.PI * 2);
    ctx.fill();
  }
  return ctx.getImageData(0, 0, size, size);
}

function boundsOf(geo: GeoResponse): [number, number, number, number] | undefined {
  let b: [number, number, number, number] | undefined;
  for (const f of geo.features) {
    const [x0, y0, x1, y1] = f.bbox;
    b = b
      ? [Math.min(b[0], x0), Math.min(b[1], y0), Math.max(b[2], x1), Math.max(b[3], y1)]
      : [x0, y0, x1, y1];
  }
  return b;
}

declare global {
  interface Window {
    /** The map of the page, for the browser tests and devtools (set once it has loaded). */
    wijkradarMap?: MapLibreMap;
  }
}

const reducedMotion = (): boolean => window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

export function MapView(props: MapViewProps) {
  const { t } = useTranslation();
  const container = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<MapLibreMap>();
  const [failed, setFailed] = useState<string>();
  const shownGeo = useRef<GeoResponse>(undefined);
  const states = useRef(new Set<string>());
  const callbacks = useRef(props);
  useEffect(() => {
    callbacks.current = props;
  });

  // Create the map once (MapLibre is loaded on demand, in parallel with the first data request).
  useEffect(() => {
    let disposed = false;
    let created: MapLibreMap | undefined;
    // Its CSS comes with it: a static import of the CSS made the entry chunk import the whole MapLibre
    // chunk (which holds the CSS too), so every page, the profile as well, loaded and ran it first.
    Promise.all([
      import("maplibre-gl"),
      import("maplibre-gl/dist/maplibre-gl-worker.mjs?url"),
      import("maplibre-gl/dist/maplibre-gl.css"),
    ])
      .then(([{ Map: MapClass, NavigationControl, AttributionControl, setWorkerUrl }, worker]) => {
        if (disposed || !container.current) return;
        // The worker is a file of our own build, served by our own server.
        setWorkerUrl(worker.default);
        created = new MapClass({
          container: container.current,
          style: STYLE,
          // The first frame already shows the Netherlands: no second frame just to get there.
          bounds: [3.3, 50.7, 7.3, 53.6],
          fitBoundsOptions: { padding: 8 },
          minZoom: 5,
          // Polygons need no more than 1.5 device pixels per CSS pixel to look sharp; on a phone with a
          // ratio of 3 that is 4× fewer pixels to rasterise for every frame (software WebGL, no GPU).
          pixelRatio: Math.min(window.devicePixelRatio || 1, 1.5),
          maxZoom: 16,
          dragRotate: false,
          pitchWithRotate: false,
          attributionControl: false,
          fadeDuration: 0,
        });
        created.touchZoomRotate.disableRotation();
        created.keyboard.disableRotation();
        created.addControl(new NavigationControl({ showCompass: false }), "top-right");
        // Not compact: the short licence line stays visible, and there is no 24 px toggle button.
        created.addControl(new AttributionControl({ compact: false }), "bottom-right");
        const m = created;
        m.on("load", () => {
          m.addImage("hatch", pattern("hatch"));
          m.addImage("dots", pattern("dots"));
          if (disposed) return;
          // For the browser tests (e2e/) and devtools: they find where an area is drawn. Read-only use.
          window.wijkradarMap = m;
          setMap(m);
        });
        m.on("mousemove", "areas-fill", (e) => {
          const code = e.features?.[0]?.properties?.code as string | undefined;
          m.getCanvas().style.cursor = code ? "pointer" : "";
          callbacks.current.onHover(code ?? null, { x: e.point.x, y: e.point.y });
        });
        m.on("mouseleave", "areas-fill", () => {
          m.getCanvas().style.cursor = "";
          callbacks.current.onHover(null);
        });
        m.on("click", "areas-fill", (e) => {
          const code = e.features?.[0]?.properties?.code as string | undefined;
          const touch = (e.originalEvent as PointerEvent).pointerType === "touch";
          if (code) callbacks.current.onActivate(code, { x: e.point.x, y: e.point.y }, touch);
        });
      })
      .catch((e: unknown) => setFailed(String(e)));
    return () => {
      disposed = true;
      if (window.wijkradarMap === created) delete window.wijkradarMap;
      created?.remove();
    };
  }, []);

  // Geometry: replace the source data and fit the view when the set of areas changes.
  useEffect(() => {
    if (!map || !props.geo || shownGeo.current === props.geo) return;
    const before = shownGeo.current?.wijkradar;
    shownGeo.current = props.geo;
    map.removeFeatureState({ source: "areas" });
    states.current.clear();
    void (map.getSource("areas") as GeoJSONSource).setData(props.geo as unknown as FeatureCollection);
    const bounds = boundsOf(props.geo);
    // Animate only a move to other areas (drill-down, back up). The first view, and the same areas in
    // another division (another year), jump: the map is not shown as ready until an animation ends.
    const moved =
      before && (before.level !== props.geo.wijkradar.level || before.parent !== props.geo.wijkradar.parent);
    if (bounds)
      map.fitBounds(bounds, { padding: 24, duration: moved && !reducedMotion() ? 300 : 0, maxZoom: 14 });
  }, [map, props.geo]);

  // Colours: feature-state per area; the container says when the new colours are on screen.
  useEffect(() => {
    if (!map || !props.geo) return;
    const suppressed: string[] = [];
    for (const f of props.geo.features) {
      const code = f.properties.code;
      const fill = props.fills.get(code);
      if (fill?.status === "suppressed") suppressed.push(code);
      map.setFeatureState(
        { source: "areas", id: code },
        fill
          ? fill.status === "value"
            ? { status: "value", colour: fill.colour }
            : { status: "suppressed" }
          : { status: "none" },
      );
    }
    map.setFilter("areas-suppressed", ["in", ["get", "code"], ["literal", suppressed]]);
    // The alert layer colours boundaries without data grey itself (no baseline): no dots over them.
    const layer = props.layer ?? "values";
    map.setLayoutProperty("areas-other-division", "visibility", layer === "values" ? "visible" : "none");
    const key = props.renderKey;
    const el = container.current;
    if (el) el.dataset.state = "rendering";
    map.once("idle", () => {
      if (!el) return;
      el.dataset.rendered = key;
      el.dataset.layer = layer;
      el.dataset.state = "ready";
      performance.mark("wijkradar:choropleth", { detail: key });
    });
    map.triggerRepaint();
  }, [map, props.geo, props.fills, props.renderKey, props.layer]);

  // Hover and selection outlines (from the map itself or from the linked ranking list).
  useEffect(() => {
    if (!map || !props.geo) return;
    const wanted = new Map<string, { hover: boolean; selected: boolean }>();
    if (props.hovered) wanted.set(props.hovered, { hover: true, selected: props.hovered === props.selected });
    if (props.selected)
      wanted.set(props.selected, { hover: props.hovered === props.selected, selected: true });
    for (const code of states.current) {
      if (!wanted.has(code))
        map.setFeatureState({ source: "areas", id: code }, { hover: false, selected: false });
    }
    for (const [code, s] of wanted) map.setFeatureState({ source: "areas", id: code }, s);
    states.current = new Set(wanted.keys());
  }, [map, props.geo, props.hovered, props.selected]);

  useEffect(() => {
    const el = container.current;
    if (!map || !el) return;
    const observer = new ResizeObserver(() => map.resize());
    observer.observe(el);
    return () => observer.disconnect();
  }, [map]);

  return (
    <div className="map-canvas-wrap">
      <div
        ref={container}
        className="map-canvas"
        role="region"
        aria-label={props.label}
        data-testid="map"
        data-state="loading"
      />
      {failed && (
        <p className="map-error" role="alert">
          {t("map.failed")}
        </p>
      )}
    </div>
  );
}
