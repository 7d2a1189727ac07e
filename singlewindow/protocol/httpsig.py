"""RFC 9421 HTTP message signatures with RFC 9530 Content-Digest, for node↔hub requests."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import datetime

import httpx
from cryptography import x509

from singlewindow.errors import AuthenticationFailed, problem
from singlewindow.pki.roles import Role
from singlewindow.protocol.keys import PrivateKey, algorithm_of, sign_bytes, transport_problem, verify_bytes
from singlewindow.protocol.messages import HUB_KEYID

LABEL = "sw"
#: what every request signature must cover, whatever else it covers
REQUIRED = ("@method", "@target-uri", "content-digest")
_INPUT = re.compile(
    r'^\s*([a-z][a-z0-9_-]*)=\(((?:\s*"[a-z0-9@_-]+")*)\s*\)((?:;[a-z]+=(?:"[^"\\]*"|\d+))*)\s*$'
)
_PARAM = re.compile(r';([a-z]+)=("[^"\\]*"|\d+)')
_SIGNATURE = re.compile(r"^\s*([a-z][a-z0-9_-]*)=:([A-Za-z0-9+/=]+):\s*$")

KeyResolver = Callable[[str], x509.Certificate | None]


def content_digest(body: bytes) -> str:
    """The RFC 9530 Content-Digest field value (sha-256) of ``body``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode('ascii')}:"


def _base(*, components: Sequence[str], values: Mapping[str, str], params: str) -> bytes:
    lines = [f'"{name}": {values[name]}' for name in components]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode("utf-8")


def _values(
    *, method: str, url: str, headers: Mapping[str, str], components: Sequence[str]
) -> dict[str, str]:
    lowered = {key.lower(): value for key, value in headers.items()}
    values: dict[str, str] = {}
    for name in components:
        if name == "@method":
            values[name] = method.upper()
        elif name == "@target-uri":
            values[name] = url
        elif name.startswith("@"):
            raise KeyError(name)
        else:
            values[name] = lowered[name].strip()
    return values


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
    """The Content-Digest, Signature-Input and Signature headers to add to a request."""
    added = {"Content-Digest": content_digest(body)}
    components = [*REQUIRED, *(name.lower() for name in cover)]
    values = _values(method=method, url=url, headers={**headers, **added}, components=components)
    inner = " ".join(f'"{name}"' for name in components)
    created = int(time.time()) if created is None else created
    params = f'({inner});created={created};keyid="{keyid}";alg="{algorithm_of(key)}"'
    _, signature = sign_bytes(key=key, data=_base(components=components, values=values, params=params))
    added["Signature-Input"] = f"{LABEL}={params}"
    added["Signature"] = f"{LABEL}=:{base64.b64encode(signature).decode('ascii')}:"
    return added


def _invalid(message: str) -> AuthenticationFailed:
    return AuthenticationFailed(problem("auth.invalid", message))


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
    found = _INPUT.match(lowered["signature-input"])
    signed = _SIGNATURE.match(lowered["signature"])
    if not found or not signed or found.group(1) != signed.group(1):
        raise _invalid("Signature-Input or Signature is malformed (one signature, RFC 9421)")
    components = re.findall(r'"([^"]+)"', found.group(2))
    params = {name: value.strip('"') for name, value in _PARAM.findall(found.group(3))}
    missing = [name for name in (*REQUIRED, *required) if name not in components]
    if missing:
        raise _invalid(f"the signature does not cover {', '.join(missing)}")
    if len(set(components)) != len(components):
        raise _invalid("the signature lists a component twice")
    keyid, algorithm = params.get("keyid", ""), params.get("alg", "")
    try:
        created = int(params["created"])
    except (KeyError, ValueError):
        raise _invalid("the signature has no created time") from None
    now = time.time() if now is None else now
    if abs(now - created) > max_age:
        raise _invalid(f"the signature was created {int(now - created)} s from now (limit {max_age} s)")
    certificate = resolve(keyid) if keyid else None
    if certificate is None:
        raise _invalid(f"unknown keyid {keyid!r}")
    role = Role.HUB if keyid == HUB_KEYID else Role.NODE
    misuse = transport_problem(certificate, role=role, what=f"the HTTP signature of {keyid}")
    if misuse is not None:
        raise AuthenticationFailed(misuse)
    if lowered.get("content-digest", "").strip() != content_digest(body):
        raise _invalid("Content-Digest does not match the body")
    try:
        values = _values(method=method, url=url, headers=headers, components=components)
    except KeyError as exc:
        raise _invalid(f"covered component {exc.args[0]} is absent") from None
    params_text = found.group(0).strip()[len(found.group(1)) + 1 :]
    base = _base(components=components, values=values, params=params_text)
    try:
        signature = base64.b64decode(signed.group(2), validate=True)
    except ValueError:
        raise _invalid("the signature is not base64") from None
    if not verify_bytes(certificate=certificate, algorithm=algorithm, data=base, signature=signature):
        raise _invalid(f"the request signature does not verify with {keyid}'s federation key")
    return str(keyid)


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
