// The review workspace. State lives on the server (every change is saved as it is made, with the revision the
// page started from); this page renders it, plays the audio and sends the coder's decisions and corrections.
import { api, clock, el } from "./util.js";
import { Player } from "./player.js";
import { Timeline } from "./timeline.js";
import { TranscriptView } from "./transcript.js";
import { Panels } from "./panels.js";
import { Editor } from "./editor.js";

const CONTEXT_BEFORE_S = 5; // "Play in context": from 5 s before the trigger's end...
const CONTEXT_AFTER_S = 3; // ...to 3 s after the pause

const state = { payload: null, selected: -1, candidates: [], busy: false };
const $ = (id) => document.getElementById(id);

function label(speakerId) {
  if (!speakerId) return "nobody";
  const s = state.payload && state.payload.transcript.speakers.find((x) => x.id === speakerId);
  return s ? s.label || s.role || s.id : speakerId;
}

const player = new Player($("audio"), { onTick: (t) => { timeline.move(t); view.highlight(t); } });
const timeline = new Timeline({ onSeek: (t) => player.seek(t, { play: !player.audio.paused }) });
const view = new TranscriptView({
  onPlayFrom: (t) => player.seek(t, { play: true }),
  onEdit: (id) => {
    if (!state.payload.meta.can_correct) { say(state.payload.meta.correct_note, true); return; }
    editor.open(state.payload.transcript, id, label);
  },
});
const panels = new Panels({
  decide: (target, id, decision, note) => save("api/decisions", { target, [target === "silence" ? "pause_id" : "suggestion_id"]: id, decision, note }),
  clear: (decisionId) => save(`api/decisions/${encodeURIComponent(decisionId)}/clear`, {}),
  select: (i, seekTo) => select(i, seekTo),
  playContext: (i) => playContext(i),
  seek: (t) => player.seek(t, { play: !player.audio.paused }),
  correct: (c) => correct(c),
});
const editor = new Editor({ correct: (c) => correct(c) });

function say(message, isAlert = false) {
  if (isAlert) { const a = $("alert"); a.replaceChildren(el("span", { text: message })); a.hidden = false; }
  else $("status").textContent = message;
}

function conflict(message) {
  const a = $("alert");
  a.replaceChildren(el("span", { text: message + " " }),
    el("button", { type: "button", id: "reload", onclick: () => location.reload() }, "Reload"));
  a.hidden = false;
}

function contextWindow(c) {
  const t = state.payload.transcript;
  const trig = t.segments.find((s) => s.id === c.trigger_segment);
  const trigEnd = trig ? trig.end_s : c.start_s;
  return [Math.max(0, trigEnd - CONTEXT_BEFORE_S), c.end_s + CONTEXT_AFTER_S];
}

function select(i, seekTo = false) {
  if (!state.candidates.length) return;
  state.selected = Math.max(0, Math.min(i, state.candidates.length - 1));
  panels.mark(state.selected);
  const item = panels.items[state.selected];
  item.scrollIntoView({ block: "nearest" });
  item.querySelector("button.select").focus({ preventScroll: true });
  const c = state.candidates[state.selected];
  view.scrollTo(c.trigger_segment);
  if (seekTo) player.seek(contextWindow(c)[0], { play: !player.audio.paused });
}

function playContext(i) {
  select(i);
  const [from, to] = contextWindow(state.candidates[state.selected]);
  player.seek(from, { play: true, stopAt: to });
}

function render(payload, { transcript = true } = {}) {
  const keep = state.selected;
  state.payload = payload;
  const t = payload.transcript, meta = payload.meta;
  const flagged = new Set(t.silence_candidates.map((c) => c.pause_id));
  state.candidates = panels.render(payload, label);
  if (transcript) view.render(t, label, flagged);
  timeline.render(t, flagged, label);
  const open = payload.statuses.filter((s) => s.candidate_id && (s.state === "unreviewed" || s.state === "unsure")).length;
  const total = t.silence_candidates.length;
  $("progress").textContent = `${open} of ${total} Silence candidates left to review · revision ${meta.revision} · coder ${meta.coder}`;
  $("cand-h").textContent = `Silence candidates (${open} of ${total} left to review)`;
  const notes = [];
  if (meta.deidentified) notes.push("De-identified copy: names and identifiers are replaced by tags; only redacted audio plays.");
  if (meta.audio_note) notes.push(meta.audio_note);
  if (!meta.can_correct && meta.correct_note && meta.correct_note !== meta.audio_note) notes.push(meta.correct_note);
  $("notes").replaceChildren(...notes.map((n) => el("p", { class: "note", text: n })));
  if (keep >= 0 && state.candidates.length) { state.selected = Math.min(keep, state.candidates.length - 1); panels.mark(state.selected); }
}

async function save(path, body, { transcript = false } = {}) {
  if (state.busy) { say("Still saving the previous change…"); return false; }
  state.busy = true;
  say("Saving…");
  try {
    const payload = await api(path, { base_revision: state.payload.meta.revision, ...body });
    $("alert").hidden = true;
    render(payload, { transcript });
    say(`Saved (revision ${payload.meta.revision}).`);
    return true;
  } catch (error) {
    if (error.status === 409) conflict(error.message); else say(error.message, true);
    return false;
  } finally {
    state.busy = false;
  }
}

async function correct(c) {
  say("Saving and re-running the analysis…");
  return save("api/corrections", { correction: c }, { transcript: true });
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function decideSelected(decision) {
  if (state.selected < 0) select(0);
  const item = panels.items[state.selected];
  if (item) item.decide(decision);
}

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || $("editor").open || $("help").open) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !typing(e.target)) { e.preventDefault(); undo(); return; }
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  const k = e.key;
  const actions = {
    " ": () => player.toggle(),
    ArrowLeft: () => player.skip(-5),
    ArrowRight: () => player.skip(5),
    j: () => select(state.selected + 1, true),
    k: () => select(state.selected <= 0 ? 0 : state.selected - 1, true),
    p: () => playContext(Math.max(0, state.selected)),
    c: () => decideSelected("confirmed"),
    r: () => decideSelected("rejected"),
    u: () => decideSelected("unsure"),
    n: () => { if (state.selected < 0) select(0); const it = panels.items[state.selected]; if (it) it.note.focus(); },
    "?": () => $("help").showModal(),
  };
  const run = actions[k.length === 1 ? k.toLowerCase() : k] || (k === "?" ? actions["?"] : null);
  if (run) { e.preventDefault(); run(); }
});

// Space is play/pause everywhere but in text fields; a focused button must not also be pressed by it (on keyup).
document.addEventListener("keyup", (e) => {
  if (e.key === " " && !typing(e.target) && !$("editor").open && !$("help").open) e.preventDefault();
});

async function undo() {
  if (state.payload.meta.revision === 0) { say("Nothing to undo."); return; }
  await save("api/undo", {}, { transcript: true });
}

$("undo").addEventListener("click", undo);
$("help-open").addEventListener("click", () => $("help").showModal());

async function start() {
  try {
    const payload = await api("api/transcript");
    player.enable(payload.meta.audio);
    render(payload);
    document.title = `Review · ${payload.meta.title}`;
    requestAnimationFrame(() => {
      window.review.readyAt = performance.now();
      document.body.dataset.ready = "true"; // tests and the benchmark wait for this
    });
  } catch (error) {
    say(`The transcript could not be loaded: ${error.message}`, true);
  }
}

window.review = { state, player, clock }; // for the browser tests
start();
