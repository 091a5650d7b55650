"""How a MAT net's dataset serves batches: each row with its per-row training data.

The net's own dataset (what its ``get_dataset`` built) is wrapped by
:class:`RowDataset`, so that each row's training data (MAT's shift, a weight, a
fold mask...) ride with the row as a :class:`RowBatch` through the net's data
loader, whatever it does (shuffling, ``ValidSplit``'s ``Subset``, workers,
``pin_memory``, accelerate's device placement).

The fast path: when the net uses skorch's plain ``Dataset`` on in-memory data
(arrays of any rank, memmaps, tensors, sparse matrices, dicts of arrays) and
the default collate function (:func:`serves_by_gather`), the wrapper serves a
whole batch with one gather (:func:`skmat._inputs.gather_rows`) instead of one
``__getitem__`` and a collate per row: floats become float32, sparse rows are
densified a batch at a time. The data loader's collate function
(:class:`RowDataCollate`, set by the net for its iterators) passes such a
gathered batch through. Anything else (a custom ``Dataset``, a
``SliceDataset``, a custom ``collate_fn``) goes through the net's own data path
row by row, with ``iterator_train__num_workers`` as in skorch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import unpack_data
from skorch.utils import params_for
from torch.utils.data import DataLoader, default_collate

from ._inputs import as_gatherable, can_gather, gather_rows

__all__ = [
    "RowBatch",
    "RowDataset",
    "RowDataCollate",
    "serves_by_gather",
    "strip_row_data",
    "user_overrides",
]


class RowBatch(NamedTuple):
    """A batch's (or a row's) input ``x`` with per-row training data.

    What the data loader yields as ``X`` while a MAT net trains: ``x`` is what
    the net's own dataset made, ``row_data`` maps names (``"mat_shift"``) to
    tensors with one row per example. A named tuple, so that torch's
    ``default_collate``, ``pin_memory`` and accelerate's device placement keep
    it whole. The net takes it apart before any of the user's code runs.

    Examples
    --------
    >>> import torch
    >>> from skmat.nets import RowBatch
    >>> batch = RowBatch(torch.zeros(2, 3), {"mat_shift": torch.zeros(2, 2)})
    >>> batch.x.shape, batch.row_data["mat_shift"].shape
    (torch.Size([2, 3]), torch.Size([2, 2]))
    """

    x: Any
    row_data: dict


class _GatheredBatch:
    """A whole batch gathered by :class:`RowDataset` (the one entry of the list
    its ``__getitems__`` returns), passed through by :class:`RowDataCollate`."""

    __slots__ = ("batch",)

    def __init__(self, batch):
        self.batch = batch


class RowDataset(torch.utils.data.Dataset):
    """The net's own dataset, with per-row training data and batched gathering.

    Parameters
    ----------
    dataset : torch Dataset
        What the net's ``get_dataset`` built.
    row_data : dict of str to torch.Tensor
        One row per example of ``dataset`` (possibly empty): rides with each
        row as a :class:`RowBatch`.
    gather : bool
        Whether ``__getitems__`` gathers a whole batch at once
        (:func:`serves_by_gather`); otherwise rows come one by one.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch.dataset import Dataset
    >>> from skmat._batching import RowDataset
    >>> data = RowDataset(Dataset(np.eye(3), np.arange(3)),
    ...                   {"w": torch.tensor([1.0, 2.0, 3.0])}, gather=False)
    >>> x, y = data[2]
    >>> x.row_data["w"], int(y)
    (tensor(3.), 2)
    """

    def __init__(self, dataset, row_data, gather):
        self.dataset = dataset
        self.row_data = row_data
        self.gather = gather
        if gather:
            self._X = as_gatherable(dataset.X)
            y = dataset.y
            self._y = None if y is None else torch.as_tensor(y)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        x, y = unpack_data(self.dataset[i])
        if self.row_data:
            x = RowBatch(x, {k: v[i] for k, v in self.row_data.items()})
        return x, y

    def __getitems__(self, indices):
        if not self.gather:
            return [self[i] for i in indices]
        index = torch.as_tensor(indices, dtype=torch.int64)
        x = gather_rows(self._X, index)
        if self.row_data:
            x = RowBatch(
                x, {k: v.index_select(0, index) for k, v in self.row_data.items()}
            )
        if self._y is None:
            y = torch.zeros(len(index), 1)  # skorch's stand-in for "no y"
        else:
            y = self._y.index_select(0, index.to(self._y.device))
        return [_GatheredBatch((x, y))]


class RowDataCollate:
    """A data loader's collate function (the user's, or torch's default), with
    the per-row training data collated beside the rows and a batch that
    :class:`RowDataset` gathered at once passed through.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import default_collate
    >>> from skmat._batching import RowBatch, RowDataCollate
    >>> rows = [(RowBatch(torch.zeros(3), {"w": torch.tensor(1.0)}), 0)] * 2
    >>> x, y = RowDataCollate(default_collate)(rows)
    >>> x.x.shape, x.row_data["w"].tolist(), y.tolist()
    (torch.Size([2, 3]), [1.0, 1.0], [0, 0])
    """

    def __init__(self, collate_fn=default_collate):
        self.collate_fn = collate_fn

    def __call__(self, samples):
        first = samples[0] if isinstance(samples, list) and samples else None
        if isinstance(first, _GatheredBatch):
            return first.batch
        if not (isinstance(first, tuple) and isinstance(first[0], RowBatch)):
            return self.collate_fn(samples)
        batch = self.collate_fn([(x.x, y) for x, y in samples])
        xb, yb = unpack_data(batch)
        row_data = default_collate([x.row_data for x, _ in samples])
        return RowBatch(xb, row_data), yb


def user_overrides(cls, name):
    """Whether a class below skmat's and skorch's (the user's) defines ``name``.

    Examples
    --------
    >>> from skorch import NeuralNetClassifier
    >>> from skmat._batching import user_overrides
    >>> class Mine(NeuralNetClassifier):
    ...     __module__ = "my_project"
    ...     def get_dataset(self, X, y=None):
    ...         return super().get_dataset(X, y)
    >>> user_overrides(Mine, "get_dataset"), user_overrides(Mine, "fit")
    (True, False)
    """
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in ("skmat", "skorch"):
            continue
        if name in vars(klass):
            return True
    return False


def serves_by_gather(net, dataset):
    """Whether ``net`` may serve ``dataset`` a batch at a time (the fast path).

    True for skorch's plain ``Dataset`` over in-memory data, with labels an
    array or tensor, data loaders that are ``DataLoader`` classes, and no
    ``collate_fn`` of the user's.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skmat.mlp import mlp_net
    >>> from skmat._batching import serves_by_gather
    >>> serves_by_gather(mlp_net(), Dataset(np.eye(3), np.arange(3)))
    True
    >>> serves_by_gather(mlp_net(iterator_train__collate_fn=list),
    ...                  Dataset(np.eye(3), np.arange(3)))
    False
    """
    if type(dataset) is not SkorchDataset or dataset.X_is_ndframe:
        return False
    if not can_gather(dataset.X):
        return False
    if dataset.y is not None and not isinstance(dataset.y, (np.ndarray, torch.Tensor)):
        return False
    for prefix in ("iterator_train", "iterator_valid"):
        iterator = getattr(net, prefix)
        if not (isinstance(iterator, type) and issubclass(iterator, DataLoader)):
            return False
        if "collate_fn" in params_for(prefix, vars(net)):
            return False
    return True


def strip_row_data(batch):
    """``(batch without row data, row data or {})`` for a data loader's batch.

    Examples
    --------
    >>> import torch
    >>> from skmat._batching import RowBatch, strip_row_data
    >>> batch = (RowBatch(torch.zeros(2, 3), {"w": torch.ones(2)}), torch.zeros(2))
    >>> (x, y), row_data = strip_row_data(batch)
    >>> x.shape, sorted(row_data)
    (torch.Size([2, 3]), ['w'])
    """
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        x, y = batch
        if isinstance(x, RowBatch):
            return (x.x, y), x.row_data
    return batch, {}
