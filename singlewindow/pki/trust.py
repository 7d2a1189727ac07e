"""Trust anchors and CRLs: validating a signer's chain and revocation at the document's signing time."""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from singlewindow.errors import ConfigurationError, Problem, problem
from singlewindow.memo import by_identity
from singlewindow.pki.files import read_crl
from singlewindow.pki.policy import ca_policy, leaf_unfit_reason, signer_policy
from singlewindow.pki.trustdir import read_trust_dir
from singlewindow.pki.trustlist import Trustlist

_MAX_DEPTH = 4
_ONE_TICK = timedelta(microseconds=1)
_CacheKey = tuple[bytes, tuple[bytes, ...]]


@dataclass(frozen=True)
class ChainResult:
    """The outcome of validating one certificate: ``ok`` only when ``problems`` is empty."""

    ok: bool
    anchor: x509.Certificate | None
    problems: list[Problem] = field(default_factory=list)
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class CacheStats:
    """How often ``TrustStore.validate`` answered from its cache."""

    hits: int
    misses: int
    size: int


@by_identity(maxsize=1024)
def fingerprint(certificate: x509.Certificate) -> bytes:
    """SHA-256 over the certificate's DER encoding (memoised: the same signers come back per document)."""
    return certificate.fingerprint(hashes.SHA256())


def country_of(certificate: x509.Certificate) -> str | None:
    """The subject's C= attribute, if any."""
    values = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(values[0].value) if values else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _describe(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


class TrustStore:
    """Immutable anchors and CRLs; ``validate`` answers per signer and signing-time segment, cached."""

    def __init__(
        self,
        *,
        anchors: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList] = (),
        cache_size: int = 4096,
    ) -> None:
        if not anchors:
            raise ConfigurationError("a trust store needs at least one trust anchor")
        self.anchors: tuple[x509.Certificate, ...] = tuple(anchors)
        self.crls: tuple[x509.CertificateRevocationList, ...] = tuple(crls)
        self._store = Store(list(self.anchors))
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._results: dict[tuple[_CacheKey, str, int], ChainResult] = {}
        self._boundaries: dict[_CacheKey, list[datetime]] = {}
        self._crl_by_issuer: dict[bytes, tuple[x509.CertificateRevocationList | None, int]] = {}
        self._hits = 0
        self._misses = 0

    @classmethod
    def from_dir(cls, path: Path) -> TrustStore:
        """Load anchors (``*.pem``, ``*.crt``) and CRLs (``*.crl``), PEM or DER, from a directory."""
        anchors, crls = read_trust_dir(Path(path))
        return cls(anchors=anchors, crls=crls)

    @classmethod
    def from_trustlist(cls, trustlist: Trustlist) -> TrustStore:
        """All member countries' root CAs and CRLs from a trust list."""
        anchors = [ca for entry in trustlist.countries.values() for ca in entry.load_root_cas()]
        crls = [crl for entry in trustlist.countries.values() for crl in entry.load_crls()]
        return cls(anchors=anchors, crls=crls)

    @classmethod
    def from_crl_files(cls, *, anchors: Sequence[x509.Certificate], crl_paths: Sequence[Path]) -> TrustStore:
        """Anchors given directly, CRLs read from files."""
        return cls(anchors=anchors, crls=[read_crl(path) for path in crl_paths])

    @property
    def stats(self) -> CacheStats:
        """Cache hits, misses and current size."""
        with self._lock:
            return CacheStats(hits=self._hits, misses=self._misses, size=len(self._results))

    def validate(
        self,
        certificate: x509.Certificate,
        *,
        at: datetime,
        country: str,
        intermediates: Sequence[x509.Certificate] = (),
    ) -> ChainResult:
        """Validate ``certificate`` as a signer of ``country`` at signing time ``at`` (chain, validity, CRL).

        The answer is cached per (certificate, intermediates, country, segment of time): segments are
        cut at every validity bound and revocation date that concerns this certificate, so a cached
        answer is never reused across a boundary where the answer could change.
        """
        at = _utc(at)
        key: _CacheKey = (fingerprint(certificate), tuple(fingerprint(cert) for cert in intermediates))
        boundaries = self._boundaries.get(key)  # a dict read is atomic; only writes take the lock
        if boundaries is None:
            boundaries = self._segment_boundaries(certificate, intermediates)
        cache_key = (key, country, bisect_right(boundaries, at))
        cached = self._results.get(cache_key)
        with self._lock:
            if cached is not None:
                self._hits += 1
            else:
                self._misses += 1
        if cached is not None:
            return ChainResult(
                ok=cached.ok, anchor=cached.anchor, problems=list(cached.problems), chain=cached.chain
            )
        result = self._compute(certificate, at=at, country=country, intermediates=intermediates)
        with self._lock:
            if len(self._results) >= self._cache_size:
                self._results.pop(next(iter(self._results)))
                self._boundaries.pop(next(iter(self._boundaries)), None)
            self._boundaries[key] = boundaries
            self._results[cache_key] = result
        return replace(result, problems=list(result.problems))

    def _segment_boundaries(
        self, certificate: x509.Certificate, intermediates: Sequence[x509.Certificate]
    ) -> list[datetime]:
        # Every instant where the answer may change: validity bounds of every certificate that can
        # be in the chain, and revocation dates of the non-anchor certificates in any CRL.
        moments: set[datetime] = set()
        for cert in (certificate, *intermediates, *self.anchors):
            moments.add(cert.not_valid_before_utc)
            moments.add(cert.not_valid_after_utc + _ONE_TICK)
        for crl in self.crls:
            for cert in (certificate, *intermediates):
                entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
                if entry is not None:
                    moments.add(entry.revocation_date_utc)
        return sorted(moments)

    def _verify(
        self, certificate: x509.Certificate, intermediates: Sequence[x509.Certificate], at: datetime
    ) -> list[x509.Certificate]:
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .max_chain_depth(_MAX_DEPTH)
            .extension_policies(ca_policy=ca_policy(), ee_policy=signer_policy())
            .build_client_verifier()
        )
        return list(verifier.verify(certificate, list(intermediates)).chain)

    def _build(
        self, certificate: x509.Certificate, intermediates: Sequence[x509.Certificate], at: datetime
    ) -> tuple[list[x509.Certificate] | None, str]:
        try:
            return self._verify(certificate, intermediates, at), ""
        except VerificationError as exc:
            error = str(exc)
        # Would it chain at another time? Then the problem is validity at the signing time.
        issuers = {certificate.issuer, *(cert.issuer for cert in intermediates)}
        related = [certificate, *intermediates, *(a for a in self.anchors if a.subject in issuers)]
        probes = sorted(
            {moment for cert in related for moment in (cert.not_valid_before_utc, cert.not_valid_after_utc)},
            key=lambda moment: abs(moment - at),
        )
        for probe in probes:
            try:
                chain = self._verify(certificate, intermediates, probe)
            except VerificationError:
                continue
            expired = [
                cert for cert in chain if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc
            ]
            if expired:
                detail = "; ".join(
                    f"{_describe(cert)} is valid from {cert.not_valid_before_utc.isoformat()} "
                    f"to {cert.not_valid_after_utc.isoformat()}"
                    for cert in expired
                )
                return chain, f"not valid at the signing time: {detail}"
        return None, error

    def _compute(
        self,
        certificate: x509.Certificate,
        *,
        at: datetime,
        country: str,
        intermediates: Sequence[x509.Certificate],
    ) -> ChainResult:
        unfit = leaf_unfit_reason(certificate)
        if unfit is not None:
            message = f"{_describe(certificate)}: {unfit}"
            return ChainResult(
                ok=False, anchor=None, problems=[problem("chain.certificate_invalid", message)]
            )
        chain, detail = self._build(certificate, intermediates, at)
        if chain is None:
            message = f"{_describe(certificate)} does not chain to a trust anchor ({detail})"
            return ChainResult(ok=False, anchor=None, problems=[problem("chain.untrusted", message)])
        anchor = chain[-1]
        problems: list[Problem] = []
        if detail:
            problems.append(problem("chain.not_valid_at_signing_time", detail))
        anchor_country = country_of(anchor)
        if anchor_country != country:
            problems.append(
                problem(
                    "chain.wrong_country",
                    f"{_describe(certificate)} chains to {_describe(anchor)} (country {anchor_country}), "
                    f"not to a CA of {country}",
                )
            )
        problems.extend(self._revocation(chain, at))
        return ChainResult(ok=not problems, anchor=anchor, problems=problems, chain=tuple(chain))

    def _issuer_crl(self, issuer: x509.Certificate) -> tuple[x509.CertificateRevocationList | None, int]:
        key = fingerprint(issuer)
        with self._lock:
            known = self._crl_by_issuer.get(key)
        if known is not None:
            return known
        candidates = [crl for crl in self.crls if crl.issuer == issuer.subject]
        signed = [crl for crl in candidates if crl.is_signature_valid(issuer.public_key())]  # type: ignore[arg-type]
        best = max(signed, key=lambda crl: crl.last_update_utc, default=None)
        found = (best, len(candidates) - len(signed))
        with self._lock:
            self._crl_by_issuer[key] = found
        return found

    def _revocation(self, chain: list[x509.Certificate], at: datetime) -> list[Problem]:
        problems: list[Problem] = []
        for cert, issuer in itertools.pairwise(chain):
            crl, forged = self._issuer_crl(issuer)
            if crl is None:
                note = f" ({forged} CRL(s) with that issuer name have an invalid signature)" if forged else ""
                message = f"no CRL signed by {_describe(issuer)} is available{note}"
                problems.append(problem("chain.crl_unavailable", message))
                continue
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None and entry.revocation_date_utc <= at:
                message = f"{_describe(cert)} was revoked on {entry.revocation_date_utc.isoformat()}"
                problems.append(problem("chain.revoked", message))
        return problems
