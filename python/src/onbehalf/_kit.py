"""The embedding kit: the default policy module's ``kit_*`` exports (docs/policy-abi.md §11).
Everything the Python host knows about the ABI and the spec comes from here — the export
tables, the default limits, the fault names, a request's validation and encoding, the check
of a module's answer against the reference engine and the fail-closed answer — so it runs
the very code of the Rust host and re-implements nothing."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import wasmtime

from . import _wasm

# The kit is the trusted default module; its calls are bounded all the same: fuel for a
# base plus a share per input byte (a JSON request costs the parser well under this).
KIT_FUEL = 100_000_000
KIT_FUEL_PER_BYTE = 100_000
KIT_MEMORY = 1 << 30
KIT_STACK = 1 << 20

# `kit_prepare`'s first byte (policy-module/src/kit.rs).
PREPARED_ERROR, PREPARED_PACKED, PREPARED_RECORD = 0, 1, 2


class OnbehalfError(ValueError):
    """An invalid request (or a refused module): ``code`` is the spec's error code, the
    message names the field and the accepted values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def default_module() -> bytes:
    """The embedded default policy module (the reference engine, and this kit)."""
    return resources.files("onbehalf").joinpath("policy.wasm").read_bytes()


def compact(value: Any) -> bytes:
    """JSON text as the core reads it (UTF-8, no NaN)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class Prepared:
    """A valid request, encoded for a module: packed (hop-free) or a request record; with
    hops also its canonical JSON (what an ABI v1 module's ``explain`` is given)."""

    def __init__(self, text: bytes, kind: int, v1: bool, payload: bytes, canonical: bytes) -> None:
        self.text = text
        self.kind = kind
        self.v1 = v1
        self.payload = payload
        self.canonical = canonical

    @property
    def packed(self) -> int:
        return int.from_bytes(self.payload, "little", signed=True)


class Kit:
    """One instance of the default module, used for its ``kit_*`` exports."""

    def __init__(self) -> None:
        self.engine = _wasm.engine(KIT_STACK)
        self.module = wasmtime.Module(self.engine, default_module())
        self.live = _wasm.Live(self.engine, self.module, KIT_MEMORY, KIT_MEMORY, KIT_FUEL)
        self.contract: Dict[str, Any] = json.loads(self.call("kit_contract", b""))
        self.faults: Dict[str, str] = {f["name"]: f["reason"] for f in self.contract["faults"]}

    def call(self, name: str, data: bytes) -> bytes:
        try:
            return self.live.kit_call(name, data, KIT_FUEL + KIT_FUEL_PER_BYTE * len(data))
        except _wasm.Fault as fault:
            # Its memory may be in any state: a fresh instance for the next call.
            self.live = _wasm.Live(self.engine, self.module, KIT_MEMORY, KIT_MEMORY, KIT_FUEL)
            raise OnbehalfError(
                "invalid-request", f"request: more than the engine reads within its limits ({fault.name})"
            ) from None

    def prepare(self, request: Any) -> Prepared:
        """Validates ``request`` (the spec's checks, in its order) and encodes it; raises
        :class:`OnbehalfError` for an invalid one."""
        text = self._text(request)
        return self._prepared(text, self.call("kit_prepare", text))

    @staticmethod
    def _text(request: Any) -> bytes:
        try:
            return compact(request)
        except (TypeError, ValueError, RecursionError) as error:
            raise OnbehalfError("invalid-json", f"request: not JSON-like data ({error})") from None

    @staticmethod
    def _prepared(text: bytes, out: bytes) -> Prepared:
        if not out or out[0] == PREPARED_ERROR:
            error = json.loads(out[1:])["error"] if out else {"code": "invalid-request", "message": "request: no answer"}
            raise OnbehalfError(error["code"], error["message"])
        length = int.from_bytes(out[2:6], "little")
        return Prepared(text, out[0], out[1] == 1, out[6 : 6 + length], out[6 + length :])

    def prepare_many(self, requests: List[Any]) -> List[Union[Prepared, OnbehalfError]]:
        """:meth:`prepare` of each request, in one kit call; an invalid one is its error
        (each request is read on its own: one bad item spoils nothing else)."""
        items: List[Union[bytes, OnbehalfError]] = []
        for request in requests:
            try:
                items.append(self._text(request))
            except OnbehalfError as error:
                items.append(error)
        texts = [t for t in items if isinstance(t, bytes)]
        out = self.call("kit_prepare_many", b"".join(len(t).to_bytes(4, "little") + t for t in texts)) if texts else b""
        answers: List[Union[Prepared, OnbehalfError]] = []
        at = 0
        for text in texts:
            length = int.from_bytes(out[at : at + 4], "little")
            try:
                answers.append(self._prepared(text, out[at + 4 : at + 4 + length]))
            except OnbehalfError as error:
                answers.append(error)
            at += 4 + length
        if at != len(out) or len(answers) != len(texts):
            raise OnbehalfError("invalid-request", "request: the engine answered another number of requests")
        prepared = iter(answers)
        return [next(prepared) if isinstance(t, bytes) else t for t in items]

    def answer(
        self,
        prepared: Prepared,
        version: int,
        reasons: List[str],
        answer: Mapping[str, Any],
    ) -> Tuple[Dict[str, Any], Optional[str]]:
        """A module's answer (``packed``, ``record``, ``json`` or ``fault``) to a prepared
        request, checked: the decision and ``None``, or the fail-closed decision and the
        fault's name."""
        head = b'{"request":' + prepared.text + b',"version":' + str(version).encode()
        body = compact({"reasons": reasons, **answer})[1:]
        out = json.loads(self.call("kit_answer", head + b"," + body))
        return out["decision"], out["fault"]

    def answers(
        self,
        items: List[Tuple[Prepared, Mapping[str, Any]]],
        version: int,
        reasons: List[str],
    ) -> List[Tuple[Dict[str, Any], Optional[str]]]:
        """:meth:`answer` of many (request, answer) pairs of one module, in one kit call."""
        head = b'{"version":' + str(version).encode() + b',"reasons":' + compact(reasons) + b',"items":['
        body = b",".join(b'{"request":' + p.text + b"," + compact(a)[1:] for p, a in items)
        out = json.loads(self.call("kit_answers", head + body + b"]}"))
        return [(o["decision"], o["fault"]) for o in out]

    def explain(self, request: Any) -> Dict[str, Any]:
        out = json.loads(self.call("kit_explain", compact(request)))
        if "error" in out and len(out) == 1:
            raise OnbehalfError(out["error"]["code"], out["error"]["message"])
        return out

    def catalog(self) -> Dict[str, Any]:
        """The catalog: the request's fields, levels, reaches, reason and error codes."""
        return json.loads(self.call("kit_catalog", b""))

    def reasons(self, text: bytes) -> List[str]:
        """A module's own reason codes, checked as the Rust host checks them; raises
        ``ValueError`` with the reason for a bad catalog."""
        out = json.loads(self.call("kit_reasons", text))
        if "refused" in out:
            raise ValueError(out["refused"])
        return list(out["codes"])
