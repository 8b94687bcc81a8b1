// One job's review page: shots on a time axis with thumbnails, transitions, per-modality
// curves and label bands, subtitle/transcript lines, needs_review flags, shot details.
// Polls GET /v1/videos/{id} while the job runs and draws the shots it has so far.
"use strict";

(() => {
  const POLL_MS = 1500;
  const jobId = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop());
  const $ = (id) => document.getElementById(id);
  const thumbs = new Map(); // shot index -> object URL (or "pending")
  let shots = [];
  let selected = null;
  let x = null;
  let lastJob = null;

  function node(tag, className, text, parent) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    if (parent) parent.appendChild(el);
    return el;
  }

  const flagged = (shot) => Boolean(shot.fused && shot.fused.needs_review);
  const reason = (shot) => (shot.fused && shot.fused.review_reason) || "the modalities disagree";
  const span = (shot) => `${shot.start_s.toFixed(2)}–${shot.end_s.toFixed(2)} s`;

  function setup() {
    $("job-id").textContent = jobId;
    const measure = $("measure");
    for (const name of ["valence", ...Charts.LABELS]) {
      const option = node("option", "", name === "valence" ? "valence (positive − negative)" : name, measure);
      option.value = name;
    }
    measure.addEventListener("change", drawCharts);
    $("flagged-only").addEventListener("change", applyFilter);
    const legend = $("legend");
    for (const modality of Charts.MODALITIES) node("span", `key curve-key ${modality}`, modality, legend);
    for (const label of Charts.LABELS) node("span", `key label-key ${label}`, label, legend);
    node("span", "key empty-key", "nothing to judge", legend);
    node("span", "key failed-key", "failed", legend);
    poll();
  }

  async function poll() {
    let response;
    try {
      response = await Api.get(`/v1/videos/${encodeURIComponent(jobId)}`);
    } catch (error) {
      Api.message(`Cannot reach the gateway: ${error.message}. Retrying…`);
      setTimeout(poll, POLL_MS * 2);
      return;
    }
    if (!response.ok) {
      Api.message(`Job ${jobId}: ${await Api.errorText(response)}`);
      if (response.status >= 500 || response.status === 429) setTimeout(poll, POLL_MS * 2);
      return;
    }
    Api.message(null);
    const job = await response.json();
    lastJob = job;
    render(job);
    if (job.status === "queued" || job.status === "running") setTimeout(poll, POLL_MS);
  }

  function render(job) {
    const status = $("job-status");
    status.textContent = job.status;
    status.className = `badge ${job.status}`;
    const progress = $("job-progress");
    progress.hidden = job.status !== "running" && job.status !== "queued";
    progress.value = job.progress || 0;
    if (job.status === "failed") Api.message(`The job failed: ${job.error}`);
    const result = job.result || {};
    shots = (result.shots || []).slice().sort((a, b) => a.index - b.index);
    $("review").hidden = false;
    summarise(job, result);
    const running = job.status === "queued" || job.status === "running";
    $("waiting").textContent = running ? "No shot has finished yet; this page follows the job as it runs." : "The job has no shots.";
    $("waiting").hidden = shots.length > 0 || job.status === "failed";
    $("timeline-wrap").hidden = $("below").hidden = shots.length === 0;
    drawStrip(result);
    drawCharts();
    drawLines();
    listFlagged();
    applyFilter();
    if (selected !== null) showDetails(selected);
    loadThumbnails();
  }

  function summarise(job, result) {
    const parts = [];
    const video = result.video;
    if (video) parts.push(`${video.width}×${video.height}, ${Charts.clock(Math.round(video.duration_s))}, ${video.fps} fps`);
    parts.push(`${shots.length} shot${shots.length === 1 ? "" : "s"}${result.partial ? " so far" : ""}`);
    if (result.text_source !== undefined) parts.push(`text from ${result.text_source || "nothing (no speech)"}`);
    parts.push(`${shots.filter(flagged).length} need review`);
    if (job.status === "queued" || job.status === "running") {
      parts.push(`${job.status} ${Math.round(100 * (job.progress || 0))} %`);
    }
    $("summary").textContent = parts.join(" · ");
  }

  // Pixels per second: the page's width, widened so the shortest shot stays clickable.
  function timeScale(duration) {
    const view = Math.max(400, $("timeline").clientWidth - 2);
    const shortest = Math.min(...shots.map((s) => Math.max(0.04, s.end_s - s.start_s)), duration || 1);
    const perSecond = Math.min(Math.max(view / duration, 28 / shortest), 24000 / duration);
    const width = Math.ceil(duration * perSecond);
    return { x: (t) => t * perSecond, width };
  }

  function drawStrip(result) {
    const duration = (result.video && result.video.duration_s) || (shots.length ? shots[shots.length - 1].end_s : 1);
    const scale = timeScale(duration);
    x = scale.x;
    $("timeline").style.setProperty("--timeline-width", `${scale.width}px`);
    Charts.axis($("axis"), x, duration, scale.width);
    const strip = $("strip");
    strip.style.width = `${scale.width}px`;
    strip.replaceChildren();
    for (const shot of shots) {
      const el = node("button", "shot", undefined, strip);
      el.type = "button";
      el.dataset.index = shot.index;
      el.style.left = `${x(shot.start_s)}px`;
      const width = Math.max(2, x(shot.end_s) - x(shot.start_s));
      el.style.width = `${width}px`;
      if (width < 80) el.classList.add(width < 36 ? "tiny" : "narrow"); // room for the index (and tag) only
      el.title = `shot ${shot.index}, ${span(shot)}`;
      const img = node("img", "thumb", undefined, el);
      img.alt = `shot ${shot.index}`;
      if (thumbs.has(shot.index) && thumbs.get(shot.index) !== "pending") img.src = thumbs.get(shot.index);
      node("span", "shot-index", `#${shot.index}`, el);
      if (shot.fused && shot.fused.label) node("span", `shot-label ${shot.fused.label}`, shot.fused.label, el);
      if (flagged(shot)) {
        el.classList.add("flagged");
        const flag = node("span", "flag", "⚑ review", el);
        flag.title = reason(shot);
        el.title += ` — needs review: ${reason(shot)}`;
      }
      if (shot.errors) el.classList.add("has-errors");
      if (shot.index === selected) el.classList.add("selected");
      el.addEventListener("click", () => select(shot.index));
    }
  }

  function drawCharts() {
    if (!x) return;
    const width = $("strip").offsetWidth;
    Charts.transitions($("transitions"), shots, x, width);
    Charts.curves($("curves"), shots, x, width, $("measure").value);
    Charts.lanes($("lanes"), shots, x, width);
    for (const cell of document.querySelectorAll(".lane-cell")) {
      cell.addEventListener("click", () => select(Number(cell.dataset.index)));
    }
  }

  function drawLines() {
    const lines = $("lines");
    lines.style.width = $("strip").style.width;
    lines.replaceChildren();
    for (const shot of shots) {
      const text = shot.text && shot.text.lines && shot.text.lines.length ? shot.text.lines.join(" / ") : "";
      if (!text) continue;
      const el = node("div", "line", text, lines);
      el.dataset.index = shot.index;
      el.style.left = `${x(shot.start_s)}px`;
      el.style.width = `${Math.max(2, x(shot.end_s) - x(shot.start_s))}px`;
      el.title = `shot ${shot.index} (${shot.text.source}): ${text}`;
    }
  }

  function listFlagged() {
    const list = $("flagged");
    list.replaceChildren();
    for (const shot of shots.filter(flagged)) {
      const item = node("li", "", undefined, list);
      const link = node("button", "link", `Shot ${shot.index} (${span(shot)})`, item);
      link.type = "button";
      link.addEventListener("click", () => select(shot.index));
      node("span", "reason", `: ${reason(shot)}`, item);
    }
    if (!list.children.length) node("li", "hint", shots.length ? "No shot is flagged." : "No shots yet.", list);
  }

  function applyFilter() {
    const only = $("flagged-only").checked;
    for (const el of document.querySelectorAll(".shot, .line, .lane-cell")) {
      const shot = shots.find((s) => s.index === Number(el.dataset.index));
      const hide = only && !(shot && flagged(shot));
      if (el instanceof SVGElement) el.classList.toggle("filtered", hide);
      else el.hidden = hide;
    }
  }

  function select(index) {
    selected = index;
    for (const el of document.querySelectorAll(".shot")) el.classList.toggle("selected", Number(el.dataset.index) === index);
    showDetails(index);
  }

  function showDetails(index) {
    const shot = shots.find((s) => s.index === index);
    if (!shot) return;
    Details.render($("details"), shot, thumbs.get(index));
  }

  async function loadThumbnails() {
    const wanted = shots.filter((s) => !thumbs.has(s.index)).map((s) => s.index);
    const worker = async () => {
      for (let index = wanted.shift(); index !== undefined; index = wanted.shift()) {
        thumbs.set(index, "pending");
        let url;
        try {
          const response = await Api.get(`/v1/videos/${encodeURIComponent(jobId)}/shots/${index}/thumbnail.jpg`);
          if (!response.ok) throw new Error(String(response.status));
          url = URL.createObjectURL(await response.blob());
        } catch (error) { // not written yet (or the gateway is unreachable): tried again on the next poll
          thumbs.delete(index);
          continue;
        }
        thumbs.set(index, url);
        const img = document.querySelector(`.shot[data-index="${index}"] img`);
        if (img) img.src = url;
        if (selected === index) showDetails(index);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  window.addEventListener("resize", () => { if (lastJob) render(lastJob); });

  document.addEventListener("DOMContentLoaded", setup);
})();
