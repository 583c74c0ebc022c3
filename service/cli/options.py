"""Options several commands share, and the run request built from them."""

from __future__ import annotations

from typing import Annotated

import typer

from audio_pipeline.errors import InputError
from audio_pipeline.request import RunRequest, run_request

AttendeesOption = Annotated[
    str | None, typer.Option(help="Who attended, e.g. 'oncologist=1,parent=2,patient=1' (roles are then exact).")
]
PatientAgeOption = Annotated[int | None, typer.Option(help="The patient's age in years.")]
SettingOption = Annotated[str | None, typer.Option(help="clinic, inpatient or telephone.")]
DeidentifyOption = Annotated[
    bool, typer.Option("--deidentify", help="Also write a de-identified copy: names and identifiers become tags.")
]
NamesOption = Annotated[
    str | None,
    typer.Option(
        help="Participants' names, for --deidentify and as role evidence: 'patient=Emma Smith/Em,parent=Sarah,oncologist=Patel'."
    ),
]
DeidentifyAudioOption = Annotated[
    bool,
    typer.Option("--deidentify-audio", help="With --deidentify, also write RECORDING.deid.wav with those words covered."),
]


def cli_request(**flags: object) -> RunRequest:
    """The run request from the command line; an invalid value fails naming its flag (--max-speakers...)."""
    return run_request(flags, RunRequest)


def check_deid_options(deidentify: bool, names: str | None, audio: bool, names_alone: bool = False) -> None:
    """``names_alone``: the command also uses --names as role evidence, so it may come without --deidentify."""
    from audio_pipeline.deid import parse_names

    if (audio or (names and not names_alone)) and not deidentify:
        raise InputError("--names and --deidentify-audio go with --deidentify")
    parse_names(names)  # a bad --names fails before any work
