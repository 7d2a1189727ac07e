"""The immutable verification context: trust store, registry, schemas and policy, built once per service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from singlewindow.cod import SchemaRegistry, default_schema_dirs
from singlewindow.pki import Registry, TrustStore
from singlewindow.verification.policy import SignerPolicy
from singlewindow.xmlsec import DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class VerificationContext:
    """What every document is verified against; share one per service."""

    trust: TrustStore
    schemas: SchemaRegistry
    registry: Registry | None = None
    allow_sha1: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    #: judges each verified signer (role, trusted time); None: no per-signer policy beyond chain/registry
    signer_policy: SignerPolicy | None = None
    #: per issuing member (trust list ``sha1_until``): legacy RSA-SHA1 accepted until that day, inclusive
    sha1_until: tuple[tuple[str, date], ...] = ()

    def sha1_allowed(self, country: str | None, at: datetime) -> bool:
        """Whether SHA-1 signatures of ``country``'s signers are accepted at ``at`` (acceptance time)."""
        if self.allow_sha1:
            return True
        until = dict(self.sha1_until).get(country or "")
        return until is not None and at.date() <= until

    @classmethod
    def from_paths(
        cls,
        *,
        trust_dir: Path,
        registry_file: Path | None = None,
        schema_dirs: Sequence[Path] | None = None,
        allow_sha1: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> VerificationContext:
        """Load anchors and CRLs from ``trust_dir``, the registry from a trust-list file, and the XSDs."""
        return cls(
            trust=TrustStore.from_dir(Path(trust_dir)),
            schemas=SchemaRegistry.load(
                list(schema_dirs) if schema_dirs is not None else default_schema_dirs()
            ),
            registry=Registry.from_file(Path(registry_file)) if registry_file is not None else None,
            allow_sha1=allow_sha1,
            max_bytes=max_bytes,
        )
