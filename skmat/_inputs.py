"""What ``X`` can be, in one place: every input a skorch classifier takes.

skmat's estimators (:class:`~skmat.MATClassifier`, the baselines), the group
inference and the callbacks validate ``X`` here and nowhere else. The rule:

* **Tables** (2-D NumPy arrays, memmaps, pandas DataFrames, lists of rows) and
  **sparse matrices** (any SciPy format, kept as CSR) are validated the
  scikit-learn way by :func:`~sklearn.utils.validation.validate_data`: feature
  names, ``n_features_in_``, finite values, numbers only. Their dtype is kept
  (floats are fed to the networks as float32 a batch at a time).
* **Everything else a skorch net takes** is checked for length, dtype and finite
  values only, and never copied: N-D arrays and memmaps (images; read in place),
  torch tensors, dicts and :class:`skorch.helper.SliceDict` of arrays (token ids
  and attention masks: every value keeps its own dtype), and
  :class:`skorch.helper.SliceDataset` over any torch Dataset (rows read lazily,
  so their values are not checked).

Two functions serve the networks: :func:`take_rows` (a fold's rows, in ``X``'s
own kind) and :func:`gather_rows` (one batch as tensors, one gather).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_array, validate_data
from skorch.helper import SliceDataset, SliceDict

from ._encoding import encode_classes
from ._errors import naming

__all__ = [
    "check_fit_X",
    "check_labelled_X",
    "check_X",
    "check_rows",
    "n_rows",
    "is_table",
    "flat_width",
    "largest_magnitude",
    "take_rows",
    "for_nets",
    "gather_rows",
    "can_gather",
    "can_share_rows",
    "batch_rows",
    "splitter_X",
]

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_KINDS = (
    "a 2-D array or DataFrame (a table), an N-D array (images), a scipy sparse "
    "matrix, a torch tensor, a dict or skorch.helper.SliceDict of arrays, or a "
    "skorch.helper.SliceDataset"
)


# ----------------------------------------------------------------- the kinds
def _kind(X):
    """Which of skmat's input kinds ``X`` is (raises for anything else)."""
    if isinstance(X, SliceDataset):
        return "dataset"
    if isinstance(X, torch.utils.data.Dataset):
        return "torch_dataset"
    if sp.issparse(X):
        return "sparse"
    if isinstance(X, torch.Tensor):
        return "tensor"
    if isinstance(X, Mapping):
        return "dict"
    if isinstance(X, np.ndarray) and X.ndim >= 3:
        return "array"
    return "table"


def is_table(X):
    """Whether ``X`` is validated as a table (2-D array, DataFrame, sparse)."""
    return _kind(X) in ("table", "sparse")


def _dtype_error(dtype, what="X"):
    return TypeError(
        f"{what} must hold numbers (bool, int or float); got dtype {dtype}. "
        "Encode text and categories first (e.g. a TfidfVectorizer or a "
        "tokenizer)."
    )


def _check_dtype(dtype, what):
    if np.dtype(dtype).kind not in "biuf":
        raise _dtype_error(dtype, what)


def _check_float_range(largest, what):
    if largest is not None and largest > _FLOAT32_MAX:
        raise ValueError(
            f"{what} holds values up to {largest:.3g} in absolute value, beyond "
            "the float32 range (about 3.4e38) in which the networks train; scale "
            "it (e.g. with sklearn.preprocessing.StandardScaler)."
        )


def _array_extremes(a, chunk_rows=8192):
    """(all finite, largest magnitude) of a float array, a chunk of rows at a
    time: no full-size temporary, and a memmap is read once, never loaded."""
    largest = 0.0
    for start in range(0, max(len(a), 1), chunk_rows):
        block = np.asarray(a[start : start + chunk_rows])
        if block.size == 0:
            continue
        if not np.isfinite(block).all():
            return False, None
        largest = max(largest, float(np.max(block)), -float(np.min(block)))
    return True, largest


def _check_values(value, what):
    """Numeric dtype, finite floats within float32 range (arrays and tensors)."""
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise _dtype_error(value.dtype, what)
        if value.is_floating_point() and value.numel():
            value32 = value.detach()
            if not bool(torch.isfinite(value32).all()):
                raise ValueError(f"Input {what} contains NaN or infinity.")
            largest = float(value32.abs().max())
            _check_float_range(largest, what)
        return
    _check_dtype(value.dtype, what)
    if value.dtype.kind == "f" and value.size:
        finite, largest = _array_extremes(value)
        if not finite:
            raise ValueError(f"Input {what} contains NaN or infinity.")
        _check_float_range(largest, what)


def _as_value_array(value, key):
    what = f"X[{key!r}]"
    if isinstance(value, (np.ndarray, torch.Tensor)):
        pass
    elif sp.issparse(value) or isinstance(value, (str, bytes)):
        raise TypeError(
            f"{what} must be a dense array or tensor; got {type(value).__name__}."
        )
    else:
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{what} must be array-like; {exc}") from exc
    if value.ndim < 1:
        raise ValueError(f"{what} must hold one entry per row; got a scalar.")
    _check_values(value, what)
    return value


def _check_dict(X):
    if not X:
        raise ValueError("X is an empty dict; it needs at least one array.")
    values = {key: _as_value_array(value, key) for key, value in X.items()}
    lengths = {key: len(value) for key, value in values.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(
            "X is a dict whose values have different numbers of rows "
            f"({lengths}); every value must hold one row per example."
        )
    if all(values[k] is X[k] for k in X):
        return X  # nothing converted: the user's own dict, unchanged
    return SliceDict(**values) if isinstance(X, SliceDict) else dict(values)


def _check_other(X):
    """Validate a non-table input; returns it (dicts: lists made arrays)."""
    kind = _kind(X)
    if kind == "dict":
        return _check_dict(X)
    if kind in ("dataset", "torch_dataset"):
        return X
    if X.ndim < 2:
        raise ValueError(
            f"X must have one row per example and at least 2 dimensions; got "
            f"shape {tuple(X.shape)}."
        )
    _check_values(X, "X")
    return X


# ---------------------------------------------------------------- validation
def _non_numeric_columns(X):
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [c for c, dt in dtypes.items() if getattr(dt, "kind", "O") not in "biuf"]


def _check_table_values(X):
    """A validated table's dtype, and its floats within the float32 range."""
    data = X.data if sp.issparse(X) else X
    _check_dtype(data.dtype, "X")
    if data.dtype.kind == "f" and data.dtype != np.float32 and data.size:
        # max and min: no full-size temporary of abs(X).
        _check_float_range(max(float(data.max()), -float(data.min())), "X")


def _validate_table(estimator, X, *, reset, ensure_min_samples):
    try:
        X = validate_data(
            estimator,
            X,
            accept_sparse="csr",
            dtype="numeric",
            reset=reset,
            ensure_min_samples=ensure_min_samples,
        )
    except (TypeError, ValueError) as exc:
        columns = _non_numeric_columns(X)
        hint = (
            f" (X has non-numeric columns {columns[:10]}: encode them first, e.g. "
            "with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer.)"
            if columns
            else ""
        )
        raise naming(exc, "X", hint) from exc
    _check_table_values(X)
    return X


def check_X(estimator, X, *, reset=False, ensure_min_samples=1):
    """Validate ``X`` for fit (``reset=True``) or prediction (``reset=False``).

    Tables are validated by :func:`~sklearn.utils.validation.validate_data`
    (which sets or checks ``n_features_in_`` and ``feature_names_in_``); other
    kinds are checked for their dtype, length and finite values. Every error is
    a ValueError or TypeError naming ``X``.

    Parameters
    ----------
    estimator : estimator
        Receives ``n_features_in_`` (tables only) when ``reset``.
    X : any input kind of this module
        The input.
    reset : bool, default=False
        True in ``fit``.
    ensure_min_samples : int, default=1
        Fewest rows accepted.

    Returns
    -------
    X : the validated input
        A table as an ndarray (a DataFrame converted) or CSR matrix; any other
        kind unchanged (a dict's lists become arrays).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from skmat._inputs import check_X
    >>> est = BaseEstimator()
    >>> check_X(est, np.zeros((4, 3), dtype=np.float32), reset=True).dtype
    dtype('float32')
    >>> est.n_features_in_
    3
    >>> check_X(est, np.zeros((4, 3, 8, 8)), reset=True).shape
    (4, 3, 8, 8)
    """
    if reset:
        for name in ("n_features_in_", "feature_names_in_"):
            # A non-table input leaves no stale width of an earlier table fit.
            vars(estimator).pop(name, None)
    if is_table(X):
        return _validate_table(
            estimator, X, reset=reset, ensure_min_samples=ensure_min_samples
        )
    if _kind(X) == "torch_dataset":
        raise TypeError(
            f"X is a torch Dataset ({type(X).__name__}); wrap it as "
            "skorch.helper.SliceDataset(X) and pass its labels as y, so that "
            "scikit-learn can split its rows (they stay lazy)."
        )
    X = _check_other(X)
    if not reset and hasattr(estimator, "n_features_in_"):
        raise ValueError(
            f"X is {describe(X)}, but {type(estimator).__name__} was fitted on a "
            f"table with {estimator.n_features_in_} features."
        )
    count = n_rows(X)
    if count < ensure_min_samples:
        raise ValueError(
            f"X has {count} row(s); at least {ensure_min_samples} are required."
        )
    return X


def _checked(X):
    """``X`` checked (tables as :func:`check_X` checks them, other kinds alike);
    a table comes back as scikit-learn's validated array, the rest as given."""
    if not is_table(X):
        _check_other(X)
        return X
    try:
        checked = check_array(
            X,
            accept_sparse=True,
            dtype="numeric",
            ensure_min_samples=0,
            input_name="X",
        )
    except (TypeError, ValueError) as exc:
        raise naming(exc, "X") from exc
    _check_table_values(checked)
    return checked


def check_rows(X):
    """Check ``X`` of any kind without converting it; return its number of rows.

    Tables are checked as :func:`check_X` checks them, other kinds likewise.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import check_rows
    >>> check_rows(np.zeros((3, 2, 5, 5)))
    3
    """
    return n_rows(_checked(X))


def net_input(X):
    """``X`` checked and converted as skmat's estimators feed it to a net, for
    data given outside an estimator's ``fit`` (a callback's evaluation set).

    A table (DataFrame, 2-D array, sparse matrix) becomes the array that
    scikit-learn's validation makes of it, as :class:`~skmat.MATClassifier`
    reads its ``X``; then :func:`for_nets` (floats as float32).

    Examples
    --------
    >>> import pandas as pd
    >>> from skmat._inputs import net_input
    >>> net_input(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})).dtype
    dtype('float32')
    """
    return for_nets(_checked(X))


def check_fit_X(estimator, X):
    """:func:`check_X` for ``fit``: resets ``n_features_in_``, needs 2 rows."""
    return check_X(estimator, X, reset=True, ensure_min_samples=2)


def check_labelled_X(estimator, X, y):
    """:func:`check_X` for a labelled set of a fitted estimator (``infer_groups``):
    ``y`` must hold one label per row of ``X``."""
    X = check_X(estimator, X)
    n_labels = len(y) if hasattr(y, "__len__") else None
    if n_labels != n_rows(X):
        raise ValueError(
            f"y must hold one label per row of X ({n_rows(X)}); got "
            f"{'no sequence' if n_labels is None else f'{n_labels} labels'}."
        )
    return X


def check_fit_data(estimator, X, y):
    """Validate training data; set ``n_features_in_`` (and feature names) for tables.

    Returns ``X`` (:func:`check_fit_X`: tables validated the scikit-learn way,
    other kinds kept as they are), ``y`` encoded as ``0 .. n_classes - 1`` and
    the sorted class labels (:func:`skmat._encoding.encode_classes`). Every
    error is a ValueError or TypeError whose message names ``X`` or ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from skmat._inputs import check_fit_data
    >>> est = BaseEstimator()
    >>> X, y, classes = check_fit_data(est, np.zeros((3, 2)), ["b", "a", "b"])
    >>> y.tolist(), classes.tolist(), est.n_features_in_
    ([1, 0, 1], ['a', 'b'], 2)
    """
    X = check_fit_X(estimator, X)
    y_index, classes = encode_classes(y)
    if y_index.shape[0] != n_rows(X):
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_rows(X)} rows "
            f"but y has {y_index.shape[0]} labels."
        )
    return X, y_index, classes


def describe(X):
    kind = _kind(X)
    if kind == "dict":
        return f"a dict with keys {sorted(map(str, X))}"
    if kind in ("dataset", "torch_dataset"):
        return f"a {type(X).__name__} of {len(X)} rows"
    sparse = "sparse " if sp.issparse(X) else ""
    return f"a {sparse}{type(X).__name__} of shape {tuple(X.shape)}"


# -------------------------------------------------------------------- rows
def n_rows(X):
    """Number of examples (rows) of any input kind.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import n_rows
    >>> n_rows({"ids": np.zeros((5, 7)), "mask": np.ones((5, 7))})
    5
    """
    kind = _kind(X)
    if kind == "dict":
        lengths = {len(v) for v in X.values()}
        if len(lengths) != 1:
            raise ValueError(
                "X is a dict whose values have different numbers of rows; every "
                "value must hold one row per example."
            )
        return lengths.pop()
    if kind in ("sparse", "tensor", "array"):
        return int(X.shape[0])
    try:
        return len(X)
    except TypeError as exc:
        raise TypeError(f"X must be one of: {_KINDS}; got {type(X).__name__}.") from exc


def flat_width(X):
    """Number of input features once a row is flattened (the default MLP's
    ``n_features``); raises for dicts, which have no single width."""
    kind = _kind(X)
    if kind == "dict":
        raise TypeError(
            "skmat's default MLP takes one array per row, but X is a dict "
            f"(keys {sorted(map(str, X))}); pass your own skorch net whose module "
            "takes these keys as arguments."
        )
    if kind in ("dataset", "torch_dataset"):
        first = X[0] if len(X) else np.zeros(0)
        shape = tuple(np.shape(first))
    else:
        shape = tuple(X.shape[1:])
    return int(np.prod(shape)) if shape else 1


def largest_magnitude(X):
    """Largest absolute value of a numeric input, for error messages (None for a
    dataset or a non-numeric dict value)."""
    kind = _kind(X)
    values = list(X.values()) if kind == "dict" else [X]
    if kind in ("dataset", "torch_dataset"):
        return None
    largest = 0.0
    for value in values:
        if sp.issparse(value):
            value = value.data
        if isinstance(value, torch.Tensor):
            if value.numel():
                largest = max(largest, float(value.detach().abs().max()))
            continue
        value = np.asarray(value)
        if value.size and value.dtype.kind in "biuf":
            largest = max(largest, float(np.max(np.abs(value))))
    return largest


def take_rows(X, rows):
    """The rows ``rows`` of ``X``, in ``X``'s own kind.

    A SliceDataset stays lazy (a view on the same dataset); arrays, tensors,
    sparse matrices and dicts give copies of those rows, as
    :func:`sklearn.utils._safe_indexing` does.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import take_rows
    >>> take_rows(np.arange(6).reshape(3, 2), np.array([2, 0]))
    array([[4, 5],
           [0, 1]])
    """
    rows = np.asarray(rows, dtype=np.intp)
    kind = _kind(X)
    if kind == "dict":
        taken = {k: take_rows(v, rows) for k, v in X.items()}
        return SliceDict(**taken) if isinstance(X, SliceDict) else taken
    if kind == "tensor":
        return X.index_select(0, torch.as_tensor(rows, device=X.device))
    if kind == "torch_dataset":
        return torch.utils.data.Subset(X, rows)
    if kind == "dataset":
        return X[rows]
    if kind == "sparse":
        return X[rows]
    return np.take(np.asarray(X), rows, axis=0)


def to_float32(value):
    """An array or tensor with floats as float32 (one copy), other dtypes as they are.

    The one rule of what dtype skmat's networks get: float32 for floats,
    integers (token ids, labels) untouched.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat._inputs import to_float32
    >>> to_float32(np.zeros(2)).dtype
    dtype('float32')
    >>> to_float32(torch.zeros(2, dtype=torch.int64)).dtype
    torch.int64
    """
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and value.dtype != torch.float32:
            return value.to(torch.float32)
        return value
    if value.dtype.kind == "f" and value.dtype != np.float32:
        return value.astype(np.float32)
    return value


def for_nets(X):
    """``X`` as skmat's networks get it: floats as float32, converted once.

    A float64 array, tensor, sparse matrix or dict value becomes one float32
    copy (:func:`to_float32`), made once per fit instead of once per batch and
    epoch; float32 data, integers (token ids) and memmaps are passed as they
    are (a memmap is read in place and converted a batch at a time, like a lazy
    dataset).

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import for_nets
    >>> for_nets(np.zeros((2, 3))).dtype, for_nets(np.zeros((2, 3), int)).dtype
    (dtype('float32'), dtype('int64'))
    """
    if isinstance(X, Mapping):
        converted = {k: for_nets(v) for k, v in X.items()}
        return SliceDict(**converted) if isinstance(X, SliceDict) else converted
    if isinstance(X, np.memmap) or not hasattr(X, "dtype"):
        return X
    return to_float32(X)


def splitter_X(X):
    """``X`` as scikit-learn's splitters see it: itself, or for a plain dict
    (which scikit-learn cannot count rows of) a stand-in of its length."""
    if _kind(X) == "dict" and not isinstance(X, SliceDict):
        return np.zeros((n_rows(X), 0))
    return X


# --------------------------------------------------------- batch gathering
def _numeric(value):
    return value.dtype.kind in "biufc" if isinstance(value, np.ndarray) else True


def can_gather(X):
    """Whether :func:`gather_rows` serves ``X``: in-memory numbers (arrays,
    memmaps, tensors, sparse matrices, and dicts of arrays or tensors).

    An array of objects (variable-length sequences, strings) cannot become a
    tensor: its rows go through the net's own per-row data path.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import can_gather
    >>> can_gather(np.zeros((3, 2))), can_gather(np.array([[1], [1, 0]], dtype=object))
    (True, False)
    """
    if isinstance(X, Mapping):
        return bool(X) and all(
            isinstance(v, (np.ndarray, torch.Tensor)) and v.ndim >= 1 and _numeric(v)
            for v in X.values()
        )
    if sp.issparse(X):
        return True
    return isinstance(X, (np.ndarray, torch.Tensor)) and X.ndim >= 1 and _numeric(X)


def as_gatherable(X):
    """``X`` with its arrays shared as tensors (no copy) where torch can, ready
    for :func:`gather_rows`."""
    if isinstance(X, Mapping):
        return {k: as_gatherable(v) for k, v in X.items()}
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        if X.dtype.byteorder not in ("=", "|") or any(s < 0 for s in X.strides):
            return X
        with warnings.catch_warnings():
            # A read-only array (a memmap opened with mode="r", a joblib memmap)
            # is only ever read here: share it rather than copy it.
            warnings.filterwarnings("ignore", message=".*not writable.*")
            return torch.from_numpy(X)
    if sp.issparse(X) and X.format != "csr":
        return X.tocsr()
    return X


def can_share_rows(X):
    """Whether a contiguous run of ``X``'s rows may reach the network as a view
    of ``X`` (:func:`gather_rows` with a ``slice``) instead of a copy.

    True for tensors and writable in-memory arrays (and dicts of them). False
    for memmaps (their rows are read a batch at a time, and a view of a file's
    pages must never reach code that could write to them), other read-only
    arrays, sparse matrices (densified a batch at a time) and anything else.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._inputs import can_share_rows
    >>> frozen = np.zeros((3, 2)); frozen.flags.writeable = False
    >>> can_share_rows(np.zeros((3, 2))), can_share_rows(frozen)
    (True, False)
    """
    if isinstance(X, Mapping):
        return bool(X) and all(can_share_rows(v) for v in X.values())
    if isinstance(X, torch.Tensor):
        return True
    return (
        isinstance(X, np.ndarray)
        and not isinstance(X, np.memmap)
        and bool(X.flags.writeable)
    )


def batch_rows(indices, n_rows):
    """The rows a data loader asks for, as :func:`gather_rows` takes them.

    A ``slice`` when ``indices`` are a contiguous ascending run inside
    ``0 .. n_rows - 1`` (a whole unshuffled set, or one of its unshuffled
    batches), which :func:`gather_rows` serves without a copy; otherwise an
    int64 tensor of the indices (made through NumPy: ``torch.as_tensor`` of a
    list of ints is several times slower).

    Examples
    --------
    >>> from skmat._inputs import batch_rows
    >>> batch_rows([3, 4, 5], 10), batch_rows([3, 5, 4], 10)
    (slice(3, 6, None), tensor([3, 5, 4]))
    """
    if isinstance(indices, torch.Tensor):
        return indices.reshape(-1).to(torch.int64)
    n = len(indices)
    if isinstance(indices, range):
        contiguous = indices.step == 1 or n <= 1
        start = indices.start if n else 0
    elif n and isinstance(indices, list):
        start = indices[0]
        try:
            # The ends first: a shuffled batch is told apart without a loop.
            contiguous = indices[-1] - start == n - 1 and indices == list(
                range(start, start + n)
            )
        except TypeError:  # not integers: NumPy says what is wrong below
            contiguous = False
    else:
        contiguous = False
    if contiguous and 0 <= start and start + n <= n_rows:
        return slice(int(start), int(start) + n)
    return torch.from_numpy(np.asarray(indices, dtype=np.int64).reshape(-1))


def _as_batch_tensor(batch):
    return to_float32(torch.as_tensor(batch))


def gather_rows(X, rows):
    """One batch of rows of ``X`` (from :func:`as_gatherable`) as tensors.

    ``rows`` is an int64 tensor of row indices, or a ``slice`` (a contiguous
    run, :func:`batch_rows`), which a tensor serves as a view: no copy when
    its dtype is already the network's (float32 floats, integers). Otherwise
    one gather per batch (``index_select`` for tensors, row slicing for sparse
    matrices, which are densified batch by batch); floats become float32,
    other dtypes are kept (integer token ids stay integers). A dict gives a
    dict.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat._inputs import as_gatherable, gather_rows
    >>> X = as_gatherable({"ids": np.arange(6).reshape(3, 2)})
    >>> gather_rows(X, torch.tensor([2, 0]))["ids"]
    tensor([[4, 5],
            [0, 1]])
    >>> gather_rows(X, slice(1, 3))["ids"]._base is X["ids"]
    True
    """
    if isinstance(X, Mapping):
        return {k: gather_rows(v, rows) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        if isinstance(rows, slice):
            return to_float32(X[rows])
        return to_float32(torch.index_select(X, 0, rows.to(X.device)))
    if isinstance(rows, slice):
        rows = torch.arange(rows.start, rows.stop)
    if sp.issparse(X):
        return _as_batch_tensor(X[rows.numpy()].toarray())
    return _as_batch_tensor(np.take(X, rows.numpy(), axis=0))
