// The details panel of the review page: one shot's scores per modality, its lines,
// its review flag and the reasons a modality could not run.
"use strict";

const Details = (() => {
  function node(tag, className, text, parent) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    if (parent) parent.appendChild(el);
    return el;
  }

  function facts(modality, part) {
    if (modality === "face") return `${part.frames_with_face} of ${part.frames} sampled frames with a face (${part.aggregation})`;
    if (modality === "text") return `from ${part.source}${part.translated ? ", translated" : ""}${part.language ? `, ${part.language}` : ""}`;
    if (modality === "audio") return part.speech ? "speech" : "no speech";
    return part.modalities_used ? `from ${part.modalities_used.join(", ")}` : "";
  }

  function modalityRow(table, shot, modality) {
    const part = shot[modality];
    const row = node("tr", `modality ${modality}`, undefined, table);
    row.dataset.modality = modality;
    node("th", "", modality, row);
    const cell = node("td", "", undefined, row);
    if (part === null || part === undefined) {
      const why = (shot.errors && shot.errors[modality]) || "not analysed";
      node("p", "error", `failed: ${why}`, cell);
      return;
    }
    const head = node("p", "verdict", undefined, cell);
    if (part.label) node("strong", `label ${part.label}`, part.label, head);
    else node("span", "hint", Charts.nothingToJudge(modality), head);
    node("span", "facts", ` ${facts(modality, part)}`, head);
    if (!part.scores) return;
    const bars = node("div", "bars", undefined, cell);
    for (const label of Charts.LABELS) {
      const p = part.scores[label] || 0;
      const bar = node("div", "score", undefined, bars);
      bar.dataset.label = label;
      node("span", "score-name", label, bar);
      const track = node("span", "track", undefined, bar);
      const fill = node("span", `fill ${label}`, undefined, track);
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      node("span", "score-value", p.toFixed(2), bar);
    }
  }

  function render(panel, shot, thumbnail) {
    panel.replaceChildren();
    panel.dataset.index = shot.index;
    const head = node("div", "details-head", undefined, panel);
    if (thumbnail && thumbnail !== "pending") {
      const img = node("img", "details-thumb", undefined, head);
      img.src = thumbnail;
      img.alt = `shot ${shot.index}`;
    }
    const title = node("div", "", undefined, head);
    node("h2", "", `Shot ${shot.index}`, title);
    node("p", "", `${shot.start_s.toFixed(2)}–${shot.end_s.toFixed(2)} s · frames ${shot.start_frame}–${shot.end_frame} · begins with ${shot.transition || "?"}`, title);
    if (shot.fused && shot.fused.needs_review) {
      node("p", "review-reason", `⚑ Needs review: ${shot.fused.review_reason || "the modalities disagree"}`, title);
    }
    const table = node("table", "scores", undefined, panel);
    for (const modality of Charts.MODALITIES) modalityRow(table, shot, modality);
    const text = shot.text;
    if (text && text.lines && text.lines.length) {
      node("h3", "", text.source === "asr" ? "Transcript" : "Subtitles", panel);
      const list = node("ul", "shot-lines", undefined, panel);
      text.lines.forEach((line, i) => {
        const item = node("li", "", line, list);
        if (text.lines_en && text.lines_en[i] && text.lines_en[i] !== line) node("span", "hint", ` (${text.lines_en[i]})`, item);
      });
    }
    if (shot.errors && Object.keys(shot.errors).length) {
      node("h3", "", "Errors", panel);
      const list = node("ul", "errors", undefined, panel);
      for (const [modality, why] of Object.entries(shot.errors)) node("li", "error", `${modality}: ${why}`, list);
    }
  }

  return { render };
})();
