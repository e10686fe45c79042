// reel's dashboard: a single page over /api/v1 (cmd/reel/internal/api/openapi.yaml).
// Routes live in the URL's hash so the server only serves this one page:
//   #/                          jobs, live
//   #/job/ID                    a job: renditions, per-frame plot, worst frames
//   #/job/ID/frame/REND/N       frame N: source and rendition, wipe, toggle, difference
//   #/job/ID/rq?vs=ID2          rate-quality, and BD-rate against a second job
//   #/job/ID/analysis           shots with thumbnails
// Everything the page needs is embedded in the binary; nothing comes from a CDN.

const API = "/api/v1";
const PLOT_POINTS = 20000; // the per-frame plot asks the API for at most this many points
const WORST = 20;          // rows in the worst-frames table

const app = document.getElementById("app");
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("reel.token") || "";
document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem("reel.token", tokenInput.value.trim());
  route();
});

// The page's current view owns these; leaving a view stops them.
let live = [];
function stopLive() { live.forEach((stop) => stop()); live = []; }

function headers() {
  const t = localStorage.getItem("reel.token");
  return t ? { Authorization: "Bearer " + t } : {};
}

async function get(path, kind = "json") {
  const res = await fetch(API + path, { headers: headers() });
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { msg = (await res.json()).error || msg; } catch (_) { /* not JSON */ }
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return kind === "blob" ? res.blob() : res.json();
}

// events reads a Server-Sent Events stream with fetch (EventSource cannot
// send the bearer token) and calls on(event, data) for each event.
function events(path, on) {
  const ctl = new AbortController();
  (async () => {
    const res = await fetch(API + path, { headers: headers(), signal: ctl.signal });
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let ev = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) ev = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (data) on(ev, JSON.parse(data));
      }
    }
  })().catch(() => {});
  return () => ctl.abort();
}

function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const kid of kids.flat()) {
    if (kid !== undefined && kid !== null) el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

const enc = encodeURIComponent;
const fmt = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? "–" : Number(v).toFixed(d));
function bytes(n) {
  if (n === undefined) return "–";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + u[i];
}
const kbps = (bps) => (bps ? (bps / 1000).toFixed(0) + " kb/s" : "–");
function duration(s) {
  if (!isFinite(s) || s < 0) return "–";
  s = Math.round(s);
  const m = Math.floor(s / 60), hh = Math.floor(m / 60);
  return hh ? `${hh}h${String(m % 60).padStart(2, "0")}m` : m ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

function show(...nodes) { app.replaceChildren(...nodes); }
function fail(err) {
  show(h("p", { class: "error", "data-testid": "error" }, err.status === 401 || err.status === 403
    ? `${err.message} (enter a token at the top right)` : err.message));
}

// ---- jobs ------------------------------------------------------------------

// rate works out frames done, frames/s and the ETA from a Progress.
function rate(p) {
  const total = (p.frames || 0) * Math.max(1, (p.renditions || []).length);
  const done = (p.renditions || []).reduce((a, r) => a + (r.frames_done || 0), 0);
  const secs = p.started ? (Date.now() - Date.parse(p.started)) / 1000 : 0;
  const fps = secs > 0 ? done / secs : 0;
  return { total, done, fps, eta: fps > 0 ? (total - done) / fps : NaN };
}

function progressCells(p) {
  if (!p) return [h("td"), h("td", { class: "num" }, "–"), h("td", { class: "num" }, "–"), h("td", { class: "num" }, "–")];
  const r = rate(p);
  const pct = r.total ? Math.min(100, (100 * r.done) / r.total) : 0;
  return [
    h("td", {}, p.phase || ""),
    h("td", {}, h("div", { class: "bar", title: `${r.done} of ${r.total} frames` }, h("span", { style: `width:${pct.toFixed(1)}%` }))),
    h("td", { class: "num" }, r.fps ? r.fps.toFixed(1) : "–"),
    h("td", { class: "num" }, p.phase === "done" ? "–" : duration(r.eta)),
  ];
}

async function jobsView() {
  const { jobs } = await get("/jobs?limit=200");
  const body = h("tbody");
  for (const j of jobs) {
    const head = [h("td", {}, h("a", { href: `#/job/${enc(j.job)}` }, j.job)), h("td", { class: `status-${j.status}` }, j.status)];
    const tail = h("td", { class: "muted" }, new Date(j.started).toLocaleString());
    const tr = h("tr", { "data-job": j.job }, ...head, ...progressCells(null), tail);
    body.append(tr);
    if (j.status === "running") {
      const setCells = (p) => tr.replaceChildren(...head, ...progressCells(p), tail);
      get(`/jobs/${enc(j.job)}`).then((job) => job.progress && setCells(job.progress)).catch(() => {});
      live.push(events(`/jobs/${enc(j.job)}/events`, (ev, data) => {
        if (ev === "progress") setCells(data);
        if (ev === "end") route();
      }));
    }
  }
  show(h("h1", {}, "Jobs"),
    jobs.length ? h("table", { "data-testid": "jobs" },
      h("thead", {}, h("tr", {}, ["job", "state", "phase", "progress", "frames/s", "ETA", "started"].map((c) => h("th", {}, c)))), body)
      : h("p", { class: "muted" }, "No jobs yet: reel submit SOURCE -o OUTPUT starts one."));
}

// ---- a job -----------------------------------------------------------------

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function jobView(id) {
  const job = await get(`/jobs/${enc(id)}`);
  if (job.status !== "completed") {
    const p = h("table", {}, h("tbody", {}, h("tr", {}, ...progressCells(job.progress))));
    show(h("h1", {}, id), h("p", { class: `status-${job.status}` }, job.status, job.error ? ": " + job.error : ""), p);
    if (job.status === "running") {
      live.push(events(`/jobs/${enc(id)}/events`, (ev, data) => {
        if (ev === "progress") p.firstChild.firstChild.replaceChildren(...progressCells(data));
        if (ev === "end") route();
      }));
    }
    return;
  }
  const report = await get(`/jobs/${enc(id)}/report`);
  const rends = report.renditions || [];
  const info = report.source_info || {};
  const table = h("tbody");
  const plotHolder = h("div");
  const worstHolder = h("div");
  show(
    h("h1", {}, id),
    h("p", { class: "muted" }, `${report.source} · ${info.width}×${info.height} · ${info.frames} frames · ${fmt(info.frame_rate, 3)} fps · ${report.chunks} chunks · `,
      h("a", { href: `#/job/${enc(id)}/rq` }, "rate-quality"), " · ", h("a", { href: `#/job/${enc(id)}/analysis` }, "analysis")),
    h("h2", {}, "Renditions"),
    h("table", { "data-testid": "renditions" }, h("thead", {}, h("tr", {},
      ["rendition", "size", "bitrate", "bytes", "frames", "VMAF mean", "VMAF min", "P1", "P5", "P50", "PSNR-Y mean", "re-encoded"].map((c, i) => h("th", { class: i > 1 ? "num" : "" }, c)))), table),
    h("h2", {}, "Per-frame quality"), plotHolder,
    h("h2", {}, `Worst frames`), worstHolder);
  const rows = new Map();
  for (const r of rends) {
    const p = r.profile || {};
    const row = h("tr", {},
      h("td", {}, r.name), h("td", {}, p.width && p.height ? `${p.width}×${p.height}` : "–"),
      h("td", { class: "num" }, kbps(r.bitrate_bps)), h("td", { class: "num" }, bytes(r.bytes)), h("td", { class: "num" }, r.frames),
      h("td", { class: "num" }, fmt(r.vmaf && r.vmaf.mean)), h("td", { class: "num" }, fmt(r.vmaf && r.vmaf.min_frame)),
      h("td", { class: "num" }, "…"), h("td", { class: "num" }, "…"), h("td", { class: "num" }, "…"),
      h("td", { class: "num" }, fmt(r.psnr_y && r.psnr_y.mean)), h("td", { class: "num" }, (r.reencoded_chunks || []).length));
    rows.set(r.name, row);
    table.append(row);
  }
  const tabs = h("div", { class: "tabs" });
  let chart = null;
  const select = async (r) => {
    for (const b of tabs.children) b.classList.toggle("on", b.dataset.name === r.name);
    if (chart) { chart.destroy(); chart = null; }
    plotHolder.replaceChildren(tabs, h("p", { class: "muted" }, "loading scores…"));
    try {
      chart = await framePlot(id, r, plotHolder, tabs);
      await worstFrames(id, r, worstHolder);
    } catch (err) {
      plotHolder.replaceChildren(tabs, h("p", { class: "error" }, err.message));
    }
  };
  for (const r of rends) tabs.append(h("button", { "data-name": r.name, onclick: () => select(r) }, r.name));
  live.push(() => chart && chart.destroy());
  // Percentiles for every rendition, from every frame's VMAF.
  for (const r of rends) {
    if (!r.vmaf) continue;
    get(`/jobs/${enc(id)}/renditions/${enc(r.name)}/scores?metric=vmaf`).then((s) => {
      const sorted = s.metrics.vmaf.values.filter((v) => v !== null).sort((a, b) => a - b);
      const row = rows.get(r.name);
      [1, 5, 50].forEach((p, i) => { row.children[7 + i].textContent = fmt(percentile(sorted, p)); });
    }).catch(() => {});
  }
  if (rends.length) await select(rends[0]);
}

// framePlot draws VMAF and PSNR-Y over the rendition's timeline, chunk
// edges as thin lines, re-encoded chunks shaded amber and chunks below the
// bar red. Drag to zoom, double-click to zoom out, click a frame to open it.
async function framePlot(id, r, holder, tabs) {
  const s = await get(`/jobs/${enc(id)}/renditions/${enc(r.name)}/scores?max_points=${PLOT_POINTS}`);
  const metric = (name) => {
    const m = s.metrics[name];
    if (!m) return null;
    return m.values || m.mean;
  };
  const lows = (name) => (s.metrics[name] && s.metrics[name].min) || null;
  const x = s.start.map((f) => f + (s.bucket - 1) / 2);
  const series = [{ label: "frame" }];
  const data = [x];
  const vm = metric("vmaf"), ps = metric("psnr_y");
  if (vm) { series.push({ label: "VMAF", stroke: "#2563eb", width: 1, scale: "vmaf", points: { show: false } }); data.push(vm); }
  if (vm && lows("vmaf")) { series.push({ label: "VMAF min", stroke: "rgba(37,99,235,.35)", width: 1, scale: "vmaf", points: { show: false } }); data.push(lows("vmaf")); }
  if (ps) { series.push({ label: "PSNR-Y (dB)", stroke: "#059669", width: 1, scale: "db", points: { show: false } }); data.push(ps); }
  const reenc = new Set(r.reencoded_chunks || []), below = new Set(r.below_bar_chunks || []);
  const chunks = r.chunks || [];
  const plot = h("div", { class: "plot", "data-testid": "frame-plot", "data-points": String(x.length), "data-frames": String(s.frames), "data-bucket": String(s.bucket) });
  holder.replaceChildren(tabs, plot,
    h("p", { class: "legend-note" }, `${x.length} points for ${s.frames} frames` + (s.bucket > 1 ? ` (mean and minimum of every ${s.bucket} frames)` : "") + " · thin lines: chunk edges · ",
      h("span", { class: "reenc" }, "amber: re-encoded"), " · ", h("span", { class: "below" }, "red: below the bar"), " · drag to zoom, double-click to reset, click to open a frame"));
  const opts = {
    width: Math.max(600, app.clientWidth - 40), height: 320,
    scales: { x: { time: false }, vmaf: { range: [0, 100] }, db: { auto: true } },
    axes: [{ label: "frame", incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000] }, { scale: "vmaf", label: "VMAF" }, { scale: "db", side: 1, label: "PSNR-Y dB", grid: { show: false } }],
    series,
    cursor: { drag: { x: true, y: false } },
    hooks: {
      drawClear: [(u) => {
        const ctx = u.ctx, top = u.bbox.top, hgt = u.bbox.height;
        ctx.save();
        for (const c of chunks) {
          const x0 = u.valToPos(c.start, "x", true), x1 = u.valToPos(c.end, "x", true);
          if (reenc.has(c.index) || below.has(c.index)) {
            ctx.fillStyle = below.has(c.index) ? "rgba(194,65,12,.14)" : "rgba(217,119,6,.14)";
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), hgt);
          }
          ctx.fillStyle = "rgba(0,0,0,.12)";
          ctx.fillRect(Math.round(x0), top, 1, hgt);
        }
        ctx.restore();
      }],
    },
  };
  const u = new uPlot(opts, data, plot);
  u.over.addEventListener("click", () => {
    const i = u.cursor.idx;
    if (i === null || i === undefined || u.select.width > 0) return;
    location.hash = `#/job/${enc(id)}/frame/${enc(r.name)}/${s.start[i]}`;
  });
  window.reelPlot = { points: x.length, frames: s.frames, bucket: s.bucket, drawn: u.data[0].length };
  return u;
}

// worstFrames fills the worst-frames table: the API ranks every frame's
// VMAF (PSNR-Y where a job has no VMAF) and sends only the worst.
async function worstFrames(id, r, holder) {
  const name = r.vmaf ? "vmaf" : r.psnr_y ? "psnr_y" : null;
  if (!name) { holder.replaceChildren(h("p", { class: "muted" }, "no per-frame scores")); return; }
  const s = await get(`/jobs/${enc(id)}/renditions/${enc(r.name)}/scores?metric=${name}&max_points=1&worst=${WORST}`);
  const w = s.worst || { frames: [], values: [] };
  const chunkOf = (f) => (r.chunks || []).find((c) => f >= c.start && f < c.end);
  holder.replaceChildren(h("table", { "data-testid": "worst" },
    h("thead", {}, h("tr", {}, ["frame", name === "vmaf" ? "VMAF" : "PSNR-Y", "chunk", ""].map((c) => h("th", {}, c)))),
    h("tbody", {}, w.frames.map((f, i) => {
      const c = chunkOf(f);
      return h("tr", {}, h("td", { class: "num" }, f), h("td", { class: "num" }, fmt(w.values[i])),
        h("td", { class: "num" }, c ? c.index : "–"),
        h("td", {}, h("a", { href: `#/job/${enc(id)}/frame/${enc(r.name)}/${f}`, "data-testid": "worst-link" }, "compare")));
    }))));
}

// ---- a frame ----------------------------------------------------------------

function loadImage(blob) {
  return new Promise((ok, bad) => {
    const img = new Image();
    img.onload = () => ok(img);
    img.onerror = () => bad(new Error("the image did not decode"));
    img.src = URL.createObjectURL(blob);
  });
}

function pixels(img) {
  const c = document.createElement("canvas");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, c.width, c.height);
}

// difference draws |source − rendition| per channel, amplified by gain.
function difference(a, b, gain) {
  const c = document.createElement("canvas");
  c.width = a.width; c.height = a.height;
  const ctx = c.getContext("2d");
  const out = ctx.createImageData(a.width, a.height);
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      const d = Math.abs(a.data[i + k] - b.data[i + k]);
      sum += d;
      out.data[i + k] = Math.min(255, d * gain);
    }
    out.data[i + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
  c.dataset.meanAbs = (sum / (a.width * a.height * 3)).toFixed(3);
  return c;
}

async function frameView(id, name, n) {
  show(h("h1", {}, `${id} · ${name} · frame ${n}`), h("p", { class: "muted" }, "decoding…"));
  const [sb, rb] = await Promise.all([
    get(`/jobs/${enc(id)}/source/frames/${n}`, "blob"),
    get(`/jobs/${enc(id)}/renditions/${enc(name)}/frames/${n}`, "blob"),
  ]);
  const [src, ren] = await Promise.all([loadImage(sb), loadImage(rb)]);
  src.dataset.testid = "source-image"; src.setAttribute("data-testid", "source-image"); src.alt = "source";
  ren.setAttribute("data-testid", "rendition-image"); ren.alt = name;
  const w = src.naturalWidth, hh = src.naturalHeight;
  const a = pixels(src), b = pixels(ren);
  const view = h("div", { class: "compare" });
  const modes = {
    "side by side": () => view.replaceChildren(
      h("figure", {}, h("figcaption", {}, "source"), src), h("figure", {}, h("figcaption", {}, name), ren)),
    wipe: () => {
      const c = h("canvas", { width: w, height: hh, "data-testid": "wipe" });
      const ctx = c.getContext("2d");
      const slider = h("input", { type: "range", min: 0, max: w, value: Math.round(w / 2), style: `width:${Math.min(w, 900)}px` });
      const draw = () => {
        const at = Number(slider.value);
        ctx.drawImage(ren, 0, 0);
        ctx.drawImage(src, 0, 0, at, hh, 0, 0, at, hh);
        ctx.fillStyle = "#fff"; ctx.fillRect(at, 0, 1, hh);
      };
      slider.addEventListener("input", draw);
      draw();
      view.replaceChildren(h("figure", {}, h("figcaption", {}, `source left of the line, ${name} right`), slider, c));
    },
    toggle: () => {
      const fig = h("figure", {}, h("figcaption", {}, "source (press t or click to toggle)"), src);
      let showing = "source";
      const flip = () => {
        showing = showing === "source" ? name : "source";
        fig.replaceChildren(h("figcaption", {}, `${showing} (press t or click to toggle)`), showing === "source" ? src : ren);
      };
      fig.addEventListener("click", flip);
      const key = (e) => { if (e.key === "t") flip(); };
      document.addEventListener("keydown", key);
      live.push(() => document.removeEventListener("keydown", key));
      view.replaceChildren(fig);
    },
    difference: () => {
      const d = difference(a, b, 8);
      d.setAttribute("data-testid", "difference");
      view.replaceChildren(h("figure", {}, h("figcaption", {}, `|source − ${name}| × 8 (mean ${d.dataset.meanAbs} levels)`), d));
    },
  };
  const controls = h("div", { class: "controls" });
  for (const m of Object.keys(modes)) {
    controls.append(h("button", { onclick: (e) => {
      stopLive();
      for (const b2 of controls.querySelectorAll("button")) b2.classList.toggle("on", b2 === e.target);
      modes[m]();
    } }, m));
  }
  const step = (d) => h("a", { href: `#/job/${enc(id)}/frame/${enc(name)}/${Math.max(0, n + d)}` }, d < 0 ? "◀ previous" : "next ▶");
  show(h("h1", {}, `${id} · ${name} · frame ${n}`),
    h("p", {}, h("a", { href: `#/job/${enc(id)}` }, "back to the job"), " · ", step(-1), " · ", step(1), h("span", { class: "muted" }, ` · ${w}×${hh}, rendition scaled to the source size`)),
    controls, view);
  controls.firstChild.classList.add("on");
  modes["side by side"]();
}

// ---- rate-quality --------------------------------------------------------------

async function rqView(id, vs) {
  const reports = [[id, await get(`/jobs/${enc(id)}/report`)]];
  if (vs) reports.push([vs, await get(`/jobs/${enc(vs)}/report`)]);
  const curves = reports.map(([jid, rep]) => ({
    id: jid,
    pts: (rep.renditions || []).filter((r) => r.vmaf && r.bitrate_bps > 0)
      .map((r) => ({ name: r.name, kbps: r.bitrate_bps / 1000, vmaf: r.vmaf.mean })).sort((p, q) => p.kbps - q.kbps),
  }));
  const xs = [...new Set(curves.flatMap((c) => c.pts.map((p) => p.kbps)))].sort((a, b) => a - b);
  const data = [xs, ...curves.map((c) => xs.map((x) => { const p = c.pts.find((q) => q.kbps === x); return p ? p.vmaf : null; }))];
  const colours = ["#2563eb", "#c2410c"];
  const plot = h("div", { class: "plot", "data-testid": "rq-plot" });
  const form = h("form", { class: "controls" }, "compare with job ",
    h("input", { name: "vs", value: vs || "", placeholder: "job ID of the same source" }), h("button", { type: "submit" }, "compare"));
  form.addEventListener("submit", (e) => { e.preventDefault(); location.hash = `#/job/${enc(id)}/rq?vs=${enc(form.vs.value.trim())}`; });
  const bd = h("p", { "data-testid": "bdrate" });
  show(h("h1", {}, `${id} · rate-quality`), h("p", {}, h("a", { href: `#/job/${enc(id)}` }, "back to the job")), form, plot, bd,
    h("table", { "data-testid": "rq-table" }, h("thead", {}, h("tr", {}, ["job", "rendition", "bitrate", "VMAF"].map((c) => h("th", {}, c)))),
      h("tbody", {}, curves.flatMap((c) => c.pts.map((p) => h("tr", {}, h("td", {}, c.id), h("td", {}, p.name), h("td", { class: "num" }, p.kbps.toFixed(0) + " kb/s"), h("td", { class: "num" }, fmt(p.vmaf))))))));
  const u = new uPlot({
    width: Math.max(600, app.clientWidth - 40), height: 360,
    scales: { x: { time: false, distr: 3 }, y: { auto: true } },
    axes: [{ label: "bitrate (kb/s, log)" }, { label: "pooled VMAF" }],
    series: [{ label: "kb/s" }, ...curves.map((c, i) => ({ label: c.id, stroke: colours[i], width: 2, spanGaps: true, points: { show: true, size: 7 } }))],
  }, data, plot);
  live.push(() => u.destroy());
  if (vs) {
    try {
      const r = await get(`/bdrate?anchor=${enc(id)}&test=${enc(vs)}&metric=vmaf`);
      bd.textContent = `BD-rate (VMAF) of ${vs} against ${id}: ${r.bd_rate_percent > 0 ? "+" : ""}${fmt(r.bd_rate_percent)} % bits at equal quality; ` +
        `BD-VMAF ${fmt(r.bd_quality)} (Bjøntegaard, ${r.method} interpolation on log rate)`;
    } catch (err) {
      bd.textContent = `BD-rate: ${err.message}`;
    }
  }
}

// ---- analysis --------------------------------------------------------------------

async function analysisView(id) {
  let a;
  try {
    a = await get(`/jobs/${enc(id)}/analysis`);
  } catch (err) {
    if (err.status === 404) { show(h("h1", {}, `${id} · analysis`), h("p", { class: "muted" }, "This job has no analysis (run it with shot-aware chunks or reel archer).")); return; }
    throw err;
  }
  const shots = a.shots || (a.result && a.result.shots) || [];
  const grid = h("div", { class: "thumbs", "data-testid": "shots" });
  for (const s of shots) {
    const f = s.thumbnail >= 0 ? s.thumbnail : s.start;
    const img = h("img", { alt: `shot ${s.index}`, loading: "lazy" });
    get(`/jobs/${enc(id)}/source/frames/${f}`, "blob").then((b) => { img.src = URL.createObjectURL(b); }).catch(() => {});
    grid.append(h("figure", {}, img, h("figcaption", {}, `shot ${s.index}: frames ${s.start}–${s.end - 1} · ${fmt(s.duration)} s` + (s.si ? ` · SI ${fmt(s.si, 1)} TI ${fmt(s.ti, 1)}` : ""))));
  }
  show(h("h1", {}, `${id} · analysis`), h("p", {}, h("a", { href: `#/job/${enc(id)}` }, "back to the job"), ` · ${shots.length} shots`), grid);
}

// ---- router --------------------------------------------------------------------

async function route() {
  stopLive();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(query || "");
  try {
    if (parts[0] === "job" && parts[1]) {
      if (parts[2] === "frame" && parts[3] && /^\d+$/.test(parts[4] || "")) return await frameView(parts[1], parts[3], Number(parts[4]));
      if (parts[2] === "rq") return await rqView(parts[1], q.get("vs"));
      if (parts[2] === "analysis") return await analysisView(parts[1]);
      return await jobView(parts[1]);
    }
    return await jobsView();
  } catch (err) {
    fail(err);
  } finally {
    document.body.dataset.ready = location.hash || "#/";
  }
}

window.addEventListener("hashchange", route);
route();
