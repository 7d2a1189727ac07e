"""RFC 9421 HTTP message signatures with RFC 9530 Content-Digest, for node↔hub requests.

The protocol signs one shape: the components ``@method``, ``@target-uri``, ``content-digest`` and
the header fields a message kind adds, with ``created``, ``keyid`` and ``alg``, under the label
``sw``. This module builds and checks that signature base itself; the fields are parsed as RFC 8941
structured fields by ``http-sf``, which refuses a repeated key (RFC 9421: a repeated signature
parameter is an error, not "last one wins"), and the target URI and header values are resolved
with the ``http-message-signatures`` library's own functions. That library's general signer and
verifier are the oracles of the tests (``tests/network/test_network_httpsig_oracle.py``): our
RSA headers are its own byte for byte, and we never accept what its verifier refuses. It also
keeps the protocol's policy: the pinned key of each keyid with its federation role, the algorithm
that follows from that key, and the age of a signature judged by the service's clock.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import http_sf
import httpx
from cryptography import x509
from http_message_signatures._url import parse_url  # the library's URL parse (private, pinned <4)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.structures import normalize_header_value

from singlewindow.errors import AuthenticationFailed, problem
from singlewindow.pki.roles import Role
from singlewindow.protocol.keys import (
    PrivateKey,
    algorithm_of,
    algorithm_of_public,
    sign_bytes,
    transport_problem,
    verify_bytes,
)
from singlewindow.protocol.messages import HUB_KEYID

LABEL = "sw"
#: what every request signature must cover, whatever else it covers
REQUIRED = ("@method", "@target-uri", "content-digest")

KeyResolver = Callable[[str], x509.Certificate | None]


def content_digest(body: bytes) -> str:
    """The RFC 9530 Content-Digest field value (sha-256) of ``body``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode('ascii')}:"


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


@dataclass(frozen=True)
class _Input:
    """The one signature's Signature-Input: covered component names and parameters, in their order."""

    components: tuple[str, ...]
    params: dict[str, Any]

    def serialised(self) -> str:
        """The ``@signature-params`` value: the inner list and parameters as RFC 8941 serialises them."""
        names = " ".join(_sf_string(name) for name in self.components)
        params = "".join(
            f";{name}={value if type(value) is int else _sf_string(value)}"
            for name, value in self.params.items()
        )
        return f"({names}){params}"

    def base(self, *, method: str, url: str, headers: Mapping[str, str]) -> tuple[str, bytes]:
        """The ``@signature-params`` value and the signature base (RFC 9421 2.5) over the request.

        ``headers``: the request's header fields, lowercase names. Raises ValueError (or the
        library's error for a bad URL) when a covered component cannot be resolved.
        """
        params = self.serialised()
        verb = method.upper()
        lines = [
            f"{_sf_string(name)}: {_component_value(name, method=verb, url=url, headers=headers)}"
            for name in self.components
        ]
        return params, "\n".join([*lines, f'"@signature-params": {params}']).encode("ascii")


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
    signing = _Input(tuple(components), {"created": moment, "keyid": keyid, "alg": algorithm_of(key)})
    params, base = signing.base(method=method, url=url, headers=fields)
    _, value = sign_bytes(key=key, data=base)
    added["Signature-Input"] = f"{LABEL}={params}"
    added["Signature"] = f"{LABEL}=:{base64.b64encode(value).decode('ascii')}:"
    return added


def _invalid(message: str) -> AuthenticationFailed:
    return AuthenticationFailed(problem("auth.invalid", message))


def _refuse_repeats(key: str, context: str) -> None:
    raise ValueError(f"the {context} {key!r} appears twice")


def _dictionary(value: str, what: str) -> Any:
    """``value`` parsed as an RFC 8941 dictionary with exactly the one member ``LABEL``; repeats refused."""
    try:
        parsed: Any = http_sf.parse(
            value.encode("ascii"), tltype="dictionary", on_duplicate_key=_refuse_repeats
        )
    except (ValueError, UnicodeError) as exc:
        raise _invalid(f"{what} is malformed: {exc}") from None
    if not isinstance(parsed, dict) or list(parsed) != [LABEL]:
        raise _invalid(f"{what} must carry exactly one signature labelled {LABEL!r}")
    return parsed[LABEL]


#: what the protocol's signatures carry; the library signer adds nothing else unless told to
_PARAMS = frozenset({"created", "keyid", "alg"})
_DERIVED = frozenset({"@method", "@target-uri"})


def _signature_input(value: str, required: Sequence[str]) -> _Input:
    """Signature-Input in the protocol's one shape (stricter than RFC 9421 allows, never laxer).

    Components: sf-strings without parameters, lowercase, each once, covering ``required``; the
    derived ones only ``@method`` and ``@target-uri``. Parameters: ``created`` (an integer), ``keyid``
    and ``alg`` (sf-strings), each once, nothing else.
    """
    member, params = _dictionary(value, "Signature-Input")
    if not isinstance(member, list):
        raise _invalid("Signature-Input is not an inner list of components")
    components: list[str] = []
    for name, component_params in member:
        if type(name) is not str or component_params:
            raise _invalid(f"the component {name!r} is not a plain RFC 8941 string")
        if name != name.lower() or (name.startswith("@") and name not in _DERIVED) or name in components:
            raise _invalid(f"the component {name!r} is not one the protocol covers, or comes twice")
        components.append(name)
    missing = [name for name in dict.fromkeys([*REQUIRED, *required]) if name not in components]
    if missing:
        raise _invalid(f"the signature does not cover {', '.join(missing)}")
    if set(params) - _PARAMS:
        raise _invalid(f"unexpected signature parameters: {', '.join(sorted(set(params) - _PARAMS))}")
    if type(params.get("keyid")) is not str or not params["keyid"]:
        raise _invalid("the signature names no keyid")
    if "alg" in params and type(params["alg"]) is not str:
        raise _invalid("the signature's alg is not a string")
    if type(params.get("created")) is not int:
        raise _invalid("the signature has no created time")
    return _Input(components=tuple(components), params=dict(params))


def _signature_value(value: str) -> bytes:
    """The one signature's value: an RFC 8941 byte sequence without parameters."""
    member, params = _dictionary(value, "Signature")
    if not isinstance(member, bytes) or params:
        raise _invalid("Signature is not one byte sequence")
    return member


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
    """Check a signed request and return the signer's keyid; raise AuthenticationFailed otherwise.

    The signature base is rebuilt here from the Signature-Input as received, for the protocol's one
    shape (``_signature_input``); the http-message-signatures library's verifier is the oracle of
    the tests, which check that this never accepts what it refuses.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    if "signature-input" not in lowered or "signature" not in lowered:
        raise AuthenticationFailed(problem("auth.missing", "the request carries no HTTP message signature"))
    signed = _signature_input(lowered["signature-input"], required)
    value = _signature_value(lowered["signature"])
    keyid: str = signed.params["keyid"]
    algorithm = signed.params.get("alg")
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
    created, moment = signed.params["created"], time.time() if now is None else now
    if abs(moment - created) > max_age:
        raise _invalid(
            f"the request signature does not verify with {keyid}'s federation key: the signature was "
            f"created {int(moment - created)} s from now (limit {max_age} s)"
        )
    try:
        _, base = signed.base(method=method, url=url, headers=lowered)
    except (ValueError, HTTPMessageSignaturesException) as exc:  # a covered field absent, a bad URL
        raise _invalid(f"the request signature is malformed: {exc}") from None
    if not verify_bytes(certificate=certificate, algorithm=pinned, data=base, signature=value):
        raise _invalid(f"the request signature does not verify with {keyid}'s federation key")
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
                headers=dict(request.headers.items()),  # one pass: dict(headers) looks up each name
                key=self.key,
                keyid=self.keyid,
                cover=self.cover,
                created=int(self.clock().timestamp()) if self.clock is not None else None,
            )
        )
        yield request
