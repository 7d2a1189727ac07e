"""The documents issue's attack corpus as builders: each attack made from a real signed AR→BR COD.

Shared by tests that send the attacks through different doors (the verifier, the hub). Every
attack knows the HTTP status and the problem code an edge must refuse it with.
"""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from singlewindow.cod import add_certification, sample_certificate, to_bytes, to_element
from singlewindow.pki import Federation, generate_key, issue_leaf
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import serialize

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
ENV = "{http://www.w3.org/2001/12/soap-envelope}"
C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
FIFTY_MB = 50 * 1024 * 1024

Build = Callable[[Federation, datetime], bytes]
Mutation = Callable[[etree._Element], None]


@dataclass(frozen=True)
class Made:
    """A key and certificate made by a test."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class Attack:
    """One attack: how to build its bytes, and the status and problem code it must be refused with."""

    name: str
    build: Build
    status: int
    code: str
    needs: str = ""  # an external program the builder runs ("xmlsec1"), if any


# --- the legitimate document every attack starts from -------------------------------------------


def signed(federation: Federation, when: datetime, *, official: object | None = None) -> bytes:
    """A complete AR→BR COD signed at ``when`` by AR's exporter and ``official`` (default: AR's own)."""
    cert = sample_certificate(exporter_country="AR", importer_country="BR", when=when)
    return complete_and_sign(
        to_bytes(cert, stage="request"),
        federation=federation,
        country="AR",
        now=when,
        official=official,  # type: ignore[arg-type]
    )


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- structural mutations of a signed COD (in place) --------------------------------------------


def forged_cod_beside(root: etree._Element) -> None:
    """A forged COD (goods value 1.00) placed before the signed one."""
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    assert cod is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    forged.find(".//GoodsItemValue").text = "1.00"  # type: ignore[union-attr]
    cod.addprevious(forged)


def cod_wrapped_in_another_element(root: etree._Element) -> None:
    """The signed COD moved into a wrapper; a forged copy takes its place."""
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    assert cod is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    cod.addprevious(forged)
    wrapper = etree.Element("Extension")
    forged.addprevious(wrapper)
    wrapper.append(cod)


def duplicated_cod_id(root: etree._Element) -> None:
    """A second element carrying id="COD"."""
    eh = root.find(f"{ENV}CertOrigin/CODEH/EH")
    assert eh is not None
    etree.SubElement(eh, "COD", id="COD")


def content_moved_into_object(root: etree._Element) -> None:
    """The signed COD moved into the exporter's ds:Object; a forged copy takes its place."""
    cod = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/COD")
    signature = root.find(f"{ENV}CertOrigin/CODEH/CODExporter/{DS}Signature")
    assert cod is not None and signature is not None
    forged = copy.deepcopy(cod)
    del forged.attrib["id"]
    cod.addprevious(forged)
    etree.SubElement(signature, f"{DS}Object").append(cod)


def comment_inside_signed_value(root: etree._Element) -> None:
    """An empty comment splitting the signed CertificateID."""
    cid = root.find(f"{ENV}CertOrigin/CODEH/CertificationEH/CertificateID")
    assert cid is not None and cid.text
    head, tail = cid.text[:5], cid.text[5:]
    cid.text = head
    comment = etree.Comment("")
    comment.tail = tail
    cid.append(comment)


def key_value_only(root: etree._Element) -> None:
    """The official's KeyInfo carries only the bare RSA KeyValue, no certificate."""
    key_info = root.find(f"{ENV}CertOrigin/{DS}Signature/{DS}KeyInfo")
    assert key_info is not None
    x509_data = key_info.find(f"{DS}X509Data")
    assert x509_data is not None
    der = base64.b64decode("".join((x509_data.findtext(f"{DS}X509Certificate") or "").split()))
    public_key = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    numbers = public_key.public_numbers()
    key_info.remove(x509_data)
    rsa_value = etree.SubElement(etree.SubElement(key_info, f"{DS}KeyValue"), f"{DS}RSAKeyValue")

    def b64(number: int) -> str:
        return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()

    etree.SubElement(rsa_value, f"{DS}Modulus").text = b64(numbers.n)
    etree.SubElement(rsa_value, f"{DS}Exponent").text = b64(numbers.e)


def official_signature_removed(root: etree._Element) -> None:
    """The official's signature deleted."""
    cert_origin = root.find(f"{ENV}CertOrigin")
    signature = root.find(f"{ENV}CertOrigin/{DS}Signature")
    assert cert_origin is not None and signature is not None
    cert_origin.remove(signature)


def _official_value(root: etree._Element, path: str) -> etree._Element:
    found = root.find(f"{ENV}CertOrigin/{DS}Signature/{path}")
    assert found is not None and found.text
    return found


def _insert(value: etree._Element, character: str) -> None:
    text = value.text or ""
    value.text = text[:40] + character + text[40:]


def unicode_space_in_signature_value(root: etree._Element) -> None:
    """A no-break space inside the official's SignatureValue (the XSD's base64Binary lets it through)."""
    _insert(_official_value(root, f"{DS}SignatureValue"), "\u00a0")


def unicode_space_in_certificate(root: etree._Element) -> None:
    """A line separator (U+2028) inside the official's X509Certificate."""
    _insert(_official_value(root, f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate"), "\u2028")


def mutated(mutation: Mutation) -> Build:
    """A builder applying ``mutation`` to a legitimately signed COD."""

    def build(federation: Federation, when: datetime) -> bytes:
        root = _tree(signed(federation, when))
        mutation(root)
        return _bytes(root)

    return build


def replaced(old: bytes, new: bytes) -> Build:
    """A builder editing the signed bytes after signing (first occurrence of ``old``)."""

    def build(federation: Federation, when: datetime) -> bytes:
        data = signed(federation, when)
        assert old in data
        return data.replace(old, new, 1)

    return build


# --- untrusted officials ------------------------------------------------------------------------


def lookalike(federation: Federation) -> Made:
    """A self-signed certificate copying AR's official's subject, serial and key usage."""
    official = federation.country("AR").official.certificate
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(official.subject)
        .issuer_name(official.subject)
        .public_key(key.public_key())
        .serial_number(official.serial_number)
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(official.extensions.get_extension_for_class(x509.KeyUsage).value, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Made(private_key=key, certificate=certificate)


def expired(federation: Federation) -> Made:
    """An official of AR's CA whose certificate ended two days ago."""
    ar = federation.country("AR")
    key = generate_key(algorithm="rsa")
    now = datetime.now(UTC)
    certificate = issue_leaf(
        public_key=key.public_key(),
        issuer_key=ar.ca.private_key,
        issuer_certificate=ar.ca.certificate,
        common_name="Funcionario Vencido AR",
        subject_serial="AR-001-0099",
        country="AR",
        organization="Cámara de Comercio de Argentina",
        not_before=now - timedelta(days=60),
        not_after=now - timedelta(days=2),
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return Made(private_key=key, certificate=certificate)


def signed_by(who: Callable[[Federation], object]) -> Build:
    """A builder whose official signature is made by ``who`` instead of AR's active official."""

    def build(federation: Federation, when: datetime) -> bytes:
        return signed(federation, when, official=who(federation))

    return build


# --- SHA-1 (needs xmlsec1: our own signer refuses to make SHA-1 signatures) ---------------------


def _sha1_template(uri: str) -> etree._Element:
    sig = etree.Element(f"{DS}Signature", nsmap={"ds": DS_NS})
    info = etree.SubElement(sig, f"{DS}SignedInfo")
    etree.SubElement(info, f"{DS}CanonicalizationMethod", Algorithm=C14N_COMMENTS)
    etree.SubElement(info, f"{DS}SignatureMethod", Algorithm=RSA_SHA1)
    ref = etree.SubElement(info, f"{DS}Reference", URI=uri)
    transforms = etree.SubElement(ref, f"{DS}Transforms")
    etree.SubElement(transforms, f"{DS}Transform", Algorithm=f"{DS_NS}enveloped-signature")
    etree.SubElement(transforms, f"{DS}Transform", Algorithm=EXC_C14N)
    etree.SubElement(ref, f"{DS}DigestMethod", Algorithm=SHA1)
    etree.SubElement(ref, f"{DS}DigestValue")
    etree.SubElement(sig, f"{DS}SignatureValue")
    etree.SubElement(etree.SubElement(sig, f"{DS}KeyInfo"), f"{DS}X509Data")
    return sig


_XPATH = {
    "exporter": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/CODEH/CODExporter"
    "/*[local-name()='Signature']",
    "official": "/*[local-name()='Envelope']/*[local-name()='CertOrigin']/*[local-name()='Signature']",
}


def sha1_signed(federation: Federation, when: datetime) -> bytes:
    """A genuinely valid AR→BR COD whose both signatures are RSA-SHA1 over SHA-1 digests (by xmlsec1)."""
    if shutil.which("xmlsec1") is None:
        raise RuntimeError("xmlsec1 is not installed")
    ar = federation.country("AR")
    cert = sample_certificate(exporter_country="AR", importer_country="BR", when=when)
    root = to_element(cert, stage="request")
    etree.indent(root, space="  ")
    cod = root.find(".//COD")
    assert cod is not None
    cod.addnext(_sha1_template("#COD"))
    add_certification(root, cert)
    codeh = root.find(".//CODEH")
    assert codeh is not None
    codeh.addnext(_sha1_template("#CODEH"))
    data = serialize(root)
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "in.xml", Path(work) / "out.xml"
        for role, who in (("exporter", ar.exporter), ("official", ar.official)):
            source.write_bytes(data)
            argv = ["xmlsec1", "--sign", "--id-attr:id", "COD", "--id-attr:id", "CODEH"]
            argv += ["--privkey-pem", f"{who.key_path},{who.cert_path}", "--node-xpath", _XPATH[role]]
            argv += ["--output", str(target), str(source)]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stderr
            data = target.read_bytes()
    return data


# --- unusable input -----------------------------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)
DTD = b'<!DOCTYPE Envelope SYSTEM "http://example.com/cod.dtd"><Envelope/>'
XXE = b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>'
NOT_XML = b"this is not XML at all"


def constant(data: bytes) -> Build:
    """A builder returning fixed bytes."""
    return lambda federation, when: data


def fifty_megabytes(federation: Federation, when: datetime) -> bytes:
    """50 MB that are not even well-formed: only the size may decide the answer."""
    return b"<" * FIFTY_MB


# --- the corpus ---------------------------------------------------------------------------------

ATTACKS: list[Attack] = [
    Attack(
        "tampered_goods",
        replaced(b"<GoodsItemName>", b"<GoodsItemName>Otro "),
        422,
        "signature.digest_mismatch",
    ),
    Attack("tampered_eh", replaced(b"<EHName>", b"<EHName>Falsa "), 422, "signature.digest_mismatch"),
    Attack("wrapping_forged_cod_beside", mutated(forged_cod_beside), 422, "signature.wrapping"),
    Attack("wrapping_cod_wrapped", mutated(cod_wrapped_in_another_element), 422, "signature.wrapping"),
    Attack("wrapping_duplicated_id", mutated(duplicated_cod_id), 422, "signature.duplicate_id"),
    Attack("wrapping_moved_into_object", mutated(content_moved_into_object), 422, "signature.wrapping"),
    Attack("comment_injection", mutated(comment_inside_signed_value), 422, "signature.wrapping"),
    Attack("key_value_only", mutated(key_value_only), 422, "signature.key_info_invalid"),
    Attack(
        "unicode_space_in_signature_value",
        mutated(unicode_space_in_signature_value),
        422,
        "signature.value_invalid",
    ),
    Attack(
        "unicode_space_in_certificate",
        mutated(unicode_space_in_certificate),
        422,
        "signature.key_info_invalid",
    ),
    Attack("foreign_ca_official", signed_by(lambda f: f.country("BR").official), 422, "chain.wrong_country"),
    Attack("self_signed_lookalike", signed_by(lookalike), 422, "chain.untrusted"),
    Attack("expired_official", signed_by(expired), 422, "chain.not_valid_at_signing_time"),
    Attack("revoked_official", signed_by(lambda f: f.country("AR").revoked_official), 422, "chain.revoked"),
    Attack("sha1_without_policy", sha1_signed, 422, "signature.algorithm_forbidden", needs="xmlsec1"),
    Attack("missing_signature", mutated(official_signature_removed), 422, "signature.missing"),
    Attack("dtd", constant(DTD), 400, "input.dtd_forbidden"),
    Attack("xxe", constant(XXE), 400, "input.entity_forbidden"),
    Attack("entity_bomb", constant(BOMB), 400, "input.entity_forbidden"),
    Attack("not_xml", constant(NOT_XML), 400, "input.not_xml"),
    Attack("empty_body", constant(b""), 400, "input.empty"),
    Attack("fifty_mb_body", fifty_megabytes, 413, "input.too_large"),
]
