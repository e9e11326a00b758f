"""Every environment variable cannasync reads, in one place (``CANNASYNC_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CANNASYNC_", extra="ignore")

    data_dir: Path = Field(Path(".cannasync"), description="Where the embedded mode keeps its database and key file")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data directory")
    redis_url: str | None = Field(
        None, description="Redis for rate limits shared by every process; default: the broker when it is Redis"
    )
    broker_url: str | None = Field(None, description="Dramatiq broker (redis:// or amqp://) for distributed mode")
    secret_keys: str = Field(
        "", description="Comma-separated Fernet keys for credentials, newest first; default: a key file"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        None, description="How vendors reach this hub for postbacks; default http://<host>:<port>"
    )
    tick_seconds: float = Field(2.0, gt=0, description="How often the scheduler looks for due work")
    workers: int = Field(
        4, ge=1, description="Worker threads: in-process (embedded mode), or per `cannasync worker` process"
    )
    broker_namespace: str = Field(
        "cannasync",
        pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$",
        description="Prefix of the broker's queue names (and Redis keys), so several hubs can share a broker",
    )
    run_lease_seconds: float = Field(
        900.0, gt=0, description="How long a run's lock outlives its last heartbeat before another run takes over"
    )
    push_lease_seconds: float = Field(
        120.0, gt=0, description="How long an outbox send outlives its last heartbeat before it is swept and resent"
    )
    retry_first_seconds: float = Field(
        2.0, gt=0, le=3600, description="Wait after a vendor write's first failed try; doubled after each next one"
    )
    retry_max_seconds: float = Field(
        900.0, gt=0, le=86400, description="The longest wait between tries of a vendor write (it is never dropped)"
    )
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def resolved_redis_url(self) -> str | None:
        """Redis for the shared rate limits and 429 counts: its own setting, else the broker when that is Redis."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'cannasync.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"
