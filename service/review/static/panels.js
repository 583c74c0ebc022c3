// The decision lists: Silence candidates, other long pauses (missed Silences), orphaned decisions, code
// suggestions, and the speakers' roles and labels. Each item says its state in words and colour.
import { clock, el, esc, marked } from "./util.js";

const STATE_TEXT = { confirmed: "Confirmed", rejected: "Rejected", unsure: "Unsure", unreviewed: "To review" };
const ROLES = ["oncologist", "other_clinician", "parent", "patient", "other_family", "unknown"];

export function badge(state) {
  return el("span", { class: `badge ${state}`, text: STATE_TEXT[state] || state });
}

export class Panels {
  constructor(actions) {
    this.a = actions; // decide(target, id, decision, note), clear(decisionId), select(i), playContext(i), correct(c)
    this.candList = document.getElementById("candidates");
    this.longList = document.getElementById("long-pauses");
    this.orphanList = document.getElementById("orphans");
    this.sugList = document.getElementById("suggestions");
    this.speakersBox = document.getElementById("speakers");
    this.items = [];
  }

  candidateItem(c, i, ctx) {
    const { segs, label, status } = ctx;
    const trig = segs.get(c.trigger_segment);
    const cues = trig && trig.emotion ? trig.emotion.cues.map((q) => [q.start_char, q.end_char]) : [];
    const state = status ? status.state : "unreviewed";
    const title = `Silence candidate ${i + 1}: ${c.duration_s.toFixed(1)} s at ${clock(c.start_s, false)}`;
    const note = el("input", { type: "text", class: "note-input", "aria-label": `Note for candidate ${i + 1}`,
      value: status ? status.note : "", placeholder: "Note (optional)" });
    const decide = (d) => this.a.decide("silence", c.pause_id, d, note.value);
    const li = el("li", { class: "item", id: `cand-${i}`, "data-pause": c.pause_id, "data-state": state },
      el("div", { class: "head" },
        el("button", { type: "button", class: "select", "aria-label": `${title}, ${STATE_TEXT[state]}. Select and go to it`,
          onclick: () => this.a.select(i, true) }, `${i + 1}. ${clock(c.start_s, false)}`),
        el("span", { text: `${c.duration_s.toFixed(1)} s` }), badge(state)),
      el("p", { class: "trigger", html: trig ? `<span class="who">${esc(label(trig.speaker))}:</span> ${marked(trig.text, cues)}` : "" }),
      el("p", { class: "hint", html: `Fell silent: <b>${esc(label(c.fell_silent))}</b>. Broke it: <b>${esc(c.broke_silence ? label(c.broke_silence) : "nobody (recording ended)")}</b>${c.breaking_words ? ` — “${esc(c.breaking_words)}”` : ""}` }),
      el("div", { class: "row" },
        el("button", { type: "button", onclick: () => this.a.playContext(i), "aria-label": `Play candidate ${i + 1} in context (P)` }, "Play in context"),
        el("button", { type: "button", class: "confirm", onclick: () => decide("confirmed"), "aria-label": `Confirm candidate ${i + 1} as Silence (C)` }, "Confirm"),
        el("button", { type: "button", class: "reject", onclick: () => decide("rejected"), "aria-label": `Reject candidate ${i + 1} (R)` }, "Reject"),
        el("button", { type: "button", class: "unsure", onclick: () => decide("unsure"), "aria-label": `Mark candidate ${i + 1} unsure (U)` }, "Unsure"),
        status && status.decision_id ? el("button", { type: "button", onclick: () => this.a.clear(status.decision_id), "aria-label": `Clear the decision on candidate ${i + 1}` }, "Clear") : null),
      el("div", { class: "row" }, note));
    li.note = note;
    li.decide = decide;
    return li;
  }

  render(payload, label) {
    const t = payload.transcript;
    const segs = new Map(t.segments.map((s) => [s.id, s]));
    const byPause = new Map(payload.statuses.map((s) => [s.pause_id, s]));
    this.candidates = [...t.silence_candidates].sort((a, b) => a.start_s - b.start_s);
    this.items = this.candidates.map((c, i) => this.candidateItem(c, i, { segs, label, status: byPause.get(c.pause_id) }));
    this.candList.replaceChildren(...this.items);
    if (!this.items.length) this.candList.append(el("li", { class: "hint", text: "No Silence candidates in this transcript." }));

    const flagged = new Set(this.candidates.map((c) => c.pause_id));
    const longs = t.pauses.filter((p) => p.duration_s >= 5 && !flagged.has(p.id));
    this.longList.replaceChildren(...longs.map((p) => {
      const st = byPause.get(p.id);
      const state = st ? st.state : "unreviewed";
      return el("li", { class: "item long", "data-pause": p.id, "data-state": st ? state : "none" },
        el("div", { class: "head" },
          el("button", { type: "button", onclick: () => this.a.seek(Math.max(0, p.start_s - 5)), "aria-label": `Go to the ${p.duration_s.toFixed(1)} s pause at ${clock(p.start_s)}` }, clock(p.start_s, false)),
          el("span", { text: `${p.duration_s.toFixed(1)} s, ${label(p.speaker_before)} → ${label(p.speaker_after)}` }),
          st ? badge(state) : null),
        el("div", { class: "row" },
          st ? el("button", { type: "button", onclick: () => this.a.clear(st.decision_id), "aria-label": `Clear the decision on the pause at ${clock(p.start_s)}` }, "Clear")
             : el("button", { type: "button", class: "missed", onclick: () => this.a.decide("silence", p.id, "confirmed", ""), "aria-label": `Mark the pause at ${clock(p.start_s)} as a missed Silence` }, "Mark as missed Silence")));
    }));
    if (!longs.length) this.longList.append(el("li", { class: "hint", text: "None." }));

    const decisions = (t.review && t.review.decisions) || [];
    const orphans = decisions.filter((d) => d.orphaned);
    this.orphanList.replaceChildren(...orphans.map((d) => el("li", { class: "item long orphan" },
      el("p", { text: `${d.target === "silence" ? "Pause" : `Suggestion “${d.code}”`} at ${clock(d.start_s)}–${clock(d.end_s)}: ${STATE_TEXT[d.decision]} by ${d.coder}${d.note ? ` (“${d.note}”)` : ""}. What it was made on is gone after a correction.` }),
      el("button", { type: "button", onclick: () => this.a.clear(d.id), "aria-label": `Remove the orphaned decision at ${clock(d.start_s)}` }, "Remove"))));
    if (!orphans.length) this.orphanList.append(el("li", { class: "hint", text: "None." }));

    const sugState = new Map(decisions.filter((d) => d.target === "suggestion" && !d.orphaned).map((d) => [d.suggestion_id, d]));
    this.sugList.replaceChildren(...t.code_suggestions.map((s) => {
      const d = sugState.get(s.id);
      const seg = segs.get(s.segment_id);
      const name = `${s.code} at ${seg ? clock(seg.start_s) : "?"}`;
      return el("li", { class: "item long", "data-suggestion": s.id },
        el("div", { class: "head" }, el("b", { text: s.code }), d ? badge(d.decision === "confirmed" ? "confirmed" : d.decision) : badge("unreviewed")),
        el("p", { class: "trigger", text: `“${s.text}”` }),
        el("div", { class: "row" },
          seg ? el("button", { type: "button", onclick: () => this.a.seek(seg.start_s), "aria-label": `Go to ${name}` }, "Go to") : null,
          el("button", { type: "button", onclick: () => this.a.decide("suggestion", s.id, "confirmed", ""), "aria-label": `Accept ${name}` }, "Accept"),
          el("button", { type: "button", onclick: () => this.a.decide("suggestion", s.id, "rejected", ""), "aria-label": `Reject ${name}` }, "Reject"),
          d ? el("button", { type: "button", onclick: () => this.a.clear(d.id), "aria-label": `Clear the decision on ${name}` }, "Clear") : null));
    }));
    if (!t.code_suggestions.length) this.sugList.append(el("li", { class: "hint", text: "None." }));

    this.speakersBox.replaceChildren(...t.speakers.map((s) => {
      const role = el("select", { "aria-label": `Role of ${s.id}`, class: "role" },
        ...ROLES.map((r) => el("option", { value: r, selected: r === s.role, text: r.replace("_", " ") })));
      const name = el("input", { type: "text", value: s.label, "aria-label": `Label of ${s.id}` });
      return el("div", { class: "speaker", "data-speaker": s.id },
        el("b", { text: s.id }), role, name,
        el("button", { type: "button", class: "set-role", "aria-label": `Set role and label of ${s.id}`,
          onclick: () => this.a.correct({ kind: "role", speaker_id: s.id, role: role.value, label: name.value || null }) }, "Set"),
        s.role_source === "manual" ? el("span", { class: "hint", text: "(set by a coder)" }) : null);
    }));
    return this.candidates;
  }

  mark(selected) {
    this.items.forEach((li, i) => li.classList.toggle("selected", i === selected));
  }
}
