"""How a MAT net's dataset serves batches: each row with its per-row training data.

The net's own dataset (what its ``get_dataset`` built) is wrapped by
:class:`RowDataset`, so that each row's training data (MAT's shift, a weight, a
fold mask...) ride with the row as a :class:`RowBatch` through the net's data
loader, whatever it does (shuffling, ``ValidSplit``'s ``Subset``, workers,
``pin_memory``, accelerate's device placement).

The fast path: when the net uses skorch's plain ``Dataset`` on in-memory
numbers (arrays of any rank, memmaps, tensors, sparse matrices, dicts of
arrays; labels an array of numbers) and the default collate function
(:func:`serves_by_gather`), the wrapper's ``__getitems__`` serves a whole batch
at once instead of one ``__getitem__`` and a collate per row: a contiguous run
of rows (a whole unshuffled set, an unshuffled batch) as views of the data, no
copy (:func:`skmat._inputs.batch_rows`); other rows with one gather
(:func:`skmat._inputs.gather_rows`), kept for the next request of the same rows
(a fold's full batch is gathered in the first two epochs, not in every epoch,
unless other rows are asked for in between, such as a validation split's;
rows asked for once, as shuffled batches are, keep nothing). Floats become
float32, sparse rows are densified a batch at a time. As torch's
``Dataset.__getitems__`` contract asks, it returns one sample per index: a
:class:`GatheredBatch`, a sequence whose items are the rows, which the data
loader's collate function (:class:`RowDataCollate`, set by the net for its
iterators) takes whole. Anything else (a custom ``Dataset``, a
``SliceDataset``, labels that are objects, a custom ``collate_fn``) goes through
the net's own data path row by row, with ``iterator_train__num_workers`` as in
skorch. A plain data loader whose one batch is the whole set in order
(full-batch training) is not run at all: the net hands that batch over
directly (:func:`whole_set_batches`).

Rows served as views are the training data itself: the net's steps check that
nothing changed them in place (:func:`check_views_unchanged`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import unpack_data
from skorch.utils import params_for
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    SequentialSampler,
    Subset,
    default_collate,
    get_worker_info,
)

from ._inputs import (
    as_gatherable,
    batch_rows,
    can_gather,
    can_share_rows,
    gather_rows,
)

__all__ = [
    "RowBatch",
    "GatheredBatch",
    "RowDataset",
    "RowDataCollate",
    "WholeSetBatches",
    "check_views_unchanged",
    "serves_by_gather",
    "strip_row_data",
    "user_overrides",
    "views_in",
    "whole_set_batches",
]

# Set on the tensors of a batch served as views of the data (not copies).
_VIEW_MARK = "_skmat_view_of_data"


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


class GatheredBatch(Sequence):
    """The rows of one batch that :class:`RowDataset` served at once.

    What its ``__getitems__`` returns: as torch's ``Dataset.__getitems__``
    contract asks, a sequence of one sample per index (``batch[i]`` is row
    ``i``'s ``(x, y)``, a :class:`RowBatch` ``x`` when rows carry training
    data), so that any collate function, ``StackDataset`` or ``Subset``
    handles it; the rows are made only when asked for. :class:`RowDataCollate`
    takes the collated form whole (:attr:`batch`).

    Parameters
    ----------
    batch : tuple
        ``(x, y)`` as a data loader yields it: tensors (or a dict of them) with
        one row per sample, ``x`` a :class:`RowBatch` with row data.
    n : int
        Number of samples.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import default_collate
    >>> from skmat._batching import GatheredBatch
    >>> rows = GatheredBatch((torch.arange(6.0).reshape(3, 2), torch.arange(3)), 3)
    >>> len(rows), rows[2]
    (3, (tensor([4., 5.]), tensor(2)))
    >>> default_collate(rows)[0].shape
    torch.Size([3, 2])
    """

    __slots__ = ("batch", "_n")

    def __init__(self, batch, n):
        self.batch = batch
        self._n = n

    def __len__(self):
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(f"index {i} out of range for a batch of {self._n} rows")
        x, y = self.batch
        row_data = None
        if isinstance(x, RowBatch):
            x, row_data = x
        xi = {k: v[i] for k, v in x.items()} if isinstance(x, Mapping) else x[i]
        if row_data:
            xi = RowBatch(xi, {k: v[i] for k, v in row_data.items()})
        return xi, y[i]

    def __iter__(self):
        return (self[i] for i in range(self._n))


class RowDataset(torch.utils.data.Dataset):
    """The net's own dataset, with per-row training data and batched serving.

    Parameters
    ----------
    dataset : torch Dataset
        What the net's ``get_dataset`` built.
    row_data : dict of str to torch.Tensor
        One row per example of ``dataset`` (possibly empty): rides with each
        row as a :class:`RowBatch`.
    gather : bool
        Whether ``__getitems__`` serves a whole batch at once
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
    >>> fast = RowDataset(Dataset(np.eye(3, dtype=np.float32), np.arange(3)), {},
    ...                   gather=True)
    >>> rows = fast.__getitems__([1, 2])  # a contiguous run: views, no copy
    >>> len(rows), rows.batch[0].tolist(), rows.batch[1].tolist()
    (2, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [1, 2])
    """

    def __init__(self, dataset, row_data, gather):
        self.dataset = dataset
        self.row_data = row_data
        self.gather = gather
        if gather:
            y = dataset.y
            self._n = len(dataset)
            self._share = can_share_rows(dataset.X) and (y is None or can_share_rows(y))
            self._X = as_gatherable(dataset.X)
            self._y = None if y is None else torch.as_tensor(y)
            self._kept = None  # (indices, batch or None, versions): last request
            self._run = None

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        x, y = unpack_data(self.dataset[i])
        if self.row_data:
            x = RowBatch(x, {k: v[i] for k, v in self.row_data.items()})
        return x, y

    def __getstate__(self):
        state = dict(vars(self))
        state["_kept"] = None  # a worker process starts without the kept batch
        state["_run"] = None
        return state

    def __getitems__(self, indices):
        if not self.gather:
            return [self[i] for i in indices]
        run = self._run  # the last contiguous run asked for (a full batch)
        if run is not None and type(indices) is list and indices == run[0]:
            rows = run[1]
        else:
            rows = batch_rows(indices, self._n)
            if isinstance(rows, slice) and type(indices) is list:
                self._run = (list(indices), rows)
        in_worker = get_worker_info() is not None
        if isinstance(rows, slice):
            if self._share and not in_worker:
                batch = self._batch(rows)
                mark_views(batch)
                return GatheredBatch(batch, rows.stop - rows.start)
            # Copied: a worker sends its batch to the main process (a view
            # would send the whole array), and a memmap's pages stay unshared.
            rows = torch.arange(rows.start, rows.stop)
        # The same rows asked for again (a fold's full batch, every epoch): the
        # second request gathers them once more and keeps that batch, later ones
        # are served from it. Rows asked for once (shuffled batches) keep nothing.
        kept = self._kept  # (indices, batch or None, versions) of the last request
        keyed = type(indices) in (list, range)  # a range: a whole set, in order
        again = kept is not None and keyed and indices == kept[0]
        if again and kept[1] is not None:
            if all(t._version == v for t, v in zip(_tensors(kept[1]), kept[2])):
                return GatheredBatch(_fresh(kept[1]), len(rows))
        batch = self._batch(rows)
        if keyed and not in_worker:
            key = list(indices) if type(indices) is list else indices
            if again:  # kept, and never handed out itself
                versions = [t._version for t in _tensors(batch)]
                self._kept = (key, batch, versions)
                batch = _fresh(batch)
            else:
                self._kept = (key, None, None)
        return GatheredBatch(batch, len(rows))

    def _batch(self, rows):
        """``(x, y)`` of ``rows`` (a slice: views; an index tensor: a gather)."""
        x = gather_rows(self._X, rows)
        if self.row_data:
            x = RowBatch(x, {k: _take(v, rows) for k, v in self.row_data.items()})
        if self._y is None:
            n = len(rows) if isinstance(rows, torch.Tensor) else rows.stop - rows.start
            y = torch.zeros(n, 1)  # skorch's stand-in for "no y"
        else:
            y = _take(self._y, rows)
        return x, y


def _take(tensor, rows):
    if isinstance(rows, slice):
        return tensor[rows]
    return tensor.index_select(0, rows.to(tensor.device))


def _fresh(batch):
    """A kept batch as new objects over the same memory (each tensor a new
    ``detach()``, new containers), so that what a step leaves on its batch (an
    input's ``.grad`` after ``requires_grad_()``, a key popped from a dict) does
    not reach the next epoch's, as with a batch made anew each time; an
    in-place change still shows in the kept tensors' versions."""
    x, y = batch
    row_data = None
    if isinstance(x, RowBatch):
        x, row_data = x
    x = {k: _alias(v) for k, v in x.items()} if isinstance(x, Mapping) else _alias(x)
    if row_data is not None:
        x = RowBatch(x, {k: _alias(v) for k, v in row_data.items()})
    return x, _alias(y)


def _alias(value):
    return value.detach() if isinstance(value, torch.Tensor) else value


def _tensors(batch):
    """The tensors of a batch ``(x, y)`` (``x`` a tensor, dict or RowBatch)."""
    x, y = batch
    found = []
    if isinstance(x, RowBatch):
        x, row_data = x
        found.extend(row_data.values())
    found.extend(x.values() if isinstance(x, Mapping) else [x])
    found.append(y)
    return [t for t in found if isinstance(t, torch.Tensor)]


def mark_views(batch):
    """Mark the tensors of a batch that are views of the data (not the
    float32 copy of a float64 array's rows)."""
    for tensor in _tensors(batch):
        if tensor._base is not None:
            setattr(tensor, _VIEW_MARK, True)


def views_in(batch):
    """The tensors of a training or prediction batch that are views of the
    data (served without a copy), and their version counters now.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch.dataset import Dataset
    >>> from skmat._batching import RowDataset, views_in
    >>> data = RowDataset(Dataset(np.zeros((4, 2), np.float32), np.arange(4)), {},
    ...                   gather=True)
    >>> len(views_in(data.__getitems__([0, 1, 2, 3]).batch)[0])  # x and y
    2
    >>> len(views_in(data.__getitems__([3, 0]).batch)[0])  # gathered: copies
    0
    """
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        return [], []
    x, y = batch
    found = [*(x.values() if isinstance(x, Mapping) else [x]), y]
    views = [t for t in found if getattr(t, _VIEW_MARK, False)]
    return views, [t._version for t in views]


def check_views_unchanged(views, versions):
    """Raise if a step changed in place a batch served as views of the data.

    Such a batch is the training data itself (``X``'s own rows when they are a
    NumPy array or a tensor): an in-place operation on it would silently
    change ``X`` and every later epoch.
    """
    for tensor, version in zip(views, versions):
        if tensor._version != version:
            raise RuntimeError(
                "The network changed its input batch in place (an in-place "
                "operation on the input in its module's forward, such as "
                "x /= 255 or an activation with inplace=True as the first "
                "layer). skmat passes a batch that is a contiguous run of rows "
                "(a full batch, unshuffled batches) without copying it, so this "
                "changed the training data itself (X, y). Make forward leave "
                "its input unchanged, e.g. x = x / 255."
            )


class RowDataCollate:
    """A data loader's collate function (the user's, or torch's default), with
    the per-row training data collated beside the rows and a batch that
    :class:`RowDataset` served at once (a :class:`GatheredBatch`) taken whole.

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
        if isinstance(samples, GatheredBatch):
            return samples.batch
        first = samples[0] if isinstance(samples, list) and samples else None
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

    True for skorch's plain ``Dataset`` over in-memory numbers
    (:func:`skmat._inputs.can_gather`), with labels an array or tensor of
    numbers, data loaders that are ``DataLoader`` classes, and no
    ``collate_fn`` of the user's. Labels that are objects (variable-length
    sequences) go through skorch's per-row path.

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
    y = dataset.y
    if y is not None and not (
        isinstance(y, (np.ndarray, torch.Tensor)) and can_gather(y)
    ):
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


class WholeSetBatches:
    """The batches of a data loader whose one batch is its whole dataset, in order.

    A full-batch net (``batch_size=-1``, no shuffling) asks its data loader for
    one batch per epoch, the rows ``0 .. n - 1``. torch's ``DataLoader`` builds
    an iterator, a sampler pass and a fetcher for it every epoch: a noticeable
    part of the training step on a small full-batch problem (a linear head,
    the paper's Figure 1; ``benchmarks/speed.py`` profiles it). This serves
    the same batch directly: the loader's own dataset asked for the same rows
    (``__getitems__``, a :class:`RowDataset`'s views of the data) and the
    loader's own collate function, after drawing from the loader's generator
    what each of its iterators draws (its workers' base seed), so that the
    random numbers the training uses (dropout, a later shuffle) are the ones
    the ``DataLoader`` would give. :func:`whole_set_batches` makes one only for
    a plain ``DataLoader`` in exactly that configuration; its attributes are
    the loader's. It is not a ``DataLoader`` itself: code that checks
    ``isinstance(net.get_iterator(...), DataLoader)`` sees the difference, and
    torch's profiler shows no data loader step.

    Parameters
    ----------
    loader : torch.utils.data.DataLoader
        The loader, as the net's ``get_iterator`` made it.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from torch.utils.data import DataLoader
    >>> from skmat._batching import RowDataCollate, RowDataset, whole_set_batches
    >>> data = RowDataset(Dataset(np.eye(3, dtype=np.float32), np.arange(3)), {},
    ...                   gather=True)
    >>> batches = whole_set_batches(DataLoader(data, batch_size=3,
    ...                                        collate_fn=RowDataCollate()))
    >>> type(batches).__name__, len(batches), batches.batch_size
    ('WholeSetBatches', 1, 3)
    >>> [(x.shape, y.tolist()) for x, y in batches]
    [(torch.Size([3, 3]), [0, 1, 2])]
    """

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return 1

    def __iter__(self):
        loader = self.loader
        # What torch's DataLoader iterator draws when it starts (even without
        # workers): the same draw keeps the training's random stream its own.
        torch.empty((), dtype=torch.int64).random_(generator=loader.generator)
        rows = range(len(loader.dataset))
        return iter((loader.collate_fn(loader.dataset.__getitems__(rows)),))

    def __getattr__(self, name):
        if name == "loader":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.loader, name)


def whole_set_batches(loader):
    """``loader``'s batches as :class:`WholeSetBatches` where its one batch is
    its whole dataset in order; otherwise ``loader`` itself.

    That is a plain ``DataLoader`` (not a subclass) over a :class:`RowDataset`
    on the fast path or a ``Subset`` of one (a fold, a validation split), with
    a sequential sampler in batches of at least the whole set
    (``batch_size=-1``; ``drop_last`` only when the batch is exactly the set),
    the net's collate function (:class:`RowDataCollate`), no worker processes
    and no pinned memory. Everything else (shuffling, mini-batches,
    workers, a sampler or a loader class of the user's) is the loader's own.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from torch.utils.data import DataLoader
    >>> from skmat._batching import RowDataCollate, RowDataset, whole_set_batches
    >>> data = RowDataset(Dataset(np.eye(4, dtype=np.float32), np.arange(4)), {},
    ...                   gather=True)
    >>> collate = RowDataCollate()
    >>> type(whole_set_batches(DataLoader(data, 4, collate_fn=collate))).__name__
    'WholeSetBatches'
    >>> type(whole_set_batches(DataLoader(data, 2, collate_fn=collate))).__name__
    'DataLoader'
    >>> shuffled = DataLoader(data, 4, shuffle=True, collate_fn=collate)
    >>> type(whole_set_batches(shuffled)).__name__
    'DataLoader'
    """
    if type(loader) is not DataLoader:
        return loader
    dataset, size = loader.dataset, loader.batch_size
    rows = dataset.dataset if type(dataset) is Subset else dataset
    if not (isinstance(rows, RowDataset) and rows.gather):
        return loader
    n = len(dataset)
    one_batch = (
        size is not None
        and n > 0
        and (size == n or (size > n and not loader.drop_last))
        and type(loader.sampler) is SequentialSampler
        and loader.sampler.data_source is dataset  # not a sampler of the user's
        and type(loader.batch_sampler) is BatchSampler
        and loader.batch_sampler.sampler is loader.sampler
    )
    plain = (
        loader.num_workers == 0
        and loader.timeout == 0  # torch refuses a timeout without workers
        and not loader.pin_memory
        and isinstance(loader.collate_fn, RowDataCollate)
    )
    return WholeSetBatches(loader) if one_batch and plain else loader
