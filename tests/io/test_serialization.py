"""glassbox.save / load / save_checkpoint / load_checkpoint: safetensors, never pickle."""

import os
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassbox as gb
from glassbox import nn
from glassbox.io import load_metadata
from glassbox.optim.lr_scheduler import StepLR

ALL_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
              np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]


def _arrays_equal(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _stray_temp_files(folder) -> list:
    return [f for f in os.listdir(folder) if f.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# state dicts


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_round_trip_every_dtype_and_shape(tmp_path, dtype):
    rng = np.random.default_rng(1)
    shapes = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 4)]
    sd = {}
    for i, shape in enumerate(shapes):
        values = np.asarray(rng.normal(size=shape) * 100)
        sd[f"t{i}"] = gb.tensor(values.astype(dtype)) if i % 2 else values.astype(dtype)
    path = tmp_path / "w.safetensors"
    gb.save(sd, path)
    loaded = gb.load(path)
    assert list(loaded) == list(sd)
    for key, value in sd.items():
        original = value._data if isinstance(value, gb.Tensor) else value
        assert isinstance(loaded[key], gb.Tensor)
        assert _arrays_equal(loaded[key]._data, original), key
        assert loaded[key]._data.flags.writeable


def test_round_trip_keeps_order_and_metadata(tmp_path):
    sd = {"z.weight": gb.ones(2), "a.bias": gb.zeros(1), "m.steps": gb.tensor([3], dtype=gb.int64)}
    path = tmp_path / "w.safetensors"
    gb.save(sd, path, metadata={"epochs": "12", "note": "ünïcode"})
    assert list(gb.load(path)) == ["z.weight", "a.bias", "m.steps"]
    assert load_metadata(path) == {"epochs": "12", "note": "ünïcode"}


def test_non_contiguous_and_big_endian_arrays(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T  # a transposed view
    b = np.arange(5, dtype=">i8")
    gb.save({"a": a, "b": b}, tmp_path / "w.safetensors")
    loaded = gb.load(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(loaded["a"]._data, a)
    np.testing.assert_array_equal(loaded["b"]._data, b)
    assert loaded["b"].dtype == np.int64


def test_model_state_dict_round_trip_with_int64_buffers(tmp_path):
    gb.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    model(gb.randn(16, 4))  # training mode: updates running stats and num_batches_tracked
    sd = model.state_dict()
    assert sd["1.num_batches_tracked"].dtype == np.int64
    gb.save(sd, tmp_path / "m.safetensors")

    gb.manual_seed(1)
    other = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    other.load_state_dict(gb.load(tmp_path / "m.safetensors"))
    for key, value in model.state_dict().items():
        assert _arrays_equal(other.state_dict()[key]._data, value._data), key
    model.eval(), other.eval()
    x = gb.randn(5, 4)
    assert _arrays_equal(model(x)._data, other(x)._data)


def test_files_interoperate_with_safetensors_and_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.numpy import load_file
    from safetensors.torch import save_file

    gb.save({"w": gb.ones(2, 2)}, tmp_path / "ours.safetensors")
    assert _arrays_equal(load_file(str(tmp_path / "ours.safetensors"))["w"],
                         np.ones((2, 2), np.float32))
    save_file({"w": torch.arange(6, dtype=torch.int64).reshape(2, 3)},
              str(tmp_path / "theirs.safetensors"))
    assert _arrays_equal(gb.load(tmp_path / "theirs.safetensors")["w"]._data,
                         np.arange(6, dtype=np.int64).reshape(2, 3))


def test_save_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="'w'"):
        gb.save({"w": [1, 2]}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="str"):
        gb.save({"w": gb.ones(1)}, tmp_path / "x.safetensors", metadata={"n": 3})
    with pytest.raises(ValueError, match="reserved"):
        gb.save({"w": gb.ones(1)}, tmp_path / "x.safetensors", metadata={"__glassbox__": "x"})
    with pytest.raises(TypeError, match="object"):
        gb.save({"w": np.array([object()])}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# files that are not safetensors: a clear ValueError, and nothing runs


class _Payload:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_pickle_is_refused_and_never_executed(tmp_path, protocol):
    live = tmp_path / "live-check"
    pickle.loads(pickle.dumps(_Payload(live), protocol=protocol))
    assert live.exists()  # the payload really runs code when unpickled

    marker = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=protocol))
    for reader in (gb.load, gb.load_checkpoint, load_metadata):
        with pytest.raises(ValueError) as info:
            reader(path)
        message = str(info.value)
        assert str(path) in message
        if protocol >= 2:  # binary pickles are recognised by name; protocol 0 is "not valid"
            assert "pickle" in message
    assert not marker.exists()


def test_torch_save_file_is_refused_and_never_executed(tmp_path):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(2), "evil": _Payload(marker)}, path)
    with open(path, "rb") as f:  # sanity: torch.load without weights_only would run it
        torch.load(f, weights_only=False)
    assert marker.exists()
    marker.unlink()

    with pytest.raises(ValueError) as info:
        gb.load(path)
    message = str(info.value)
    assert str(path) in message and "torch.save" in message and "never unpickles" in message
    with pytest.raises(ValueError, match="torch.save"):
        gb.load_checkpoint(path)
    assert not marker.exists()


def test_truncated_files_give_clear_errors(tmp_path):
    path = tmp_path / "w.safetensors"
    gb.save({"a": gb.ones(100), "b": gb.zeros(10, dtype=gb.int64)}, path)
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    cuts = {0: "fewer than the 8-byte", 5: "fewer than the 8-byte",
            8: "header of", 8 + header_len // 2: "header of", len(data) - 1: "truncated",
            8 + header_len + 3: "truncated"}
    for cut, expected in cuts.items():
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError) as info:
            gb.load(bad)
        assert str(bad) in str(info.value) and expected in str(info.value), (cut, info.value)


def test_random_bytes_give_clear_errors(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(20):
        path = tmp_path / f"noise{i}.bin"
        path.write_bytes(rng.bytes(int(rng.integers(0, 4096))))
        with pytest.raises(ValueError, match="noise"):
            gb.load(path)


def test_corrupt_header_entries(tmp_path):
    def write(header: dict, body: bytes) -> str:
        text = __import__("json").dumps(header).encode()
        path = tmp_path / "bad.safetensors"
        path.write_bytes(struct.pack("<Q", len(text)) + text + body)
        return path

    cases = [
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "truncated"),
        ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "needs 12"),
        ({"a": {"dtype": "XX", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "dtype"),
        ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}, b"\0" * 8, "shape"),
        ({"a": [1, 2]}, b"", "lacks"),
        ({"__metadata__": {"k": 1}}, b"", "__metadata__"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},  # overlapping bytes
          "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "offset"),
    ]
    for header, body, expected in cases:
        path = write(header, body)
        with pytest.raises(ValueError, match=expected):
            gb.load(path)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 5) + b"{nope")
    with pytest.raises(ValueError, match="not JSON"):
        gb.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        gb.load(tmp_path / "nothing.safetensors")


# ---------------------------------------------------------------------------------------------
# checkpoints


def _model():
    return nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(16, 3))


def _train_steps(model, opt, sched, steps, seed=0):
    data = np.random.default_rng(seed)
    for _ in range(steps):
        x = gb.tensor(data.normal(size=(8, 5)).astype(np.float32))
        y = gb.tensor(data.integers(0, 3, size=8))
        opt.zero_grad()
        gb.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()


def test_checkpoint_round_trip_model_optimizer_scheduler_rng(tmp_path):
    gb.manual_seed(0)
    model = _model()
    opt = gb.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    _train_steps(model, opt, sched, 3)
    path = tmp_path / "ckpt.safetensors"
    gb.save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, epoch=3,
                       config={"lr": 1e-2, "layers": [5, 16, 3], "name": "mlp"},
                       history={"loss": [1.5, 1.2, float("nan")]},
                       extra={"best": (0.25, 2), 7: np.arange(3, dtype=np.int16)})
    expected_random = gb.randn(4)._data.copy()  # what the generator gives after the save

    gb.manual_seed(123)  # a fresh process would start elsewhere
    model2 = _model()
    opt2 = gb.optim.AdamW(model2.parameters(), lr=1.0)
    sched2 = StepLR(opt2, step_size=2, gamma=0.5)
    ckpt = gb.load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2,
                              restore_rng=True)
    assert _arrays_equal(gb.randn(4)._data, expected_random)
    assert ckpt["epoch"] == 3
    assert ckpt["config"] == {"lr": 1e-2, "layers": [5, 16, 3], "name": "mlp"}
    assert ckpt["history"]["loss"][:2] == [1.5, 1.2] and np.isnan(ckpt["history"]["loss"][2])
    assert ckpt["extra"]["best"] == (0.25, 2)
    assert _arrays_equal(ckpt["extra"][7], np.arange(3, dtype=np.int16))
    for key, value in model.state_dict().items():
        assert _arrays_equal(model2.state_dict()[key]._data, value._data), key
    assert sched2.state_dict() == sched.state_dict()
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for index, state in s1["state"].items():
        for name, value in state.items():
            other = s2["state"][index][name]
            if isinstance(value, np.ndarray):
                assert _arrays_equal(other, value), (index, name)
            else:
                assert other == value

    # the restored run continues exactly like the original one
    gb.manual_seed(7)
    _train_steps(model, opt, sched, 2, seed=1)
    gb.manual_seed(7)
    _train_steps(model2, opt2, sched2, 2, seed=1)
    for key, value in model.state_dict().items():
        assert _arrays_equal(model2.state_dict()[key]._data, value._data), key


def test_checkpoint_stores_no_pickle_and_plain_json(tmp_path):
    gb.manual_seed(0)
    model = _model()
    path = tmp_path / "ckpt.safetensors"
    gb.save_checkpoint(path, model=model, epoch=1)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = __import__("json").loads(data[8:8 + n])
    assert set(header) - {"__metadata__"} == {f"model/{k}" for k in model.state_dict()}
    __import__("json").loads(header["__metadata__"]["__glassbox__"])  # plain JSON
    gb.save({"w": gb.ones(1)}, tmp_path / "plain.safetensors")
    with pytest.raises(ValueError, match="not a glassbox checkpoint"):
        gb.load_checkpoint(tmp_path / "plain.safetensors")


def test_checkpoint_rejects_unstorable_values(tmp_path):
    with pytest.raises(TypeError, match="extra/fn"):
        gb.save_checkpoint(tmp_path / "c.safetensors", extra={"fn": len})
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_old_file_when_an_array_is_unserialisable(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    gb.save_checkpoint(path, model={"w": gb.ones(3)}, epoch=1)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="dtype object"):
        gb.save_checkpoint(path, model={"w": gb.zeros(3)}, epoch=2,
                           extra={"bad": np.array([{"a": 1}], dtype=object)})
    assert path.read_bytes() == before
    assert gb.load_checkpoint(path)["epoch"] == 1
    assert _stray_temp_files(tmp_path) == []


def test_atomic_write_keeps_old_file_when_the_disk_write_fails_midway(tmp_path):
    """A write that dies half-way (file size limit: EFBIG) leaves the old file and no temp."""
    path = tmp_path / "ckpt.safetensors"
    gb.save_checkpoint(path, model={"w": gb.ones(3)}, epoch=1)
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np
        import glassbox as gb
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
        try:
            gb.save_checkpoint({str(path)!r}, model={{"w": gb.zeros(1_000_000)}}, epoch=2)
        except OSError as e:
            print("failed:", e.errno)
            sys.exit(0)
        sys.exit("the write did not fail")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "failed: 27" in result.stdout  # EFBIG: the write really failed midway
    assert path.read_bytes() == before
    assert _stray_temp_files(tmp_path) == []


def test_load_checkpoint_detects_dangling_tensor_references(tmp_path):
    import json

    path = tmp_path / "ckpt.safetensors"
    gb.save_checkpoint(path, model={"w": gb.ones(2)}, epoch=1)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    doc = json.loads(header["__metadata__"]["__glassbox__"])
    doc["content"]["model"]["w"] = {"__tensor__": "model/missing"}
    header["__metadata__"]["__glassbox__"] = json.dumps(doc)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])
    with pytest.raises(ValueError, match="model/missing"):
        gb.load_checkpoint(path)
