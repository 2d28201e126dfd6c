"""The policy host: loads a policy module (the embedded default or anyone's, ABI v1 or v2),
validates it as the Rust host does, and runs every decision in the sandbox under fuel and
memory limits, failing closed on any fault — including an answer that grants more than the
reference engine. What is checked and how an answer is rendered comes from the kit."""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import wasmtime

from . import _wasm
from ._kit import PREPARED_PACKED, Kit, OnbehalfError, Prepared, default_module

# Requests per kit and module call in `decide_many`.
CHUNK = 1024

ModuleSource = Union[bytes, bytearray, str, "os.PathLike[str]", None]


class PolicyRejected(OnbehalfError):
    """A module refused at load: ``reason`` names the check (``invalid``, ``import``,
    ``missing-export``, ``wrong-signature``, ``abi-version``, ``instantiate``, ``reasons``,
    ``smoke-test``, ``too-large``, the Rust host's names); the current module stays."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__("policy-rejected", f"policy-rejected ({reason}): {message}")
        self.reason = reason


class _Loaded:
    def __init__(self, module: wasmtime.Module, version: int, reasons: List[str], size: int, source: str) -> None:
        self.module = module
        self.version = version
        self.reasons = reasons
        self.size = size
        self.source = source


def _read(module: ModuleSource) -> Tuple[bytes, str]:
    if module is None:
        return default_module(), "embedded default"
    if isinstance(module, (bytes, bytearray)):
        return bytes(module), "bytes"
    path = os.fspath(module)
    try:
        with open(path, "rb") as f:
            return f.read(), path
    except OSError as error:
        raise PolicyRejected("io", f"cannot read policy module {path}: {error}") from None


class PolicyHost:
    """A loaded policy module and everything needed to ask it. Thread-safe (calls are
    serialised: one instance, like one worker of the Rust host).

    ``limits`` overrides the kit contract's defaults by name (``decide_fuel``,
    ``max_memory_bytes``, …)."""

    def __init__(self, module: ModuleSource = None, *, limits: Optional[Mapping[str, int]] = None) -> None:
        self._kit = Kit()
        self.limits: Dict[str, int] = dict(self._kit.contract["limits"])
        for name, value in (limits or {}).items():
            if name not in self.limits:
                accepted = ", ".join(sorted(self.limits))
                raise ValueError(f"limits: unknown limit {name!r}; expected one of {accepted}")
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limits.{name}: expected a positive integer, found {value!r}")
            self.limits[name] = value
        self._engine = _wasm.engine(self.limits["max_stack_bytes"])
        self._lock = threading.Lock()
        self._live: Optional[_wasm.Live] = None
        self._counters: Dict[str, Any] = {
            "decisions": 0,
            "faults": {name: 0 for name in self._kit.faults},
            "reloads": 0,
            "reload_failures": 0,
        }
        data, source = _read(module)
        self._policy = self._load(data, source)
        self.generation = 1

    # ---- loading ---------------------------------------------------------------------------

    def _check_exports(self, module: wasmtime.Module, exports: Iterable[Mapping[str, str]], required: bool) -> None:
        found = {e.name: e.type for e in module.exports}
        for export in exports:
            name, expected = export["name"], export["signature"]
            kind = found.get(name)
            if kind is None:
                if required:
                    raise PolicyRejected("missing-export", f"policy module has no export `{name}` (required by its policy ABI version)")
                continue
            actual = _wasm.signature(kind) if isinstance(kind, wasmtime.FuncType) else "not a function"
            if actual != expected:
                raise PolicyRejected("wrong-signature", f"policy module export `{name}` is {actual}; the policy ABI requires {expected}")

    def _load(self, data: bytes, source: str) -> _Loaded:
        contract, limits = self._kit.contract, self.limits
        if len(data) > limits["max_module_bytes"] and source != "embedded default":
            raise PolicyRejected("too-large", f"policy module is {len(data)} bytes; the limit is {limits['max_module_bytes']}")
        try:
            module = wasmtime.Module(self._engine, data)
        except wasmtime.WasmtimeError as error:
            raise PolicyRejected("invalid", f"not a valid WebAssembly module: {error}") from None
        for imported in module.imports:
            raise PolicyRejected("import", f"policy module imports {imported.module}::{imported.name}; the policy ABI grants no imports")
        memory = {e.name: e.type for e in module.exports}.get(contract["memory"])
        if memory is None:
            raise PolicyRejected("missing-export", f"policy module has no export `{contract['memory']}`")
        if not isinstance(memory, wasmtime.MemoryType):
            raise PolicyRejected("wrong-signature", f"policy module export `{contract['memory']}` is not a memory")
        self._check_exports(module, contract["exports_v1"][:1], True)
        try:
            live = _wasm.Live(self._engine, module, limits["max_memory_bytes"], limits["max_answer_bytes"], limits["load_fuel"])
            version = live.call("onbehalf_abi_version", limits["load_fuel"])
        except _wasm.Fault as fault:
            raise PolicyRejected("instantiate", f"policy module failed at load: {fault.name}") from None
        if version not in contract["versions"]:
            raise PolicyRejected("abi-version", f"policy module implements ABI version {version}; this host speaks versions 1 and 2")
        self._check_exports(module, contract[f"exports_v{version}"], True)
        reasons: List[str] = []
        if version == 2:
            self._check_exports(module, contract["optional_v2"], False)
            reasons = self._own_reasons(live)
        prepared = self._kit.prepare({"level": "impersonation"})
        try:
            raw = live.call("decide", limits["load_fuel"], prepared.packed)
        except _wasm.Fault as fault:
            raise PolicyRejected("instantiate", f"policy module failed at load: decide: {fault.name}") from None
        _, fault_name = self._kit.answer(prepared, version, reasons, {"packed": raw})
        if fault_name == "malformed-answer":
            raise PolicyRejected("smoke-test", f"policy module's decide({prepared.packed}) returned {raw}, which is not a well-formed decision")
        return _Loaded(module, version, reasons, len(data), source)

    def _own_reasons(self, live: _wasm.Live) -> List[str]:
        if live.export("policy_reasons") is None:
            return []
        try:
            packed = live.call("policy_reasons", self.limits["load_fuel"])
            address, length = (packed >> 32) & 0xFFFFFFFF, packed & 0xFFFFFFFF
            if length > self.limits["max_answer_bytes"]:
                raise _wasm.Fault("malformed-answer")
            text = live.read(address, length)
        except _wasm.Fault as fault:
            # A call that faults is `instantiate` (as in the Rust host); an answer outside
            # memory or too long is a bad catalog.
            name = "reasons" if fault.name == "malformed-answer" else "instantiate"
            raise PolicyRejected(name, f"policy_reasons: {fault.name}") from None
        try:
            return self._kit.reasons(text)
        except ValueError as why:
            raise PolicyRejected("reasons", f"policy module's own reason codes are not valid: {why}") from None

    def reload(self, module: ModuleSource) -> Dict[str, Any]:
        """Replaces the module between calls; a module that fails any load check raises
        :class:`PolicyRejected` and the current one stays."""
        data, source = _read(module)
        with self._lock:
            try:
                loaded = self._load(data, source)
            except PolicyRejected:
                self._counters["reload_failures"] += 1
                raise
            self._policy, self._live = loaded, None
            self.generation += 1
            self._counters["reloads"] += 1
            return self.info

    # ---- deciding --------------------------------------------------------------------------

    def _instance(self) -> _wasm.Live:
        if self._live is None:
            limits = self.limits
            self._live = _wasm.Live(self._engine, self._policy.module, limits["max_memory_bytes"], limits["max_answer_bytes"], limits["load_fuel"])
        return self._live

    def _module_answer(self, prepared: Prepared) -> Dict[str, Any]:
        """Asks the module: ``decide`` for a hop-free request, ``decide_records`` (ABI v2) or
        the JSON ``explain`` (ABI v1) for one with hops."""
        limits, policy = self.limits, self._policy
        live = self._instance()
        if prepared.kind == PREPARED_PACKED:
            return {"packed": live.call("decide", limits["decide_fuel"], prepared.packed)}
        if policy.version >= 2:
            size = self._kit.contract["answer_record_size"]
            return {"record": list(live.decide_records([prepared.payload], size, limits)[0])}
        request = prepared.canonical
        fuel = limits["json_fuel_base"] + limits["json_fuel_per_byte"] * len(request)
        text = live.bytes_call("explain", request, fuel, limits["decide_fuel"])
        try:
            # Parsed by the kit, as the Rust host parses it (not by Python's json).
            return {"json_text": text.decode("utf-8")}
        except UnicodeDecodeError:
            raise _wasm.Fault("malformed-answer") from None

    def _ask(self, prepared: Prepared) -> Tuple[Dict[str, Any], Optional[str]]:
        policy = self._policy
        if policy.version < 2 and not prepared.v1:
            answer: Dict[str, Any] = {"fault": "unsupported-request"}
        else:
            try:
                answer = self._module_answer(prepared)
            except _wasm.Fault as fault:
                self._live = None  # its memory may be in any state
                answer = {"fault": fault.name}
        decision, fault_name = self._kit.answer(prepared, policy.version, policy.reasons, answer)
        self._counters["decisions"] += 1
        if fault_name is not None:
            self._counters["faults"][fault_name] += 1
        return decision, fault_name

    def decide_with_fault(self, request: Mapping[str, Any]) -> Tuple[Dict[str, Any], Optional[str]]:
        """The decision and the fault that made it fail-closed (``None`` when the module's
        checked answer was used). Raises :class:`OnbehalfError` for an invalid request."""
        with self._lock:
            return self._ask(self._kit.prepare(request))

    def decide(self, request: Mapping[str, Any]) -> Dict[str, Any]:
        """The module's checked decision for ``request`` (fail-closed if it faulted or
        granted more than the reference). Raises :class:`OnbehalfError` for an invalid
        request."""
        return self.decide_with_fault(request)[0]

    def decide_many(self, requests: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
        """One answer per request, in order: its decision, or for an invalid request the
        error object ``{"error": {"code", "message"}}`` (as ``onbehalf serve`` answers an
        array). The valid hop-free requests go to the module in one ``decide_batch`` call,
        those with hops in one ``decide_records`` call (ABI v2), as in the Rust host."""
        items = list(requests)
        out: List[Dict[str, Any]] = []
        with self._lock:
            # In chunks: the kit's and the module's memory stay small whatever the list.
            for start in range(0, len(items), CHUNK):
                prepared = self._kit.prepare_many(items[start : start + CHUNK])
                valid = [p for p in prepared if isinstance(p, Prepared)]
                decided = iter(self._ask_many(valid))
                for p in prepared:
                    if isinstance(p, Prepared):
                        out.append(next(decided)[0])
                    else:
                        out.append({"error": {"code": p.code, "message": p.message}})
        return out

    def _ask_many(self, prepared: List[Prepared]) -> List[Tuple[Dict[str, Any], Optional[str]]]:
        policy, limits = self._policy, self.limits
        answers: List[Dict[str, Any]] = [{"fault": "unsupported-request"}] * len(prepared)
        sendable = [i for i, p in enumerate(prepared) if policy.version >= 2 or p.v1]
        hop_free = [i for i in sendable if prepared[i].kind == PREPARED_PACKED]
        with_hops = [i for i in sendable if prepared[i].kind != PREPARED_PACKED]
        if hop_free:
            try:
                raws = self._instance().decide_batch([prepared[i].packed for i in hop_free], limits)
                for i, raw in zip(hop_free, raws):
                    answers[i] = {"packed": raw}
            except _wasm.Fault as fault:
                self._live = None
                for i in hop_free:
                    answers[i] = {"fault": fault.name}
        if with_hops and policy.version >= 2:
            try:
                records = [prepared[i].payload for i in with_hops]
                size = self._kit.contract["answer_record_size"]
                for i, record in zip(with_hops, self._instance().decide_records(records, size, limits)):
                    answers[i] = {"record": list(record)}
            except _wasm.Fault as fault:
                self._live = None
                for i in with_hops:
                    answers[i] = {"fault": fault.name}
        for i in with_hops if policy.version < 2 else []:
            try:
                answers[i] = self._module_answer(prepared[i])
            except _wasm.Fault as fault:
                self._live = None
                answers[i] = {"fault": fault.name}
        decided = self._kit.answers(list(zip(prepared, answers)), policy.version, policy.reasons)
        self._counters["decisions"] += len(decided)
        for _, fault_name in decided:
            if fault_name is not None:
                self._counters["faults"][fault_name] += 1
        return decided

    def explain(self, request: Mapping[str, Any]) -> Dict[str, Any]:
        """The reference engine's explanation of ``request``: its decision, each step that
        fired with its rule and sources, each hop. Raises :class:`OnbehalfError`."""
        with self._lock:
            return self._kit.explain(request)

    def catalog(self) -> Dict[str, Any]:
        """The catalog (see :func:`onbehalf.catalog`)."""
        with self._lock:
            return self._kit.catalog()

    @property
    def info(self) -> Dict[str, Any]:
        """What is loaded: source, size, generation, ABI version, own reason codes."""
        p = self._policy
        return {"source": p.source, "size": p.size, "generation": self.generation, "abi_version": p.version, "reasons": list(p.reasons)}

    @property
    def counters(self) -> Dict[str, Any]:
        """Decisions asked, faults by name, reloads accepted and refused."""
        with self._lock:
            return json.loads(json.dumps(self._counters))
