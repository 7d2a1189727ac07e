"""The public API of singlewindow.cod."""

from __future__ import annotations

import singlewindow.cod as cod


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, every name in it exists, and every public re-export is listed."""
    assert cod.__all__ == sorted(cod.__all__, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(cod, name) for name in cod.__all__)
    public = {n for n in vars(cod) if not n.startswith("_")} - {
        "certificate_id",
        "derive",
        "generate",
        "layouts",
        "model",
        "parts",
        "samples",
        "schemas",
        "types",
        "values",
        "xml",
        "annotations",
    }
    assert public == set(cod.__all__)
