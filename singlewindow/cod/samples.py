"""Realistic, varied, schema-valid sample certificates for tests, demos, signing and traffic simulation.

Everything is drawn from ``random.Random(seed, number, countries, form, …)``: the same arguments
give the same certificate. Pass ``when`` for full determinism; by default it is "now" (UTC,
whole seconds), because signing code checks the dates against freshly issued certificates.
``when`` is the official's CertificateDate; the exporter's DeclarationDate precedes it by
5–90 minutes, invoices by a few days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from singlewindow.cod.certificate_id import CertificateID
from singlewindow.cod.layouts import FormName, layout_for
from singlewindow.cod.model import Certificate
from singlewindow.cod.parts import (
    EH,
    Agreement,
    Certification,
    Comments,
    Consignee,
    Declaration,
    Exporter,
    Goods,
    Importer,
    Invoice,
    Subscriber,
    ThirdOperator,
    Transport,
)

# Standard UTC offsets (hours) of the member countries, for realistic local timestamps.
_OFFSETS = {"AR": -3, "BR": -3, "UY": -3, "PY": -3, "CL": -4, "BO": -4, "VE": -4}
_OFFSETS |= {"CO": -5, "EC": -5, "PE": -5, "PA": -5, "CU": -5, "MX": -6}

# country → (cities, companies, streets, issuing entity, phone prefix, web domain)
_COUNTRY: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str, str, str]] = {
    "AR": (
        ("Buenos Aires", "Córdoba", "Rosario", "Mendoza", "San Miguel de Tucumán"),
        (
            "Curtiembre Peñaflor S.A.",
            "Bodegas Luján de Cuyo S.R.L.",
            "Metalúrgica Río Cuarto S.A.",
            "Agroindustria Pampeana S.A.",
        ),
        ("Av. Corrientes", "Calle San Martín", "Bv. Oroño", "Av. Colón"),
        "Cámara de Exportadores de la República Argentina",
        "+54 11",
        "cera.org.ar",
    ),
    "BR": (
        ("São Paulo", "Porto Alegre", "Curitiba", "Belo Horizonte", "Joinville"),
        (
            "Curtiembre São João Ltda.",
            "Indústria Têxtil Ipiranga S.A.",
            "Café Três Corações Ltda.",
            "Máquinas Agrícolas Jacto S.A.",
        ),
        ("Rua Augusta", "Avenida Paulista", "Rua XV de Novembro", "Avenida Ipiranga"),
        "Federação das Indústrias do Estado de São Paulo",
        "+55 11",
        "fiesp.com.br",
    ),
    "UY": (
        ("Montevideo", "Paysandú", "Salto", "Colonia del Sacramento"),
        ("Frigorífico Tacuarembó S.A.", "Lanera Piedra Alta S.A.", "Arrocera del Este S.A."),
        ("Av. 18 de Julio", "Calle Sarandí", "Rambla República de México"),
        "Cámara de Industrias del Uruguay",
        "+598 2",
        "ciu.com.uy",
    ),
    "PY": (
        ("Asunción", "Ciudad del Este", "Encarnación"),
        ("Yerba Mate Pajarito S.A.", "Cooperativa Colonias Unidas Ltda.", "Aceitera Ñandutí S.A."),
        ("Avda. Mariscal López", "Calle Palma", "Avda. España"),
        "Ministerio de Industria y Comercio — Ventanilla Única del Exportador",
        "+595 21",
        "mic.gov.py",
    ),
}
_GENERIC = (
    ("Capital", "Puerto Principal"),
    ("Exportadora Andina S.A.", "Compañía Agroindustrial del Pacífico S.A."),
    ("Avenida Bolívar", "Calle Sucre"),
    "Cámara Nacional de Comercio",
    "+1 800",
    "camara.example",
)

# (HS code, description, unit, weight per unit in kg, unit price in USD)
_CATALOG = (
    (
        "8408.90.90",
        "Motores de émbolo (pistón) de encendido por compresión (diésel o semidiésel)",
        "UNIDADES",
        450,
        6681,
    ),
    (
        "4107.12.20",
        "Cueros y pieles curtidos de bovino, plena flor sin dividir, teñidos",
        "KILOGRAMOS",
        1,
        14,
    ),
    ("0901.21.00", "Café tostado sin descafeinar, en grano", "KILOGRAMOS", 1, 9),
    ("2204.21.00", "Vino fino de mesa (Malbec), en recipientes de capacidad ≤ 2 l", "LITROS", 1, 6),
    ("1006.30.21", "Arroz semiblanqueado o blanqueado, pulido, de grano largo", "TONELADAS", 1000, 620),
    ("0903.00.90", "Yerba mate elaborada con palo, envases de 1 kg", "KILOGRAMOS", 1, 4),
    ("8433.51.00", "Cosechadoras-trilladoras autopropulsadas", "UNIDADES", 14500, 185000),
    ("5101.11.00", "Lana sucia esquilada, sin cardar ni peinar", "KILOGRAMOS", 1, 5),
    ("1507.10.00", "Aceite de soja en bruto, incluso desgomado", "TONELADAS", 1000, 980),
    (
        "8701.94.90",
        "Tractores de potencia superior a 75 kW pero inferior o igual a 130 kW",
        "UNIDADES",
        5200,
        64000,
    ),
)

_AGREEMENTS: dict[FormName, tuple[str, str]] = {
    "FormA18": ("A18", "ACE N° 18 — Mercado Común del Sur (MERCOSUR)"),
    "FormR252": ("R04", "Acuerdo Regional N° 4 — Preferencia Arancelaria Regional (Res. 252)"),
}
_RULES: dict[FormName, tuple[str, ...]] = {
    "FormA18": (
        "Decisión CMC N° 01/09, Art. 3, literal a) — totalmente obtenido",
        "Decisión CMC N° 01/09, Art. 3, literal c) — salto de partida",
        "Decisión CMC N° 01/09, Art. 3, literal d) — valor CIF de materiales no originarios ≤ 40 %",
    ),
    "FormR252": (
        "Resolución 252 del Comité de Representantes, Capítulo I, Art. Primero, literal a)",
        "Resolución 252, Capítulo I, Art. Primero, literal d) — cambio de partida",
        "Resolución 252, Capítulo I, Art. Primero, literal e) — valor CIF ≤ 50 % del FOB",
    ),
}
_AFFIDAVIT = (
    "Declaramos que las mercaderías descriptas cumplen las condiciones de origen establecidas "
    "en el Acuerdo y que los datos consignados son verdaderos."
)


def _local(country: str, moment: datetime) -> datetime:
    return moment.astimezone(timezone(timedelta(hours=_OFFSETS.get(country, 0))))


#: the exporter each country's demo names (example JSON, samples, demo PKI's exporter certificate)
_DEMO_EXPORTERS = {"AR": "Metalúrgica Río Cuarto S.A."}


def demo_exporter(country: str) -> str:
    """The business name of ``country``'s demo exporter: samples, examples and the demo PKI agree on it."""
    return _DEMO_EXPORTERS.get(country) or _COUNTRY.get(country, _GENERIC)[1][0]


def demo_issuing_entity(country: str) -> str:
    """The name of ``country``'s demo issuing entity (EHId 001) in samples and the demo PKI."""
    return _COUNTRY.get(country, _GENERIC)[3]


def _email(name: str) -> str:
    slug = "".join(ch for ch in name.lower().split()[0] if ch.isascii() and ch.isalpha()) or "ventas"
    return f"comex@{slug}.com"


def _party(rng: random.Random, country: str) -> tuple[str, str, str, str, str]:
    cities, companies, streets, _, phone, _domain = _COUNTRY.get(country, _GENERIC)
    name = rng.choice(companies)
    address = f"{rng.choice(streets)} {rng.randint(100, 4999)}, piso {rng.randint(1, 12)}"
    telephone = f"{phone} {rng.randint(4000, 4999)}-{rng.randint(1000, 9999)}"
    return name, address, rng.choice(cities), telephone, _email(name)


def sample_certificate(
    *,
    exporter_country: str = "AR",
    importer_country: str = "BR",
    eh_id: str = "001",
    form: FormName = "FormA18",
    cod_ver: str = "2.0.0",
    number: int = 1,
    goods: int = 1,
    seed: int = 0,
    when: datetime | None = None,
) -> Certificate:
    """A complete, schema-valid certificate (eh + certification filled, CertificateID composed)."""
    layout = layout_for(cod_ver, form)  # fails early for unsupported combinations
    if goods < 1:
        raise ValueError("a certificate needs at least one line of goods")
    key = f"{seed}/{number}/{exporter_country}/{importer_country}/{eh_id}/{form}/{cod_ver}"
    rng = random.Random(key)  # noqa: S311  # sample data, not security
    moment = (when or datetime.now(UTC)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    certified = _local(exporter_country, moment)
    declared = certified - timedelta(minutes=rng.randint(5, 90))
    invoiced = (declared - timedelta(days=rng.randint(1, 12))).replace(hour=0, minute=0, second=0)
    modern = form == "FormA18" and cod_ver.startswith("4.")

    _, ex_address, ex_city, ex_phone, _ = _party(rng, exporter_country)
    # the exporter is always the country's demo exporter: its certificate in the demo PKI names it
    ex_name = demo_exporter(exporter_country)
    ex_email = _email(ex_name)
    im_name, im_address, im_city, _, _ = _party(rng, importer_country)
    acronym, agreement_name = _AGREEMENTS[form]
    invoice_count = rng.randint(1, min(goods, 3))
    invoices = tuple(
        Invoice(
            order_no=None if modern else i,
            number=f"{rng.randint(1, 9):04d}-{rng.randint(1, 99_999_999):08d}",
            date=None if form == "FormR252" and rng.random() < 0.5 else invoiced,
        )
        for i in range(1, invoice_count + 1)
    )
    lines = []
    for i in range(1, goods + 1):
        code, name, unit, unit_weight, unit_price = rng.choice(_CATALOG)
        quantity = rng.randint(1, 40)
        weight = Decimal(unit_weight * quantity) + Decimal(rng.randint(0, 9999)) / 10_000
        value = Decimal(unit_price * quantity * rng.randint(90, 110)) / 100
        lines.append(
            Goods(
                order_no=i,
                invoice_order_no=None if modern else ((i - 1) % invoice_count) + 1,
                item_code=code,
                item_name=name,
                weight_amount=weight,
                measure_unit=unit,
                value=None if form == "FormR252" else value,
                origin_rules=rng.choice(_RULES[form]),
                declaration_date=declared if (modern or rng.random() < 0.5) else None,
                declaration_number=rng.randint(1, 99_999) if modern else None,
            )
        )
    _, _, _, eh_name, eh_phone, eh_domain = _COUNTRY.get(exporter_country, _GENERIC)
    certificate_id = CertificateID.compose(
        country=exporter_country, eh_id=eh_id, acronym=acronym, year=certified.year, number=number
    )
    has_third = rng.random() < 0.25
    return Certificate(
        cod_ver=cod_ver,
        submitter_type="EXP",
        agreement=Agreement(name=agreement_name, acronym=acronym),
        form=form,
        exporter=Exporter(
            country=exporter_country,
            business_name=ex_name,
            address=ex_address,
            city=ex_city if (modern or form == "FormR252") else None,
            telephone=ex_phone,
            email=ex_email,
            url=None if modern else f"https://www.{ex_email.split('@')[1]}",
        ),
        subscriber=Subscriber(
            submitter_name=rng.choice(("María José Fernández", "João Gonçalves", "Martín Núñez"))
        )
        if modern
        else None,
        invoices=invoices,
        goods=tuple(lines),
        importer=Importer(country=importer_country, business_name=im_name, address=im_address, city=im_city),
        consignee=Consignee(country=importer_country, business_name=im_name, address=im_address, city=im_city)
        if form == "FormA18" and not modern and rng.random() < 0.5
        else None,
        transport=None
        if form == "FormR252"
        else Transport(
            port_of_loading=rng.choice(
                ("Buenos Aires", "Santos", "Montevideo", "Paso de los Libres", "Foz do Iguaçu")
            ),
            means=None if modern else rng.choice(("Marítimo", "Terrestre", "Aéreo", "Fluvial")),
            country_destination=None if modern else importer_country,
        ),
        comments=Comments(
            general=f"Embarque parcial {rng.randint(1, 4)} de {rng.randint(4, 6)}.",
            third_operator=ThirdOperator(statement=True, country="PA", business_name="Trading Istmo S.A.")
            if has_third and form == "FormA18"
            else None,
            hs_version="NCM 2022 (SA 2022)" if form == "FormA18" else None,
        ),
        declaration=Declaration(
            date=declared, request_no=None if modern else rng.randint(1, 99_999), affidavit=_AFFIDAVIT
        ),
        eh=EH(
            id=eh_id,
            country=exporter_country,
            name=eh_name,
            address=f"{rng.choice(_COUNTRY.get(exporter_country, _GENERIC)[2])} {rng.randint(100, 999)}",
            city=_COUNTRY.get(exporter_country, _GENERIC)[0][0],
            telephone=f"{eh_phone} {rng.randint(5000, 5999)}-{rng.randint(1000, 9999)}",
            email=f"cod@{eh_domain}",
            url=f"https://www.{eh_domain}",
            comments="Certificado emitido en forma digital." if layout.cod_ver.startswith("4.") else None,
        ),
        certification=Certification(
            control_code=f"{rng.getrandbits(64):016X}", date=certified, certificate_id=certificate_id
        ),
    )
