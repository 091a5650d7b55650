"""Reading a benchmark's files (metadata CSV, features) without unpickling."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping

import numpy as np
from scipy.sparse import issparse

__all__ = [
    "check_path",
    "read_csv_columns",
    "as_numbers",
    "as_codes",
    "split_names",
    "as_feature_matrix",
]

# Values of a metadata ``split`` column, by split: the group-DRO / BalancingGroups
# integer codes and the WILDS strings.
_SPLIT_CODES = {
    "0": "train",
    "train": "train",
    "1": "valid",
    "val": "valid",
    "valid": "valid",
    "validation": "valid",
    "2": "test",
    "test": "test",
}


def check_path(value, name):
    try:
        return os.fspath(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a path (str or os.PathLike); got {value!r}."
        ) from None


def read_csv_columns(path, wanted):
    """Read the named columns of a CSV file with the standard library.

    ``wanted`` maps a key to the accepted column names, first match wins. Returns
    the header, the column name chosen for each key found, and for each of them a
    list of strings.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise ValueError(f"metadata file {path!r} is empty: it needs a header row.")
        header = [h.strip() for h in header]
        chosen = {}
        for key, names in wanted.items():
            for name in names:
                if name in header:
                    chosen[key] = name
                    break
        positions = {key: header.index(name) for key, name in chosen.items()}
        columns = {key: [] for key in chosen}
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"metadata file {path!r}, line {reader.line_num}: {len(row)} "
                    f"fields, but the header has {len(header)}."
                )
            for key, i in positions.items():
                columns[key].append(row[i].strip())
    return header, chosen, columns


def as_numbers(values, path, column):
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(
            f"column {column!r} of {path!r} must be numeric: {exc}."
        ) from None


def as_codes(values, path, column, allowed, minus_one_is_zero=False):
    numbers_ = as_numbers(values, path, column)
    if minus_one_is_zero and numbers_.size and set(np.unique(numbers_)) <= {-1.0, 1.0}:
        numbers_ = np.where(numbers_ < 0, 0.0, numbers_)
    codes = numbers_.astype(np.int64)
    bad = (codes != numbers_) | ~np.isin(codes, allowed)
    if np.any(bad):
        raise ValueError(
            f"column {column!r} of {path!r} must hold the integers "
            f"{list(allowed)}; got {values[int(np.argmax(bad))]!r}."
        )
    return codes


def split_names(values, path, column):
    try:
        return np.array([_SPLIT_CODES[v.lower()] for v in values], dtype=object)
    except KeyError as exc:
        raise ValueError(
            f"column {column!r} of {path!r} must hold 0/1/2 or train/val/test; got "
            f"{exc.args[0]!r}."
        ) from None


def _read_array_file(path):
    """A numeric array from ``.npy`` or ``.pt``, never unpickling."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"features file {path!r} does not exist.")
    if path.endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(
                f"features file {path!r} cannot be read without unpickling "
                f"({exc}); skmat never unpickles: save a numeric array with "
                "numpy.save."
            ) from None
        if not isinstance(array, np.ndarray):
            raise ValueError(f"features file {path!r} is not a single .npy array.")
        return array
    if path.endswith(".pt"):
        import pickle

        import torch

        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise ValueError(
                f"features file {path!r} holds objects that torch.load(..., "
                "weights_only=True) refuses; skmat never unpickles arbitrary "
                f"objects: save a tensor with torch.save. ({exc})"
            ) from None
        if isinstance(obj, Mapping) and "features" in obj:
            obj = obj["features"]
        if not isinstance(obj, torch.Tensor):
            raise ValueError(
                f"features file {path!r} must hold a tensor (or a dict with a "
                f"'features' tensor); got {type(obj).__name__}."
            )
        if obj.dtype in (torch.float16, torch.bfloat16):
            obj = obj.to(torch.float32)
        return obj.detach().numpy()
    raise ValueError(
        f"features file {path!r} must end in .npy or .pt (read with "
        "numpy.load(allow_pickle=False) or torch.load(weights_only=True))."
    )


def as_feature_matrix(features, root, what):
    """Features given as a path (relative to root), array or tensor -> 2-D array."""
    source = None
    if isinstance(features, (str, os.PathLike)):
        source = os.path.join(os.fspath(root), os.fspath(features))
        array = _read_array_file(source)
    elif issparse(features):
        raise TypeError(
            f"{what} is a sparse matrix; pass a dense array (features.toarray())."
        )
    else:
        try:
            import torch

            if isinstance(features, torch.Tensor):
                features = features.detach().cpu()
                if features.dtype in (torch.float16, torch.bfloat16):
                    features = features.to(torch.float32)
                features = features.numpy()
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
        array = np.asarray(features)
    label = source or what
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"{label} must hold numbers; got an array of dtype {array.dtype}."
        )
    if array.ndim < 2:
        raise ValueError(
            f"{label} must be 2-D (one row per metadata row); got shape {array.shape}."
        )
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array, source
