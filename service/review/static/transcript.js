// The transcript by turn: role label, start time, words. Built as one HTML string (about 10,000 words for
// an hour) and painted lazily by the browser (content-visibility); the playing word is found by binary search.
import { clock, esc, lastAtOrBefore } from "./util.js";

export class TranscriptView {
  constructor({ onPlayFrom, onEdit }) {
    this.root = document.getElementById("transcript");
    this.starts = [];
    this.spans = [];
    this.current = -1;
    this.root.addEventListener("click", (e) => {
      const word = e.target.closest("span[data-t]");
      if (word) { onPlayFrom(Number(word.dataset.t)); return; }
      const time = e.target.closest("button.time");
      if (time) { onPlayFrom(Number(time.dataset.t)); return; }
      const edit = e.target.closest("button.edit");
      if (edit) onEdit(edit.dataset.seg);
    });
  }

  render(transcript, label, markedPauses) {
    const html = [];
    let previous = null;
    const pauses = transcript.pauses.filter((p) => p.duration_s >= 5);
    let pi = 0;
    for (const seg of transcript.segments) {
      while (pi < pauses.length && pauses[pi].end_s <= seg.start_s + 0.01) {
        const p = pauses[pi++];
        const kind = markedPauses.has(p.id) ? "candidate" : "long";
        const what = kind === "candidate" ? "Silence candidate" : "pause";
        html.push(`<div class="gap ${kind}" id="gap-${esc(p.id)}">(${p.duration_s.toFixed(1)} s ${what})</div>`);
      }
      const turn = seg.speaker !== previous;
      previous = seg.speaker;
      const who = label(seg.speaker);
      const words = seg.words.length
        ? seg.words.map((w) => `<span data-t="${w.start_s}">${esc(w.text.trim())}</span>`).join(" ")
        : esc(seg.text);
      html.push(
        `<div class="seg${turn ? " turn" : ""}" id="seg-${esc(seg.id)}">` +
        `<div>${turn ? `<div class="who">${esc(who)}</div>` : ""}` +
        `<button type="button" class="time" data-t="${seg.start_s}" aria-label="Play from ${clock(seg.start_s)} (${esc(who)})">${clock(seg.start_s, false)}</button></div>` +
        `<p class="text">${words}</p>` +
        `<div><button type="button" class="edit" data-seg="${esc(seg.id)}" aria-label="Correct segment at ${clock(seg.start_s)}">Edit</button></div>` +
        `</div>`,
      );
    }
    this.root.innerHTML = html.join("");
    // Overlapping segments can interleave word times: sort once so the search stays a binary search.
    const pairs = Array.from(this.root.querySelectorAll("span[data-t]"), (s) => [Number(s.dataset.t), s]);
    pairs.sort((a, b) => a[0] - b[0]);
    this.spans = pairs.map((p) => p[1]);
    this.starts = pairs.map((p) => p[0]);
    this.current = -1;
  }

  highlight(t) {
    const i = lastAtOrBefore(this.starts, t + 0.01);
    if (i === this.current) return;
    if (this.current >= 0) this.spans[this.current].classList.remove("now");
    this.current = i;
    if (i >= 0) this.spans[i].classList.add("now");
  }

  scrollTo(segmentId) {
    const node = document.getElementById(`seg-${segmentId}`);
    if (node) node.scrollIntoView({ block: "center" });
  }
}
