"""summary.html: one self-contained page (plots inlined as PNG) that a coordinator opens in any browser.

Its Content-Security-Policy forbids every fetch, so opening it can never send anything anywhere.
What a coordinator must know before trusting a plot is on the page: a banner when any session
used synthetic (random-weight) models, and every session's warnings and speakers whose role
needs review, in the table.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from datetime import UTC, datetime

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from audio_pipeline import __version__
from audio_pipeline.export.document import role_label
from audio_pipeline.export.plural import counted
from audio_pipeline.review.decisions import silence_statuses
from audio_pipeline.schema import ROLES, Transcript

from .state import BatchState
from .summary import ReviewCounts, SessionResult, load_session_transcript

ROLE_COLOURS = {
    "oncologist": "#1f77b4",
    "other_clinician": "#17becf",
    "parent": "#ff7f0e",
    "patient": "#2ca02c",
    "other_family": "#9467bd",
    "unknown": "#7f7f7f",
}
SYNTHETIC_WARNING = "synthetic_models"
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:90em;color:#222}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f3f3f3}.failed{color:#a00}.plot{max-width:100%;display:block;margin:.5em 0 1.5em}
.banner{background:#fff3cd;border:2px solid #a66f00;padding:.75em 1em;margin:1em 0;font-weight:600}
.flags{margin:0;padding-left:1.1em}.flags li{margin:0}
"""
# The page reports that every plot decoded, so a headless browser check can read it from the DOM.
_SCRIPT = """
window.addEventListener('load', function () {
  var plots = document.querySelectorAll('img.plot'), ok = 0;
  plots.forEach(function (p) { if (p.complete && p.naturalWidth > 0) { ok += 1; } });
  document.documentElement.setAttribute('data-plots', ok + '/' + plots.length);
});
"""


def _png(figure: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def timeline_plot(session_id: str, transcript: Transcript) -> str:
    """Who spoke when, one row per speaker, with Silence candidates and other long pauses shaded."""
    speakers = transcript.speakers or []
    rows = {speaker.id: i for i, speaker in enumerate(speakers)}
    figure = Figure(figsize=(10, 0.45 * max(len(rows), 1) + 1.2))
    axes = figure.add_subplot()
    for segment in transcript.segments:
        if segment.speaker not in rows:
            continue
        colour = ROLE_COLOURS.get(segment.role or "unknown", ROLE_COLOURS["unknown"])
        span = (segment.start_s / 60, (segment.end_s - segment.start_s) / 60)
        axes.broken_barh([span], (rows[segment.speaker] - 0.4, 0.8), color=colour)
    statuses = {s.pause.id: s for s in silence_statuses(transcript)}
    for status in statuses.values():
        if status.is_silence or status.is_open_candidate:
            shade = 0.6 if status.is_silence else 0.25
            axes.axvspan(status.pause.start_s / 60, status.pause.end_s / 60, color="#d62728", alpha=shade, lw=0)
    for pause in transcript.long_pauses:
        if pause.pause_id not in statuses or not statuses[pause.pause_id].is_silence:
            axes.axvspan(pause.start_s / 60, pause.end_s / 60, color="#999999", alpha=0.3, lw=0)
    axes.set_yticks(range(len(speakers)), [s.label or s.id for s in speakers])
    axes.set_ylim(len(speakers) - 0.5, -0.5)  # whole bars for the first and last speaker; the first at the top
    axes.set_xlim(0, max(transcript.recording.duration_s / 60, 0.1))
    axes.set_xlabel("minutes (dark red: confirmed Silences; light red: Silence candidates; grey: other pauses of 5 s or more)")
    return _png(figure, f"Timeline of {session_id}")


def dyad_plot(dyad_id: str, sessions: list[tuple[SessionResult, Transcript | None]]) -> str:
    """Across a dyad's sessions by date: each role's share of talk time, and the silences."""
    ordered = sorted(sessions, key=lambda item: (item[0].spec.date is None, item[0].spec.date, item[0].spec.session_id))
    labels = [r.spec.date.isoformat() if r.spec.date else r.spec.session_id for r, _ in ordered]
    figure = Figure(figsize=(10, 5.5), layout="constrained")  # room for both rows of date labels
    share_axes, silence_axes = figure.subplots(2, 1, sharex=True)
    bottom = [0.0] * len(ordered)
    for role in (*ROLES, "unknown"):
        shares = []
        for result, _ in ordered:
            talk = result.stats.talk_s_by_role if result.stats else {}
            total = sum(talk.values()) or 1.0
            shares.append(100 * talk.get(role, 0.0) / total)
        if any(shares):
            share_axes.bar(labels, shares, bottom=bottom, color=ROLE_COLOURS[role], label=role_label(role))
            bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    share_axes.set_ylabel("talk time %")
    share_axes.tick_params(axis="x", labelbottom=True, labelrotation=30)  # shared x hides them by default
    share_axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    candidates = [r.stats.silence_candidates if r.stats else 0 for r, _ in ordered]
    long_pauses = [r.stats.pauses_5s if r.stats else 0 for r, _ in ordered]
    # clip_on=False and a floor below 0: a line of zeros is drawn above the axis, not hidden in it.
    silence_axes.plot(labels, candidates, marker="o", color="#d62728", label="Silence candidates", clip_on=False, zorder=3)
    silence_axes.plot(labels, long_pauses, marker="s", color="#555555", label="pauses of 5 s or more", clip_on=False)
    confirmed = [ReviewCounts.of(t).confirmed + ReviewCounts.of(t).added if t is not None else 0 for _, t in ordered]
    if any(confirmed):
        silence_axes.plot(
            labels, confirmed, marker="D", color="#7f0000", ls="--", label="confirmed Silences", clip_on=False, zorder=4
        )
    silence_axes.set_ylabel("count")
    silence_axes.set_ylim(bottom=-0.3, top=max([*candidates, *long_pauses, *confirmed, 1]) + 0.5)
    silence_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    silence_axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    silence_axes.tick_params(axis="x", labelrotation=30)
    return _png(figure, f"Talk time and silences across the sessions of dyad {dyad_id}")


def _flags(result: SessionResult, transcript: Transcript | None) -> list[str]:
    """Every warning (its message when the transcript is at hand) and every speaker whose role needs review."""
    if transcript is None:
        return list(result.stats.warnings) if result.stats else []
    flags = [f"{w.code}: {w.message}" for w in transcript.warnings]
    for speaker in transcript.speakers:
        if speaker.needs_review:
            name = speaker.label or speaker.id
            flags.append(f"review role of {name} ({role_label(speaker.role)}, confidence {speaker.role_confidence:.2f})")
    return flags


def _synthetic(result: SessionResult, transcript: Transcript | None) -> bool:
    if result.stats is not None and SYNTHETIC_WARNING in result.stats.warnings:
        return True
    if transcript is None:
        return False
    models = [transcript.provenance.asr_model, transcript.provenance.diarization_model]
    return any(m is not None and m.synthetic for m in models)


def summary_html(results: list[SessionResult], state: BatchState) -> str:
    ordered = sorted(results, key=lambda r: r.spec.session_id)
    loaded = [(r, load_session_transcript(state, r)) for r in ordered]
    e = html.escape
    failed = sum(r.status == "failed" for r in results)
    failed_text = counted(failed, "failed", "failed")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        f"<title>alliance batch summary</title><style>{_STYLE}</style></head><body>",
        "<h1>Batch summary</h1>",
    ]
    synthetic = [r.spec.session_id for r, t in loaded if _synthetic(r, t)]
    if synthetic:
        parts.append(
            "<div class='banner' id='synthetic-banner' role='alert'>"
            f"{counted(len(synthetic), 'session')} used synthetic (random-weight test) models: "
            f"{e(', '.join(synthetic))}. Their text, speakers and every number and plot below built on "
            "them are meaningless. Process them again with the real models before any analysis.</div>"
        )
    parts += [
        f"<p>{counted(len(results), 'session')}: {sum(r.status == 'done' for r in results)} processed in this run, "
        f"{sum(r.status == 'skipped' for r in results)} already done, "
        + (f"<span class='failed'>{failed_text}</span>. " if failed else f"{failed_text}. ")
        + f"Made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by alliance {e(__version__)}. "
        "Silence candidates are for a coder to confirm, never codes; the review columns count coders' decisions "
        "as the transcripts stand now.</p>",
        "<h2>Sessions</h2><table><tr><th>session</th><th>dyad</th><th>date</th><th>setting</th><th>status</th>"
        "<th>minutes</th><th>speakers</th><th>pauses ≥ 5 s</th><th>Silence candidates</th>"
        "<th>confirmed</th><th>rejected</th><th>to review</th><th>added by coders</th><th>emotional segments</th>"
        "<th>warnings and review flags</th><th>problem</th></tr>",
    ]
    for result, transcript in loaded:
        spec, stats = result.spec, result.stats
        numbers: list[object] = (
            [f"{stats.duration_s / 60:.1f}", stats.speakers, stats.pauses_5s, stats.silence_candidates] if stats else [""] * 4
        )
        review = ReviewCounts.of(transcript) if transcript is not None else None
        numbers += [review.confirmed, review.rejected, review.unreviewed, review.added] if review else [""] * 4
        numbers.append(stats.emotional_segments if stats else "")
        css = " class='failed'" if result.status == "failed" else ""
        cells = [spec.session_id, spec.dyad_id, spec.date.isoformat() if spec.date else "", spec.setting or "", result.status]
        flags = _flags(result, transcript)
        flag_cell = "<ul class='flags'>" + "".join(f"<li>{e(f)}</li>" for f in flags) + "</ul>" if flags else ""
        problem = f"{result.error} ({result.error_code})" if result.error_code else ""
        parts.append(
            f"<tr{css} id='row-{e(spec.session_id)}'>"
            + "".join(f"<td>{e(str(c))}</td>" for c in [*cells, *numbers])
            + f"<td class='flag-cell'>{flag_cell}</td><td>{e(problem)}</td></tr>"
        )
    parts.append("</table>")
    by_dyad: dict[str, list[tuple[SessionResult, Transcript | None]]] = defaultdict(list)
    for item in loaded:
        if item[0].spec.dyad_id and item[0].stats:
            by_dyad[item[0].spec.dyad_id].append(item)
    if by_dyad:
        parts.append("<h2>Dyads across sessions</h2>")
        for dyad_id, sessions in sorted(by_dyad.items()):
            parts += [f"<h3>Dyad {e(dyad_id)}</h3>", dyad_plot(dyad_id, sessions)]
    parts.append("<h2>Who spoke when</h2>")
    for result, transcript in loaded:
        if transcript is not None:
            parts += [f"<h3 id='s-{e(result.spec.session_id)}'>{e(result.spec.session_id)}</h3>"]
            parts.append(timeline_plot(result.spec.session_id, transcript))
    parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(parts)
