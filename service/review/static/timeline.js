// The whole session at a glance: one lane per speaker (labelled with the role), then a lane of pauses
// (Silence candidates, other long pauses, shorter pauses) and untranscribed speech. Drawn once per change
// on a canvas; only the playhead moves while playing.
import { clock } from "./util.js";

const LANE = 18;
const COLOURS = ["#1a73e8", "#188038", "#a142f4", "#e8710a", "#12b5cb", "#d01884", "#5f6368"];

function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

export class Timeline {
  constructor({ onSeek }) {
    this.box = document.getElementById("timeline");
    this.canvas = document.getElementById("timeline-canvas");
    this.head = document.getElementById("playhead");
    this.lanes = document.getElementById("lanes");
    this.onSeek = onSeek;
    this.duration = 0;
    this.data = null;
    this.box.addEventListener("click", (e) => {
      const r = this.box.getBoundingClientRect();
      this.onSeek(((e.clientX - r.left) / r.width) * this.duration);
    });
    this.box.addEventListener("keydown", (e) => {
      const steps = { ArrowLeft: -5, ArrowRight: 5, ArrowDown: -5, ArrowUp: 5, PageDown: -60, PageUp: 60 };
      if (e.key in steps) { e.preventDefault(); e.stopPropagation(); this.onSeek(this.now + steps[e.key]); }
      else if (e.key === "Home") { e.preventDefault(); this.onSeek(0); }
      else if (e.key === "End") { e.preventDefault(); this.onSeek(this.duration); }
    });
    this.now = 0;
    new ResizeObserver(() => this.draw()).observe(this.box);
  }

  render(transcript, candidatePauses, label) {
    this.data = { transcript, candidatePauses, label };
    this.duration = transcript.recording.duration_s || 1;
    this.box.setAttribute("aria-valuemax", String(Math.round(this.duration)));
    this.lanes.replaceChildren();
    for (const s of transcript.speakers) {
      const d = document.createElement("div");
      d.textContent = `${label(s.id)} (${s.id})`;
      this.lanes.append(d);
    }
    const p = document.createElement("div");
    p.textContent = "Pauses";
    this.lanes.append(p);
    this.draw();
  }

  draw() {
    if (!this.data) return;
    const { transcript, candidatePauses } = this.data;
    const speakers = transcript.speakers.map((s) => s.id);
    const height = (speakers.length + 1) * LANE;
    const width = Math.max(100, this.box.clientWidth);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = width * ratio;
    this.canvas.height = height * ratio;
    this.canvas.style.height = `${height}px`;
    const g = this.canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
    const x = (t) => (t / this.duration) * width;
    const bar = (a, b, lane, colour, inset = 3) => {
      g.fillStyle = colour;
      g.fillRect(x(a), lane * LANE + inset, Math.max(1, x(b) - x(a)), LANE - 2 * inset);
    };
    for (let i = 0; i < speakers.length; i++) { g.fillStyle = i % 2 ? "#fafafa" : "#f1f3f4"; g.fillRect(0, i * LANE, width, LANE); }
    const lane = new Map(speakers.map((s, i) => [s, i]));
    for (const seg of transcript.segments) {
      const i = lane.get(seg.speaker);
      if (i !== undefined) bar(seg.start_s, seg.end_s, i, COLOURS[i % COLOURS.length]);
    }
    const pl = speakers.length;
    for (const u of transcript.untranscribed_speech) bar(u.start_s, u.end_s, pl, css("--untranscribed"), 6);
    for (const p of transcript.pauses) {
      const colour = candidatePauses.has(p.id) ? css("--candidate") : p.duration_s >= 5 ? css("--long") : css("--pause");
      bar(p.start_s, p.end_s, pl, colour, candidatePauses.has(p.id) || p.duration_s >= 5 ? 1 : 5);
    }
    this.move(this.now);
  }

  move(t) {
    this.now = t;
    const w = this.box.clientWidth;
    this.head.style.transform = `translateX(${(t / this.duration) * w}px)`;
    const whole = String(Math.round(t));
    if (this.box.getAttribute("aria-valuenow") !== whole) {  // screen readers need seconds, not frames
      this.box.setAttribute("aria-valuenow", whole);
      this.box.setAttribute("aria-valuetext", clock(t, false));
    }
  }
}
