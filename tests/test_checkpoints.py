"""Checkpoints that never lose a model and never trust a file (nn.save / nn.load)."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import numpy as np
import pytest

import nn
from nn import serialization


def _state(seed: int = 0) -> dict[str, np.ndarray]:
    return nn.MLP(2, [4, 1], seed=seed).state_dict()


def test_a_save_that_fails_half_way_leaves_the_old_checkpoint_byte_for_byte(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(_state(0), path)
    before = path.read_bytes()
    real = np.lib.format.write_array
    written = []

    def dies_on_the_second_array(f, arr, **kwargs):
        if written:
            raise OSError(28, "No space left on device")
        written.append(arr)
        real(f, arr, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", dies_on_the_second_array)
    with pytest.raises(OSError, match="No space left"):
        nn.save(_state(1), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    monkeypatch.undo()
    loaded = nn.load(path)
    for k, v in _state(0).items():
        np.testing.assert_array_equal(loaded[k], v)


def test_keys_that_numpy_savez_would_swallow_are_saved_under_their_own_names(tmp_path):
    state = {"file": np.ones(2), "allow_pickle": np.zeros(3), "a/b": np.arange(4.0)}
    path = nn.save(state, tmp_path / "odd.npz")
    loaded = nn.load(path)
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        np.testing.assert_array_equal(loaded[k], v)
    with np.load(path) as archive:  # still numpy's format
        np.testing.assert_array_equal(archive["file"], np.ones(2))


def test_keys_must_be_strings_so_1_and_one_cannot_merge(tmp_path):
    with pytest.raises(TypeError, match="keys must be strings, got int 1"):
        nn.save({1: np.ones(1), "1": np.zeros(1)}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_save_and_load_agree_on_a_path_without_npz(tmp_path):
    written = nn.save(_state(), tmp_path / "model.pt")
    assert written.endswith("model.pt.npz")
    assert sorted(nn.load(tmp_path / "model.pt")) == sorted(_state())
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        nn.load(tmp_path / "other.pt")


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr)
    return buf.getvalue()


def _header(shape: tuple, dtype: str = "<f8") -> bytes:
    """A .npy header declaring `shape`, with no data behind it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


HOSTILE = {
    "plain_npy": (lambda: _npy(np.ones(3)), "not an .npz archive"),
    "compressed": (
        lambda: _zip({"w.npy": _npy(np.ones(1000))}, zipfile.ZIP_DEFLATED),
        "compressed",
    ),
    "huge_shape": (lambda: _zip({"w.npy": _header((2**20, 2**20))}), "declares shape"),
    "short_data": (lambda: _zip({"w.npy": _header((10,)) + b"\x00" * 16}), "declares shape"),
    "not_npy": (lambda: _zip({"w.txt": b"hello"}), "not an .npy array"),
    "bad_header": (lambda: _zip({"w.npy": b"\x93NUMPY\x01\x00garbage"}), "malformed header"),
    "empty": (lambda: _zip({}), "holds no arrays"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_malformed_or_hostile_file_is_a_value_error_naming_the_problem(tmp_path, name):
    make, problem = HOSTILE[name]
    path = tmp_path / f"{name}.npz"
    path.write_bytes(make())
    with pytest.raises(ValueError, match=f"{name}.npz' is not a valid checkpoint: .*{problem}"):
        nn.load(path)


def test_an_unknown_compression_method_and_an_encrypted_member_are_refused(tmp_path):
    good = _zip({"w.npy": _npy(np.ones(2))})

    def patched(local: int, central: int, value: int) -> bytes:
        """`good` with a 2-byte field set in the local header and the central directory."""
        data = bytearray(good)
        for sig, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
            at = data.index(sig)
            data[at + offset : at + offset + 2] = struct.pack("<H", value)
        return bytes(data)

    (tmp_path / "unknown.npz").write_bytes(patched(8, 10, 99))  # compression method 99
    with pytest.raises(ValueError, match="compressed"):
        nn.load(tmp_path / "unknown.npz")
    (tmp_path / "encrypted.npz").write_bytes(patched(6, 8, 1))  # the "encrypted" flag bit
    with pytest.raises(ValueError, match="encrypted"):
        nn.load(tmp_path / "encrypted.npz")


def test_a_small_file_declaring_a_huge_array_allocates_nothing(tmp_path):
    import tracemalloc

    path = tmp_path / "bomb.npz"
    path.write_bytes(_zip({"w.npy": _header((2**26,)) + b"\x00" * 4096}))  # claims 512 MiB
    tracemalloc.start()
    with pytest.raises(ValueError, match="declares shape"):
        nn.load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10 * 2**20


def test_checkpoint_path_is_the_one_rule():
    assert serialization.checkpoint_path("a/model") == "a/model.npz"
    assert serialization.checkpoint_path("model.npz") == "model.npz"
