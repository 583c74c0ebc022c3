"""The therapeutic-alliance codebook (data/codebook.yaml): themes, codes and their definitions.

Codes are named "Theme / Code" everywhere (suggestions, silence candidates, exports), so a name
in a transcript maps to exactly one entry in a QDA tool's code system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datafiles import data_file

DEFAULT_CODEBOOK = Path(__file__).with_name("data") / "codebook.yaml"


@dataclass(frozen=True)
class Code:
    theme: str
    name: str
    description: str

    @property
    def path(self) -> str:
        return f"{self.theme} / {self.name}"


@dataclass(frozen=True)
class Theme:
    name: str
    color: str
    description: str
    codes: tuple[Code, ...]


@dataclass(frozen=True)
class Codebook:
    themes: tuple[Theme, ...]

    def code(self, path: str) -> Code:
        for theme in self.themes:
            for code in theme.codes:
                if code.path == path:
                    return code
        raise KeyError(path)

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(code.path for theme in self.themes for code in theme.codes)


@data_file("the codebook", DEFAULT_CODEBOOK)
def load_codebook(data: Any) -> Codebook:
    themes = tuple(
        Theme(
            name=t["name"],
            color=t["color"],
            description=t["description"],
            codes=tuple(Code(t["name"], c["name"], c["description"]) for c in t["codes"]),
        )
        for t in data["themes"]
    )
    return Codebook(themes=themes)
