"""Saving and loading state dicts as `.npz` files, read with `allow_pickle=False`.

A checkpoint holds only numeric arrays, so loading an untrusted file can never run code.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np


def save(state_dict: dict[str, Any], path: str | os.PathLike) -> str:
    """Write name -> array pairs to `path` (an `.npz` file); returns the path written."""
    if not isinstance(state_dict, dict) or not state_dict:
        raise ValueError("save needs a non-empty dict of name -> array (model.state_dict())")
    arrays = {}
    for name, value in state_dict.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: '{name}' holds dtype {arr.dtype}; only numeric arrays")
        arrays[str(name)] = arr
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, **arrays)
    return path


def load(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save`; refuses missing, corrupt and pickle-bearing files."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("a single .npy array, not an .npz checkpoint")
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"{path!r} is not a valid checkpoint: {e}") from None
