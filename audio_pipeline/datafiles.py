"""Reading the editable data files (lexicons, rules, the codebook): one loader, one cache, one error mapping.

Sites read and change these files, so a typo in one must come back as one clear line naming the file's
purpose (never a traceback), whichever file it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from .errors import data_file_errors

T = TypeVar("T")


class DataFile(Generic[T]):
    """A YAML data file turned into typed rules by ``build``; each path is read once per process."""

    def __init__(self, what: str, default: Path, build: Callable[[Any], T]) -> None:
        self.what, self.default, self.build = what, default, build
        self._load = functools.lru_cache(maxsize=4)(self._read)

    def _read(self, path: Path) -> T:
        with data_file_errors(self.what):
            return self.build(yaml.safe_load(path.read_text(encoding="utf-8")))

    def __call__(self, path: Path | None = None) -> T:
        return self._load(path or self.default)

    def cache_clear(self) -> None:
        self._load.cache_clear()


def data_file(what: str, default: Path) -> Callable[[Callable[[Any], T]], DataFile[T]]:
    """Decorate the function that builds typed rules from a file's parsed YAML."""

    def wrap(build: Callable[[Any], T]) -> DataFile[T]:
        return DataFile(what, default, build)

    return wrap
