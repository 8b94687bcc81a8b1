// The list of recent jobs at /ui/: each a link to its review page; refreshed while any runs.
"use strict";

(() => {
  const POLL_MS = 3000;
  const $ = (id) => document.getElementById(id);

  function cell(row, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function when(seconds) {
    return new Date(seconds * 1000).toLocaleString();
  }

  async function load() {
    let body;
    try {
      body = await Api.json("/ui/jobs.json?limit=100");
    } catch (error) {
      Api.message(`Cannot list the jobs: ${error.message}`);
      setTimeout(load, POLL_MS * 2);
      return;
    }
    Api.message(null);
    const rows = $("jobs").tBodies[0];
    rows.replaceChildren();
    for (const job of body.jobs) {
      const row = document.createElement("tr");
      row.className = "job";
      row.dataset.id = job.id;
      cell(row, when(job.created_at));
      const link = document.createElement("a");
      link.href = `/ui/videos/${job.id}`;
      link.textContent = job.id;
      cell(row, link, "mono");
      cell(row, job.filename || "");
      cell(row, job.duration_s === undefined || job.duration_s === null ? "" : clock(job.duration_s));
      const running = job.status === "running" ? ` ${Math.round(100 * job.progress)} %` : "";
      const status = document.createElement("span");
      status.className = `badge ${job.status}`;
      status.textContent = `${job.status}${running}`;
      if (job.error) status.title = job.error;
      cell(row, status);
      rows.appendChild(row);
    }
    $("jobs").hidden = body.jobs.length === 0;
    $("empty").hidden = body.jobs.length !== 0;
    if (body.jobs.some((job) => job.status === "queued" || job.status === "running")) setTimeout(load, POLL_MS);
  }

  function clock(seconds) {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds - 60 * m);
    return m ? `${m}:${String(s).padStart(2, "0")}` : `${s} s`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("open-form").addEventListener("submit", (event) => {
      event.preventDefault();
      location.assign(`/ui/videos/${encodeURIComponent($("open-id").value.trim())}`);
    });
    load();
  });
})();
