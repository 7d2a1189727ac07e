"""The parties' contact details the generated test documents carry, as the page must show them."""

from __future__ import annotations

from collections.abc import Mapping

#: the exporter's and the importer's contact details in the generated documents (each its own, so a
#: value in the wrong party's box shows); the importer's website has no hyphen to break at, so on a phone
#: it fits its box only if the page lets it wrap anywhere
EXPORTER_CONTACT = {
    "telephone": "+54 11 4555-1234",
    "fax": "+54 11 4555-1235",
    "email": "comex@exportadora.com.ar",
    "url": "http://www.exportadora.com.ar",
}
IMPORTER_CONTACT = {
    "telephone": "+55 11 3333-4444",
    "fax": "+55 11 3333-4445",
    "email": "importacoes@importadora.com.br",
    "url": "https://www.importadoradobrasil.com.br/comercioexterior/certificadosdeorigem/consulta",
}
#: the generated document whose exporter gives no fax (an absent value shows no row)
NO_EXPORTER_FAX = "FormA18@1.8.3"

#: the contact rows' labels on the page, in the page's order
CONTACT_LABELS = {
    "en": {"telephone": "Telephone", "fax": "Fax", "email": "E-mail", "url": "Website"},
    "es": {"telephone": "Teléfono", "fax": "Fax", "email": "Correo electrónico", "url": "Sitio web"},
    "pt": {"telephone": "Telefone", "fax": "Fax", "email": "E-mail", "url": "Site"},
}


def contact_rows(contact: Mapping[str, str | None], *, language: str = "en") -> list[tuple[str, str]]:
    """A party's contact rows as the page shows them: label and value, absent values left out."""
    labels = CONTACT_LABELS[language]
    return [(labels[key], value) for key in labels if (value := contact.get(key))]
