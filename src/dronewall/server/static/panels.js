/* dronewall COP panels: alerts (time to crossing, acknowledge, sound), recommendations
   (approve / reject with a countdown), ranked threats, sensor health, track details and the
   replay time slider. */
"use strict";
(function () {
  const DW = window.DW;
  const S = DW.state;
  const alerts = new Map();       // id -> alert (newest last)
  const recs = new Map();         // rec_id -> proposal (+ status)
  let threats = [], sensors = [];
  const SEV_ORDER = { critical: 0, high: 1, medium: 2, info: 3 };
  const canDecide = () => S.me && (S.me.role === "operator" || S.me.role === "admin");

  /* ---------------------------------------------------------------- sound */
  let audio = null;
  function beep(sev) {
    if (!document.getElementById("audible").checked) return;
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator(), gn = audio.createGain();
      o.frequency.value = sev === "critical" ? 880 : 660;
      gn.gain.value = 0.08;
      o.connect(gn); gn.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (sev === "critical" ? 0.45 : 0.2));
    } catch (e) { /* no audio device */ }
  }

  /* ---------------------------------------------------------------- alerts */
  function addAlerts(list, quiet) {
    for (const a of list) {
      // one line per (kind, track, zone): a repeat replaces the older unacknowledged one
      const key = `${a.kind}|${a.track_id}|${a.zone_id}`;
      let n = 1;
      for (const [id, b] of alerts) {
        if (id !== a.id && !b.acked_by && `${b.kind}|${b.track_id}|${b.zone_id}` === key) {
          n += b.count || 1; alerts.delete(id);
        }
      }
      if (a.kind === "entry") {  // the predicted crossing happened: its warning is done
        for (const [id, b] of alerts) {
          if (b.kind === "warning" && b.track_id === a.track_id && b.zone_id === a.zone_id) alerts.delete(id);
        }
      }
      if (!alerts.has(a.id) && !quiet && (a.severity === "critical" || a.severity === "high")) beep(a.severity);
      alerts.set(a.id, Object.assign(alerts.get(a.id) || {}, a, { count: n }));
    }
    // full: the oldest of the lowest rank goes (information, then acknowledged, then by
    // severity) -- a flood of information never pushes out an unacknowledged critical alert
    while (alerts.size > 300) {
      let drop = null, low = 99;
      for (const [id, b] of alerts) {
        const r = keepRank(b);
        if (r < low) { low = r; drop = id; }
      }
      alerts.delete(drop);
    }
  }
  function keepRank(a) {
    const r = { info: 0, medium: 2, high: 3, critical: 4 }[a.severity] ?? 2;
    return r > 0 && a.acked_by ? 1 : r;
  }
  function renderAlerts() {
    const ol = document.getElementById("alerts");
    const now = DW.now();
    const items = [...alerts.values()].sort((a, b) =>
      (a.acked_by ? 1 : 0) - (b.acked_by ? 1 : 0) || SEV_ORDER[a.severity] - SEV_ORDER[b.severity] ||
      (b.t_s || 0) - (a.t_s || 0)).slice(0, 60);
    const unacked = [...alerts.values()].filter((a) => !a.acked_by && a.severity !== "info").length;
    const badge = document.getElementById("alert-badge");
    badge.hidden = unacked === 0; badge.textContent = unacked;
    if (!items.length) { ol.innerHTML = '<li class="empty">no alerts</li>'; return; }
    ol.innerHTML = items.map((a) => {
      let ttc = "";
      if (a.kind === "warning" && a.predicted_crossing_t_s !== null && a.predicted_crossing_t_s !== undefined) {
        const left = a.predicted_crossing_t_s - now;
        ttc = left > 0 ? `<span class="ttc">crossing in ${DW.mmss(left)}</span>` : `<span class="ttc">crossing due</span>`;
      }
      const ack = a.acked_by ? `<span class="when">ack ${DW.esc(a.acked_by)}</span>` :
        (canDecide() ? `<button data-ack="${DW.esc(a.id)}">ack</button>` : "");
      const track = a.track_id === null || a.track_id === undefined ? "" : ` data-track="${a.track_id}"`;
      return `<li class="alert ${a.severity}${a.acked_by ? " acked" : ""}"${track}>
        <div><b>${DW.esc(a.severity.toUpperCase())}</b> ${DW.esc(a.text)}${a.count > 1 ? ` <span class="when">×${a.count}</span>` : ""} ${ttc}</div>
        <div class="when">${DW.utc(a.t_s)} · ${DW.esc(a.zone_kind)} ${ack}</div></li>`;
    }).join("");
  }
  document.getElementById("alerts").addEventListener("click", async (ev) => {
    const id = ev.target.getAttribute && ev.target.getAttribute("data-ack");
    if (id) {
      ev.stopPropagation();
      try { addAlerts([await DW.api(`/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" })], true); }
      catch (e) { alert("acknowledge failed: " + e.message); }
      renderAlerts();
      return;
    }
    const li = ev.target.closest("li[data-track]");
    if (li) DW.select(+li.getAttribute("data-track"), true);
  });

  /* ---------------------------------------------------------------- recommendations */
  let lastRecSig = null;
  function renderRecs() {
    const ol = document.getElementById("recs");
    const now = DW.now();
    const items = [...recs.values()].sort((a, b) =>
      (a.status === "pending" ? 0 : 1) - (b.status === "pending" ? 0 : 1) || a.deadline_s - b.deadline_s);
    const open = items.filter((r) => r.status === "pending").length;
    const badge = document.getElementById("rec-badge");
    badge.hidden = open === 0; badge.textContent = open;
    if (!items.length) {
      ol.innerHTML = `<li class="empty">${S.session && S.session.human_approval ? "no recommendation waiting" : "ROE approval is automatic: no human decisions"}</li>`;
      return;
    }
    // rebuild the cards only when the set or a status changed: a rebuild under the
    // operator's pointer could swallow a click; countdowns tick in place (renderRecsCountdown)
    const sig = items.map((r) => `${r.rec_id}:${r.status}:${r.by || ""}:${!!S.tracks.get(r.track_id)}`).join("|");
    if (sig === lastRecSig) { renderRecsCountdown(); return; }
    lastRecSig = sig;
    // keep typed reasons across re-renders
    const reasons = {};
    ol.querySelectorAll("input[data-reason]").forEach((i) => { reasons[i.getAttribute("data-reason")] = i.value; });
    const focused = document.activeElement && document.activeElement.getAttribute("data-reason");
    ol.innerHTML = items.slice(0, 30).map((r) => {
      const left = r.deadline_s - now, decideIn = r.t_decide_s - now;
      const pending = r.status === "pending";
      const tr = S.tracks.get(r.track_id);
      // a lost track (coasted out, not yet re-acquired) has no current position: the
      // engagement stage holds fire at launch unless the track is regained by then
      const cls = tr ? `${DW.CLASS_LABEL[tr.cls] || tr.cls} (p ${tr.p})`
                     : "TRACK LOST: no current position; fire is held at launch unless it is regained";
      return `<li class="rec${pending ? "" : " closed"}${tr ? "" : " lost"}" data-rec="${DW.esc(r.rec_id)}" data-track="${r.track_id}">
        <div class="head"><span>track ${r.track_id} · ${DW.esc(r.effector_type)}</span>
          ${pending ? `<span class="countdown${left < 30 ? " urgent" : ""}" title="until the window closes (deadline ${DW.utc(r.deadline_s)})">${DW.mmss(left)}</span>`
                    : `<span>${DW.esc(r.status)}${r.by ? " by " + DW.esc(r.by) : ""}</span>`}</div>
        <div class="nums">${DW.esc(cls)} · ${DW.esc(r.effector_id)} · cost €${Math.round(r.cost_eur).toLocaleString("en")}
          · pk ${r.pk.toFixed(2)} · saves €${Math.round(r.value_saved_eur).toLocaleString("en")}
          ${pending ? ` · <span class="decide">decide ${decideIn > 0 ? "in " + DW.mmss(decideIn) : "now"}</span>` : ""}</div>
        <div class="text">${DW.esc(r.text)}</div>
        ${pending ? `<div class="actions">
          <button class="approve" data-act="approve" ${canDecide() ? "" : "disabled title='needs the operator role'"}>Approve</button>
          <button class="reject" data-act="reject" ${canDecide() ? "" : "disabled title='needs the operator role'"}>Reject</button>
          <input data-reason="${DW.esc(r.rec_id)}" placeholder="note (optional)" value="${DW.esc(reasons[r.rec_id] || "")}"></div>` : ""}
      </li>`;
    }).join("");
    if (focused) { const i = ol.querySelector(`input[data-reason="${CSS.escape(focused)}"]`); if (i) { i.focus(); i.setSelectionRange(i.value.length, i.value.length); } }
  }
  document.getElementById("recs").addEventListener("click", async (ev) => {
    const act = ev.target.getAttribute && ev.target.getAttribute("data-act");
    const li = ev.target.closest("li[data-rec]");
    if (!li) return;
    if (!act) { if (ev.target.tagName !== "INPUT") DW.select(+li.getAttribute("data-track"), true); return; }
    const id = li.getAttribute("data-rec");
    const inp = li.querySelector("input[data-reason]");
    ev.target.disabled = true;
    try {
      const d = await DW.api(`/recommendations/${encodeURIComponent(id)}/${act}`,
                             { method: "POST", json: { reason: inp ? inp.value : "" } });
      const r = recs.get(id);
      if (r) { r.status = d.approved ? "approved" : "rejected"; r.by = d.user_name; }
    } catch (e) {
      alert(`${act} failed: ${e.message}`);
    }
    renderRecs();
  });

  /* ---------------------------------------------------------------- threats, sensors */
  function renderThreats() {
    const tb = document.querySelector("#threats tbody");
    tb.innerHTML = threats.slice(0, 15).map((t) => {
      const tr = S.tracks.get(t.track_id);
      return `<tr data-track="${t.track_id}"><td>${t.rank}</td><td>${t.track_id}</td>
        <td>${DW.esc(tr ? DW.CLASS_CODE[tr.cls] || tr.cls : "")}</td><td>${DW.esc(t.asset || "—")}</td>
        <td>${!t.asset || t.t_go_s === null ? "—" : DW.mmss(t.t_go_s)}</td><td>${!t.asset || t.p_reach === null ? "—" : t.p_reach.toFixed(2)}</td></tr>`;
    }).join("") || '<tr><td colspan="6" class="muted">no tracks</td></tr>';
  }
  document.querySelector("#threats tbody").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr[data-track]");
    if (tr) DW.select(+tr.getAttribute("data-track"), true);
  });
  function sensorState(x) {
    if (x.listening === false) return "down";
    if (x.since_last_s === null) return "silent";
    return x.since_last_s <= 10 ? "ok" : x.since_last_s <= 120 ? "quiet" : "silent";
  }
  function renderSensors() {
    const ul = document.getElementById("sensors");
    const byKind = {};
    for (const x of sensors) (byKind[x.kind] = byKind[x.kind] || []).push(x);
    const rows = [];
    for (const [kind, list] of Object.entries(byKind)) {
      if (list.length > 6) {
        const ok = list.filter((x) => sensorState(x) === "ok").length;
        const quiet = list.filter((x) => sensorState(x) === "quiet").length;
        const down = list.filter((x) => sensorState(x) === "down").length;
        const dets = list.reduce((a, x) => a + x.detections, 0);
        const downTxt = down ? `, <span class="down">${down} down (silence not counted)</span>` : "";
        rows.push(`<li class="sens"><span class="dot ${down ? "down" : ok ? "ok" : quiet ? "quiet" : "silent"}"></span><b>${DW.esc(kind)}</b>
          ${list.length} nodes: ${ok} reporting (≤10 s), ${quiet} quiet (≤2 min)${downTxt} · ${dets.toLocaleString("en")} detections</li>`);
      } else {
        for (const x of list) {
          const st = sensorState(x);
          const feed = x.feed ? ` · ${DW.esc(x.feed.protocol)} ${DW.esc(x.feed.state)}` : "";
          const downTxt = st === "down" ? ' · <span class="down">DOWN: silence not counted</span>' : "";
          rows.push(`<li class="sens"><span class="dot ${st}"></span><b>${DW.esc(x.id)}</b> ${DW.esc(kind)} ·
            ${x.since_last_s === null ? "no detection yet" : "last " + DW.mmss(x.since_last_s) + " ago"} · ${x.detections.toLocaleString("en")}${feed}${downTxt}</li>`);
        }
      }
    }
    ul.innerHTML = rows.join("") || '<li class="empty">no sensors</li>';
  }

  /* ---------------------------------------------------------------- details */
  DW.select = async function (id, fly) {
    S.selected = id;
    DW.render();
    const tr = S.tracks.get(id);
    if (fly && tr && DW.map) DW.map.easeTo({ center: [tr.lon, tr.lat], duration: 500 });
    await DW.refreshDetails(true);
  };
  let detailsBusy = false, lastDetails = 0;
  DW.refreshDetails = async function (force) {
    const box = document.getElementById("details");
    if (S.selected === null) { box.hidden = true; return; }
    if (S.mode !== "live") { renderReplayDetails(box); return; }
    if (detailsBusy || (!force && performance.now() - lastDetails < 1500)) return;
    detailsBusy = true; lastDetails = performance.now();
    try {
      const d = await DW.api(`/tracks/${S.selected}`);
      box.hidden = false;
      box.innerHTML = detailsHtml(d);
    } catch (e) {
      box.hidden = false;
      box.innerHTML = `<h4>track ${S.selected} <button id="det-close">×</button></h4><p class="muted">${DW.esc(e.message)}</p>`;
    } finally { detailsBusy = false; }
  };
  // how an entry / exit crossing is known (docs/airspace.md): an observed crossing's 95 %
  // window as +- seconds and its point along the border; a first detection inside says so
  function howKnown(p) {
    return crossingKnown(p) + pilot(p);
  }
  // a Remote ID drone: where its broadcast puts the pilot (a claim, no sensor fixed it)
  function pilot(p) {
    const o = p.operator_point;
    if (!o || typeof o[0] !== "number" || typeof o[1] !== "number") return "";
    return `, pilot at ${Math.abs(o[0]).toFixed(5)} ${o[0] >= 0 ? "N" : "S"} ${Math.abs(o[1]).toFixed(5)} ${o[1] >= 0 ? "E" : "W"} (as broadcast)`;
  }
  DW.howKnown = howKnown;   // the track details' wording, also for the browser checks
  function crossingKnown(p) {
    const w = p.window_t_s;
    if (p.evidence === "first_detected_inside") return ", first detected inside (entry not seen)";
    if (!w || w[0] === null || w[1] === null) return "";
    const along = p.point_95_m ? `, ±${Math.round(p.point_95_m)} m along the border` : "";
    const pred = p.predicted_for_s ? `, on the track's prediction (last update ${p.predicted_for_s.toFixed(1)} s before)` : "";
    return ` ±${(Math.ceil((w[1] - w[0]) * 5 - 1e-9) / 10).toFixed(1)} s (95 %)${along}${pred}`;  // half-width, rounded up
  }
  function detailsHtml(d) {
    const probs = Object.entries(d.class_probabilities || {}).sort((a, b) => b[1] - a[1])
      .map(([k, p]) => `<div><span class="bar" style="width:${Math.round(p * 120)}px"></span>${DW.esc(DW.CLASS_LABEL[k] || k)} ${(p * 100).toFixed(1)} %</div>`).join("");
    const sens = Object.entries(d.sensors_last_update_s || {}).map(([k, s]) => `${DW.esc(k)} ${DW.mmss(s)} ago`).join("<br>") || "—";
    // newest first; a run of repeated warnings for one zone (re-issued each step while the
    // crossing is predicted) is one line with its count
    const runs = [];
    for (const e of (d.events || []).slice().reverse()) {
      const last = runs[runs.length - 1];
      if (last && e.kind === "warning" && last.e.kind === "warning" && last.e.zone_id === e.zone_id) last.n += 1;
      else runs.push({ e, n: 1 });
    }
    const ev = runs.slice(0, 6).map(({ e, n }) => {
      const p = e.payload || {};
      const depth = p.max_depth_m !== undefined && p.max_depth_m !== null ? `, ${(p.max_depth_m / 1000).toFixed(1)} km deep` : "";
      return `${DW.utc(e.t_s)} ${DW.esc(e.kind)}${n > 1 ? ` ×${n}` : ""} ${DW.esc(p.zone_name || e.zone_id)}${depth}${p.confidence ? ", " + DW.esc(p.confidence) : ""}${howKnown(p)}`;
    }).join("<br>") || "none";
    const th = d.threat ? `rank ${d.threat.rank}${d.threat.asset ? " → " + DW.esc(d.threat.asset) : ""}${d.threat.t_go_s ? ", t-go " + DW.mmss(d.threat.t_go_s) : ""}${d.threat.p_reach !== undefined && d.threat.p_reach !== null ? ", P(reach) " + d.threat.p_reach.toFixed(2) : ""}` : "—";
    return `<h4><span>track ${d.id} · ${DW.esc(DW.AFFS[d.aff] ? DW.AFFS[d.aff].label : d.aff)}</span><button id="det-close" title="close">×</button></h4>
      <dl>
        <dt>class</dt><dd>${DW.esc(DW.CLASS_LABEL[d.cls] || d.cls)} (p ${d.p})</dd>
        <dt>evidence</dt><dd>${DW.esc(d.ev)}</dd>
        <dt>cooperative id</dt><dd>${d.coop ? DW.esc(d.coop) + " · trust " + DW.esc(d.trust) : "none (non-cooperative)"}</dd>
        <dt>position</dt><dd>${d.lat.toFixed(4)}°N ${d.lon.toFixed(4)}°E · ${Math.round(d.alt)} m</dd>
        <dt>speed / heading</dt><dd>${Math.round(d.speed_mps * 3.6)} km/h · ${Math.round(d.heading_deg)}°</dd>
        <dt>uncertainty (1σ)</dt><dd>${Math.round(d.sig)} m per axis</dd>
        <dt>violation</dt><dd>${d.viol > 0 ? "inside own airspace, p " + d.viol.toFixed(2) : "not inside own airspace"}</dd>
        <dt>threat</dt><dd>${th}</dd>
        <dt>updated by</dt><dd>${sens}</dd>
        <dt>track age</dt><dd>${d.hits} updates · last ${DW.mmss(d.upd)} ago</dd>
        <dt>events</dt><dd>${ev}</dd>
      </dl>
      <div>${probs}</div>`;
  }
  function renderReplayDetails(box) {
    const tr = S.tracks.get(S.selected);
    if (!tr) { box.hidden = true; return; }
    box.hidden = false;
    box.innerHTML = `<h4><span>track ${tr.id} (recorded)</span><button id="det-close">×</button></h4>
      <dl><dt>class</dt><dd>${DW.esc(DW.CLASS_LABEL[tr.cls] || tr.cls)} (p ${tr.p})</dd>
      <dt>evidence</dt><dd>${DW.esc(tr.ev)}</dd><dt>cooperative id</dt><dd>${DW.esc(tr.coop || "none")}</dd>
      <dt>position</dt><dd>${tr.lat.toFixed(4)}°N ${tr.lon.toFixed(4)}°E · ${Math.round(tr.alt)} m</dd>
      <dt>recorded at</dt><dd>${DW.utc(tr.t_s)}</dd></dl>`;
  }
  document.getElementById("details").addEventListener("click", (ev) => {
    if (ev.target.id === "det-close") { S.selected = null; DW.render(); document.getElementById("details").hidden = true; }
  });

  /* ---------------------------------------------------------------- stream hooks */
  DW.onSnapshot = function (m) {
    addAlerts(m.alerts || [], true);
    recs.clear();
    for (const p of m.proposals || []) recs.set(p.rec_id, p);
    threats = m.threats || [];
    sensors = m.sensors || [];
    renderAll();
  };
  DW.onStep = function (m) {
    addAlerts(m.alerts || [], false);
    for (const p of m.proposals || []) {
      if (!recs.has(p.rec_id)) beep("high");
      recs.set(p.rec_id, p);
    }
    for (const c of m.closed || []) {
      const r = recs.get(c.rec_id);
      if (r && r.status === "pending") r.status = c.status;
      else if (!r) recs.set(c.rec_id, c);
    }
    // forget closed recommendations after a while
    for (const [k, r] of recs) if (r.status !== "pending" && DW.now() - r.deadline_s > 120) recs.delete(k);
    threats = m.threats || threats;
    if (m.sensors) sensors = m.sensors;
    updateSlider();
    renderAll();
  };
  function heardText(x) {
    // live: for how long and how often; at a recorded moment: over which span of time (its
    // bearings in all), or since when if it is still heard
    if (S.mode === "live" || x.t_first_s === undefined) {
      return `heard ${DW.mmss(x.since_s)} (${x.n}×), last ${x.age_s.toFixed(0)} s ago`;
    }
    if (x.t_last_s === null) return `heard since ${DW.utc(x.t_first_s)}, still heard`;
    return `heard ${DW.utc(x.t_first_s)}–${DW.utc(x.t_last_s)} (${x.n}× in all; mean bearing)`;
  }
  function renderStrobes() {
    // lines of bearing no track explains: what was heard, where from, which way, how long
    const list = DW.shownStrobes().filter((x) => x.on_track === null);
    const badge = document.getElementById("strobe-badge");
    badge.hidden = list.length === 0;
    badge.textContent = list.length;
    // a click looks along the line: the map centres a third of the way out
    document.getElementById("strobes").innerHTML = list.slice(0, 12).map((x) =>
      `<li class="strobe ${x.kind}" data-lon="${x.lon + (x.end[0] - x.lon) / 3}" data-lat="${x.lat + (x.end[1] - x.lat) / 3}"
        title="show the line on the map"><b>${DW.esc(x.what)}</b> · ${DW.esc(x.sensor)} bearing ${x.brg.toFixed(0)}° ±${x.sd.toFixed(0)}°
        · ${heardText(x)} · range unknown (≤ ${(x.reach_m / 1000).toFixed(0)} km)</li>`
    ).join("") + (list.length > 12 ? `<li class="muted">… ${list.length - 12} more</li>` : "") ||
      '<li class="empty">none: every emitter heard is on a track</li>';
  }
  document.getElementById("strobes").addEventListener("click", (ev) => {
    const li = ev.target.closest("li[data-lon]");
    if (li && DW.map) DW.map.easeTo({ center: [+li.dataset.lon, +li.dataset.lat], duration: 500 });
  });
  DW.renderStrobes = renderStrobes;
  function renderAll() { renderAlerts(); renderRecs(); renderThreats(); renderStrobes(); renderSensors(); }
  setInterval(() => { renderRecsCountdown(); }, 1000);
  function renderRecsCountdown() {
    // countdowns tick every second without rebuilding the cards
    const now = DW.now();
    document.querySelectorAll("#recs li[data-rec]").forEach((li) => {
      const r = recs.get(li.getAttribute("data-rec"));
      const el = li.querySelector(".countdown");
      if (r && el) { const left = r.deadline_s - now; el.textContent = DW.mmss(left); el.classList.toggle("urgent", left < 30); }
      const dc = li.querySelector(".decide");
      if (r && dc) { const d = r.t_decide_s - now; dc.textContent = "decide " + (d > 0 ? "in " + DW.mmss(d) : "now"); }
    });
  }
  setInterval(renderAlerts, 2000);

  /* ---------------------------------------------------------------- time slider */
  const slider = document.getElementById("slider");
  const sliderTime = document.getElementById("slider-time");
  const liveBtn = document.getElementById("go-live");
  let playing = null;
  function updateSlider() {
    const rec = S.session && S.session.recorded;
    const t1 = S.t;
    const t0 = rec && rec.t0_s !== null ? rec.t0_s : 0;
    slider.min = Math.floor(t0); slider.max = Math.ceil(t1);
    if (S.mode === "live") { slider.value = slider.max; sliderTime.textContent = "live"; }
    liveBtn.classList.toggle("on", S.mode === "live");
  }
  async function showRecorded(t) {
    S.mode = "replay"; S.replayT = t;
    DW.setRunner("replay");
    liveBtn.classList.remove("on");
    sliderTime.textContent = `${DW.utc(t)} T+${DW.mmss(t)}`;
    const p = await DW.api(`/picture?t=${t}`);
    if (S.mode !== "replay" || S.replayT !== t) return;
    const cols = { id: [], lat: [], lon: [], alt: [], ve: [], vn: [], cls: [], p: [], ev: [], coop: [], aff: [], sig: [], cov: [], t_s: [] };
    for (const r of p.tracks) {
      cols.id.push(r.track_id); cols.lat.push(r.lat_deg); cols.lon.push(r.lon_deg); cols.alt.push(r.alt_m);
      cols.ve.push(r.ve_mps); cols.vn.push(r.vn_mps); cols.cls.push(r.cls); cols.p.push(r.p_cls);
      cols.ev.push(r.evidence); cols.coop.push(r.identity);
      cols.aff.push(replayAff(r)); cols.sig.push(r.sigma_h_m);
      cols.cov.push([r.sigma_h_m ** 2, 0, r.sigma_h_m ** 2]); cols.t_s.push(r.t_s);
    }
    for (const tr of S.tracks.values()) tr.trail = [];
    S.replayStrobes = p.strobes || [];
    DW.applyTracks(cols, S.t, true);
    DW.render();
    renderStrobes();
  }
  function replayAff(r) {
    const hostile = ["attack_drone", "decoy", "recon_uav"];
    if (r.trust === 3) return "suspect";
    if (hostile.includes(r.cls)) return r.p_cls >= 0.6 ? "hostile" : "suspect";
    if (r.trust === 2 || r.cls === "bird") return "neutral";
    return r.evidence === "prior" ? "pending" : "unknown";
  }
  slider.addEventListener("input", () => { stopPlay(); showRecorded(+slider.value); });
  document.getElementById("replay-play").addEventListener("click", () => {
    if (playing) { stopPlay(); return; }
    if (S.mode === "live") slider.value = slider.min;
    const step = (S.session && S.session.record_period_s) || 5;
    document.getElementById("replay-play").textContent = "❚❚";
    playing = setInterval(() => {
      const t = Math.min(+slider.value + step, +slider.max);
      slider.value = t; showRecorded(t);
      if (t >= +slider.max) stopPlay();
    }, 500);
  });
  function stopPlay() {
    if (playing) clearInterval(playing);
    playing = null;
    document.getElementById("replay-play").innerHTML = "&#9654;";
  }
  liveBtn.addEventListener("click", () => {
    stopPlay();
    S.mode = "live"; S.replayT = null;
    S.tracks.clear();
    if (S.ws && S.ws.readyState === 1) { S.ws.close(); }  // reconnect: a fresh snapshot
    updateSlider();
  });
})();
