"""The COD as one typed pydantic model, checked against the layout of its form and CODVer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from singlewindow.cod.layouts import FormLayout, FormName, Group, Node, Repeated, layout_for
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
    Producer,
    Subscriber,
    Transport,
)
from singlewindow.cod.types import CODVersion, SubmitterType

# Fields of Certificate outside the form body: never reported as "not used by this form".
_HEAD = frozenset({"cod_ver", "submitter_type", "agreement", "form", "eh", "certification"})


class Certificate(BaseModel):
    """An ALADI certificate of origin: the exporter's request (COD), and optionally the EH's certification.

    ``eh`` and ``certification`` are filled by the issuing entity; a request without them is
    complete as far as the exporter is concerned. Which body fields are allowed and required
    depends on ``form`` and ``cod_ver`` (see :mod:`singlewindow.cod.layouts`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cod_ver: CODVersion
    submitter_type: SubmitterType = "EXP"
    agreement: Agreement
    form: FormName
    exporter: Exporter
    subscriber: Subscriber | None = None
    producers: tuple[Producer, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    goods: Annotated[tuple[Goods, ...], Field(min_length=1)]
    importer: Importer
    consignee: Consignee | None = None
    transport: Transport | None = None
    comments: Comments | None = None
    declaration: Declaration
    eh: EH | None = None
    certification: Certification | None = None

    @property
    def layout(self) -> FormLayout:
        """The XML layout of this certificate's form at its CODVer."""
        return layout_for(self.cod_ver, self.form)

    @model_validator(mode="after")
    def _fits_layout(self) -> Certificate:
        try:
            layout = layout_for(self.cod_ver, self.form)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        where = f"{self.form} at CODVer {self.cod_ver}"
        errors = _check(self, layout.body, "", where, ignore=_HEAD)
        if self.eh is not None:
            errors += _check(self.eh, layout.eh, "eh.", where)
        if errors:
            raise ValueError("; ".join(errors))
        return self


def _present(value: object) -> bool:
    return value is not None and value != ()


def _check(
    obj: BaseModel, nodes: tuple[Node, ...], path: str, where: str, *, ignore: frozenset[str] = frozenset()
) -> list[str]:
    errors: list[str] = []
    used = set(ignore)
    for node in nodes:
        used.add(node.attr)
        value = getattr(obj, node.attr)
        if not _present(value):
            if node.required:
                errors.append(f"{path}{node.attr} is required in {where}")
            continue
        if isinstance(node, Group):
            assert isinstance(value, BaseModel)
            errors += _check(value, node.children, f"{path}{node.attr}.", where)
        elif isinstance(node, Repeated):
            assert isinstance(value, tuple)
            for index, item in enumerate(value):
                errors += _check(item, node.children, f"{path}{node.attr}[{index}].", where)
    for name in type(obj).model_fields:
        if name not in used and _present(getattr(obj, name)):
            errors.append(f"{path}{name} is not used in {where}")
    return errors
