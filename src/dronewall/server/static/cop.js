/* dronewall COP: the map, the live stream and the picture. Panels live in panels.js.
   No network beyond this server: the style is built here from /api/v1/map/layers. */
"use strict";
window.DW = window.DW || {};
const DW_ = window.DW;

DW_.state = {
  token: null, me: null, session: null, epochMs: 0, t: 0, seq: 0,
  tracks: new Map(),           // id -> track (see picture.py for the columns)
  selected: null, mode: "live", replayT: null, ws: null, lastMsgWall: 0,
};
const TRAIL_POINTS = 40;       // steps of trail kept per track
const VECTOR_S = 60;           // heading vector length: where the track is in 60 s
const ELLIPSE_K = 2.0;         // uncertainty ellipse: 2 sigma

/* ------------------------------------------------------------------ api */
DW_.api = async function (path, opts) {
  const o = Object.assign({ headers: {} }, opts || {});
  o.headers = Object.assign({ Authorization: "Bearer " + DW_.state.token }, o.headers);
  if (o.json !== undefined) {
    o.body = JSON.stringify(o.json); o.headers["Content-Type"] = "application/json"; delete o.json;
  }
  const r = await fetch("/api/v1" + path, o);
  if (r.status === 401) { DW_.showLogin("token rejected"); throw new Error("401"); }
  if (!r.ok) {
    let msg = r.status + "";
    try { msg = (await r.json()).detail || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.json();
};

DW_.utc = function (t) {
  if (t === null || t === undefined) return "—";
  return new Date(DW_.state.epochMs + t * 1000).toISOString().slice(11, 19) + "Z";
};
DW_.mmss = function (s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  const neg = s < 0; s = Math.abs(Math.round(s));
  const m = Math.floor(s / 60), r = s % 60;
  return (neg ? "-" : "") + m + ":" + String(r).padStart(2, "0");
};
DW_.esc = function (s) {
  return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
};
/* scenario time now, between steps */
DW_.now = function () {
  const s = DW_.state;
  if (!s.session) return 0;
  const speed = s.session.speed || 1;
  return s.t + Math.min((performance.now() - s.lastMsgWall) / 1000 * speed, s.session.step_s || 1);
};

/* ------------------------------------------------------------------ login */
DW_.showLogin = function (msg) {
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = msg || "";
};
document.getElementById("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const tok = document.getElementById("login-token").value.trim();
  if (!tok) return;
  sessionStorage.setItem("dw-token", tok);
  location.reload();
});

/* ------------------------------------------------------------------ map */
function fc(features) { return { type: "FeatureCollection", features: features || [] }; }

function graticule(bbox) {
  const feats = [];
  const [lo0, la0, lo1, la1] = bbox;
  for (const [step, major] of [[1.0, true], [0.5, false], [0.1, false]]) {
    const a = Math.floor((lo0 - 3) / step) * step, b = Math.ceil((lo1 + 3) / step) * step;
    for (let x = a; x <= b + 1e-9; x += step) {
      feats.push({ type: "Feature", properties: { step, major },
        geometry: { type: "LineString", coordinates: [[x, la0 - 3], [x, la1 + 3]] } });
    }
    const c = Math.floor((la0 - 3) / step) * step, d = Math.ceil((la1 + 3) / step) * step;
    for (let y = c; y <= d + 1e-9; y += step) {
      feats.push({ type: "Feature", properties: { step, major },
        geometry: { type: "LineString", coordinates: [[lo0 - 3, y], [lo1 + 3, y]] } });
    }
  }
  return fc(feats);
}

const ZONE_COLOURS = {
  sovereign: "#6cb6ff", airport: "#c39bff", no_fire: "#ff6b6b", infrastructure: "#ffb44c",
  engagement: "#4cc38a", restricted: "#ff9f40", other: "#9aa5ad",
};

function buildStyle(L) {
  // no glyphs and no sprite URL: nothing is fetched; symbols are canvas images, labels a canvas
  const zc = ["match", ["get", "kind"]];
  for (const [k, v] of Object.entries(ZONE_COLOURS)) zc.push(k, v);
  zc.push("#9aa5ad");
  return {
    version: 8,
    sources: {
      land: { type: "geojson", data: L.land }, tsea: { type: "geojson", data: L.territorial_sea },
      coast: { type: "geojson", data: L.coastline }, limit: { type: "geojson", data: L.tsea_limit },
      grat: { type: "geojson", data: graticule(L.bbox) }, zones: { type: "geojson", data: L.zones },
      towns: { type: "geojson", data: L.towns }, airports: { type: "geojson", data: L.airports },
      sensors: { type: "geojson", data: L.sensors }, effectors: { type: "geojson", data: L.effectors },
      ellipses: { type: "geojson", data: fc() }, trails: { type: "geojson", data: fc() },
      vectors: { type: "geojson", data: fc() }, tracks: { type: "geojson", data: fc() },
      strobes: { type: "geojson", data: fc() }, wedges: { type: "geojson", data: fc() },
    },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": "#0e2133" } },
      { id: "tsea", type: "fill", source: "tsea", paint: { "fill-color": "#16304a" } },
      { id: "land", type: "fill", source: "land",
        paint: { "fill-color": ["case", ["get", "own"], "#38423a", "#2b3034"] } },
      { id: "borders", type: "line", source: "land",
        paint: { "line-color": "#aab4bc", "line-width": 1.4, "line-dasharray": [4, 2] } },
      { id: "coast", type: "line", source: "coast", paint: { "line-color": "#4f7796", "line-width": 1 } },
      { id: "tsea-limit", type: "line", source: "limit",
        paint: { "line-color": "#3fa0e0", "line-width": 1.2, "line-dasharray": [5, 3] } },
      { id: "grat-major", type: "line", source: "grat", filter: ["==", ["get", "step"], 1.0],
        paint: { "line-color": "#52616c", "line-width": 0.7, "line-opacity": 0.7 } },
      { id: "grat-half", type: "line", source: "grat", minzoom: 7, filter: ["==", ["get", "step"], 0.5],
        paint: { "line-color": "#3c4852", "line-width": 0.5, "line-opacity": 0.7 } },
      { id: "grat-tenth", type: "line", source: "grat", minzoom: 10, filter: ["==", ["get", "step"], 0.1],
        paint: { "line-color": "#35414a", "line-width": 0.4 } },
      { id: "zones-fill", type: "fill", source: "zones", filter: ["!=", ["get", "kind"], "sovereign"],
        paint: { "fill-color": zc, "fill-opacity": 0.13 } },
      { id: "zones-line", type: "line", source: "zones",
        paint: { "line-color": zc, "line-width": ["case", ["==", ["get", "kind"], "sovereign"], 2.2, 1.4],
                 "line-opacity": 0.9 } },
      { id: "towns", type: "circle", source: "towns",
        filter: ["<", ["get", "rank"], ["interpolate", ["linear"], ["zoom"], 6, 25, 8, 120, 10, 400]],
        paint: { "circle-radius": 2.2, "circle-color": "#b7c1c8" } },
      { id: "airports", type: "circle", source: "airports",
        paint: { "circle-radius": 3.5, "circle-color": "#c39bff", "circle-stroke-color": "#0b0f12",
                 "circle-stroke-width": 1 } },
      { id: "sensors", type: "circle", source: "sensors",
        paint: { "circle-radius": ["match", ["get", "kind"], "acoustic", 1.6, 3.2],
                 "circle-color": ["match", ["get", "kind"], "radar", "#5be0c6", "acoustic", "#6f8a7f",
                                  "rf", "#d7a8ff", "eoir", "#ffd37a", "#9fb1bd"],
                 "circle-opacity": 0.85 } },
      { id: "effectors", type: "circle", source: "effectors",
        paint: { "circle-radius": 4.5, "circle-color": "#0b0f12", "circle-stroke-color": "#6fd3ff",
                 "circle-stroke-width": 2 } },
      // lines of bearing: emitters a sensor hears; bright and dashed when no track explains
      // them (unlocated: direction known, range not), faint when a track does
      { id: "wedges", type: "fill", source: "wedges",
        paint: { "fill-color": ["match", ["get", "kind"], "rf", "#d7a8ff", "#9fd0b0"], "fill-opacity": 0.12 } },
      { id: "strobes", type: "line", source: "strobes",
        paint: { "line-color": ["match", ["get", "kind"], "rf", "#d7a8ff", "#9fd0b0"],
                 "line-width": ["case", ["get", "unlocated"], 2.2, 0.7],
                 "line-opacity": ["case", ["get", "unlocated"], 1.0, 0.3],
                 "line-dasharray": [3, 2] } },
      { id: "ellipses", type: "fill", source: "ellipses",
        paint: { "fill-color": ["get", "col"], "fill-opacity": 0.08 } },
      { id: "ellipses-line", type: "line", source: "ellipses",
        paint: { "line-color": ["get", "col"], "line-width": 0.8, "line-opacity": 0.55 } },
      { id: "trails", type: "line", source: "trails",
        paint: { "line-color": ["get", "col"], "line-width": 1.3, "line-opacity": 0.55 } },
      { id: "vectors", type: "line", source: "vectors",
        paint: { "line-color": ["get", "col"], "line-width": 1.6 } },
      { id: "selected", type: "symbol", source: "tracks", filter: ["==", ["get", "sel"], true],
        layout: { "icon-image": "sel-ring", "icon-allow-overlap": true, "icon-ignore-placement": true } },
      { id: "tracks", type: "symbol", source: "tracks",
        layout: { "icon-image": ["concat", "sym-", ["get", "aff"], "-", ["get", "cls"]],
                  "icon-allow-overlap": true, "icon-ignore-placement": true,
                  "icon-size": ["interpolate", ["linear"], ["zoom"], 6, 0.62, 9, 0.85, 12, 1.0],
                  "symbol-sort-key": ["get", "z"] } },
    ],
  };
}

const AFF_COL = { hostile: "#ff5a5a", suspect: "#ff9a4a", unknown: "#f1dc3a", pending: "#f1dc3a",
                  neutral: "#7ee08a", friend: "#6fd3ff" };
const AFF_Z = { neutral: 0, pending: 1, unknown: 2, friend: 2, suspect: 3, hostile: 4 };

DW_.initMap = function (L, session) {
  const [lo0, la0, lo1, la1] = session.bbox;
  const map = new maplibregl.Map({
    container: "map", style: buildStyle(L), bounds: [[lo0, la0], [lo1, la1]],
    fitBoundsOptions: { padding: 20 }, attributionControl: false, maxZoom: 14, minZoom: 4,
    dragRotate: false, pitchWithRotate: false, fadeDuration: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  DW_.map = map;
  DW_.layers = L;
  map.on("load", () => {
    DW_.addSymbolImages(map);
    DW_.mapReady = true;
    DW_.render();
  });
  map.on("click", "tracks", (e) => {
    const f = e.features && e.features[0];
    if (f) DW_.select(f.properties.id);
  });
  map.on("mouseenter", "tracks", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "tracks", () => { map.getCanvas().style.cursor = ""; });
  map.on("render", () => DW_.drawLabels());
  window.addEventListener("resize", () => DW_.drawLabels());
  document.getElementById("legend").innerHTML = DW_.legendHtml();
};

/* ------------------------------------------------------------------ picture */
DW_.applyTracks = function (cols, t, replace) {
  const s = DW_.state;
  const seen = new Set();
  const n = cols.id ? cols.id.length : 0;
  for (let k = 0; k < n; k++) {
    const id = cols.id[k];
    seen.add(id);
    let tr = s.tracks.get(id);
    if (!tr) { tr = { id, trail: [] }; s.tracks.set(id, tr); }
    for (const key of Object.keys(cols)) tr[key] = cols[key][k];
    tr.lat = cols.lat[k]; tr.lon = cols.lon[k];
    const last = tr.trail[tr.trail.length - 1];
    if (!last || last[0] !== tr.lon || last[1] !== tr.lat) {
      tr.trail.push([tr.lon, tr.lat]);
      if (tr.trail.length > TRAIL_POINTS) tr.trail.shift();
    }
  }
  if (replace) for (const id of [...s.tracks.keys()]) if (!seen.has(id)) s.tracks.delete(id);
  s.t = t;
};

function ellipse(tr) {
  const [pee, pen, pnn] = tr.cov || [0, 0, 0];
  const tr2 = (pee + pnn) / 2, det = Math.sqrt(Math.max(((pee - pnn) / 2) ** 2 + pen * pen, 0));
  const l1 = Math.max(tr2 + det, 1), l2 = Math.max(tr2 - det, 1);
  const ang = 0.5 * Math.atan2(2 * pen, pee - pnn);
  const a = ELLIPSE_K * Math.sqrt(l1), b = ELLIPSE_K * Math.sqrt(l2);
  if (a < 30) return null;  // smaller than a symbol at any useful zoom
  const mlat = 111320, mlon = 111320 * Math.cos(tr.lat * Math.PI / 180);
  const ring = [];
  for (let i = 0; i <= 24; i++) {
    const th = (i / 24) * 2 * Math.PI;
    const x = a * Math.cos(th), y = b * Math.sin(th);
    const e = x * Math.cos(ang) - y * Math.sin(ang), nn = x * Math.sin(ang) + y * Math.cos(ang);
    ring.push([tr.lon + e / mlon, tr.lat + nn / mlat]);
  }
  return ring;
}

/* the lines of bearing on show: the live step's, or those heard at the time slider's moment
   (/picture: recorded ones at their mean bearing over their life) */
DW_.shownStrobes = function () {
  const s = DW_.state;
  return (s.mode === "live" ? s.strobes : s.replayStrobes) || [];
};

/* lines of bearing: an RF finder's or acoustic node's strobe, from the sensor out to its
   reach; an unlocated one (no track explains it) also gets its +-2 sd wedge, the sector to
   search. Acoustic strobes a track explains are left out (the track is the picture). */
function strobeFeatures(list) {
  const lines = [], wedges = [];
  for (const x of list) {
    const unlocated = x.on_track === null;
    if (!unlocated && x.kind !== "rf") continue;
    lines.push({ type: "Feature", properties: { kind: x.kind, unlocated },
                 geometry: { type: "LineString", coordinates: [[x.lon, x.lat], x.end] } });
    if (!unlocated) continue;
    const mlon = 111320 * Math.cos(x.lat * Math.PI / 180), ring = [[x.lon, x.lat]];
    const half = Math.min(Math.max(2 * x.sd, 1), 45);
    for (let k = -4; k <= 4; k++) {
      const b = (x.brg + (k / 4) * half) * Math.PI / 180;
      ring.push([x.lon + x.reach_m * Math.sin(b) / mlon, x.lat + x.reach_m * Math.cos(b) / 111320]);
    }
    ring.push([x.lon, x.lat]);
    wedges.push({ type: "Feature", properties: { kind: x.kind }, geometry: { type: "Polygon", coordinates: [ring] } });
  }
  return [lines, wedges];
}

DW_.render = function () {
  if (DW_._raf) return;
  DW_._raf = requestAnimationFrame(() => {
    DW_._raf = null;
    if (!DW_.mapReady) return;
    const s = DW_.state;
    const pts = [], vec = [], ell = [], trails = [];
    for (const tr of s.tracks.values()) {
      if (tr.lat === null || tr.lon === null) continue;
      const aff = DW_.AFFS[tr.aff] ? tr.aff : "unknown";
      const col = AFF_COL[aff];
      pts.push({ type: "Feature", properties: { id: tr.id, aff, cls: tr.cls || "unknown",
                 sel: tr.id === s.selected, z: AFF_Z[aff] }, geometry: { type: "Point", coordinates: [tr.lon, tr.lat] } });
      if (tr.ve !== null && tr.vn !== null && tr.ve !== undefined) {
        const mlon = 111320 * Math.cos(tr.lat * Math.PI / 180);
        vec.push({ type: "Feature", properties: { col }, geometry: { type: "LineString",
          coordinates: [[tr.lon, tr.lat], [tr.lon + tr.ve * VECTOR_S / mlon, tr.lat + tr.vn * VECTOR_S / 111320]] } });
      }
      const r = ellipse(tr);
      if (r) ell.push({ type: "Feature", properties: { col }, geometry: { type: "Polygon", coordinates: [r] } });
      if (s.mode === "live" && tr.trail.length > 1) {
        trails.push({ type: "Feature", properties: { col }, geometry: { type: "LineString", coordinates: tr.trail } });
      }
    }
    DW_.map.getSource("tracks").setData(fc(pts));
    DW_.map.getSource("vectors").setData(fc(vec));
    DW_.map.getSource("ellipses").setData(fc(ell));
    DW_.map.getSource("trails").setData(fc(trails));
    const [lines, wedges] = strobeFeatures(DW_.shownStrobes());
    DW_.map.getSource("strobes").setData(fc(lines));
    DW_.map.getSource("wedges").setData(fc(wedges));
    const unloc = DW_.shownStrobes().filter((x) => x.on_track === null).length;
    document.getElementById("counts").textContent =
      `${s.tracks.size} tracks` + (unloc ? ` · ${unloc} unlocated emitter${unloc > 1 ? "s" : ""}` : "") +
      (s.mode === "live" ? ` · step ${s.seq}` : "");
    if (DW_.refreshDetails) DW_.refreshDetails();
  });
};

/* ------------------------------------------------------------------ labels (canvas overlay) */
DW_.drawLabels = function () {
  const map = DW_.map;
  if (!map || !DW_.layers) return;
  const cv = document.getElementById("labels");
  const mc = map.getCanvas();
  const w = mc.clientWidth, h = mc.clientHeight, dpr = window.devicePixelRatio || 1;
  if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
    cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr);
    cv.style.width = w + "px"; cv.style.height = h + "px";
  }
  const g = cv.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const boxes = [];
  const free = (x, y, bw, bh) => {
    if (x < 0 || y < 0 || x + bw > w || y + bh > h - 2) return false;
    for (const b of boxes) if (x < b[0] + b[2] && x + bw > b[0] && y < b[1] + b[3] && y + bh > b[1]) return false;
    boxes.push([x, y, bw, bh]);
    return true;
  };
  const text = (s, x, y, font, fill, halo) => {
    g.font = font;
    const tw = g.measureText(s).width;
    if (!free(x - 2, y - 11, tw + 4, 14)) return false;
    g.lineWidth = 3; g.strokeStyle = halo || "#0b0f12"; g.lineJoin = "round";
    g.strokeText(s, x, y); g.fillStyle = fill; g.fillText(s, x, y);
    return true;
  };
  const z = map.getZoom();
  const s = DW_.state;
  // tracks first (most important): ids of hostile / suspect / selected, all when zoomed in
  for (const tr of s.tracks.values()) {
    if (tr.lat === null) continue;
    const important = tr.aff === "hostile" || tr.aff === "suspect" || tr.id === s.selected;
    if (!important && z < 9) continue;
    const p = map.project([tr.lon, tr.lat]);
    const lab = `${tr.id}` + (tr.coop ? ` ${tr.coop}` : "") + (z >= 9 ? ` · ${Math.round(tr.alt)} m` : "");
    text(lab, p.x + 13, p.y + 4, "bold 11px 'DejaVu Sans', sans-serif",
         tr.id === s.selected ? "#ffffff" : (AFF_COL[tr.aff] || "#ddd"));
  }
  // unlocated emitters: what was heard, on its line of bearing where the label fits
  for (const x of DW_.shownStrobes()) {
    if (x.on_track !== null) continue;
    const lab = `${x.what} ${Math.round(x.brg)}°`, font = "bold 11px 'DejaVu Sans', sans-serif";
    g.font = font;
    const tw = g.measureText(lab).width;
    placed: for (const k of [0.33, 0.5, 0.7, 0.9, 0.15]) {
      const p = map.project([x.lon + k * (x.end[0] - x.lon), x.lat + k * (x.end[1] - x.lat)]);
      for (const [dx, dy] of [[6, -4], [-tw - 6, 12], [6, 14], [-tw - 6, -4]]) {
        if (text(lab, p.x + dx, p.y + dy, font, x.kind === "rf" ? "#e2c2ff" : "#b9e6c8")) break placed;
      }
    }
  }
  // airports
  for (const f of DW_.layers.airports.features) {
    const p = map.project(f.geometry.coordinates);
    text(f.properties.label, p.x + 6, p.y - 4, "bold 11px 'DejaVu Sans', sans-serif", "#d2b8ff");
  }
  // zones with a name (not sovereign): at the polygon's first vertex centre
  for (const f of DW_.layers.zones.features) {
    if (f.properties.kind === "sovereign" || !f.properties._c) continue;
    const p = map.project(f.properties._c);
    text(f.properties.name, p.x - 20, p.y, "10.5px 'DejaVu Sans', sans-serif",
         ZONE_COLOURS[f.properties.kind] || "#ccc");
  }
  // towns by population rank, as many as fit
  const maxRank = z < 6.5 ? 15 : z < 7.5 ? 50 : z < 8.5 ? 120 : 400;
  for (const f of DW_.layers.towns.features) {
    if (f.properties.rank >= maxRank) break;
    const p = map.project(f.geometry.coordinates);
    const big = f.properties.rank < 12;
    text(f.properties.name, p.x + 4, p.y - 3, (big ? "bold 12px" : "11px") + " 'DejaVu Sans', sans-serif", "#c5ced5");
  }
  // country names at their label points
  for (const f of DW_.layers.land.features) {
    if (!f.properties._c) continue;
    const p = map.project(f.properties._c);
    text(String(f.properties.name || "").toUpperCase(), p.x - 30, p.y, "bold 13px 'DejaVu Sans', sans-serif", "#6f7d87");
  }
  // graticule labels along the left and bottom edges
  g.font = "10px 'DejaVu Sans Mono', monospace"; g.fillStyle = "#8a98a2";
  const b = map.getBounds();
  const step = z < 7 ? 1 : z < 10 ? 0.5 : 0.1;
  for (let lat = Math.ceil(b.getSouth() / step) * step; lat < b.getNorth(); lat += step) {
    const p = map.project([b.getWest(), lat]);
    g.fillText(lat.toFixed(step < 1 ? 1 : 0) + "°N", 3, p.y - 2);
  }
  for (let lon = Math.ceil(b.getWest() / step) * step; lon < b.getEast(); lon += step) {
    const p = map.project([lon, b.getSouth()]);
    g.fillText(lon.toFixed(step < 1 ? 1 : 0) + "°E", p.x + 2, h - 22);
  }
};

/* label points of polygons: the centre of the largest ring's bounding box, inside the view */
function labelPoints(L) {
  for (const f of [...L.zones.features, ...L.land.features]) {
    let best = null, area = -1;
    const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] :
      f.geometry.type === "MultiPolygon" ? f.geometry.coordinates : [];
    for (const poly of polys) {
      const ring = poly[0];
      let x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
      for (const [x, y] of ring) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      const a = (x1 - x0) * (y1 - y0);
      if (a > area) { area = a; best = [(x0 + x1) / 2, (y0 + y1) / 2]; }
    }
    if (best) f.properties._c = best;
  }
}

/* ------------------------------------------------------------------ stream */
DW_.connect = function () {
  const s = DW_.state;
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/stream");
  s.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: s.token }));
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    s.lastMsgWall = performance.now();
    if (m.type === "snapshot") {
      s.session = Object.assign(s.session || {}, m.session);
      s.seq = m.seq;
      if (s.mode === "live") DW_.applyTracks(m.tracks, m.t, true);
      s.strobes = m.strobes || [];
      s.t = m.t;
      DW_.onSnapshot && DW_.onSnapshot(m);
      DW_.setRunner(m.session.runner);
    } else if (m.type === "step") {
      s.seq = m.seq;
      if (s.mode === "live") {
        DW_.applyTracks(m.tracks, m.t, false);
        for (const id of m.gone) s.tracks.delete(id);
      }
      s.strobes = m.strobes || [];
      s.t = m.t;
      DW_.onStep && DW_.onStep(m);
      DW_.setRunner("running");
    } else if (m.type === "status") {
      DW_.setRunner(m.status);
    }
    if (s.mode === "live") DW_.render();
  };
  ws.onclose = (ev) => {
    DW_.setRunner("offline");
    if (ev.code === 4401) { DW_.showLogin("token rejected by the stream"); return; }
    setTimeout(DW_.connect, 2000);
  };
};

DW_.setRunner = function (status) {
  const el = document.getElementById("live-state");
  const mode = DW_.state.mode === "replay" ? "replay" : status;
  el.textContent = DW_.state.mode === "replay" ? "replay" : status;
  el.className = "pill " + mode;
};

setInterval(() => {
  const s = DW_.state;
  if (!s.session) return;
  const t = s.mode === "live" ? DW_.now() : s.replayT;
  document.getElementById("clock").textContent = `${DW_.utc(t)}  T+${DW_.mmss(t)}`;
}, 250);

/* ------------------------------------------------------------------ boot */
DW_.boot = async function () {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("dw-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  DW_.state.token = sessionStorage.getItem("dw-token");
  if (!DW_.state.token) { DW_.showLogin(""); return; }
  try {
    DW_.state.me = await DW_.api("/me");
  } catch (e) { return; }
  const session = await DW_.api("/session");
  DW_.state.session = session;
  DW_.state.epochMs = Date.parse(session.epoch_utc);
  document.getElementById("scenario").textContent = session.scenario +
    (session.source && session.source.mode === "replay" ? " (replay)" : "");
  document.getElementById("whoami").textContent = `${DW_.state.me.name} (${DW_.state.me.role})`;
  const L = await DW_.api("/map/layers");
  labelPoints(L);
  DW_.initMap(L, session);
  DW_.connect();
};
window.addEventListener("DOMContentLoaded", () => DW_.boot());
