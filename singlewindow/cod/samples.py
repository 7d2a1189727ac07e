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

# (HS code, description, unit, smallest and largest quantity of one shipment line in that unit,
# unit price in USD): quantities are counted in the line's own unit, as GoodsItemWeightAmount is
_CATALOG = (
    (
        "8408.90.90",
        "Motores de émbolo (pistón) de encendido por compresión (diésel o semidiésel)",
        "UNIDADES",
        2,
        40,
        6681,
    ),
    (
        "4107.12.20",
        "Cueros y pieles curtidos de bovino, plena flor sin dividir, teñidos",
        "KILOGRAMOS",
        2_000,
        18_000,
        14,
    ),
    ("0901.21.00", "Café tostado sin descafeinar, en grano", "KILOGRAMOS", 1_000, 15_000, 9),
    (
        "2204.21.00",
        "Vino fino de mesa (Malbec), en recipientes de capacidad ≤ 2 l",
        "LITROS",
        2_000,
        9_000,
        6,
    ),
    ("1006.30.21", "Arroz semiblanqueado o blanqueado, pulido, de grano largo", "TONELADAS", 25, 500, 620),
    ("0903.00.90", "Yerba mate elaborada con palo, envases de 1 kg", "KILOGRAMOS", 5_000, 24_000, 4),
    ("8433.51.00", "Cosechadoras-trilladoras autopropulsadas", "UNIDADES", 1, 6, 185000),
    ("5101.11.00", "Lana sucia esquilada, sin cardar ni peinar", "KILOGRAMOS", 5_000, 20_000, 5),
    ("1507.10.00", "Aceite de soja en bruto, incluso desgomado", "TONELADAS", 100, 2_000, 980),
    (
        "8701.94.90",
        "Tractores de potencia superior a 75 kW pero inferior o igual a 130 kW",
        "UNIDADES",
        1,
        12,
        64000,
    ),
)
#: decimals a quantity carries in each unit (whole machines, kilograms to the gram, …)
_UNIT_DECIMALS = {"UNIDADES": 0, "KILOGRAMOS": 2, "LITROS": 1, "TONELADAS": 3}

# where goods leave each exporting country, with the means of transport of that place
_PORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "AR": (
        ("Buenos Aires", "Marítimo"),
        ("Rosario", "Fluvial"),
        ("Bahía Blanca", "Marítimo"),
        ("Paso de los Libres", "Terrestre"),
        ("Aeropuerto Internacional de Ezeiza", "Aéreo"),
    ),
    "BR": (
        ("Santos", "Marítimo"),
        ("Paranaguá", "Marítimo"),
        ("Rio Grande", "Marítimo"),
        ("Uruguaiana", "Terrestre"),
    ),
    "UY": (("Montevideo", "Marítimo"), ("Nueva Palmira", "Fluvial"), ("Fray Bentos", "Terrestre")),
    "PY": (("Villeta", "Fluvial"), ("Asunción", "Fluvial"), ("Ciudad del Este", "Terrestre")),
    "CL": (("Valparaíso", "Marítimo"), ("San Antonio", "Marítimo"), ("Los Andes", "Terrestre")),
    "BO": (("Puerto Quijarro", "Fluvial"), ("Desaguadero", "Terrestre")),
    "PE": (("Callao", "Marítimo"), ("Paita", "Marítimo")),
    "CO": (("Cartagena", "Marítimo"), ("Buenaventura", "Marítimo")),
    "EC": (("Guayaquil", "Marítimo"), ("Manta", "Marítimo")),
    "VE": (("Puerto Cabello", "Marítimo"), ("La Guaira", "Marítimo")),
    "MX": (("Veracruz", "Marítimo"), ("Manzanillo", "Marítimo")),
    "PA": (("Balboa", "Marítimo"), ("Manzanillo (Colón)", "Marítimo")),
    "CU": (("Mariel", "Marítimo"), ("La Habana", "Marítimo")),
}

#: the demo issuing entity's officials (EHId 001): (active, revoked), real-looking names per country
_OFFICIALS: dict[str, tuple[str, str]] = {
    "AR": ("Lucía Belén Fernández", "Jorge Alberto Castillo"),
    "BR": ("Ana Paula Ribeiro", "Carlos Eduardo Moura"),
    "UY": ("María Noel Pereira", "Diego Sosa Acosta"),
    "PY": ("Rosa Elena Benítez", "Hugo Ramón Giménez"),
    "CL": ("Camila Andrea Soto", "Rodrigo Muñoz Vera"),
    "BO": ("Carmen Rosa Quispe", "Luis Fernando Mamani"),
    "PE": ("Patricia Huamán Rojas", "José Luis Paredes"),
    "CO": ("Natalia Restrepo Gómez", "Andrés Felipe Ospina"),
    "EC": ("Gabriela Cevallos Mora", "Fernando Andrade Vélez"),
    "VE": ("Mariela Rodríguez Silva", "Rafael Ángel Pérez"),
    "MX": ("Guadalupe Hernández Ortiz", "Miguel Ángel Ramírez"),
    "PA": ("Itzel Castillo de León", "Ricardo Arosemena Díaz"),
    "CU": ("Yamilé Fernández Pérez", "Osvaldo Díaz Rivero"),
}

#: the demo issuing entity's seat: (street address, city)
_ENTITY_SEATS: dict[str, tuple[str, str]] = {
    "AR": ("Av. Leandro N. Alem 1067, piso 11", "Buenos Aires"),
    "BR": ("Avenida Paulista 1313, 9º andar", "São Paulo"),
    "UY": ("Av. de las Leyes s/n, Palacio Legislativo", "Montevideo"),
    "PY": ("Avda. Mariscal López 3333", "Asunción"),
}

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


def demo_official(country: str, *, status: str = "active") -> str:
    """The name of ``country``'s demo official of entity 001 (``active`` or ``revoked``) in the demo PKI."""
    active, revoked = _OFFICIALS.get(country, ("Laura Méndez", "Tomás Herrera"))
    return revoked if status == "revoked" else active


def demo_issuing_entity_seat(country: str) -> dict[str, str]:
    """Where ``country``'s demo issuing entity sits: address, city, telephone, email, url."""
    cities, _, streets, _, phone, domain = _COUNTRY.get(country, _GENERIC)
    address, city = _ENTITY_SEATS.get(country, (f"{streets[0]} 1250", cities[0]))
    return {
        "address": address,
        "city": city,
        "telephone": f"{phone} 5219-4400",
        "email": f"cod@{domain}",
        "url": f"https://www.{domain}",
    }


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
        code, name, unit, smallest, largest, unit_price = rng.choice(_CATALOG)
        places = _UNIT_DECIMALS[unit]
        weight = Decimal(rng.randint(smallest * 10**places, largest * 10**places)).scaleb(-places)
        value = (weight * unit_price * rng.randint(90, 110) / 100).quantize(Decimal("0.01"))
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
    eh_name = demo_issuing_entity(exporter_country)
    seat = demo_issuing_entity_seat(exporter_country)
    port, means = rng.choice(_PORTS.get(exporter_country, (("Puerto Principal", "Marítimo"),)))
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
            port_of_loading=port,
            means=None if modern else means,
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
            address=seat["address"],
            city=seat["city"],
            telephone=seat["telephone"],
            email=seat["email"],
            url=seat["url"],
            comments="Certificado emitido en forma digital." if layout.cod_ver.startswith("4.") else None,
        ),
        certification=Certification(
            control_code=f"{rng.getrandbits(64):016X}", date=certified, certificate_id=certificate_id
        ),
    )
