"""One live instance of a wasm module and the ABI's memory protocol (docs/policy-abi.md §2):
where the host writes an input in the module's memory, which export it calls under which
fuel, where it reads the answer. Every address and length the module hands back is checked
against its memory; anything off is a fault. Faults are told apart by wasmtime's trap codes,
never by error text."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

import wasmtime


class Fault(Exception):
    """A call into a module did not produce a usable answer; ``name`` is the host's fault
    name (``trap``, ``out-of-fuel``, ``stack-overflow``, ``memory-limit``,
    ``malformed-answer``, …: the kit contract's ``faults``)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"policy module fault: {name}")
        self.name = name


def engine(max_stack_bytes: int) -> wasmtime.Engine:
    """An engine with fuel metering and the host's stack limit."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.max_wasm_stack = max_stack_bytes
    return wasmtime.Engine(config)


def signature(func: wasmtime.FuncType) -> str:
    """A function type as the ABI tables write it: ``(i32, i32) -> (i64)``."""
    params = ", ".join(str(p) for p in func.params)
    results = ", ".join(str(r) for r in func.results)
    return f"({params}) -> ({results})"


class Live:
    """A module instantiated in its own store, with a memory cap and fuel per call."""

    def __init__(
        self,
        engine: wasmtime.Engine,
        module: wasmtime.Module,
        max_memory_bytes: int,
        max_answer_bytes: int,
        fuel: int,
    ) -> None:
        self.store = wasmtime.Store(engine)
        self.max_memory_bytes = max_memory_bytes
        self.max_answer_bytes = max_answer_bytes
        self.store.set_limits(memory_size=max_memory_bytes)
        self.store.set_fuel(fuel)
        try:
            self.instance = wasmtime.Instance(self.store, module, [])
        except wasmtime.Trap as trap:
            raise self.fault_of(trap) from trap
        except wasmtime.WasmtimeError as error:
            raise Fault("instantiate") from error
        exports = self.instance.exports(self.store)
        memory = exports.get("memory") if hasattr(exports, "get") else exports["memory"]
        if not isinstance(memory, wasmtime.Memory):
            raise Fault("instantiate")
        self.memory: wasmtime.Memory = memory
        self._funcs: Dict[str, Optional[wasmtime.Func]] = {}
        # A buffer in module memory reused for every input (address, capacity): a call
        # costs tens of µs through wasmtime's C API, so `alloc`/`dealloc` are not per call.
        self._buffer: Tuple[int, int] = (0, 0)

    def export(self, name: str) -> Optional[wasmtime.Func]:
        """The function export ``name``, if there is one."""
        if name not in self._funcs:
            try:
                found = self.instance.exports(self.store)[name]
            except KeyError:
                found = None
            self._funcs[name] = found if isinstance(found, wasmtime.Func) else None
        return self._funcs[name]

    def fault_of(self, error: BaseException) -> Fault:
        """Classifies a failed call: the memory limit when the memory is at its cap (the
        Rust host sets a flag when it refuses a grow; wasmtime's Python API has no limiter
        callback, so the cap reached stands for it), else the trap code."""
        # First, as the Rust host's flag comes first: a module at its cap was refused memory.
        if getattr(self, "memory", None) is not None and self.at_memory_cap():
            return Fault("memory-limit")
        if isinstance(error, wasmtime.Trap):
            code = error.trap_code
            if code == wasmtime.TrapCode.OUT_OF_FUEL:
                return Fault("out-of-fuel")
            if code == wasmtime.TrapCode.STACK_OVERFLOW:
                return Fault("stack-overflow")
        return Fault("trap")

    def at_memory_cap(self) -> bool:
        """Whether one more page would exceed the memory cap."""
        return self.memory.data_len(self.store) + 65536 > self.max_memory_bytes

    def call(self, name: str, fuel: int, *args: int) -> Any:
        """Calls export ``name`` with ``fuel``; a trap is the fault."""
        func = self.export(name)
        if func is None:
            raise Fault("malformed-answer")
        self.store.set_fuel(fuel)
        try:
            return func(self.store, *args)
        except wasmtime.Trap as trap:
            raise self.fault_of(trap) from trap
        except wasmtime.WasmtimeError as error:
            raise self.fault_of(error) from error

    def write(self, data: bytes, fuel: int) -> int:
        """Writes ``data`` into the reused buffer (grown by ``alloc`` when too small);
        returns its address. The buffer is the module's until the instance is dropped."""
        if not data:
            return 0
        address, capacity = self._buffer
        if capacity < len(data):
            size = max(1024, 1 << (len(data) - 1).bit_length())
            address = self.call("alloc", fuel, size)
            if address == 0:
                raise Fault("memory-limit")
            if address < 0 or address + size > self.memory.data_len(self.store):
                raise Fault("malformed-answer")
            if capacity:
                self.call("dealloc", fuel, self._buffer[0], capacity)
            self._buffer = (address, size)
        self.memory.write(self.store, data, address)
        return int(address)

    def read(self, address: int, length: int) -> bytes:
        """``length`` bytes at ``address``, bounds-checked."""
        if address < 0 or length < 0 or address + length > self.memory.data_len(self.store):
            raise Fault("malformed-answer")
        return bytes(self.memory.read(self.store, address, address + length))

    def bytes_call(self, name: str, data: bytes, fuel: int, dealloc_fuel: int) -> bytes:
        """The JSON entry protocol of a policy module: the input in the buffer, call
        ``name(ptr, len)``, read the answer at the ``(ptr << 32) | len`` it returned, and
        ``dealloc`` it."""
        address = self.write(data, dealloc_fuel)
        packed = self.call(name, fuel, address, len(data))
        answer = self.read_answer(packed)
        self.call("dealloc", dealloc_fuel, (packed >> 32) & 0xFFFFFFFF, packed & 0xFFFFFFFF)
        return answer

    def kit_call(self, name: str, data: bytes, fuel: int) -> bytes:
        """An embedding-kit entry: like :meth:`bytes_call`, but the answer stays the kit's
        (released by its next call)."""
        address = self.write(data, fuel)
        return self.read_answer(self.call(name, fuel, address, len(data)))

    def read_answer(self, packed: int) -> bytes:
        """The answer bytes at ``(ptr << 32) | len``, bounds-checked."""
        out_address, out_length = (packed >> 32) & 0xFFFFFFFF, packed & 0xFFFFFFFF
        if packed == 0 or out_length > self.max_answer_bytes:
            raise Fault("malformed-answer")
        return self.read(out_address, out_length)

    def decide_batch(self, requests: List[int], limits: Mapping[str, int]) -> List[int]:
        """``decide_batch``: the packed requests in the buffer, their answers after them."""
        count = len(requests)
        data = b"".join(r.to_bytes(8, "little", signed=True) for r in requests)
        base = self.write(data + bytes(8 * count), limits["decide_fuel"])
        fuel = limits["batch_fuel_per_request"] * count + limits["decide_fuel"]
        if self.call("decide_batch", fuel, base, base + 8 * count, count) != count:
            raise Fault("malformed-answer")
        out = self.read(base + 8 * count, 8 * count)
        return [int.from_bytes(out[i : i + 8], "little", signed=True) for i in range(0, 8 * count, 8)]

    def decide_records(self, records: List[bytes], size: int, limits: Mapping[str, int]) -> List[bytes]:
        """``decide_records``: the request records in the buffer, the answer records (of
        ``size`` bytes) after them."""
        count, data = len(records), b"".join(records)
        base = self.write(data + bytes(size * count), limits["decide_fuel"])
        fuel = limits["record_fuel_base"] * count + limits["json_fuel_per_byte"] * len(data) + limits["decide_fuel"]
        if self.call("decide_records", fuel, base, len(data), base + len(data), count) != count:
            raise Fault("malformed-answer")
        out = self.read(base + len(data), size * count)
        return [out[i : i + size] for i in range(0, size * count, size)]
