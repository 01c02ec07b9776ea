"""Saving and loading state dicts as `.npz` files that cannot run code or lose a model.

A checkpoint is a zip archive of `.npy` members, one per key, stored uncompressed, as numpy's
`savez` writes them, so numpy reads it too. Saving writes a temporary file beside the target,
flushes it to disk and renames it over the target in one step: a save that fails half way (a
full disk, a killed process) leaves the previous checkpoint as it was, byte for byte. Loading
reads only numeric arrays, checks every header against the member's real size before
allocating anything, and turns every malformed or hostile file into a `ValueError` that names
the file and what is wrong.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import IO, Any

import numpy as np

from autograd import Tensor

SUFFIX = ".npz"


def checkpoint_path(path: str | os.PathLike[str]) -> str:
    """The file `save` writes for `path`: `.npz` is added if missing (`load` agrees)."""
    path = os.fspath(path)
    return path if path.endswith(SUFFIX) else path + SUFFIX


def save(state_dict: dict[str, Any], path: str | os.PathLike[str]) -> str:
    """Write name -> array pairs to `path` (`.npz` added if missing); returns the path written.

    Every key is a string saved under its own name; the old file at `path`, if any, is replaced
    only once the new one is complete on disk.
    """
    if not isinstance(state_dict, dict) or not state_dict:
        raise ValueError("save needs a non-empty dict of name -> array (model.state_dict())")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {type(name).__name__} {name!r}")
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: '{name}' holds dtype {arr.dtype}; only numeric arrays")
        arrays[name] = arr
    target = checkpoint_path(path)
    folder = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _write(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """The zip archive of `.npy` members, uncompressed (what `np.savez` writes)."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, arr in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save`: `path` itself, or else `path` with the `.npz` that
    `save` added (so `load("model.pt")` finds what `save(sd, "model.pt")` wrote).

    Refuses, with a `ValueError` naming the file and the problem: anything that is not such
    an archive, compressed or encrypted members (`save` never writes them), object arrays
    (pickles), and headers whose shape does not match the bytes the member really holds.
    """
    target = os.fspath(path)
    if not os.path.exists(target):
        target = checkpoint_path(target)
        if not os.path.exists(target):
            raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r} (nor {target!r})")
    try:
        return _read(target)
    except _Refused as e:
        raise ValueError(f"{target!r} is not a valid checkpoint: {e}") from None
    except Exception as e:  # BadZipFile, zlib.error, MemoryError: whatever a hostile file provokes
        raise ValueError(f"{target!r} is not a valid checkpoint: {type(e).__name__}: {e}") from None


class _Refused(Exception):
    """What is wrong with a checkpoint, found by the checks of `_read`."""


def _read(path: str) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(path):
        raise _Refused("not an .npz archive (a single .npy array, or not numpy's format at all)")
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if not name.endswith(".npy"):
                raise _Refused(f"member {name!r} is not an .npy array")
            if info.flag_bits & 0x1:
                raise _Refused(f"member {name!r} is encrypted")
            if info.compress_type != zipfile.ZIP_STORED:
                raise _Refused(
                    f"member {name!r} is compressed (method {info.compress_type}); checkpoints "
                    "written by save are not, and compressed members are not read"
                )
            if info.compress_size != info.file_size:
                raise _Refused(f"member {name!r} declares {info.file_size} bytes but holds "
                               f"{info.compress_size}")  # fmt: skip
            key = name[: -len(".npy")]
            if key in out:
                raise _Refused(f"key {key!r} appears twice")
            with archive.open(info) as member:
                out[key] = _read_array(member, name, info.file_size)
    if not out:
        raise _Refused("it holds no arrays")
    return out


def _read_array(member: IO[bytes], name: str, size: int) -> np.ndarray:
    """One `.npy` member, its header checked against its real size before any allocation."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise _Refused(f"member {name!r} has .npy format version {version}")
    except ValueError as e:
        raise _Refused(f"member {name!r} has a malformed header: {e}") from None
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise _Refused(f"member {name!r} holds dtype {dtype} (only numeric arrays; no pickles)")
    header = member.tell()
    count = 1
    for n in shape:
        count *= n
    expected = count * dtype.itemsize
    if header + expected != size:
        raise _Refused(
            f"member {name!r} declares shape {shape} of {dtype} ({expected} bytes) but holds "
            f"{size - header} bytes of data"
        )
    data = member.read(expected)
    if len(data) != expected:
        raise _Refused(f"member {name!r} is truncated")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C").copy()
