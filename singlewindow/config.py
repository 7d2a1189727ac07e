"""Service settings: ``HubSettings`` (SINGLEWINDOW_HUB_*) and ``NodeSettings`` (SINGLEWINDOW_NODE_*)."""

from __future__ import annotations

import os
import socket
import zoneinfo
from abc import abstractmethod
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from singlewindow.errors import ConfigurationError
from singlewindow.protocol.messages import MAX_DOCUMENTS_TOGETHER

Role = Literal["customs", "official"]
_S = TypeVar("_S", bound=BaseSettings)

#: values that mean "nobody set this secret"; refusing them keeps demo defaults out of production
_PLACEHOLDERS = frozenset({"", "changeme", "change-me", "changethis", "secret", "token", "password", "xxx"})
_MIN_TOKEN_LENGTH = 16


class TokenConfig(BaseModel):
    """One API credential: a name, a role and either the token or its SHA-256 (hex)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Role
    token: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one_secret(self) -> TokenConfig:
        if (self.token is None) == (self.sha256 is None):
            raise ValueError(f"token {self.name!r}: give exactly one of 'token' or 'sha256'")
        if self.token is not None and (
            self.token.strip().lower() in _PLACEHOLDERS or len(self.token) < _MIN_TOKEN_LENGTH
        ):
            raise ValueError(
                f"token {self.name!r} is a placeholder or shorter than {_MIN_TOKEN_LENGTH} characters"
            )
        return self


#: a PostgreSQL schema name the services accept (a plain lower-case identifier, never quoted)
SCHEMA_NAME = r"[a-z_][a-z0-9_]{0,62}"
#: PostgreSQL connections a service opens at most unless ``database_pool_size`` says otherwise
DATABASE_POOL_SIZE = 20


class _Common(BaseSettings):
    """Settings shared by hub and node."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: this service's home (its key and certificate, the pinned operator certificate, the trust list)
    home: Path | None = None
    #: a federation directory written by ``singlewindow pki init``: the service uses only its own
    #: home inside it (``hub/`` or ``CC/node/``); give ``home`` in a real deployment
    pki: Path | None = None
    #: seconds between two fetches of the signed trust list (changes reach the service without restart)
    trustlist_refresh: float = Field(default=10.0, gt=0)
    _home: Path = PrivateAttr(default=Path())
    #: SQLAlchemy URL; SQLite by default, ``postgresql+psycopg://…`` in production
    database_url: str | None = None
    #: PostgreSQL schema holding this service's tables (several services may share one database)
    database_schema: str | None = Field(default=None, pattern=f"^{SCHEMA_NAME}$")
    #: PostgreSQL connections this service keeps open at most (opened as load needs them, then kept):
    #: the services sharing a server must stay below its ``max_connections`` together
    database_pool_size: int = Field(default=DATABASE_POOL_SIZE, ge=1, le=500)
    #: extra directories with ``cod_ver_*.xsd``; defaults to SINGLEWINDOW_SCHEMA_DIRS
    schema_dirs: str = Field(default_factory=lambda: os.environ.get("SINGLEWINDOW_SCHEMA_DIRS", ""))
    allow_sha1: bool = False
    max_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    #: seconds a client has to send a whole request body; slower bodies are refused (408 input.too_slow)
    body_timeout: float = Field(default=30.0, gt=0)
    #: how old an RFC 9421 signature may be (clock skew plus transit)
    signature_max_age: int = Field(default=300, gt=0)
    log_level: str = "INFO"
    log_json: bool = True
    #: Swagger UI at /docs, served from the packaged swagger-ui-bundle-v2 (never a CDN); false: no /docs
    docs_enabled: bool = True
    #: when set, GET /metrics needs ``Authorization: Bearer <token>``; unset: loopback clients only
    metrics_token: SecretStr | None = Field(default=None, min_length=16)

    @property
    def schema_paths(self) -> list[Path]:
        """The schema directories as paths."""
        return [Path(part) for part in self.schema_dirs.split(os.pathsep) if part]

    def _resolve_home(self, stem: str, inside: str) -> Path:
        """The home: ``home``, or the ``inside`` directory of the federation given as ``pki``."""
        if self.home is not None and self.pki is None:
            home = self.home
        elif self.pki is not None and self.home is None:
            nested = self.pki / inside
            home = self.pki if (self.pki / f"{stem}.key").is_file() else nested
        else:
            prefix = f"SINGLEWINDOW_{stem.upper()}"
            raise ValueError(
                f"give exactly one of its home (--home or {prefix}_HOME) "
                f"or a federation directory (--pki or {prefix}_PKI)"
            )
        if not (home / f"{stem}.key").is_file():
            raise ValueError(f"{home} is not a {stem} home: its private key {stem}.key is missing")
        for name in ("operator.pem", "trustlist.json"):
            if not (home / name).is_file():
                raise ValueError(
                    f"{home} is not a {stem} home: {name} is missing (run `singlewindow pki init`)"
                )
        return home

    @property
    def trustlist_path(self) -> Path:
        """Where the service keeps its last good signed trust list."""
        return self.service_home / "trustlist.json"

    @property
    @abstractmethod
    def service_home(self) -> Path:
        """The directory this service reads (and nothing else); each service's settings say which."""


class HubSettings(_Common):
    """The routing hub's settings."""

    model_config = SettingsConfigDict(env_prefix="SINGLEWINDOW_HUB_", extra="forbid")

    #: delivery URLs by country; they override the trust list's ``node_url``
    node_urls: dict[str, str] = {}
    worker_enabled: bool = True
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    max_attempts: int = Field(default=8, ge=1)
    backoff_base: float = Field(default=1.0, gt=0)
    backoff_max: float = Field(default=300.0, gt=0)
    #: a claim lasts this long; must exceed ``delivery_timeout`` so a live worker never loses its lease
    lease_seconds: float = Field(default=60.0, gt=0)
    delivery_timeout: float = Field(default=15.0, gt=0)
    poll_interval: float = Field(default=0.5, gt=0)
    #: delivery requests in flight at once
    batch_size: int = Field(default=10, ge=1)
    #: most documents due for one node that one delivery request carries (1: each goes alone)
    documents_per_request: int = Field(default=MAX_DOCUMENTS_TOGETHER, ge=1, le=MAX_DOCUMENTS_TOGETHER)
    #: seconds a claimed signing date may lie ahead of the hub's clock (time.future beyond)
    max_clock_skew: float = Field(default=300.0, ge=0)
    #: seconds a CertificateDate may lie before the hub's first acceptance (default 365 days; time.too_old)
    max_certificate_age: float = Field(default=365 * 24 * 3600.0, gt=0)

    @model_validator(mode="after")
    def _lease_outlives_call(self) -> HubSettings:
        if self.lease_seconds <= self.delivery_timeout:
            raise ValueError("lease_seconds must be longer than delivery_timeout")
        self._home = self._resolve_home("hub", "hub")
        return self

    @property
    def service_home(self) -> Path:
        """The hub's home."""
        return self._home

    @property
    def url(self) -> str:
        """The database URL, defaulting to one SQLite file in the working directory."""
        return self.database_url or "sqlite:///singlewindow-hub.db"


class NodeSettings(_Common):
    """A country node's settings."""

    model_config = SettingsConfigDict(env_prefix="SINGLEWINDOW_NODE_", extra="forbid")

    country: str = Field(pattern=r"^[A-Z]{2}$")
    #: the hub's base URL; defaults to the trust list's hub URL
    hub_url: str | None = None
    #: base URL under which this node is reached, for ``status_url`` (default: from the request)
    public_url: str | None = None
    tokens: list[TokenConfig] = Field(default_factory=list)
    submit_timeout: float = Field(default=15.0, gt=0)
    #: how often pending submissions are retried and accepted ones refreshed from the hub
    sync_interval: float = Field(default=1.0, gt=0)
    #: signs the officials' page sessions; unset: a random key per start (sessions end at restart)
    session_secret: SecretStr | None = Field(default=None, min_length=16)
    #: the IANA time zone every time on the officials' page is shown in (with its offset)
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: give an IANA name such as America/Montevideo"
            ) from exc
        return value

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """``time_zone`` as a tzinfo."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @model_validator(mode="after")
    def _credentials(self) -> NodeSettings:
        if not self.tokens:
            raise ValueError("no API tokens configured (SINGLEWINDOW_NODE_TOKENS)")
        names = [token.name for token in self.tokens]
        if len(set(names)) != len(names):
            raise ValueError("token names must be unique")
        self._home = self._resolve_home("node", f"{self.country}/node")
        return self

    @property
    def service_home(self) -> Path:
        """The node's home."""
        return self._home

    @property
    def url(self) -> str:
        """The database URL, defaulting to one SQLite file per country in the working directory."""
        return self.database_url or f"sqlite:///singlewindow-node-{self.country.lower()}.db"


def load_settings(cls: type[_S], **values: Any) -> _S:
    """Build settings from the environment plus explicit values; any problem is a ConfigurationError."""
    try:
        return cls(**{key: value for key, value in values.items() if value is not None})
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(settings)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid {cls.__name__}: {details}") from exc
