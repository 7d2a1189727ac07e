"""The signature profile: one frozen value says what a pinned signature signs, where it sits, what it may use.

One engine (``structure``, ``core``, ``sign``) serves every profile: the exporter's signature over
``#COD``, the official's over ``#CODEH`` and the issuing official's over a Cancellation (``#CANCEL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from singlewindow.xmlsec.names import (
    C14N,
    C14N_COMMENTS,
    CERT_ORIGIN,
    DIGEST_METHODS,
    ENVELOPE,
    ENVELOPED,
    EXC_C14N,
    EXC_C14N_COMMENTS,
    LEGACY_DIGEST_METHODS,
    LEGACY_SIGNATURE_METHODS,
    SIGNATURE_METHODS,
    SignatureRole,
)

#: The lifecycle message namespace (kept here so xmlsec does not import the lifecycle package).
LIFECYCLE_NS = "urn:singlewindow:lifecycle:1"
CANCELLATION_TAG = f"{{{LIFECYCLE_NS}}}Cancellation"

#: SignedInfo canonicalisations of the production profile: inclusive C14N 1.0 (DS-COD writes it with
#: comments) and exclusive C14N (what this project and xmlsec1 templates write). C14N 1.1 is refused:
#: lxml cannot compute it, so it could only be guessed.
PROFILE_CANONICALIZATIONS = frozenset({C14N, C14N_COMMENTS, EXC_C14N, EXC_C14N_COMMENTS})
#: Reference transforms: the enveloped-signature transform and one C14N 1.0 (exclusive or inclusive).
PROFILE_TRANSFORM_C14N = frozenset({EXC_C14N, C14N})
PROFILE_TRANSFORMS = PROFILE_TRANSFORM_C14N | {ENVELOPED}

Placement = Literal["next_sibling", "last_child"]


@dataclass(frozen=True)
class SignatureProfile:
    """One pinned signature: the signed element, its id, the signature's place, the allowed algorithms.

    ``steps`` is the element path from the document root to the signed element (each step must be the
    only child of its name; ``()`` is the root itself). ``places`` are the paths of every element under
    which a signature may sit in this kind of document (any other ds:Signature is stray).
    """

    name: str
    role: SignatureRole
    root_tag: str
    steps: tuple[str, ...]
    signed_id: str
    placement: Placement
    places: tuple[tuple[str, ...], ...]
    signature_path: str
    signed_path: str
    require_enveloped: bool = False
    canonicalizations: frozenset[str] = PROFILE_CANONICALIZATIONS
    transforms: frozenset[str] = PROFILE_TRANSFORMS
    signature_methods: frozenset[str] = SIGNATURE_METHODS
    digest_methods: frozenset[str] = DIGEST_METHODS

    @property
    def reference_uri(self) -> str:
        """The one Reference URI the signature must carry (``#COD``)."""
        return f"#{self.signed_id}"

    @property
    def signxml_location(self) -> str:
        """The signature's parent as a signxml ``location`` (used by the oracle in tests)."""
        steps = self.steps if self.placement == "last_child" else self.steps[:-1]
        return "./" + "".join(f"{step}/" for step in steps)

    def allowed_signature_methods(self, *, allow_sha1: bool) -> frozenset[str]:
        """Signature method URIs accepted (RSA-SHA1 only under the legacy policy)."""
        return self.signature_methods | LEGACY_SIGNATURE_METHODS if allow_sha1 else self.signature_methods

    def allowed_digest_methods(self, *, allow_sha1: bool) -> frozenset[str]:
        """Digest method URIs accepted (SHA-1 only under the legacy policy)."""
        return self.digest_methods | LEGACY_DIGEST_METHODS if allow_sha1 else self.digest_methods


_COD_PLACES = ((CERT_ORIGIN,), (CERT_ORIGIN, "CODEH", "CODExporter"))

EXPORTER = SignatureProfile(
    name="exporter",
    role="exporter",
    root_tag=ENVELOPE,
    steps=(CERT_ORIGIN, "CODEH", "CODExporter", "COD"),
    signed_id="COD",
    placement="next_sibling",
    places=_COD_PLACES,
    signature_path="/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature",
    signed_path="/Envelope/CertOrigin/CODEH/CODExporter/COD",
)
OFFICIAL = SignatureProfile(
    name="official",
    role="official",
    root_tag=ENVELOPE,
    steps=(CERT_ORIGIN, "CODEH"),
    signed_id="CODEH",
    placement="next_sibling",
    places=_COD_PLACES,
    signature_path="/Envelope/CertOrigin/ds:Signature",
    signed_path="/Envelope/CertOrigin/CODEH",
)
CANCELLATION = SignatureProfile(
    name="cancellation",
    role="official",
    root_tag=CANCELLATION_TAG,
    steps=(),
    signed_id="CANCEL",
    placement="last_child",
    places=((),),
    signature_path="/Cancellation/ds:Signature",
    signed_path="/Cancellation",
    require_enveloped=True,
)

#: The COD profiles by role.
COD_PROFILES: dict[SignatureRole, SignatureProfile] = {"exporter": EXPORTER, "official": OFFICIAL}


def profile_of(role: SignatureRole | SignatureProfile) -> SignatureProfile:
    """The profile itself, or the COD profile of ``role``."""
    return role if isinstance(role, SignatureProfile) else COD_PROFILES[role]
