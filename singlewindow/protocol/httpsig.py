"""RFC 9421 HTTP message signatures with RFC 9530 Content-Digest, for node↔hub requests.

Signature bases are built and checked by the ``http-message-signatures`` library; the fields are
parsed as RFC 8941 structured fields by ``http-sf``, which refuses a repeated key (RFC 9421: a
repeated signature parameter is an error, not "last one wins"). This module keeps the protocol's
policy: the covered components, the pinned key of each keyid with its federation role, the
algorithm that follows from that key, and the age of a signature judged by the service's clock.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import http_sf
import httpx
from cryptography import x509
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures._url import parse_url  # the library's URL parse (private, pinned <4)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.structures import normalize_header_value

from singlewindow.errors import AuthenticationFailed, problem
from singlewindow.pki.roles import Role
from singlewindow.protocol.keys import (
    ECDSA,
    RSA,
    PrivateKey,
    algorithm_of,
    algorithm_of_public,
    sign_bytes,
    transport_problem,
)
from singlewindow.protocol.messages import HUB_KEYID

LABEL = "sw"
#: what every request signature must cover, whatever else it covers
REQUIRED = ("@method", "@target-uri", "content-digest")
_ALGORITHMS: dict[str, Any] = {RSA: algorithms.RSA_V1_5_SHA256, ECDSA: algorithms.ECDSA_P256_SHA256}

KeyResolver = Callable[[str], x509.Certificate | None]


def content_digest(body: bytes) -> str:
    """The RFC 9530 Content-Digest field value (sha-256) of ``body``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode('ascii')}:"


@dataclass
class _Message:
    """The request as the library reads it: method, absolute URL, header fields."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class _Keys(HTTPSignatureKeyResolver):
    """One key: the signer's private key, or the pinned certificate's public key."""

    def __init__(
        self, *, private: PrivateKey | None = None, certificate: x509.Certificate | None = None
    ) -> None:
        self.private, self.certificate = private, certificate

    def resolve_private_key(self, key_id: str) -> Any:
        """The signer's key, whatever the keyid."""
        return self.private

    def resolve_public_key(self, key_id: str) -> Any:
        """The pinned certificate's key (the keyid was resolved before)."""
        return self.certificate.public_key() if self.certificate is not None else None


class _ClockVerifier(HTTPMessageVerifier):
    """The library's verifier, judging ``created`` by the service's clock within ±``max_age``."""

    def __init__(self, *, now: float, max_age: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now, self.max_age = now, max_age

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        """``created`` present, an integer, at most ``max_age`` seconds from the service's clock."""
        created = sig_input.params.get("created")
        if type(created) is not int:
            raise InvalidSignature("the signature has no created time")
        if abs(self.now - created) > self.max_age:
            raise InvalidSignature(
                f"the signature was created {int(self.now - created)} s from now (limit {self.max_age} s)"
            )


def _sf_string(value: str) -> str:
    """``value`` as an RFC 8941 sf-string (printable ASCII only; ``"`` and ``\\`` escaped)."""
    if not all(" " <= char <= "~" for char in value):
        raise ValueError(f"{value!r} is not printable ASCII: not an RFC 8941 string")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _component_value(name: str, *, method: str, url: str, headers: Mapping[str, str]) -> str:
    """A covered component's value in the signature base (RFC 9421 2.1, 2.2), as the library resolves it."""
    if name == "@method":
        return method
    if name == "@target-uri":
        parts = parse_url(url)  # the library's own strict parse: its verifier rebuilds the same string
        return f"{parts.scheme}://{parts.authority}{parts.path or '/'}{parts.query_suffix}"
    if name.startswith("@"):
        raise ValueError(f"the derived component {name} is not one the protocol signs")
    if name not in headers:
        raise ValueError(f"the covered header field {name!r} is not in the request")
    value = normalize_header_value(headers[name])
    if "\r" in value or "\n" in value:
        raise ValueError(f"the covered header field {name!r} holds a line break")
    return value


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    key: PrivateKey,
    keyid: str,
    cover: Sequence[str] = (),
    created: int | None = None,
) -> dict[str, str]:
    """The Content-Digest, Signature-Input and Signature headers to add to a request.

    The signature base is built here for the protocol's one shape (the covered components, then
    ``created``, ``keyid`` and ``alg``): the library's general signer spent most of a signed request's
    Python on serialising structured fields. Its verifier stays the judge: the tests check that these
    headers are the library's own, byte for byte (RSA), and that its verifier accepts them (ECDSA).
    """
    added = {"Content-Digest": content_digest(body)}
    fields = {name.lower(): value for name, value in headers.items()}
    fields["content-digest"] = added["Content-Digest"]
    components = [*REQUIRED, *(name.lower() for name in cover)]
    if len(set(components)) != len(components):
        raise ValueError(f"a component is covered twice: {components}")
    moment = int(time.time()) if created is None else created
    params = (
        f"({' '.join(_sf_string(name) for name in components)})"
        f";created={moment};keyid={_sf_string(keyid)};alg={_sf_string(algorithm_of(key))}"
    )
    verb = method.upper()
    lines = [
        f"{_sf_string(name)}: {_component_value(name, method=verb, url=url, headers=fields)}"
        for name in components
    ]
    base = "\n".join([*lines, f'"@signature-params": {params}'])
    _, value = sign_bytes(key=key, data=base.encode("ascii"))
    added["Signature-Input"] = f"{LABEL}={params}"
    added["Signature"] = f"{LABEL}=:{base64.b64encode(value).decode('ascii')}:"
    return added


def _invalid(message: str) -> AuthenticationFailed:
    return AuthenticationFailed(problem("auth.invalid", message))


def _refuse_repeats(key: str, context: str) -> None:
    raise ValueError(f"the {context} {key!r} appears twice")


def _signature_params(value: str) -> dict[str, Any]:
    """The parameters of the one signature in Signature-Input; a repeated key or label is refused."""
    try:
        parsed: Any = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=_refuse_repeats
        )
    except (ValueError, UnicodeError) as exc:
        raise _invalid(f"Signature-Input is malformed: {exc}") from None
    if not isinstance(parsed, dict) or list(parsed) != [LABEL]:
        raise _invalid(f"Signature-Input must carry exactly one signature labelled {LABEL!r}")
    member, params = parsed[LABEL]
    if not isinstance(member, list):
        raise _invalid("Signature-Input is not an inner list of components")
    return dict(params)


def verify_request(
    *,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    resolve: KeyResolver,
    required: Sequence[str] = (),
    max_age: int = 300,
    now: float | None = None,
) -> str:
    """Check a signed request and return the signer's keyid; raise AuthenticationFailed otherwise."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if "signature-input" not in lowered or "signature" not in lowered:
        raise AuthenticationFailed(problem("auth.missing", "the request carries no HTTP message signature"))
    params = _signature_params(lowered["signature-input"])
    keyid, algorithm = params.get("keyid"), params.get("alg")
    if not isinstance(keyid, str) or not keyid:
        raise _invalid("the signature names no keyid")
    certificate = resolve(keyid)
    if certificate is None:
        raise _invalid(f"unknown keyid {keyid!r}")
    role = Role.HUB if keyid == HUB_KEYID else Role.NODE
    misuse = transport_problem(certificate, role=role, what=f"the HTTP signature of {keyid}")
    if misuse is not None:
        raise AuthenticationFailed(misuse)
    pinned = algorithm_of_public(certificate)
    if pinned is None or algorithm != pinned:
        raise _invalid(f"the signature's alg {algorithm!r} is not that of {keyid}'s pinned key ({pinned})")
    if lowered.get("content-digest", "").strip() != content_digest(body):
        raise _invalid("Content-Digest does not match the body")
    verifier = _ClockVerifier(
        now=time.time() if now is None else now,
        max_age=max_age,
        signature_algorithm=_ALGORITHMS[pinned],
        key_resolver=_Keys(certificate=certificate),
    )
    message = _Message(method=method.upper(), url=url, headers={k.lower(): v for k, v in headers.items()})
    try:
        verifier.verify(
            message,
            max_age=timedelta(seconds=max_age),
            require_components=list(dict.fromkeys([*REQUIRED, *required])),
        )
    except InvalidSignature as exc:
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        raise _invalid(
            f"the request signature does not verify with {keyid}'s federation key: {cause}"
        ) from None
    except HTTPMessageSignaturesException as exc:
        raise _invalid(f"the request signature is malformed: {exc}") from None
    return keyid


class SignatureAuth(httpx.Auth):
    """httpx authentication that signs each request with a federation key (RFC 9421)."""

    requires_request_body = True

    def __init__(
        self,
        *,
        key: PrivateKey,
        keyid: str,
        cover: Sequence[str] = (),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.key = key
        self.keyid = keyid
        self.cover = tuple(cover)
        #: the sender's clock for ``created`` (the service's ``clock``; the system clock when None)
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the signature headers and send."""
        request.headers.update(
            sign_request(
                method=request.method,
                url=str(request.url),
                body=request.content,
                headers=dict(request.headers),
                key=self.key,
                keyid=self.keyid,
                cover=self.cover,
                created=int(self.clock().timestamp()) if self.clock is not None else None,
            )
        )
        yield request
