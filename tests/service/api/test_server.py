"""alliance serve as a study site uses it: a real server process, real HTTP, real engines (tiny models)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import psutil
import pytest
import sqlalchemy

from tests.audio_pipeline.deid.named import LEAKS, NAMES, named_transcript
from tests.conftest import speak
from tests.service.cli.test_commands import ALLIANCE, ROOT, SCHEMA, alliance, cli_env
from tests.service.cli.test_export import check_files, readable_text
from tests.service.conftest import Deployment

PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    data_dir: Path
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    flags: tuple[str, ...] = ()  # global CLI flags before "serve" (--debug)
    startup_s: float = 60.0
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)  # `alliance worker`s (ALLIANCE_QUEUE=celery)
    start_workers: bool = True  # False: the test starts its own `alliance worker`s

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen([*ALLIANCE, *self.flags, "serve"], env=self.env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self._start_worker()
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"the server did not start:\n{self.log()}")

    def _start_worker(self) -> None:
        """With the Celery queue the API runs no jobs: one `alliance worker` beside it, as a site would run."""
        if not self.start_workers or self.env.get("ALLIANCE_QUEUE") != "celery" or any(w.poll() is None for w in self.workers):
            return
        log = (self.data_dir / "worker.log").open("ab")
        self.workers.append(subprocess.Popen([*ALLIANCE, *self.flags, "worker", "--concurrency", "1"], env=self.env,
                                             cwd=ROOT, stdout=log, stderr=log))  # fmt: skip

    def kill_hard(self) -> list[psutil.Process]:
        assert self.process is not None
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return children

    def stop(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        self.workers.clear()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_hard()

    def log(self) -> str:
        worker = self.data_dir / "worker.log"
        return (self.data_dir / "server.log").read_text(errors="replace") + (
            worker.read_text(errors="replace") if worker.exists() else ""
        )

    @property
    def database_url(self) -> str:
        return self.env.get("ALLIANCE_DATABASE_URL") or f"sqlite:///{self.data_dir / 'service' / 'alliance.db'}"

    def sql(self, statement: str, **params: object) -> list[tuple[Any, ...]]:
        """Run SQL on the server's database, whichever it is (a test looking behind the API)."""
        engine = sqlalchemy.create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(sqlalchemy.text(statement), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def key(self, owner: str) -> str:
        result = subprocess.run([*ALLIANCE, "keys", "create", "--owner", owner], env=self.env, cwd=ROOT, capture_output=True,
                                text=True, check=True)  # fmt: skip
        return result.stdout.strip()


def make_server(tmp: Path, models: Path, deployment: Deployment | None = None, **settings: str) -> Server:
    data_dir = tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    extra = {"ALLIANCE_DATA_DIR": str(data_dir), "ALLIANCE_SERVICE_PORT": str(port), **(deployment.env() if deployment else {})}
    env = cli_env(models, extra_env={**extra, **settings})
    return Server(data_dir, env, port)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(
        "I'm afraid the scan shows the tumor has grown. Is she going to be okay?", tmp_path_factory.mktemp("a") / "r.wav"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_models: Path, deployment: Deployment) -> Iterator[Server]:
    running = make_server(
        tmp_path_factory.mktemp("service"),
        tiny_models,
        deployment,
        ALLIANCE_MAX_UPLOAD_BYTES="2000000",
        ALLIANCE_MAX_JOBS_PER_OWNER="2",
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keys(server: Server) -> dict[str, str]:
    return {"a": server.key("site-a"), "b": server.key("site-b")}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(server: Server, key: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/recordings", content=body, headers={**auth(key), **headers}, timeout=30)


def wait_for(server: Server, key: str, job_id: str, states: tuple[str, ...], timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=auth(key), timeout=10).json()
        if job["state"] in states:
            return job
        time.sleep(0.3)
    pytest.fail(f"job never reached {states}; last {job}\n{server.log()}")


def is_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["detail"]


def test_health_needs_no_key_and_everything_else_does(server: Server, keys: dict[str, str]) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["status"] == "ready" and all(ready["checks"].values())
    is_problem(httpx.get(f"{server.url}/v1/jobs/job_x"), 401, "unauthorized")
    is_problem(httpx.get(f"{server.url}/v1/jobs/job_x", headers=auth("alk_not-a-real-key")), 401, "unauthorized")
    is_problem(httpx.get(f"{server.url}/v1/jobs/job_x", headers={"X-API-Key": keys["a"]}), 404, "job_not_found")
    is_problem(httpx.get(f"{server.url}/nowhere"), 404, "not_found")


def test_upload_transcribe_and_fetch_every_format(server: Server, keys: dict[str, str], recording: Path) -> None:
    uploaded = upload(server, keys["a"], recording.read_bytes(), **{"Content-Type": "audio/wav"})
    assert uploaded.status_code == 201, uploaded.text
    rec = uploaded.json()
    assert rec["size_bytes"] == recording.stat().st_size and len(rec["sha256"]) == 64 and rec["duration_s"] > 1
    body = {"recording_id": rec["id"], "attendees": "oncologist=1,parent=1", "names": NAMES}
    submitted = httpx.post(f"{server.url}/v1/jobs", json=body, headers=auth(keys["a"]))
    assert submitted.status_code == 202, submitted.text
    assert submitted.headers["location"] == f"/v1/jobs/{submitted.json()['id']}"
    job = wait_for(server, keys["a"], submitted.json()["id"], ("succeeded", "failed"))
    assert job["state"] == "succeeded", job
    assert job["percent"] == 100 and job["attempts"] == 1 and job["finished_at"]

    transcript = httpx.get(f"{server.url}/v1/jobs/{job['id']}/transcript", headers=auth(keys["a"]))
    jsonschema.validate(transcript.json(), SCHEMA)
    assert transcript.json()["recording"]["sha256"] == rec["sha256"]
    files = {}
    for fmt in ("json", "maxqda", "qdpx", "vtt", "srt", "csv", "docx"):
        exported = httpx.get(f"{server.url}/v1/jobs/{job['id']}/transcript", params={"format": fmt}, headers=auth(keys["a"]))
        assert exported.status_code == 200 and exported.content, fmt
        files[fmt] = server.data_dir / f"download.{fmt}"
        files[fmt].write_bytes(exported.content)
    segments = transcript.json()["segments"]
    check_files(files, len(segments), len([s for s in segments if s["text"].strip()]))
    assert exported.headers["content-disposition"] == f'attachment; filename="{job["id"]}.docx"'
    is_problem(
        httpx.get(f"{server.url}/v1/jobs/{job['id']}/transcript?format=pdf", headers=auth(keys["a"])), 422, "invalid_request"
    )

    # De-identified copies, in every format: the stored transcript is swapped for one with names spoken in it.
    stored = server.data_dir / "service" / "results" / job["id"] / "transcript.json"
    original = stored.read_bytes()
    stored.write_text(named_transcript().to_json())
    for fmt in ("json", "maxqda", "qdpx", "vtt", "srt", "csv", "docx"):
        params = {"format": fmt, "deidentify": "true"}
        exported = httpx.get(f"{server.url}/v1/jobs/{job['id']}/transcript", params=params, headers=auth(keys["a"]))
        assert exported.status_code == 200, fmt
        files[fmt].write_bytes(exported.content)
        assert not LEAKS.search(readable_text(files[fmt])), f"a supplied name or identifier survived in {fmt}"
    check_files(files, len(named_transcript().segments))
    stored.write_bytes(original)

    after = httpx.get(f"{server.url}/v1/recordings/{rec['id']}", headers=auth(keys["a"])).json()
    assert after["audio_deleted"], "raw audio is deleted once its job succeeded"
    assert not list((server.data_dir / "service" / "recordings").iterdir())

    # Another owner sees nothing of it.
    is_problem(httpx.get(f"{server.url}/v1/jobs/{job['id']}", headers=auth(keys["b"])), 404, "job_not_found")
    is_problem(httpx.get(f"{server.url}/v1/recordings/{rec['id']}", headers=auth(keys["b"])), 404, "recording_not_found")
    is_problem(httpx.delete(f"{server.url}/v1/jobs/{job['id']}", headers=auth(keys["b"])), 404, "job_not_found")

    # Deleting the job removes its results from disk.
    assert httpx.delete(f"{server.url}/v1/jobs/{job['id']}", headers=auth(keys["a"])).status_code == 204
    is_problem(httpx.get(f"{server.url}/v1/jobs/{job['id']}", headers=auth(keys["a"])), 404, "job_not_found")
    assert not (server.data_dir / "service" / "results" / job["id"]).exists()

    audit = alliance("audit", extra_env={k: v for k, v in server.env.items() if k.startswith("ALLIANCE_")})
    actions = [line.split(",")[2] for line in audit.stdout.splitlines()[1:]]
    for action in ("recording_uploaded", "job_submitted", "transcript_read", "job_deleted", "auth_failed"):
        assert action in actions
    assert "r.wav" not in audit.stdout and "tumor" not in audit.stdout, "no PHI in the audit trail"
    assert "r.wav" not in server.log() and "tumor" not in server.log(), "no PHI in the server log"


@pytest.mark.default_deployment_only
def test_batch_runs_on_the_server(server: Server, keys: dict[str, str], recording: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("v1.wav", "v2.wav"):
        (tmp_path / "in" / name).write_bytes(recording.read_bytes())
    (tmp_path / "in" / "v2.wav").write_bytes(recording.read_bytes() + b"\0" * 64)  # other bytes, same speech
    out = tmp_path / "out"
    args = ("batch", str(tmp_path / "in"), "--out", str(out), "--formats", "maxqda,qdpx", "--log-format", "plain")
    remote = ("--server", server.url, "--api-key", keys["a"])
    result = alliance(*args, *remote)
    assert result.returncode == 0, result.stderr + server.log()
    assert "2 session(s): 2 processed, 0 already done, 0 failed" in result.stderr and "on the server" in result.stderr
    for session_id in ("v1", "v2"):
        folder = out / "sessions" / session_id
        jsonschema.validate(json.loads((folder / f"{session_id}.transcript.json").read_text()), SCHEMA)
        assert (folder / f"{session_id}.maxqda.txt").read_text().count("#") >= 2 and (folder / f"{session_id}.qdpx").exists()
    assert (out / "summary.csv").read_text(encoding="utf-8-sig").count("done") == 2
    again = alliance(*args, *remote)
    assert "2 already done" in again.stderr, "resumable on the server too"
    refused = alliance(*args, "--force", "--server", server.url, "--api-key", "alk_wrong")
    assert refused.returncode == 2 and "refused the API key" in refused.stderr


def test_idempotent_uploads(server: Server, keys: dict[str, str], recording: Path) -> None:
    body = recording.read_bytes()
    first = upload(server, keys["a"], body, **{"Idempotency-Key": "visit-7"})
    again = upload(server, keys["a"], body, **{"Idempotency-Key": "visit-7"})
    assert first.status_code == 201 and again.status_code == 200 and again.json()["id"] == first.json()["id"]
    is_problem(upload(server, keys["a"], body + b"\0\0", **{"Idempotency-Key": "visit-7"}), 422, "idempotency_key_reused")
    other_owner = upload(server, keys["b"], body, **{"Idempotency-Key": "visit-7"})
    assert other_owner.status_code == 201 and other_owner.json()["id"] != first.json()["id"]


def test_multipart_uploads_stream_the_file_part(server: Server, keys: dict[str, str], recording: Path) -> None:
    files = {"file": ("visit.wav", recording.read_bytes(), "audio/wav")}
    response = httpx.post(f"{server.url}/v1/recordings", files=files, data={"note": "x"}, headers=auth(keys["a"]))
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == recording.stat().st_size


def test_bad_uploads_are_refused_and_nothing_is_kept(server: Server, keys: dict[str, str]) -> None:
    is_problem(upload(server, keys["a"], b""), 422, "empty_recording")
    is_problem(upload(server, keys["a"], b"this is not audio at all " * 100), 422, "unsupported_audio")
    is_problem(upload(server, keys["a"], b"\0" * 2_100_000), 413, "upload_too_large")  # Content-Length says so first

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        for _ in range(40):
            yield b"\0" * 100_000

    streamed = httpx.post(f"{server.url}/v1/recordings", content=chunks(), headers=auth(keys["a"]))
    is_problem(streamed, 413, "upload_too_large")
    assert not list((server.data_dir / "service" / "uploads").iterdir()), "refused bodies are not kept"


def test_job_limits_cancellation_and_recording_deletion(server: Server, keys: dict[str, str], recording: Path) -> None:
    rec = upload(server, keys["b"], recording.read_bytes()).json()
    submit = {"recording_id": rec["id"]}
    is_problem(httpx.post(f"{server.url}/v1/jobs", json={"recording_id": "rec_nope"}, headers=auth(keys["b"])), 404,
               "recording_not_found")  # fmt: skip
    crossed = httpx.post(f"{server.url}/v1/jobs", json={"recording_id": rec["id"], "min_speakers": 3, "max_speakers": 2},
                         headers=auth(keys["b"]))  # fmt: skip
    is_problem(crossed, 422, "invalid_request")
    assert crossed.json()["detail"] == "/max_speakers is smaller than /min_speakers"
    is_problem(httpx.post(f"{server.url}/v1/jobs", content=b"{not json", headers=auth(keys["b"])), 422, "invalid_request")
    first = httpx.post(f"{server.url}/v1/jobs", json=submit, headers=auth(keys["b"])).json()
    second = httpx.post(f"{server.url}/v1/jobs", json=submit, headers=auth(keys["b"])).json()
    third = httpx.post(f"{server.url}/v1/jobs", json=submit, headers=auth(keys["b"]))
    is_problem(third, 429, "too_many_jobs")
    assert third.headers["retry-after"].isdigit()

    cancelled = httpx.post(f"{server.url}/v1/jobs/{second['id']}/cancel", headers=auth(keys["b"]))
    assert cancelled.status_code == 202
    assert wait_for(server, keys["b"], second["id"], ("cancelled",))["state"] == "cancelled"
    is_problem(httpx.post(f"{server.url}/v1/jobs/{second['id']}/cancel", headers=auth(keys["b"])), 409, "job_closed")

    wait_for(server, keys["b"], first["id"], ("succeeded", "failed"))
    assert httpx.delete(f"{server.url}/v1/recordings/{rec['id']}", headers=auth(keys["b"])).status_code == 204
    is_problem(httpx.get(f"{server.url}/v1/recordings/{rec['id']}", headers=auth(keys["b"])), 404, "recording_not_found")
    is_problem(httpx.get(f"{server.url}/v1/jobs/{first['id']}", headers=auth(keys["b"])), 404, "job_not_found")
    assert not (server.data_dir / "service" / "results" / first["id"]).exists()


@pytest.mark.default_deployment_only
def test_a_job_survives_kill_9_of_the_server(tmp_path: Path, tiny_models: Path, recording: Path, deployment: Deployment) -> None:
    server = make_server(tmp_path, tiny_models, deployment)
    key = server.key("site-a")
    server.start()
    try:
        rec = upload(server, key, recording.read_bytes()).json()
        job = httpx.post(f"{server.url}/v1/jobs", json={"recording_id": rec["id"]}, headers=auth(key)).json()
        wait_for(server, key, job["id"], ("running",))
        workers = server.kill_hard()
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, "job workers stop when the server is killed"
        server.start()
        done = wait_for(server, key, job["id"], ("succeeded", "failed"))
        assert done["state"] == "succeeded", done
        assert done["attempts"] == 2, "the interrupted run was re-queued once"
        jsonschema.validate(httpx.get(f"{server.url}/v1/jobs/{job['id']}/transcript", headers=auth(key)).json(), SCHEMA)
    finally:
        server.stop()


@pytest.mark.default_deployment_only
def test_a_crashed_job_worker_never_takes_the_api_down(server: Server, keys: dict[str, str], recording: Path) -> None:
    rec = upload(server, keys["a"], recording.read_bytes()).json()
    job = httpx.post(f"{server.url}/v1/jobs", json={"recording_id": rec["id"]}, headers=auth(keys["a"])).json()
    wait_for(server, keys["a"], job["id"], ("running",))
    assert server.process is not None
    workers = [p for p in psutil.Process(server.process.pid).children() if "spawn_main" in " ".join(p.cmdline())]
    assert workers, "job workers are processes of their own"
    for worker in workers:
        worker.kill()  # as the kernel's out-of-memory killer would
    assert httpx.get(f"{server.url}/healthz").status_code == 200, "the API kept answering"
    done = wait_for(server, keys["a"], job["id"], ("succeeded", "failed"))
    assert done["state"] == "succeeded" and done["attempts"] == 2, done


def test_the_service_refuses_an_unsafe_configuration(tmp_path: Path, tiny_models: Path) -> None:
    server = make_server(tmp_path, tiny_models)
    result = subprocess.run([*ALLIANCE, "serve", "--host", "0.0.0.0"], env=server.env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 with no API keys" in result.stderr
    cors = subprocess.run([*ALLIANCE, "serve"], env={**server.env, "ALLIANCE_CORS_ORIGINS": json.dumps(["*"])}, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert cors.returncode == 2 and "may not be '*'" in cors.stderr
