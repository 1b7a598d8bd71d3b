/* Track symbols in the spirit of MIL-STD-2525 / APP-6 (air domain): the frame shape and colour
   give the standard identity, the text inside the class. Frames are drawn open at the bottom
   as air-track frames are: friend an arch, hostile and suspect a pointed roof, unknown and
   pending the upper lobes of a quatrefoil, neutral an open square. Suspect and pending have a
   dashed frame. Colours are the standard's light fills (on a dark map) with darker frames.
   Everything is drawn on canvases at run time (no sprite files, no network). */
"use strict";
window.DW = window.DW || {};

DW.AFFS = {
  hostile: { fill: "#ff8080", line: "#ff3031", shape: "roof", dash: false, label: "hostile" },
  suspect: { fill: "#ffb27a", line: "#ff6a00", shape: "roof", dash: true, label: "suspect" },
  unknown: { fill: "#ffff80", line: "#e1c800", shape: "clover", dash: false, label: "unknown" },
  pending: { fill: "#ffff80", line: "#e1c800", shape: "clover", dash: true, label: "pending (no class evidence yet)" },
  neutral: { fill: "#aaffaa", line: "#00c000", shape: "square", dash: false, label: "neutral" },
  friend: { fill: "#80e0ff", line: "#00a8dc", shape: "arch", dash: false, label: "friend" },
};

/* class -> text inside the frame */
DW.CLASS_CODE = {
  attack_drone: "OWA", decoy: "DCY", recon_uav: "UAV", multirotor: "MR",
  manned_aircraft: "ACFT", bird: "BRD", unknown: "?",
};
DW.CLASS_LABEL = {
  attack_drone: "one-way attack drone", decoy: "decoy drone", recon_uav: "reconnaissance UAV",
  multirotor: "multirotor", manned_aircraft: "manned aircraft", bird: "bird", unknown: "unknown",
};

DW.SYMBOL_PX = { w: 44, h: 34 };

DW.drawFrame = function (ctx, aff, w, h) {
  const a = DW.AFFS[aff];
  const x0 = 4, x1 = w - 4, yb = h - 3, top = 3;
  ctx.beginPath();
  if (a.shape === "roof") {
    const mid = (x0 + x1) / 2;
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top + (h - top) * 0.42); ctx.lineTo(mid, top);
    ctx.lineTo(x1, top + (h - top) * 0.42); ctx.lineTo(x1, yb);
  } else if (a.shape === "clover") {
    const r = (x1 - x0) / 4.2, cy = top + r + 1;
    ctx.moveTo(x0, yb);
    ctx.lineTo(x0, cy + r * 0.3);
    ctx.arc(x0 + r, cy + r * 0.3, r, Math.PI, Math.PI * 1.5);
    ctx.arc((x0 + x1) / 2, cy, r * 1.05, Math.PI * 1.05, Math.PI * 1.95);
    ctx.arc(x1 - r, cy + r * 0.3, r, Math.PI * 1.5, 0);
    ctx.lineTo(x1, yb);
  } else if (a.shape === "square") {
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top); ctx.lineTo(x1, top); ctx.lineTo(x1, yb);
  } else {
    const r = (x1 - x0) / 2;
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top + r); ctx.arc((x0 + x1) / 2, top + r, r, Math.PI, 0);
    ctx.lineTo(x1, yb);
  }
  ctx.closePath();
  ctx.fillStyle = a.fill; ctx.fill();
  ctx.beginPath();
  // stroke the open outline again without the bottom edge
  ctx.lineWidth = 2.2; ctx.strokeStyle = a.line; ctx.setLineDash(a.dash ? [4, 3] : []);
};

DW.symbolCanvas = function (aff, cls, scale) {
  const s = scale || 2, W = DW.SYMBOL_PX.w, H = DW.SYMBOL_PX.h;
  const c = document.createElement("canvas");
  c.width = W * s; c.height = H * s;
  const ctx = c.getContext("2d");
  ctx.scale(s, s);
  const a = DW.AFFS[aff];
  // fill
  DW.drawFrame(ctx, aff, W, H);
  // outline (open bottom): redraw the path and stroke it
  const x0 = 4, x1 = W - 4, yb = H - 3, top = 3;
  ctx.beginPath();
  if (a.shape === "roof") {
    const mid = (x0 + x1) / 2;
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top + (H - top) * 0.42); ctx.lineTo(mid, top);
    ctx.lineTo(x1, top + (H - top) * 0.42); ctx.lineTo(x1, yb);
  } else if (a.shape === "clover") {
    const r = (x1 - x0) / 4.2, cy = top + r + 1;
    ctx.moveTo(x0, yb); ctx.lineTo(x0, cy + r * 0.3);
    ctx.arc(x0 + r, cy + r * 0.3, r, Math.PI, Math.PI * 1.5);
    ctx.arc((x0 + x1) / 2, cy, r * 1.05, Math.PI * 1.05, Math.PI * 1.95);
    ctx.arc(x1 - r, cy + r * 0.3, r, Math.PI * 1.5, 0);
    ctx.lineTo(x1, yb);
  } else if (a.shape === "square") {
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top); ctx.lineTo(x1, top); ctx.lineTo(x1, yb);
  } else {
    const r = (x1 - x0) / 2;
    ctx.moveTo(x0, yb); ctx.lineTo(x0, top + r); ctx.arc((x0 + x1) / 2, top + r, r, Math.PI, 0);
    ctx.lineTo(x1, yb);
  }
  ctx.lineWidth = 2.2; ctx.strokeStyle = a.line; ctx.setLineDash(a.dash ? [4, 3] : []);
  ctx.stroke();
  ctx.setLineDash([]);
  // class code
  const code = DW.CLASS_CODE[cls] || "?";
  ctx.fillStyle = "#111";
  ctx.textAlign = "center"; ctx.textBaseline = "middle";
  ctx.font = `bold ${code.length > 3 ? 9.5 : 11}px "DejaVu Sans", sans-serif`;
  ctx.fillText(code, W / 2, H * 0.64);
  return c;
};

/* Register one image per (affiliation, class) with the map: "sym-hostile-attack_drone" ... */
DW.addSymbolImages = function (map) {
  const ratio = 2;
  for (const aff of Object.keys(DW.AFFS)) {
    for (const cls of Object.keys(DW.CLASS_CODE)) {
      const c = DW.symbolCanvas(aff, cls, ratio);
      const img = c.getContext("2d").getImageData(0, 0, c.width, c.height);
      map.addImage(`sym-${aff}-${cls}`, img, { pixelRatio: ratio });
    }
  }
  // the selection ring
  const r = document.createElement("canvas"); r.width = r.height = 112;
  const g = r.getContext("2d");
  g.strokeStyle = "#ffffff"; g.lineWidth = 4; g.setLineDash([10, 6]);
  g.beginPath(); g.arc(56, 56, 48, 0, Math.PI * 2); g.stroke();
  map.addImage("sel-ring", g.getImageData(0, 0, 112, 112), { pixelRatio: 2 });
};

DW.legendHtml = function () {
  const rows = ["hostile", "suspect", "unknown", "neutral"].map((aff) => {
    const url = DW.symbolCanvas(aff, aff === "neutral" ? "manned_aircraft" : "unknown", 1).toDataURL();
    return `<span><img src="${url}" width="26" height="20" alt="">${DW.AFFS[aff].label}</span>`;
  });
  return `<div class="row">${rows.join("")}</div>` +
    `<div class="muted">inside: OWA one-way attack · DCY decoy · UAV recon · MR multirotor · ACFT aircraft · BRD bird · ellipse 2σ · line 60 s ahead</div>` +
    `<div class="muted"><span style="color:#d7a8ff">- - RF</span> / <span style="color:#9fd0b0">- - acoustic</span> line of bearing: heard, not located (bright, with its ±2σ sector) or on a track (faint)</div>`;
};
