"""The protocol's own RFC 9421 signer against the http-message-signatures library, its oracle.

``sign_request`` builds the signature base itself for the protocol's one shape. RSA PKCS#1 v1.5 is
deterministic, so for the same request, key and ``created`` its headers must be the library
signer's, byte for byte; ECDSA signatures differ each time, so there the library's verifier must
accept ours. Inputs come from Hypothesis: header values with surrounding blanks, covered fields,
URLs with ports, queries and odd hosts, keyids that need escaping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.errors import AuthenticationFailed
from singlewindow.pki import Federation
from singlewindow.protocol import sign_request, verify_request
from singlewindow.protocol.httpsig import LABEL, REQUIRED, content_digest

ALGORITHMS: dict[str, Any] = {"rsa": algorithms.RSA_V1_5_SHA256, "ec": algorithms.ECDSA_P256_SHA256}


@cache
def _key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, key: Any) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> Any:
        return self.key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.key.public_key()


def _library_sign(
    *, key: Any, kind: str, method: str, url: str, body: bytes, headers: dict[str, str], **kw: Any
) -> _Message:
    message = _Message(method=method, url=url, headers={**headers, "Content-Digest": content_digest(body)})
    HTTPMessageSigner(signature_algorithm=ALGORITHMS[kind], key_resolver=_Keys(key)).sign(
        message,
        key_id=kw["keyid"],
        created=datetime.fromtimestamp(kw["created"], tz=UTC),
        label=LABEL,
        include_alg=True,
        covered_component_ids=[*REQUIRED, *kw["cover"]],
        body=body,
        use_existing_digest=True,
    )
    return message


def _library_verifies(kind: str, message: _Message, cover: tuple[str, ...]) -> bool:
    verifier = HTTPMessageVerifier(signature_algorithm=ALGORITHMS[kind], key_resolver=_Keys(_key(kind)))
    verifier.validate_created_and_expires = lambda *a, **k: None  # type: ignore[method-assign]
    results = verifier.verify(message, require_components=[*REQUIRED, *cover])
    return len(results) == 1


_VISIBLE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=24)
_VALUES = st.builds(lambda pad, text, tail: pad + text + tail, st.sampled_from(["", " ", "\t "]), _VISIBLE,
                    st.sampled_from(["", " ", " \t"]))  # fmt: skip
_NAMES = st.sampled_from(["content-type", "singlewindow-delivery", "singlewindow-certificate-id", "x-a"])
_URLS = st.sampled_from(
    [
        "http://127.0.0.1:8000/api/v1/deliveries",
        "https://hub.example.org/api/v1/messages",
        "http://HUB.Example.org:80/api/v1/outcomes?x=1&y=%20z",
        "http://[::1]:9000/",
        "https://node-ar.example/api/v1/certificates/AR001R0426182761",
        "http://h",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["POST", "GET", "put"]),
    url=_URLS,
    body=st.binary(max_size=64),
    values=st.dictionaries(_NAMES, _VALUES, max_size=4),
    keyid=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=12),
    created=st.integers(min_value=0, max_value=2**33),
    data=st.data(),
)
def test_rsa_headers_are_the_library_signers_byte_for_byte(
    method: str,
    url: str,
    body: bytes,
    values: dict[str, str],
    keyid: str,
    created: int,
    data: st.DataObject,
) -> None:
    cover = tuple(data.draw(st.permutations(sorted(values))))
    ours = sign_request(
        method=method, url=url, body=body, headers=values, key=_key("rsa"), keyid=keyid, cover=cover,
        created=created,
    )  # fmt: skip
    theirs = _library_sign(
        key=_key("rsa"), kind="rsa", method=method.upper(), url=url, body=body, headers=values,
        keyid=keyid, cover=cover, created=created,
    )  # fmt: skip
    assert ours == {name: theirs.headers[name] for name in ("Content-Digest", "Signature-Input", "Signature")}


@settings(max_examples=30, deadline=None)
@given(
    url=_URLS,
    values=st.dictionaries(_NAMES, _VALUES, max_size=3),
    created=st.integers(min_value=0, max_value=2**33),
)
def test_the_library_verifies_our_ecdsa_signatures(url: str, values: dict[str, str], created: int) -> None:
    cover = tuple(sorted(values))
    added = sign_request(
        method="POST", url=url, body=b"<COD/>", headers=values, key=_key("ec"), keyid="AR", cover=cover,
        created=created,
    )  # fmt: skip
    assert 'alg="ecdsa-p256-sha256"' in added["Signature-Input"]
    message = _Message(method="POST", url=url, headers={**values, **added})
    assert _library_verifies("ec", message, cover)
    # and refuses them once a covered value changed: the base really covers it
    for name in cover:
        changed = {**message.headers, name: message.headers[name].strip() + "x"}
        with pytest.raises(InvalidSignature):
            _library_verifies("ec", _Message(method="POST", url=url, headers=changed), cover)


@pytest.mark.parametrize(
    ("headers", "cover", "why"),
    [
        ({}, ("content-type",), "not in the request"),
        ({"content-type": "a\nb"}, ("content-type",), "line break"),
        ({"content-type": "a"}, ("content-type", "Content-Type"), "covered twice"),
        ({"content-type": "a"}, ("@authority",), "not one the protocol signs"),
    ],
    ids=["missing", "line-break", "twice", "derived"],
)
def test_what_the_protocol_cannot_sign_is_refused_before_signing(
    headers: dict[str, str], cover: tuple[str, ...], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        sign_request(
            method="POST", url="http://hub/api/v1/messages", body=b"", headers=headers, key=_key("rsa"),
            keyid="AR", cover=cover,
        )  # fmt: skip


def test_a_keyid_outside_printable_ascii_is_refused() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        sign_request(method="POST", url="http://hub/", body=b"", headers={}, key=_key("ec"), keyid="Ä")


# --- verification: never laxer than the library's verifier ------------------------------------------

HUB_URL = "http://hub.example:8000/api/v1/messages?x=1"
COVER = ("content-type", "singlewindow-delivery")
BODY = b"<COD>signed</COD>"
NOW = 1_800_000_000


def _node_request(federation: Federation, *, by_library: bool) -> _Message:
    headers = {"content-type": "application/xml", "singlewindow-delivery": "d-1"}
    node = federation.country("AR").node
    if by_library:
        kind = "rsa" if isinstance(node.private_key, rsa.RSAPrivateKey) else "ec"
        return _library_sign(
            key=node.private_key, kind=kind, method="POST", url=HUB_URL, body=BODY, headers=headers,
            keyid="AR", cover=COVER, created=NOW,
        )  # fmt: skip
    added = sign_request(
        method="POST", url=HUB_URL, body=BODY, headers=headers, key=node.private_key, keyid="AR",
        cover=COVER, created=NOW,
    )  # fmt: skip
    return _Message(method="POST", url=HUB_URL, headers={**headers, **added})


def _ours(federation: Federation, message: _Message) -> bool:
    def resolve(keyid: str) -> x509.Certificate | None:
        return federation.country(keyid).node.certificate if keyid in ("AR", "BR") else None

    try:
        verify_request(
            method=message.method, url=message.url, body=BODY, headers=message.headers, resolve=resolve,
            required=COVER, now=NOW,
        )  # fmt: skip
    except AuthenticationFailed:
        return False
    return True


def _theirs(federation: Federation, message: _Message) -> bool:
    certificate = federation.country("AR").node.certificate
    kind = "rsa" if isinstance(certificate.public_key(), rsa.RSAPublicKey) else "ec"

    class _Pinned(HTTPSignatureKeyResolver):
        def resolve_public_key(self, key_id: str) -> Any:
            return certificate.public_key() if key_id == "AR" else None

        def resolve_private_key(self, key_id: str) -> Any:
            return None

    verifier = HTTPMessageVerifier(signature_algorithm=ALGORITHMS[kind], key_resolver=_Pinned())
    verifier.validate_created_and_expires = lambda *a, **k: None  # type: ignore[method-assign]
    try:
        lowered = _Message(message.method, message.url, {k.lower(): v for k, v in message.headers.items()})
        return len(verifier.verify(lowered, require_components=[*REQUIRED, *COVER])) == 1
    except Exception:  # any refusal is a refusal
        return False


def _edit(message: _Message, **changes: Any) -> _Message:
    headers = dict(message.headers)
    for name, value in changes.pop("headers", {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return _Message(
        method=changes.get("method", message.method), url=changes.get("url", message.url), headers=headers
    )


def _input_edit(message: _Message, old: str, new: str) -> _Message:
    assert old in message.headers["Signature-Input"], old
    return _edit(
        message, headers={"Signature-Input": message.headers["Signature-Input"].replace(old, new, 1)}
    )


MUTATIONS: dict[str, Any] = {
    "method": lambda m: _edit(m, method="PUT"),
    "path": lambda m: _edit(m, url=m.url.replace("/messages", "/outcomes")),
    "query": lambda m: _edit(m, url=m.url.replace("x=1", "x=2")),
    "port": lambda m: _edit(m, url=m.url.replace(":8000", ":8001")),
    "host-case": lambda m: _edit(m, url=m.url.replace("hub.example", "HUB.example")),
    "covered-header": lambda m: _edit(m, headers={"singlewindow-delivery": "d-2"}),
    "covered-header-gone": lambda m: _edit(m, headers={"singlewindow-delivery": None}),
    "content-type": lambda m: _edit(m, headers={"content-type": "text/xml"}),
    "digest": lambda m: _edit(m, headers={"Content-Digest": content_digest(b"other")}),
    "reordered": lambda m: _input_edit(m, '"@method" "@target-uri"', '"@target-uri" "@method"'),
    "dropped-component": lambda m: _input_edit(m, ' "singlewindow-delivery"', ""),
    "component-param": lambda m: _input_edit(m, '"content-type"', '"content-type";bs'),
    "component-token": lambda m: _input_edit(m, '"content-type"', "content-type"),
    "uppercase-component": lambda m: _input_edit(m, '"content-type"', '"Content-Type"'),
    "other-derived": lambda m: _input_edit(m, '"@method"', '"@method" "@authority"'),
    "created": lambda m: _input_edit(m, f"created={NOW}", f"created={NOW + 1}"),
    "expires": lambda m: _input_edit(m, f"created={NOW}", f"created={NOW};expires={NOW + 60}"),
    "nonce": lambda m: _input_edit(m, f"created={NOW}", f'created={NOW};nonce="n"'),
    "keyid": lambda m: _input_edit(m, 'keyid="AR"', 'keyid="BR"'),
    "keyid-token": lambda m: _input_edit(m, 'keyid="AR"', "keyid=AR"),
    "no-alg": lambda m: _edit(m, headers={"Signature-Input": m.headers["Signature-Input"].split(";alg=")[0]}),
    "label": lambda m: _edit(
        m,
        headers={
            "Signature-Input": "other" + m.headers["Signature-Input"][len(LABEL) :],
            "Signature": "other" + m.headers["Signature"][len(LABEL) :],
        },
    ),
    "second-signature": lambda m: _edit(
        m,
        headers={
            "Signature-Input": m.headers["Signature-Input"]
            + ", x"
            + m.headers["Signature-Input"][len(LABEL) :],
            "Signature": m.headers["Signature"] + ", x" + m.headers["Signature"][len(LABEL) :],
        },
    ),
    "signature-param": lambda m: _edit(m, headers={"Signature": m.headers["Signature"] + ";a=1"}),
    "signature-flip": lambda m: _edit(
        m,
        headers={
            "Signature": m.headers["Signature"][:8]
            + ("A" if m.headers["Signature"][8] != "A" else "B")
            + m.headers["Signature"][9:]
        },
    ),
    "no-signature": lambda m: _edit(m, headers={"Signature": None}),
}


@pytest.mark.parametrize("signer", ["ours", "library"])
def test_both_verifiers_accept_a_request_signed_by_either(federation: Federation, signer: str) -> None:
    message = _node_request(federation, by_library=signer == "library")
    assert _ours(federation, message) and _theirs(federation, message)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("signer", ["ours", "library"])
def test_a_changed_request_is_never_accepted_where_the_library_refuses_it(
    federation: Federation, signer: str, mutation: str
) -> None:
    changed = MUTATIONS[mutation](_node_request(federation, by_library=signer == "library"))
    assert not _ours(federation, changed), (
        f"{mutation}: accepted (the library says {_theirs(federation, changed)})"
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field_name=st.sampled_from(["Signature-Input", "Signature"]), data=st.data())
def test_random_edits_of_the_signature_fields_are_never_accepted_where_the_library_refuses(
    federation: Federation, field_name: str, data: st.DataObject
) -> None:
    message = _node_request(federation, by_library=False)
    text = message.headers[field_name]
    at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    replacement = data.draw(
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=3)
    )
    edited = _edit(message, headers={field_name: text[:at] + replacement + text[at + 1 :]})
    if _ours(federation, edited):
        assert _theirs(federation, edited), (
            f"accepted what the library refuses: {edited.headers[field_name]!r}"
        )
