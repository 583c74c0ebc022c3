"""The service's settings: the library's, plus the HTTP service, its database, queue and limits.

Built once per process (``alliance serve``) and passed down to routes and job workers; the rules
that would expose PHI are validators here, so an unsafe configuration never gets as far as a socket.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from audio_pipeline.errors import InvalidOptionError
from audio_pipeline.settings import Settings


class ServiceSettings(Settings):
    service_host: str = Field("127.0.0.1", description="Listen address; anything but loopback needs API keys to exist.")
    service_port: int = Field(8000, ge=1, le=65535)
    service_dir: Path | None = Field(None, description="Uploads, results and the job database; default DATA_DIR/service.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql://USER:PASSWORD@HOST/DB (psycopg 3) for several processes or hosts; "
        "default a SQLite file in SERVICE_DIR. Its schema is upgraded by 'alliance db upgrade'.",
    )
    service_workers: int = Field(1, ge=1, le=16, description="Job worker processes (each loads the models once).")
    max_upload_bytes: int = Field(2 * 1024**3, ge=1024, description="Uploads over this are refused with 413.")
    max_jobs_per_owner: int = Field(10, ge=1, description="Queued plus running jobs one owner may have.")
    max_jobs_total: int = Field(200, ge=1, description="Queued plus running jobs in all.")
    job_max_attempts: int = Field(3, ge=1, le=10, description="Runs of a job interrupted by a crash before it fails.")
    keep_audio: bool = Field(False, description="Keep uploaded audio after its job succeeds (default: delete it).")
    retention_days: float = Field(30.0, gt=0, description="Recordings and results older than this are purged.")
    orphan_grace_s: float = Field(
        3600.0, gt=0, description="Stored files no row refers to are deleted by retention once this old."
    )
    api_docs: bool = Field(True, description="Serve /docs, /redoc and /openapi.json (assets from the package; no key needed).")
    cors_origins: list[str] = Field(default_factory=list, description="Browser origins allowed to call the API (none).")
    # Scale-out (service/jobs/celery_*.py): the database stays the one record of job state; Celery only carries ids.
    queue: Literal["embedded", "celery"] = Field(
        "embedded", description="embedded: worker processes beside the API; celery: `alliance worker` processes via Redis."
    )
    broker_url: str = Field("redis://127.0.0.1:6379/0", description="Celery broker (Redis) when QUEUE=celery.")
    job_time_limit_s: float | None = Field(
        None, gt=0, description="Longest a job may run; default 3x MAX_DURATION_S (CPU runs can be slower than real time)."
    )
    worker_lost_s: float = Field(
        120.0, gt=0, description="A running job with no heartbeat this long is requeued (celery; its worker vanished)."
    )
    republish_after_s: float = Field(
        60.0, gt=0, description="Queued jobs no worker took this long are published again (celery; a broker lost them)."
    )

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("ALLIANCE_CORS_ORIGINS may not be '*'; list the browser origins that may call the API")
        return origins

    @classmethod
    def with_overrides(cls, overrides: dict[str, Any]) -> ServiceSettings:
        """From the environment, with command-line values on top; an invalid value is one clear error."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str((first.get("ctx") or {}).get("error", first["msg"]))
            raise InvalidOptionError(f"ALLIANCE_{where.upper()}: {message}") from None

    @property
    def loopback_only(self) -> bool:
        """Listening only on this machine; any other address needs API keys to exist first."""
        if self.service_host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.service_host).is_loopback
        except ValueError:
            return False

    def service_path(self) -> Path:
        return self.service_dir or self.data_dir / "service"

    def job_limit_s(self) -> float:
        return self.job_time_limit_s or 3 * self.max_duration_s

    def visibility_timeout_s(self) -> int:
        """Redis hands an unacknowledged job to another worker after this: longer than any job may run."""
        return int(self.job_limit_s() + 3600)

    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.service_path() / 'alliance.db'}"
