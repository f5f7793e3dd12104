"""Plain data between the grader and a worker that runs a learner's code: arrays, numbers,
strings, and containers of them, and nothing that can run code when it is read.

A message is a JSON tree plus the raw bytes of its arrays. Every node carries a tag:

    ["none"] ["bool", b] ["int", "12"] ["float", "0.1"] ["str", s]
    ["list", [...]] ["tuple", [...]] ["dict", [[key, value], ...]]      (keys are str)
    ["array", i, dtype, shape, writeable, scalar]  (the i-th buffer; numbers only)

Two more tags only go one way. To the worker (arguments the checker built):
``["record", name, {field: node}]`` for the weights records listed in ``RECORDS``,
``["rng", state]`` for a NumPy ``Generator``, ``["callback", i]`` for a function the
learner's code may call back (answered by the grader). From the worker (what a learner
returned that is not plain data): ``["opaque", type_name, repr, array_like]``, which the
grader turns into an inert stand-in that only knows its type's name and its ``repr``.

Reading is strict: an unknown tag, an array of Python objects, a dtype or size that does
not add up, or a tree deeper than ``MAX_DEPTH`` is a :class:`TransportError`. Nothing is
ever unpickled.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import socket
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

#: Records the grader may send to a worker as arguments, by import path.
RECORDS = ("rnn_lab.weights.SimpleRNNWeights", "rnn_lab.cells.weights.CellWeights")
#: Bit generators a ``Generator`` argument may use.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
#: Nesting a message may have; a learner's deeply nested list is refused, not recursed into.
MAX_DEPTH = 32
#: Largest message read from a worker. The hidden cases' answers are a few kilobytes.
MAX_MESSAGE_BYTES = 64 * 2**20
#: Array element kinds that are plain numbers: bool, int, uint, float, complex.
NUMBER_KINDS = "biufc"
_OPAQUE_REPR_CHARS = 200
_HEADER = struct.Struct("!Q")


class TransportError(ValueError):
    """A message that is not plain data of the expected form."""


class Opaque:
    """A value a learner returned that is not plain data: its type's name and repr only."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return self.text


def _opaque(type_name: str, text: str, array_like: bool) -> Opaque:
    # The checker's messages say "returned <type name>", and advise np.asarray for a
    # tensor: a class of the same name, with a `numpy` attribute where the original had one.
    members: dict[str, Any] = {"numpy": None} if array_like else {}
    return type(type_name, (Opaque,), members)(type_name, text)


def encode(
    value: Any, *, to_worker: bool, callbacks: list[Callable] | None = None
) -> tuple[Any, list[np.ndarray]]:
    """The JSON tree of ``value`` and its array buffers. Functions sent to a worker are
    appended to ``callbacks`` and sent as their index there."""
    buffers: list[np.ndarray] = []

    def node(item: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise TransportError(f"nested deeper than {MAX_DEPTH} levels")
        if item is None:
            return ["none"]
        # NumPy first: np.float64 is also a float, and its repr is "np.float64(...)"
        if isinstance(item, (np.ndarray, np.generic)) and np.asarray(item).dtype.kind in (
            NUMBER_KINDS
        ):
            array = np.asarray(item)
            buffers.append(np.ascontiguousarray(array))
            writeable = bool(isinstance(item, np.ndarray) and item.flags.writeable)
            return ["array", len(buffers) - 1, array.dtype.str, list(array.shape), writeable,
                    isinstance(item, np.generic)]  # fmt: skip
        if isinstance(item, bool):
            return ["bool", item]
        if isinstance(item, int):
            return ["int", str(int(item))]
        if isinstance(item, float):
            return ["float", repr(float(item))]
        if isinstance(item, str):
            return ["str", str(item)]
        if isinstance(item, (list, tuple)) and type(item) in (list, tuple):
            return [type(item).__name__, [node(v, depth + 1) for v in item]]
        if type(item) is dict and all(isinstance(k, str) for k in item):
            return ["dict", [[k, node(v, depth + 1)] for k, v in item.items()]]
        if to_worker and callbacks is not None and callable(item) and not isinstance(item, type):
            callbacks.append(item)
            return ["callback", len(callbacks) - 1]
        if to_worker:
            return _to_worker_node(item, depth, node)
        array_like = hasattr(item, "numpy") or hasattr(item, "__array__")
        try:
            text = repr(item)[:_OPAQUE_REPR_CHARS]
        except Exception:
            text = f"<{type(item).__name__}>"
        return ["opaque", type(item).__name__, text, array_like]

    return node(value, 0), buffers


def _to_worker_node(item: Any, depth: int, node: Callable) -> Any:
    name = f"{type(item).__module__}.{type(item).__qualname__}"
    if name in RECORDS and dataclasses.is_dataclass(item):
        fields = {f.name: node(getattr(item, f.name), depth + 1) for f in dataclasses.fields(item)}
        return ["record", name, fields]
    if isinstance(item, np.random.Generator):
        return ["rng", generator_state(item)]
    raise TransportError(f"cannot send a {name} to a worker")


def generator_state(rng: np.random.Generator) -> str:
    """A generator's state as text, to send back after a call that drew from it."""
    return json.dumps(rng.bit_generator.state)


def set_generator_state(rng: np.random.Generator, state: Any) -> None:
    """Advance ``rng`` to a state a worker sent back (the draws it made from its copy)."""
    try:
        new = json.loads(state)
        if new.get("bit_generator") != rng.bit_generator.state["bit_generator"]:
            raise TransportError("another bit generator")
        rng.bit_generator.state = new
    except (TypeError, ValueError, AttributeError) as error:
        raise TransportError(f"not a generator state: {error}") from None


def decode(
    tree: Any,
    buffers: list[bytes],
    *,
    from_worker: bool,
    callback: Callable[[int], Callable] | None = None,
) -> Any:
    """The value of a tree read by :func:`read`; ``from_worker`` allows the opaque tag
    and refuses those only the grader sends; ``callback(i)`` makes the stand-in of the
    grader's i-th function."""

    def value(item: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise TransportError(f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise TransportError("a node is not a tagged list")
        tag, rest = item[0], item[1:]
        try:
            if tag == "none":
                return None
            if tag == "bool" and isinstance(rest[0], bool):
                return rest[0]
            if tag == "int" and isinstance(rest[0], str):
                return int(rest[0])
            if tag == "float" and isinstance(rest[0], str):
                return float(rest[0])
            if tag == "str" and isinstance(rest[0], str):
                return rest[0]
            if tag in ("list", "tuple") and isinstance(rest[0], list):
                items = [value(v, depth + 1) for v in rest[0]]
                return items if tag == "list" else tuple(items)
            if tag == "dict" and isinstance(rest[0], list):
                return {_key(k): value(v, depth + 1) for k, v in rest[0]}
            if tag == "array":
                return _array(buffers, *rest)
            if tag == "opaque" and from_worker:
                type_name, text, array_like = rest
                if not (type_name.isidentifier() and isinstance(text, str)):
                    raise TransportError("an opaque value needs a type name and a repr")
                return _opaque(type_name, text, bool(array_like))
            if tag == "record" and not from_worker and rest[0] in RECORDS:
                module, _, name = rest[0].rpartition(".")
                record = getattr(importlib.import_module(module), name)
                return record(**{_key(k): value(v, depth + 1) for k, v in rest[1].items()})
            if tag == "callback" and not from_worker and callback is not None:
                return callback(int(rest[0]))
            if tag == "rng" and not from_worker:
                name = json.loads(rest[0]).get("bit_generator")
                if name not in BIT_GENERATORS:
                    raise TransportError("unknown bit generator")
                rng = np.random.Generator(getattr(np.random, name)())
                set_generator_state(rng, rest[0])
                return rng
        except (IndexError, TypeError, ValueError, AttributeError) as error:
            raise TransportError(f"a malformed {tag!r} node: {error}") from None
        raise TransportError(f"unexpected node {tag!r}")

    return value(tree, 0)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TransportError("dict keys must be strings")
    return key


def _array(buffers: list[bytes], index, dtype, shape, writeable, scalar) -> Any:
    dtype = np.dtype(dtype)
    if dtype.kind not in NUMBER_KINDS or dtype.hasobject or dtype.fields is not None:
        raise TransportError(f"arrays of {dtype} are not plain numbers")
    if not all(isinstance(s, int) and s >= 0 for s in shape):
        raise TransportError("a shape is a list of sizes")
    data = buffers[index]
    if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(data):
        raise TransportError("an array's size does not match its shape")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    if scalar:
        return array[()]
    return array.copy() if writeable else array


# --- one message on a socket ------------------------------------------------------------


def send(
    sock: socket.socket,
    message: dict[str, Any],
    *,
    to_worker: bool,
    callbacks: list[Callable] | None = None,
) -> None:
    """Write ``message`` (a dict of values) as one framed message."""
    tree, buffers = encode(message, to_worker=to_worker, callbacks=callbacks)
    head = json.dumps({"tree": tree, "sizes": [b.nbytes for b in buffers]}).encode()
    parts = [_HEADER.pack(len(head)), head, *(b.tobytes() for b in buffers)]
    total = sum(len(p) for p in parts)
    sock.sendall(_HEADER.pack(total) + b"".join(parts))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read(
    sock: socket.socket, *, from_worker: bool, callback: Callable[[int], Callable] | None = None
) -> dict[str, Any]:
    """One framed message, decoded (see :func:`decode`)."""
    (total,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if total > MAX_MESSAGE_BYTES:
        raise TransportError(f"a message of {total} bytes (the limit is {MAX_MESSAGE_BYTES})")
    body = _read_exactly(sock, total)
    try:
        (size,) = _HEADER.unpack_from(body)
        head = json.loads(body[_HEADER.size : _HEADER.size + size])
        offset, buffers = _HEADER.size + size, []
        for length in head["sizes"]:
            if not isinstance(length, int) or length < 0:
                raise TransportError("a buffer size is not a size")
            buffers.append(body[offset : offset + length])
            offset += length
        if offset != total:
            raise TransportError("the buffers do not add up to the message")
        message = decode(head["tree"], buffers, from_worker=from_worker, callback=callback)
    except (KeyError, TypeError, ValueError, struct.error) as error:
        raise TransportError(f"not a message: {error}") from None
    if not isinstance(message, dict):
        raise TransportError("a message is a dict")
    return message
