"""onbehalf: when a client calls a Windows server at impersonation level X over transport Y,
what may the server do as that client, and how far can that identity travel?

``decide`` answers with the effective level, the reach (none / local / network / multi-hop),
a verdict per onward hop and the spec's reason codes; ``explain`` adds every rule that fired
with its sources. Both run onbehalf's own engine (its default policy module, WebAssembly,
under wasmtime). ``PolicyHost`` hosts any policy module — yours included — with the same load
checks, fuel and memory limits, ceiling check and fail-closed answers as the Rust host.

Invalid requests raise :class:`OnbehalfError`, whose ``code`` is the spec's error code.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ._host import PolicyHost, PolicyRejected
from ._kit import OnbehalfError
from ._version import __version__

__all__ = [
    "OnbehalfError",
    "PolicyHost",
    "PolicyRejected",
    "__version__",
    "catalog",
    "decide",
    "decide_many",
    "explain",
]

_default: Optional[PolicyHost] = None
_default_lock = threading.Lock()


def _host() -> PolicyHost:
    global _default
    with _default_lock:
        if _default is None:
            _default = PolicyHost()
        return _default


def decide(request: Mapping[str, Any]) -> Dict[str, Any]:
    """The decision for one request (a dict in the spec's JSON shape):
    ``{"effective", "reach", "reasons", "hops"}``. Raises :class:`OnbehalfError`."""
    return _host().decide(request)


def decide_many(requests: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """One answer per request, in order: the decision, or the error object for an invalid
    one (no exception)."""
    return _host().decide_many(requests)


def explain(request: Mapping[str, Any]) -> Dict[str, Any]:
    """The decision with every step that fired (rule, sources) and each hop's row. Raises
    :class:`OnbehalfError`."""
    return _host().explain(request)


def catalog() -> Dict[str, Any]:
    """The catalog: the request's fields (kinds, values, defaults), the levels and reaches,
    every reason and error code with its rule and sources."""
    return _host().catalog()
