// Hand-written SVG for the review page: time axis, transitions, per-modality
// curves and per-modality stacked label bands, all on one time scale.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const LABELS = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"];
  const LABEL_COLORS = {
    anger: "#d62728", disgust: "#8c564b", fear: "#9467bd", happiness: "#f2b01e",
    sadness: "#1f77b4", surprise: "#17becf", neutral: "#b8b8b8",
  };
  const MODALITIES = ["face", "text", "audio", "fused"];
  const MODALITY_COLORS = { face: "#e4572e", text: "#2e86ab", audio: "#4f9d2d", fused: "#222222" };
  const POSITIVE = ["happiness", "surprise"];
  const NEGATIVE = ["anger", "disgust", "fear", "sadness"];
  const CURVES_H = 120;
  const LANE_H = 34;

  function el(tag, attrs, parent, text) {
    const node = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function clear(svg, width, height) {
    svg.replaceChildren();
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  }

  function clock(seconds) {
    const m = Math.floor(seconds / 60);
    const s = seconds - 60 * m;
    const text = Number.isInteger(s) ? String(s) : s.toFixed(1);
    return m ? `${m}:${text.padStart(s < 10 ? (Number.isInteger(s) ? 2 : 4) : 0, "0")}` : `${text} s`;
  }

  function scores(shot, modality) {
    const part = shot[modality];
    return part && part.scores ? part.scores : null;
  }

  // The measure a curve plots: valence = P(positive) - P(negative), or one label's probability.
  function measure(values, name) {
    if (name === "valence") {
      const sum = (labels) => labels.reduce((total, label) => total + (values[label] || 0), 0);
      return sum(POSITIVE) - sum(NEGATIVE);
    }
    return values[name] || 0;
  }

  function axis(svg, x, duration, width) {
    clear(svg, width, 24);
    const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    const step = steps.find((s) => x(s) - x(0) >= 70) || 7200;
    el("line", { x1: 0, x2: width, y1: 23.5, y2: 23.5, class: "tick" }, svg);
    for (let t = 0; t <= duration + 1e-9; t += step) {
      el("line", { x1: x(t), x2: x(t), y1: 14, y2: 24, class: "tick" }, svg);
      el("text", { x: x(t) + 3, y: 12, class: "tick-label" }, svg, clock(Math.round(t * 10) / 10));
    }
  }

  function transitions(svg, shots, x, width) {
    clear(svg, width, 16);
    for (const shot of shots) {
      if (shot.index === 0 || !shot.transition || shot.transition === "start") continue;
      const at = x(shot.start_s);
      const mark = el("g", { class: `transition ${shot.transition}`, "data-index": shot.index }, svg);
      if (shot.transition === "gradual") el("path", { d: `M${at - 6},14 L${at},2 L${at + 6},14 Z` }, mark);
      else el("rect", { x: at - 1.5, y: 1, width: 3, height: 14 }, mark);
      const sure = shot.confidence === undefined ? "" : `, confidence ${shot.confidence.toFixed(2)}`;
      el("title", {}, mark, `${shot.transition} into shot ${shot.index} at ${shot.start_s.toFixed(2)} s${sure}`);
    }
  }

  function curves(svg, shots, x, width, name) {
    clear(svg, width, CURVES_H);
    const signed = name === "valence";
    const pad = 8;
    const y = (v) => pad + (1 - (signed ? (v + 1) / 2 : v)) * (CURVES_H - 2 * pad);
    for (const v of signed ? [1, 0, -1] : [1, 0.5, 0]) {
      el("line", { x1: 0, x2: width, y1: y(v), y2: y(v), class: v === 0 && signed ? "zero" : "grid" }, svg);
      const below = v === 1 ? 10 : -2; // the top label under its line, the others above
      el("text", { x: 4, y: y(v) + below, class: "tick-label" }, svg, signed && v > 0 ? `+${v}` : String(v));
    }
    for (const modality of Charts.MODALITIES) {
      const group = el("g", { class: `curve ${modality}`, stroke: MODALITY_COLORS[modality], fill: MODALITY_COLORS[modality] }, svg);
      let run = [];
      const flush = () => {
        if (run.length > 1) el("polyline", { points: run.join(" "), fill: "none" }, group);
        run = [];
      };
      for (const shot of shots) {
        const values = scores(shot, modality);
        if (!values) { flush(); continue; }
        const point = [x((shot.start_s + shot.end_s) / 2), y(measure(values, name))];
        run.push(point.map((n) => n.toFixed(1)).join(","));
        const dot = el("circle", { cx: point[0], cy: point[1], r: modality === "fused" ? 3.5 : 2.5 }, group);
        el("title", {}, dot, `${modality}, shot ${shot.index}: ${name} ${measure(values, name).toFixed(2)}`);
      }
      flush();
    }
  }

  function lanes(svg, shots, x, width) {
    clear(svg, width, LANE_H * MODALITIES.length);
    MODALITIES.forEach((modality, row) => {
      const top = row * LANE_H;
      el("line", { x1: 0, x2: width, y1: top + 0.5, y2: top + 0.5, class: "grid" }, svg);
      for (const shot of shots) {
        const left = x(shot.start_s);
        const w = Math.max(1, x(shot.end_s) - left);
        const values = scores(shot, modality);
        const cell = el("g", { class: `lane-cell ${modality}`, "data-index": shot.index }, svg);
        if (!values) {
          const failed = shot[modality] === null || shot[modality] === undefined;
          const reason = (shot.errors && shot.errors[modality]) || (failed ? "not analysed" : nothingToJudge(modality));
          el("rect", { x: left, y: top + 2, width: w, height: LANE_H - 3, class: failed ? "failed" : "empty" }, cell);
          el("title", {}, cell, `${modality}, shot ${shot.index}: ${reason}`);
          continue;
        }
        let y = top + LANE_H - 1;
        for (const label of LABELS) {
          const h = (values[label] || 0) * (LANE_H - 3);
          y -= h;
          el("rect", { x: left, y, width: w, height: h, fill: LABEL_COLORS[label] }, cell);
        }
        const top3 = LABELS.slice().sort((a, b) => values[b] - values[a]).slice(0, 3);
        el("title", {}, cell, `${modality}, shot ${shot.index}: ` + top3.map((l) => `${l} ${values[l].toFixed(2)}`).join(", "));
      }
    });
  }

  function nothingToJudge(modality) {
    return { face: "no face", text: "no words", audio: "no speech", fused: "no judgement" }[modality];
  }

  return {
    LABELS, LABEL_COLORS, MODALITIES, MODALITY_COLORS, axis, transitions, curves, lanes, clock,
    measure, nothingToJudge, LANE_H, CURVES_H,
  };
})();
