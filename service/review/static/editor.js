// Correcting one segment: its text, its speaker, splitting it at a word, merging it with the next.
// Each saves one correction; the server re-runs the analysis and the page shows the result.
import { el } from "./util.js";

export class Editor {
  constructor({ correct }) {
    this.dialog = document.getElementById("editor");
    this.text = document.getElementById("edit-text");
    this.speaker = document.getElementById("edit-speaker");
    this.split = document.getElementById("edit-split");
    this.seg = null;
    this.next = null;
    const save = async (c) => { if (await correct(c)) this.dialog.close(); };
    document.getElementById("edit-save-text").addEventListener("click", () =>
      save({ kind: "text", segment_id: this.seg.id, text: this.text.value }));
    document.getElementById("edit-save-speaker").addEventListener("click", () => {
      let id = this.speaker.value;
      if (id === "__new") id = this.newId;
      save({ kind: "speaker", segment_id: this.seg.id, speaker_id: id });
    });
    document.getElementById("edit-do-split").addEventListener("click", () =>
      save({ kind: "split", segment_id: this.seg.id, word_index: Number(this.split.value) }));
    document.getElementById("edit-merge").addEventListener("click", () =>
      save({ kind: "merge", segment_id: this.seg.id, next_segment_id: this.next.id }));
  }

  open(transcript, segmentId, label) {
    const segments = transcript.segments;
    const i = segments.findIndex((s) => s.id === segmentId);
    if (i < 0) return;
    this.seg = segments[i];
    this.next = segments[i + 1] || null;
    this.text.value = this.seg.text;
    const numbers = transcript.speakers.map((s) => Number(s.id.slice(1))).filter(Number.isFinite);
    this.newId = `S${Math.max(0, ...numbers) + 1}`;
    this.speaker.replaceChildren(
      ...transcript.speakers.map((s) => el("option", { value: s.id, selected: s.id === this.seg.speaker, text: `${label(s.id)} (${s.id})` })),
      el("option", { value: "__new", text: `A new speaker (${this.newId})` }));
    this.split.replaceChildren(...this.seg.words.slice(1).map((w, k) => el("option", { value: String(k + 1), text: `${k + 2}: ${w.text.trim()}` })));
    document.getElementById("edit-do-split").disabled = this.seg.words.length < 2;
    document.getElementById("edit-merge").disabled = !this.next;
    this.dialog.showModal();
    this.text.focus();
  }
}
