"""The COD as one typed pydantic model, checked against the layout of its form and CODVer.

The common parts are typed (exporter, importer, invoices, goods, declaration, EH, certification);
every other element of the form (producers' confidentiality, representative, FOB values, country
of origin, …) is carried as an extra JSON field under its derived name, converted and checked by
the facets the official XSD gives it. Nothing the XSD defines is lost.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from singlewindow.cod.layouts import FormLayout, Group, Leaf, Node, Repeated, find_layout, unknown_message
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
from singlewindow.cod.types import CODVersion, FormTag, SubmitterType
from singlewindow.cod.values import check, convert

# Fields of Certificate outside the form body: never reported as "not used by this form".
_HEAD = frozenset({"cod_ver", "submitter_type", "agreement", "form", "eh", "certification"})


class Certificate(BaseModel):
    """An ALADI certificate of origin: the exporter's request (COD), and optionally the EH's certification.

    ``eh`` and ``certification`` are filled by the issuing entity; a request without them is
    complete as far as the exporter is concerned. Which body fields are allowed and required
    depends on ``form`` and ``cod_ver`` (see :mod:`singlewindow.cod.layouts`).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    cod_ver: CODVersion
    submitter_type: SubmitterType = "EXP"
    agreement: Agreement
    form: FormTag
    exporter: Exporter
    subscriber: Subscriber | None = None
    producers: tuple[Producer, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    goods: tuple[Goods, ...]  # at least one: the layout says so (GoodsList/Goods minOccurs)
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
        found = find_layout(self.cod_ver, self.form)
        if found is None:
            raise KeyError(unknown_message(self.cod_ver, self.form))
        return found

    @property
    def extras(self) -> dict[str, Any]:
        """The form-specific fields of the form body that have no typed attribute."""
        return dict(self.__pydantic_extra__ or {})

    @model_validator(mode="after")
    def _fits_layout(self) -> Certificate:
        layout = find_layout(self.cod_ver, self.form)
        if layout is None:
            raise ValueError(unknown_message(self.cod_ver, self.form))
        where = f"{self.form} at CODVer {self.cod_ver}"
        errors = _check(self, layout.body, "", where, ignore=_HEAD)
        if self.eh is not None:
            errors += _check(self.eh, layout.eh, "eh.", where)
        if self.certification is not None:
            errors += _check(self.certification, layout.certification, "certification.", where)
        if errors:
            raise ValueError("; ".join(errors))
        return self


def _present(value: object) -> bool:
    return value is not None and value != () and value != []


def get(obj: object, attr: str) -> Any:
    """A field of a part (typed or extra) or of a plain dict; None when absent."""
    if isinstance(obj, BaseModel):
        if attr in type(obj).model_fields:
            return getattr(obj, attr)
        return (obj.__pydantic_extra__ or {}).get(attr)
    if isinstance(obj, dict):
        return obj.get(attr)
    return None


def _is_typed(obj: object, attr: str) -> bool:
    return isinstance(obj, BaseModel) and attr in type(obj).model_fields


def _store(obj: object, attr: str, value: object) -> None:
    if isinstance(obj, BaseModel):
        extra = obj.__pydantic_extra__
        assert extra is not None
        extra[attr] = value
    elif isinstance(obj, dict):
        obj[attr] = value


def _names(obj: object) -> list[str]:
    if isinstance(obj, BaseModel):
        return [*type(obj).model_fields, *(obj.__pydantic_extra__ or {})]
    if isinstance(obj, dict):
        return [str(k) for k in obj]
    return []


def _check(
    obj: object, nodes: tuple[Node, ...], path: str, where: str, *, ignore: frozenset[str] = frozenset()
) -> list[str]:
    errors: list[str] = []
    used = set(ignore)
    for node in nodes:
        used.add(node.attr)
        here = f"{path}{node.attr}"
        value = get(obj, node.attr)
        typed = _is_typed(obj, node.attr)
        if not _present(value):
            empty_list_ok = isinstance(node, Repeated) and node.min_items == 0 and value is not None
            if node.required and not empty_list_ok:
                errors.append(f"{here} is required in {where}")
            continue
        if isinstance(node, Leaf):
            if not typed:
                try:
                    value = convert(value, node.facets)
                except ValueError as exc:
                    errors.append(f"{here} {exc}")
                    continue
                _store(obj, node.attr, value)
            if isinstance(value, BaseModel | dict | list | tuple):
                errors.append(f"{here} must be a single value")
                continue
            why = check(value, node.facets)
            if why:
                errors.append(f"{here} {why} (in {where})")
        elif isinstance(node, Group):
            if not isinstance(value, BaseModel | dict):
                errors.append(f"{here} must be an object")
                continue
            errors += _check(value, node.children, f"{here}.", where)
        else:
            if not isinstance(value, list | tuple):
                errors.append(f"{here} must be a list")
                continue
            if len(value) < node.min_items:
                errors.append(f"{here} needs at least {node.min_items} item(s) in {where}")
            items = list(value)
            for index, item in enumerate(items):
                at = f"{here}[{index}]"
                if node.item is not None:
                    try:
                        items[index] = convert(item, node.item)
                    except ValueError as exc:
                        errors.append(f"{at} {exc}")
                        continue
                    why = check(items[index], node.item)
                    if why:
                        errors.append(f"{at} {why} (in {where})")
                elif isinstance(item, BaseModel | dict):
                    errors += _check(item, node.children, f"{at}.", where)
                else:
                    errors.append(f"{at} must be an object")
            if not typed:
                _store(obj, node.attr, tuple(items))
    for name in _names(obj):
        if name not in used and _present(get(obj, name)):
            errors.append(f"{path}{name} is not used in {where}")
    return errors
