"""Keeping a service's signed trust list current: verify, refuse rollback, keep on disk, rebuild verifiers.

Hub and node both hold a ``TrustlistKeeper`` over their home. A newer trust list — pushed to the
hub by the operator (``PUT /api/v1/federation``), dropped into the hub's home, or fetched by a node
from the hub every ``trustlist_refresh`` seconds — is checked against the pinned operator
certificate, refused when its sequence is lower than the one in force, written to the home as the
last good copy, and handed to the service, which swaps its verifiers and directory without a restart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from cryptography import x509
from lxml import etree

from singlewindow.cod import SchemaRegistry
from singlewindow.config import HubSettings, NodeSettings
from singlewindow.logging import get_logger
from singlewindow.offload import in_thread
from singlewindow.pki import Registry, TrustStore
from singlewindow.pki.homes import write_home_trustlist
from singlewindow.pki.signed import SignedTrustlist, check_newer, verify_trustlist
from singlewindow.pki.trustlist import Trustlist
from singlewindow.protocol.edge import Verify, VerifyLifecycle
from singlewindow.verification import (
    VerificationContext,
    VerificationReport,
    verify_cod_tree,
    verify_document,
)
from singlewindow.verification.time_rules import Acceptance

_log = get_logger("singlewindow.trustlist")


def context_for(
    trustlist: Trustlist, *, schemas: SchemaRegistry, allow_sha1: bool, max_bytes: int
) -> VerificationContext:
    """A verification context over the trust list's anchors, CRLs and registry (schemas reused)."""
    return VerificationContext(
        trust=TrustStore.from_trustlist(trustlist),
        schemas=schemas,
        registry=Registry.from_trustlist(trustlist),
        allow_sha1=allow_sha1,
        max_bytes=max_bytes,
        sha1_until=tuple(
            (code, entry.sha1_until)
            for code, entry in trustlist.countries.items()
            if entry.sha1_until is not None
        ),
    )


def verifiers_for(
    context: VerificationContext, *, clock: Callable[[], datetime] | None, schema_dirs: list[Path]
) -> tuple[Verify, VerifyLifecycle]:
    """Certificates and cancellations verified over one context."""
    from singlewindow.lifecycle import LifecycleReport, verify_cancellation

    def verify(
        data: bytes, /, acceptance: Acceptance | None = None, *, root: etree._Element | None = None
    ) -> VerificationReport:
        # without a trusted time (the hub's acceptance), the service's clock bounds claimed dates
        if acceptance is None:
            acceptance = Acceptance.offline(clock() if clock is not None else None)
        if root is not None:  # the caller's own parse of these bytes: one parse per document
            return verify_cod_tree(root, data=data, context=context, acceptance=acceptance)
        return verify_document(data, context=context, acceptance=acceptance)

    def verify_lifecycle(data: bytes, /, acceptance: Acceptance | None = None) -> LifecycleReport:
        now = clock() if clock is not None else None
        return verify_cancellation(
            data, context=context, now=now, schema_dirs=schema_dirs, acceptance=acceptance
        )

    return verify, verify_lifecycle


def verifier_factory(
    settings: HubSettings | NodeSettings,
    *,
    clock: Callable[[], datetime] | None,
    verify: Verify | None = None,
    verify_lifecycle: VerifyLifecycle | None = None,
) -> Callable[[SignedTrustlist], tuple[Verify, VerifyLifecycle]]:
    """What a service verifies with under each trust list it adopts: the official XSDs are loaded once.

    ``settings``: the service's (its XSD folders beside the default ones, the SHA-1 switch, the body
    limit). ``verify`` / ``verify_lifecycle``: fixed verifiers (tests) that replace the built ones.
    """
    if verify is not None and verify_lifecycle is not None:
        fixed = (verify, verify_lifecycle)
        return lambda signed: fixed
    from singlewindow.cod import default_schema_dirs

    schema_paths = settings.schema_paths
    schemas = SchemaRegistry.load(list(dict.fromkeys([*default_schema_dirs(), *schema_paths])))

    def verifiers(signed: SignedTrustlist) -> tuple[Verify, VerifyLifecycle]:
        context = context_for(
            signed.trustlist,
            schemas=schemas,
            allow_sha1=settings.allow_sha1,
            max_bytes=settings.max_body_bytes,
        )
        built = verifiers_for(context, clock=clock, schema_dirs=schema_paths)
        return verify or built[0], verify_lifecycle or built[1]

    return verifiers


class TrustlistKeeper:
    """The signed trust list in force for one service home; ``offer`` a newer one at any time."""

    def __init__(
        self,
        *,
        home: Path,
        operator: x509.Certificate,
        current: SignedTrustlist,
        on_change: Callable[[SignedTrustlist], None],
    ) -> None:
        self.home, self.operator, self.current, self.on_change = home, operator, current, on_change
        self._lock = threading.Lock()

    def offer(self, data: bytes) -> bool:
        """Adopt ``data`` when it is validly signed and newer; False when it is the one in force.

        Raises ``TrustlistInvalid`` (bad signature) or ``TrustlistRollback`` (lower sequence).
        """
        candidate = verify_trustlist(data, operator=self.operator)
        with self._lock:
            if not check_newer(candidate, current=self.current):
                return False
            write_home_trustlist(self.home, candidate)
            self.current = candidate
            self.on_change(candidate)
        _log.info("trustlist_adopted", sequence=candidate.sequence)
        return True

    async def run(self, *, fetch: Callable[[], Awaitable[bytes | None]], interval: float) -> None:
        """Every ``interval`` seconds: fetch a trust list and offer it; failures are logged, never fatal."""
        while True:
            await asyncio.sleep(interval)
            try:
                data = await fetch()
                if data is not None:
                    await in_thread(self.offer, data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bad or unreachable source leaves the last good copy in force
                _log.warning("trustlist_refresh_failed", error=str(exc)[:300])
