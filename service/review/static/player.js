// The audio player: streamed by the browser with HTTP Range requests, so playback starts at once and a
// seek fetches only what it needs. "Play in context" stops by itself at the end of its window.
import { clock } from "./util.js";

export class Player {
  constructor(audio, { onTick }) {
    this.audio = audio;
    this.stopAt = null;
    this.onTick = onTick;
    this.playBtn = document.getElementById("play");
    this.clockEl = document.getElementById("clock");
    this.playBtn.addEventListener("click", () => this.toggle());
    document.getElementById("back").addEventListener("click", () => this.skip(-5));
    document.getElementById("fwd").addEventListener("click", () => this.skip(5));
    const speed = document.getElementById("speed");
    speed.addEventListener("change", () => { audio.playbackRate = Number(speed.value); });
    audio.addEventListener("play", () => { this.label(); this.loop(); });
    audio.addEventListener("pause", () => this.label());
    audio.addEventListener("seeked", () => this.tick());
    audio.addEventListener("loadedmetadata", () => this.tick());
  }

  enable(available) {
    for (const id of ["play", "back", "fwd", "speed"]) document.getElementById(id).disabled = !available;
    if (available) this.audio.src = "audio";
  }

  label() {
    const playing = !this.audio.paused;
    this.playBtn.textContent = playing ? "Pause" : "Play";
    this.playBtn.setAttribute("aria-label", playing ? "Pause (Space)" : "Play (Space)");
  }

  get time() { return this.audio.currentTime || 0; }

  toggle() {
    if (this.audio.paused) { this.stopAt = null; this.audio.play().catch(() => {}); } else this.audio.pause();
  }

  seek(t, { play = false, stopAt = null } = {}) {
    const end = Number.isFinite(this.audio.duration) ? this.audio.duration : Infinity;
    this.audio.currentTime = Math.max(0, Math.min(t, end));
    this.stopAt = stopAt;
    if (play) this.audio.play().catch(() => {});
    this.tick();
  }

  skip(ds) { this.seek(this.time + ds, { play: !this.audio.paused }); }

  // Word highlighting and the playhead follow frames, not the coarse timeupdate event.
  loop() {
    if (this.audio.paused) return;
    if (this.stopAt !== null && this.time >= this.stopAt) { this.audio.pause(); this.stopAt = null; }
    this.tick();
    requestAnimationFrame(() => this.loop());
  }

  tick() {
    this.clockEl.textContent = clock(this.time);
    this.onTick(this.time);
  }
}
