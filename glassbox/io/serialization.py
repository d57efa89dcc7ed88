"""Saving and loading weights and training checkpoints, in the safetensors format -- never pickle.

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's dtype,
shape and byte range, plus a `__metadata__` map of strings to strings) and the raw tensor bytes.
Reading one is just parsing JSON and slicing bytes, so loading a file can never run code -- unlike
`torch.load` or `pickle.load`, whose files are programs for the unpickler.

Two kinds of file are written here:

* a state dict (`save` / `load`): tensors by name, plus optional user metadata (strings);
* a checkpoint (`save_checkpoint` / `load_checkpoint`): the model's weights and the optimizer's
  arrays as tensors, and everything else (optimizer param_groups, scheduler state, epoch, RNG
  state, config, history) as one JSON document in the metadata under the key `__glassbox__`.
  Nested Python data is stored as a JSON tree in which every array is replaced by a reference
  `{"__tensor__": "<name>"}` to a tensor of the file, so nothing is lost: dtypes, integer dict
  keys and tuples survive the round trip.

Every file is written atomically: to a temporary file in the same folder, flushed and fsync'ed,
then renamed over the target with `os.replace`. A crash at any moment leaves either the old file
or the new one, never half of one. The `safetensors` package is imported only when a file is
read or written, so `import glassbox` stays light.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from glassbox import backend
from glassbox.tensor import Tensor

__all__ = ["load", "load_checkpoint", "load_metadata", "save", "save_checkpoint"]

RESERVED_KEY = "__glassbox__"  # metadata key that holds glassbox's own JSON
CHECKPOINT_FORMAT = "glassbox.checkpoint"
STATE_DICT_FORMAT = "glassbox.state_dict"
FORMAT_VERSION = 1

# safetensors dtype codes that NumPy can hold, and their item sizes (bytes)
_DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16), "I16": np.dtype(np.int16), "F16": np.dtype(np.float16),
    "U32": np.dtype(np.uint32), "I32": np.dtype(np.int32), "F32": np.dtype(np.float32),
    "U64": np.dtype(np.uint64), "I64": np.dtype(np.int64), "F64": np.dtype(np.float64),
    "C64": np.dtype(np.complex64),
}
_STORABLE = {dt.newbyteorder("<") for dt in _DTYPES.values()}
_MAX_HEADER = 100_000_000  # the safetensors library's own limit on the JSON header


# ---------------------------------------------------------------------------------------------
# Public API: state dicts


def save(state_dict, path, metadata: dict | None = None) -> None:
    """Save a state dict (name -> Tensor or ndarray) to a safetensors file, atomically.

    Args:
        state_dict: a mapping of names to Tensors or NumPy arrays, e.g. `model.state_dict()`.
        path: where to write (str or PathLike); an existing file is replaced atomically.
        metadata: optional dict of str -> str kept in the file header (default None).

    Example:
        >>> import os, tempfile
        >>> import glassbox as gb
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> gb.save({"weight": gb.ones(2, 3), "steps": gb.tensor([7])}, path, {"note": "demo"})
        >>> sd = gb.load(path)
        >>> list(sd), sd["weight"].shape, sd["steps"].dtype
        (['weight', 'steps'], (2, 3), dtype('int64'))
        >>> gb.io.load_metadata(path)
        {'note': 'demo'}
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"glassbox.save: expected a state dict (a mapping of names to tensors), got "
            f"{type(state_dict).__name__}"
        )
    header = _user_metadata(metadata, "glassbox.save")
    arrays = OrderedDict()
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(
                f"glassbox.save: state dict keys must be str, got {key!r} "
                f"({type(key).__name__})"
            )
        if isinstance(value, np.generic):
            value = np.asarray(value)  # a NumPy scalar: a 0-d tensor
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(
                f"glassbox.save: value for '{key}' must be a Tensor or ndarray, got "
                f"{type(value).__name__}"
            )
        arrays[key] = _storable_array(value, f"glassbox.save: '{key}'")
    # the tensor order of a state dict is meaningful (it is the module order); keep it
    header[RESERVED_KEY] = json.dumps(
        {"format": STATE_DICT_FORMAT, "version": FORMAT_VERSION, "order": list(arrays)}
    )
    _atomic_write(path, _serialize(arrays, header))


def load(path) -> OrderedDict:
    """Load a state dict saved by `glassbox.save` (or any safetensors file) as Tensors.

    Nothing in the file is executed: a pickle, a `torch.save` file, a truncated or corrupt file
    raises a ValueError that names the file and says what is wrong.

    Args:
        path: the .safetensors file to read.

    Returns:
        An OrderedDict of name -> Tensor, in the order they were saved.

    Example:
        >>> import os, tempfile
        >>> import glassbox as gb
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> gb.save({"b": gb.zeros(3)}, path)
        >>> gb.load(path)["b"]
        tensor([0., 0., 0.])
    """
    arrays, metadata = _read(path)
    order = list(arrays)
    info = _glassbox_info(metadata, path)
    if info is not None and sorted(info.get("order", [])) == sorted(arrays):
        order = info["order"]
    return OrderedDict((k, Tensor._wrap(arrays[k])) for k in order)


def load_metadata(path) -> dict:
    """The user metadata (str -> str) stored in a safetensors file's header.

    Args:
        path: the .safetensors file to read.

    Example:
        >>> import os, tempfile
        >>> import glassbox as gb
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> gb.save({"b": gb.zeros(1)}, path, metadata={"epochs": "3"})
        >>> gb.io.load_metadata(path)
        {'epochs': '3'}
    """
    header = _read_header(os.fspath(path))
    metadata = dict(header.get("__metadata__") or {})
    metadata.pop(RESERVED_KEY, None)
    return metadata


# ---------------------------------------------------------------------------------------------
# Public API: checkpoints


def save_checkpoint(path, model=None, optimizer=None, scheduler=None, epoch=None, rng=None,
                    config=None, extra=None, history=None) -> None:
    """Save everything needed to resume training into one safetensors file, atomically.

    Tensors (weights, buffers, optimizer moments, any arrays inside `extra`) are stored as
    safetensors tensors; the rest (param_groups, scheduler state, epoch, RNG state, config,
    history, extra) as JSON in the header. No pickle is involved, so loading is safe.

    Args:
        path: where to write; an existing file is replaced atomically (old or new, never half).
        model: a Module (its state_dict is saved) or a state dict (default None).
        optimizer: an optimizer (anything with `state_dict()`) or its state dict (default None).
        scheduler: an LR scheduler or its state dict (default None).
        epoch: number of completed epochs, or any int you like (default None).
        rng: random-generator states as a dict of name -> state; default None stores
            `{"glassbox": glassbox.get_rng_state()}`; False stores none.
        config: JSON-like data describing the run, e.g. hyper-parameters (default None).
        extra: any other nested data of dicts, lists, tuples, numbers, strings, arrays and
            Tensors (default None).
        history: training history, e.g. `History.history` (default None).

    Example:
        >>> import os, tempfile
        >>> import glassbox as gb
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> gb.save_checkpoint(path, model={"w": gb.ones(2)}, epoch=3, config={"lr": 0.1})
        >>> ckpt = gb.load_checkpoint(path)
        >>> ckpt["epoch"], ckpt["config"], ckpt["model"]["w"]
        (3, {'lr': 0.1}, tensor([1., 1.]))
    """
    if rng is None:
        rng = {"glassbox": backend.get_rng_state()}
    elif rng is False:
        rng = None
    elif isinstance(rng, np.random.Generator):
        rng = {"generator": rng.bit_generator.state}
    sections = {
        "model": _state_of(model, "model"),
        "optimizer": _state_of(optimizer, "optimizer"),
        "scheduler": _state_of(scheduler, "scheduler"),
        "epoch": epoch,
        "rng": rng,
        "config": config,
        "history": history,
        "extra": extra,
    }
    if sections["model"] is not None and not isinstance(sections["model"], Mapping):
        raise TypeError(
            f"save_checkpoint: model must be a Module or a state dict, got {type(model).__name__}"
        )
    tensors: OrderedDict = OrderedDict()
    tree = {}
    for name, value in sections.items():
        if value is not None:
            tree[name] = _encode(value, (name,), tensors)
    document = {"format": CHECKPOINT_FORMAT, "version": FORMAT_VERSION, "content": tree}
    try:
        text = json.dumps(document, allow_nan=False)
    except ValueError as e:  # pragma: no cover - _encode tags every non-finite float
        raise ValueError(f"save_checkpoint: could not encode the checkpoint as JSON: {e}") from None
    _atomic_write(path, _serialize(tensors, {RESERVED_KEY: text}))


def load_checkpoint(path, model=None, optimizer=None, scheduler=None,
                    restore_rng: bool = False) -> dict:
    """Read a checkpoint written by `save_checkpoint`; optionally load it into live objects.

    Args:
        path: the checkpoint file.
        model: a Module to load the weights into (default None: just return them).
        optimizer: an optimizer to load its state into (default None).
        scheduler: a scheduler to load its state into (default None).
        restore_rng: set glassbox's global generator to the saved state (default False).

    Returns:
        A dict with keys 'model' (OrderedDict of Tensors), 'optimizer', 'scheduler', 'epoch',
        'rng', 'config', 'history', 'extra' (None for anything that was not saved).

    Example:
        >>> import os, tempfile
        >>> import glassbox as gb
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> gb.save_checkpoint(path, epoch=1, extra={"best": (0.5, 2)})
        >>> gb.load_checkpoint(path)["extra"]
        {'best': (0.5, 2)}
    """
    arrays, metadata = _read(path)
    info = _glassbox_info(metadata, path)
    if info is None or info.get("format") != CHECKPOINT_FORMAT:
        found = "a glassbox state dict" if info else "a plain safetensors file"
        raise ValueError(
            f"load_checkpoint: {os.fspath(path)!r} is {found}, not a glassbox checkpoint; "
            "read it with glassbox.load()"
        )
    if info.get("version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"load_checkpoint: {os.fspath(path)!r} has checkpoint format version "
            f"{info.get('version')}, newer than this glassbox reads ({FORMAT_VERSION}); "
            "upgrade glassbox"
        )
    content = info.get("content")
    if not isinstance(content, dict):
        raise ValueError(  # noqa: TRY004  (a malformed file, not a wrong argument type)
            f"load_checkpoint: {os.fspath(path)!r}: header has no checkpoint content")
    try:
        result = {k: _decode(v, arrays) for k, v in content.items()}
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} is malformed: {e}") from None
    for key in ("model", "optimizer", "scheduler", "epoch", "rng", "config", "history", "extra"):
        result.setdefault(key, None)
    if result["model"] is not None:
        result["model"] = OrderedDict(result["model"])
    if model is not None:
        model.load_state_dict(result["model"])
    if optimizer is not None:
        optimizer.load_state_dict(result["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(result["scheduler"])
    if restore_rng and result["rng"] and "glassbox" in result["rng"]:
        backend.set_rng_state(result["rng"]["glassbox"])
    return result


# ---------------------------------------------------------------------------------------------
# Encoding nested Python data as a JSON tree plus a table of tensors
#
# Tags (a JSON object with exactly one of these keys stands for the tagged value):
#   {"__tensor__": name}   a glassbox Tensor          {"__ndarray__": name}  a NumPy array
#   {"__scalar__": name}   a NumPy scalar (np.float32(1.5) keeps its dtype)
#   {"__tuple__": [...]}   a tuple                    {"__float__": "nan"|"inf"|"-inf"}
#   {"__items__": [[k, v], ...]}  a dict whose keys are not all plain strings (e.g. the int
#                          parameter indices of an optimizer's `state`)
_TAGS = ("__tensor__", "__ndarray__", "__scalar__", "__tuple__", "__float__", "__items__")


def _state_of(obj, what: str):
    """obj.state_dict() for live objects, obj itself for plain data."""
    if obj is None or isinstance(obj, Mapping):
        return obj
    state_dict = getattr(obj, "state_dict", None)
    if callable(state_dict):
        return state_dict()
    raise TypeError(
        f"save_checkpoint: {what} must have a state_dict() method or be a dict, got "
        f"{type(obj).__name__}"
    )


def _encode(value, path: tuple, tensors: OrderedDict):
    where = "/".join(path)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):  # NumPy integers are not ints; they are stored with their dtype
        return value
    if isinstance(value, float) and not isinstance(value, np.generic):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, Tensor):
        return {"__tensor__": _add_tensor(value._data, where, tensors)}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _add_tensor(value, where, tensors)}
    if isinstance(value, np.generic):
        return {"__scalar__": _add_tensor(np.asarray(value), where, tensors)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, path + (str(i),), tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, path + (str(i),), tensors) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        plain = all(isinstance(k, str) and k not in _TAGS for k in value)
        if plain:
            return {k: _encode(v, path + (k,), tensors) for k, v in value.items()}
        return {"__items__": [
            [_encode(k, path + ("key",), tensors), _encode(v, path + (str(k),), tensors)]
            for k, v in value.items()
        ]}
    raise TypeError(
        f"save_checkpoint: can't store {where} of type {type(value).__name__}; a checkpoint "
        "holds only dicts, lists, tuples, None, bools, numbers, strings, arrays and Tensors "
        "(never pickled objects)"
    )


def _add_tensor(array: np.ndarray, where: str, tensors: OrderedDict) -> str:
    name, n = where, 1
    while name in tensors:  # e.g. dict keys 1 and "1" side by side
        n += 1
        name = f"{where}#{n}"
    tensors[name] = _storable_array(array, f"save_checkpoint: {where}")
    return name


def _decode(node, arrays: dict):
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (tag, payload), = node.items()
        if tag in ("__tensor__", "__ndarray__", "__scalar__"):
            if payload not in arrays:
                raise KeyError(f"the header refers to tensor {payload!r}, which is not in the file")
            array = arrays[payload]
            if tag == "__tensor__":
                return Tensor._wrap(array)
            return array if tag == "__ndarray__" else array[()]
        if tag == "__tuple__":
            return tuple(_decode(v, arrays) for v in payload)
        if tag == "__float__":
            return float(payload)
        if tag == "__items__":
            return {_hashable(_decode(k, arrays)): _decode(v, arrays)
                    for k, v in payload}
    return {k: _decode(v, arrays) for k, v in node.items()}


def _hashable(key):
    return key.item() if isinstance(key, np.generic) else key


# ---------------------------------------------------------------------------------------------
# Bytes on disk


def _storable_array(value, where: str) -> np.ndarray:
    """A C-contiguous little-endian copy-free view (when possible) that safetensors accepts."""
    array = value._data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):  # e.g. a CuPy array: bring it to the host
        array = np.asarray(array.get() if hasattr(array, "get") else array)
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    if dtype not in _STORABLE:
        raise TypeError(
            f"{where}: arrays of dtype {array.dtype} can't be stored in safetensors; "
            f"supported: {', '.join(sorted(str(d) for d in _DTYPES.values()))}"
        )
    return np.asarray(array, dtype=dtype, order="C")  # keeps 0-d arrays 0-d


def _user_metadata(metadata, where: str) -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"{where}: metadata must be a dict of str to str, got "
                        f"{type(metadata).__name__}")
    out = {}
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(
                f"{where}: metadata must map str to str (safetensors stores strings), got "
                f"{k!r}: {type(v).__name__}; encode other values with json.dumps"
            )
        if k == RESERVED_KEY:
            raise ValueError(f"{where}: metadata key {RESERVED_KEY!r} is reserved for glassbox")
        out[k] = v
    return out


def _serialize(arrays: Mapping, metadata: dict) -> bytes:
    from safetensors.numpy import save as _st_save  # lazy: keep `import glassbox` light

    return _st_save(dict(arrays), metadata=metadata or None)


def _atomic_write(path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix.

    The bytes go to a temporary file in the same folder (so the rename cannot cross file
    systems), are fsync'ed to disk, and the file is renamed over `path` with os.replace, which
    is atomic on POSIX and Windows. The folder is fsync'ed too, so the rename itself survives
    a power cut. On any error the temporary file is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as f:  # 'x': never clobber; default permissions (umask applies)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename durable
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _read(path) -> tuple[dict, dict]:
    """Validate and read a safetensors file: (name -> writable ndarray, metadata)."""
    path = os.fspath(path)
    header = _read_header(path)  # all checks first: the library is only handed valid files
    from safetensors.numpy import load_file  # lazy

    try:
        arrays = load_file(path)
    except Exception as e:  # noqa: BLE001  (the library's own checks, e.g. overlapping ranges)
        raise ValueError(f"{path!r} is not a valid safetensors file: {e}") from None
    return arrays, dict(header.get("__metadata__") or {})


def _sniff(data: bytes) -> str | None:
    """Name the format of a file that is clearly not safetensors, from its first 8 bytes."""
    if data[:4] == b"PK\x03\x04":
        return ("a zip archive -- most likely a PyTorch file written by torch.save, which holds "
                "a pickle. glassbox never unpickles; convert it in PyTorch with "
                "safetensors.torch.save_file(torch.load(f, weights_only=True), "
                "'model.safetensors')")
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return (f"a Python pickle (protocol {data[1]}; also what old torch.save files are). "
                "glassbox never unpickles files, because unpickling runs code; save tensors "
                "with glassbox.save or safetensors instead")
    if data[:6] == b"\x93NUMPY":
        return "a NumPy .npy file; read it with numpy.load(path, allow_pickle=False)"
    if data[:2] == b"\x1f\x8b":
        return "a gzip file, not safetensors"
    return None


def _read_header(path: str) -> dict:
    """Read, parse and validate the header; raise a ValueError naming `path` and the problem.

    Only the 8-byte length and the JSON header are read; the file size (from the file system)
    is enough to check that every tensor's bytes are there.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        sniffed = _sniff(head)
        if sniffed is not None:
            raise ValueError(f"{path!r} is not a safetensors file: it is {sniffed}")
        if len(head) < 8:
            raise ValueError(
                f"{path!r} is not a safetensors file: it has {size} bytes, fewer than the "
                "8-byte header length at the start of every safetensors file (empty or "
                "truncated?)"
            )
        (n,) = struct.unpack("<Q", head)
        if n > _MAX_HEADER or n > size - 8:
            raise ValueError(
                f"{path!r} is not a valid safetensors file: its first 8 bytes give a header of "
                f"{n} bytes, but the file has only {size - 8} bytes after them (truncated, or "
                "not a safetensors file)"
            )
        text = f.read(n)
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(
            f"{path!r} is not a valid safetensors file: its header is not JSON ({e})"
        ) from None
    if not isinstance(header, dict):
        raise ValueError(  # noqa: TRY004  (a malformed file, not a wrong argument type)
            f"{path!r} is not a valid safetensors file: header is not a JSON object")
    body = size - 8 - n
    for name, spec in header.items():
        if name == "__metadata__":
            if spec is not None and not (isinstance(spec, dict) and all(
                    isinstance(v, str) for v in spec.values())):
                raise ValueError(f"{path!r}: __metadata__ must map strings to strings")
            continue
        _check_entry(path, name, spec, body)
    return header


def _check_entry(path: str, name: str, spec, body: int) -> None:
    bad = f"{path!r} is not a valid safetensors file: tensor {name!r}"
    if not isinstance(spec, dict) or not {"dtype", "shape", "data_offsets"} <= set(spec):
        raise ValueError(f"{bad} lacks dtype/shape/data_offsets")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if dtype not in _DTYPES:
        raise ValueError(f"{bad} has dtype {dtype!r}, which NumPy can't hold")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
        raise ValueError(f"{bad} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets) and 0 <= offsets[0] <= offsets[1]):
        raise ValueError(f"{bad} has invalid data_offsets {offsets!r}")
    if offsets[1] > body:
        raise ValueError(
            f"{path!r} is truncated: tensor {name!r} needs bytes {offsets[0]}..{offsets[1]} of "
            f"the data section, but only {body} bytes are there"
        )
    expected = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dtype].itemsize
    if offsets[1] - offsets[0] != expected:
        raise ValueError(
            f"{bad} has {offsets[1] - offsets[0]} bytes, but shape {shape} of {dtype} needs "
            f"{expected}"
        )


def _glassbox_info(metadata: dict, path) -> dict | None:
    text = metadata.get(RESERVED_KEY)
    if text is None:
        return None
    try:
        info = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{os.fspath(path)!r}: the glassbox metadata in its header is not valid JSON ({e})"
        ) from None
    if not isinstance(info, dict):
        raise ValueError(  # noqa: TRY004  (a malformed file, not a wrong argument type)
            f"{os.fspath(path)!r}: the glassbox metadata is not a JSON object")
    return info
