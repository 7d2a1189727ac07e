"""Memoising a function of a long-lived object by the object's identity (signer certificates above all).

``functools.lru_cache`` hashes its arguments on every call, and a certificate hashes its whole DER
encoding (about 2 µs); the few signers of a federation come back on every document as the very same
objects (KeyInfo is read once per certificate text), so a lookup by ``id`` is enough. Each entry
keeps its object alive, so an ``id`` in the table always belongs to the object stored with it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Concatenate, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


def by_identity(
    maxsize: int = 1024,
) -> Callable[[Callable[Concatenate[T, P], R]], Callable[Concatenate[T, P], R]]:
    """Memoise ``function(obj, *args)`` per (identity of ``obj``, ``args``); the oldest entry goes first.

    ``function`` must depend only on its arguments, ``obj`` must be immutable and ``args`` hashable.
    """

    def decorate(function: Callable[Concatenate[T, P], R]) -> Callable[Concatenate[T, P], R]:
        table: dict[tuple[int, tuple[Hashable, ...]], tuple[T, R]] = {}
        lock = threading.Lock()

        @functools.wraps(function)
        def memoised(obj: T, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if kwargs:
                return function(obj, *args, **kwargs)
            key = (id(obj), args)
            entry = table.get(key)
            if entry is not None and entry[0] is obj:
                return entry[1]
            result = function(obj, *args, **kwargs)
            with lock:
                if len(table) >= maxsize:
                    table.pop(next(iter(table)))
                table[key] = (obj, result)
            return result

        memoised.cache_clear = table.clear  # type: ignore[attr-defined]  # like functools' caches
        return memoised

    return decorate
