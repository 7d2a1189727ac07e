"""RFC 9421 fields are parsed as structured fields: repeats and malformed members are refused."""

from __future__ import annotations

import pytest

from singlewindow.errors import AuthenticationFailed
from singlewindow.pki import Federation
from singlewindow.protocol import sign_request, verify_request

URL = "http://hub/api/v1/messages"
BODY = b"<doc/>"


def _signed(federation: Federation, cover: tuple[str, ...] = ()) -> dict[str, str]:
    headers = {"content-type": "application/xml"}
    return headers | sign_request(
        method="POST",
        url=URL,
        body=BODY,
        headers=headers,
        key=federation.country("AR").node.private_key,
        keyid="AR",
        cover=cover,
    )


def _verify(federation: Federation, headers: dict[str, str], required: tuple[str, ...] = ()) -> str:
    return verify_request(
        method="POST",
        url=URL,
        body=BODY,
        headers=headers,
        resolve=lambda keyid: federation.country(keyid).node.certificate if keyid in ("AR", "BR") else None,
        required=required,
    )


def _refusal(federation: Federation, headers: dict[str, str], required: tuple[str, ...] = ()) -> str:
    with pytest.raises(AuthenticationFailed) as refused:
        _verify(federation, headers, required)
    assert [p.code for p in refused.value.problems] == ["auth.invalid"]
    return refused.value.problems[0].message


def test_the_signature_input_is_a_structured_dictionary(federation: Federation) -> None:
    """Covered components, created, keyid and alg in RFC 8941 form, under the label sw."""
    headers = _signed(federation, cover=("content-type",))
    assert headers["Signature-Input"].startswith(
        'sw=("@method" "@target-uri" "content-digest" "content-type")'
    )
    assert (
        'keyid="AR"' in headers["Signature-Input"] and 'alg="ecdsa-p256-sha256"' in headers["Signature-Input"]
    )
    assert _verify(federation, headers, required=("content-type",)) == "AR"


@pytest.mark.parametrize(
    "repeat", [';keyid="BR"', ";created=1", ';alg="rsa-v1_5-sha256"'], ids=["keyid", "created", "alg"]
)
def test_a_repeated_signature_parameter_is_refused(federation: Federation, repeat: str) -> None:
    """RFC 9421: a repeated parameter is an error, not 'the last one wins': auth.invalid."""
    headers = _signed(federation)
    headers["Signature-Input"] += repeat
    assert "twice" in _refusal(federation, headers)


def test_a_second_signature_label_is_refused(federation: Federation) -> None:
    """Two signatures in one request: auth.invalid (the protocol carries exactly one, labelled sw)."""
    headers = _signed(federation)
    headers["Signature-Input"] += ', other=("@method");created=1;keyid="AR"'
    _refusal(federation, headers)


def test_a_repeated_component_is_refused(federation: Federation) -> None:
    """The same component listed twice: auth.invalid."""
    headers = _signed(federation)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        '"content-digest")', '"content-digest" "@method")'
    )
    _refusal(federation, headers)


def test_a_required_component_left_uncovered_is_refused(federation: Federation) -> None:
    """A delivery signature that does not cover a required header: auth.invalid."""
    _refusal(federation, _signed(federation), required=("content-type",))


@pytest.mark.parametrize("value", ["sw=:not base64!:", 'sw=("@method")', "sw"])
def test_a_malformed_signature_field_is_refused(federation: Federation, value: str) -> None:
    """A Signature field that is not one byte sequence: auth.invalid."""
    headers = _signed(federation)
    headers["Signature"] = value
    _refusal(federation, headers)


def test_a_repeated_header_is_read_as_its_first_occurrence(federation: Federation) -> None:
    """A second Signature header sent after a valid one is not what the services verify: the first is."""
    from starlette.requests import Request

    from singlewindow.protocol.edge import header_fields

    good = _signed(federation)
    forged = "sig1=:AAAA:"
    raw = [(name.lower().encode(), value.encode()) for name, value in good.items()]  # as ASGI gives them
    raw.append((b"signature", forged.encode()))
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": raw})
    fields = header_fields(request)
    assert fields == dict(request.headers)  # the same reading as before, built in one pass
    assert fields["signature"] == good["Signature"]
    assert _verify(federation, fields) == "AR"
