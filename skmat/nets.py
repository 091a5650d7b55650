"""The skorch side of skmat: the net mixin that adds MAT's shift to the loss.

MAT changes only the training loss: ``CE(softmax(f(x_i) + shift_i), y_i)``.
:class:`ShiftedLossMixin` does that and nothing else. The user's own skorch
net (its class, module, dataset, iterator, ``infer``, ``train_step``,
callbacks, ``train_split`` and mixins such as skorch's ``AccelerateMixin``)
runs unchanged: every method the mixin overrides calls ``super()``.

How the shift travels
---------------------
``net.fit(X, y, mat_shift=shift)`` gives the shift, one row per example of
``X``. The mixin takes ``mat_shift`` out of the fit parameters (so it never
reaches the module's ``forward``), lets the net build its training dataset as
it always does (``get_dataset``: the user's override, the net's ``dataset=``
or skorch's ``Dataset``), and wraps that dataset so that each row's shift rides
along with the row: skorch's ``ValidSplit`` takes a ``Subset`` of the wrapped
dataset, so every validation row keeps its own shift. Between the data loader
and the training step the batch's ``X`` carries the shift
(``RowBatch(x, {"mat_shift": shift})``); ``train_step``,
``validation_step``, ``evaluation_step`` and ``notify`` take it off before
calling ``super()``, so the user's code and callbacks see exactly the batch
their dataset made, and ``get_loss`` adds it to the module's output before
calling ``super().get_loss``. Prediction is skorch's own, with no shift.

The fast path
-------------
When the net uses skorch's plain ``Dataset`` on in-memory data (arrays of any
rank, memmaps, tensors, sparse matrices, dicts of arrays) and the default
collate function, the wrapper serves a whole batch with one gather
(:func:`skmat._inputs.gather_rows`) instead of one ``__getitem__`` and a
collate per row: floats become float32, sparse rows are densified a batch at a
time. Anything else (a custom ``Dataset``, a ``SliceDataset``, a custom
``collate_fn``) goes through the net's own data path row by row, with
``iterator_train__num_workers`` as in skorch.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Literal, NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike
from skorch import NeuralNet, NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import unpack_data
from skorch.utils import params_for
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, default_collate
from torch.utils.data._utils.collate import default_collate_fn_map

from ._inputs import as_gatherable, can_gather, describe, gather_rows, largest_magnitude

__all__ = [
    "SHIFT_PARAM",
    "RowBatch",
    "ShiftedLossMixin",
    "MATNeuralNetClassifier",
    "MATNeuralNetBinaryClassifier",
    "as_mat_net",
    "net_class",
    "per_example_losses",
    "class_logits",
    "output_kind",
    "net_logits",
    "check_device",
    "check_trained",
]

#: Name of the fit parameter that carries MAT's per-example shift.
SHIFT_PARAM = "mat_shift"


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


class _Gathered:
    """A batch already gathered by :class:`_RowDataset`, for ``default_collate``
    to pass through (one entry of the list ``__getitems__`` returns)."""

    __slots__ = ("batch",)

    def __init__(self, batch):
        self.batch = batch


def _collate_gathered(batch, *, collate_fn_map=None):
    return batch[0].batch


# torch documents this registry as the way to teach default_collate a new type;
# it serves only skmat's own _Gathered batches.
default_collate_fn_map[_Gathered] = _collate_gathered


class _RowDataset(torch.utils.data.Dataset):
    """The net's own dataset, with per-row training data and batched gathering.

    ``dataset`` is what the net's ``get_dataset`` built. ``row_data`` (name ->
    tensor of one row per example, possibly empty) rides with each row as a
    :class:`RowBatch`. With ``gather`` (skorch's plain ``Dataset`` over
    in-memory data, default collate), ``__getitems__`` returns a whole batch
    gathered at once; otherwise rows come from ``dataset`` one by one.
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
        return [_Gathered((x, y))]


class _RowDataCollate:
    """A user's ``collate_fn``, with the per-row training data collated beside it."""

    def __init__(self, collate_fn):
        self.collate_fn = collate_fn

    def __call__(self, samples):
        first = samples[0] if isinstance(samples, list) and samples else None
        if not (isinstance(first, tuple) and isinstance(first[0], RowBatch)):
            return self.collate_fn(samples)
        batch = self.collate_fn([(x.x, y) for x, y in samples])
        xb, yb = unpack_data(batch)
        row_data = default_collate([x.row_data for x, _ in samples])
        return RowBatch(xb, row_data), yb


def _overrides(cls, name):
    """Whether a class below skmat's mixins (the user's) defines ``name``."""
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] in ("skmat", "skorch"):
            continue
        if name in vars(klass):
            return True
    return False


def _strip(batch):
    """``(batch without row data, row data or {})`` for a loader's batch."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        x, y = batch
        if isinstance(x, RowBatch):
            return (x.x, y), x.row_data
    return batch, {}


def _cuda_devices():
    """The CUDA devices whose generators ``torch.random.fork_rng`` must save."""
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def _has_batchnorm(module):
    """Whether a module updates BatchNorm running statistics in train mode."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@contextlib.contextmanager
def _torch_seed(seed):
    """Seed torch's generators inside the block and restore them afterwards."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=_cuda_devices()):
        torch.manual_seed(int(seed))
        yield


def _check_row_data(name, value):
    """A per-row fit parameter as a tensor (floats as float32, finite)."""
    if not isinstance(value, torch.Tensor):
        value = np.asarray(value)
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric; got dtype {value.dtype}.")
    tensor = torch.as_tensor(value)
    if tensor.ndim < 1:
        raise ValueError(f"{name} must hold one row per example; got a scalar.")
    if tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name} must not contain NaN or infinity.")
    return tensor


class ShiftedLossMixin:
    """Adds MAT's per-example logit shift to a skorch classifier's loss.

    Put it first among the bases of a skorch classifier class (:func:`as_mat_net`
    does). ``fit(X, y, mat_shift=shift)`` trains on
    ``criterion(f(x) + shift, y)`` where ``f(x)`` are the module's logits: the
    output itself with ``CrossEntropyLoss``; the log of the output with
    ``NLLLoss`` (skorch's default, a module ending in softmax); for
    ``NeuralNetBinaryClassifier`` with ``BCEWithLogitsLoss`` the single logit
    moves by ``shift[:, 1] - shift[:, 0]``. Other criteria are rejected by
    :func:`output_kind`. Without ``mat_shift`` the net is the skorch net it
    extends. The shifted output goes through the net's own ``get_loss``
    (``super()``), so an override that adds a penalty still applies.

    It also adds one parameter, ``random_state``: an int seeds torch's generators
    (weight initialisation, shuffling, dropout) for each ``fit``, restoring the
    global generator state afterwards, so two fits give identical nets.

    With a shift, the net's ``train_loss`` and ``valid_loss`` are the *shifted*
    (MAT) losses; ``valid_acc`` is the accuracy of ``f(x)`` alone, as at
    prediction time.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import ShiftedLossMixin
    >>> class MyNet(ShiftedLossMixin, NeuralNetClassifier):
    ...     pass
    >>> X = np.random.RandomState(0).randn(32, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = MyNet(torch.nn.Linear, module__in_features=3, module__out_features=2,
    ...             criterion=torch.nn.CrossEntropyLoss, max_epochs=2,
    ...             train_split=None, verbose=0, random_state=0)
    >>> net = net.fit(X, y, mat_shift=np.log(np.full((32, 2), 0.5)))
    >>> net.predict(X).shape
    (32,)
    """

    #: Fit parameters with one row per example that ride with the rows.
    _row_data_params: tuple[str, ...] = (SHIFT_PARAM,)

    def __init__(self, *args, random_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.random_state = random_state

    def fit(self, X, y=None, **fit_params):
        """skorch's ``fit``, seeded by ``random_state``.

        Parameters
        ----------
        X, y
            As for skorch's ``fit``: anything the net's dataset takes.
        **fit_params
            ``mat_shift`` (array of shape (n_samples, n_classes), optional): the
            per-example shift of the loss; the rest go to skorch as usual.

        Returns
        -------
        self
        """
        # Only wraps skorch's fit in a seeded RNG context; the loop is skorch's.
        with _torch_seed(self.random_state):
            return super().fit(X, y, **fit_params)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop, with the per-row data taken out of ``fit_params``.

        skorch ends training on any ``KeyboardInterrupt`` and returns normally
        (the net keeps the epochs it completed). That covers two different
        things: a callback that *asks* training to stop (skorch's
        ``EarlyStopping`` raises ``KeyboardInterrupt`` from ``on_epoch_end``),
        which ends a fit normally, and the user's Ctrl-C, after which the net is
        only half-trained. The net's ``interrupted_`` attribute is True only for
        the latter (an interrupt raised outside the callbacks), so that skmat's
        estimators re-raise it instead of keeping a half-trained network.
        """
        row_data = {}
        for name in self._row_data_params:
            value = fit_params.pop(name, None)
            if value is not None:
                row_data[name] = _check_row_data(name, value)
        self._pending_row_data = row_data
        self.interrupted_ = False
        self._stop_requested = False
        try:
            return super().fit_loop(X, y, epochs, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = not self._stop_requested
            raise
        finally:
            vars(self).pop("_pending_row_data", None)

    def get_dataset(self, X, y=None):
        """The net's own dataset, wrapped so that per-row data ride with the rows.

        The first dataset a fit builds is its training set: it receives the
        ``mat_shift`` given to ``fit``. Datasets for prediction get no row data;
        both get the batched fast path when the module docstring allows it.
        """
        dataset = super().get_dataset(X, y)
        row_data = vars(self).pop("_pending_row_data", None) or {}
        for name, value in row_data.items():
            if value.shape[0] != len(dataset):
                raise ValueError(
                    f"{name} has {value.shape[0]} rows but the training set has "
                    f"{len(dataset)}; give one row per example."
                )
        if isinstance(dataset, _RowDataset):
            if not row_data:
                return dataset
            dataset = dataset.dataset
        gather = self._can_gather(dataset, y)
        if not row_data and not gather:
            return dataset  # nothing to add: the net's own dataset, untouched
        return _RowDataset(dataset, row_data, gather)

    def _can_gather(self, dataset, y):
        if type(dataset) is not SkorchDataset or dataset.X_is_ndframe:
            return False
        if not can_gather(dataset.X):
            return False
        if dataset.y is not None and not isinstance(
            dataset.y, (np.ndarray, torch.Tensor)
        ):
            return False
        for prefix in ("iterator_train", "iterator_valid"):
            iterator = getattr(self, prefix)
            if not (isinstance(iterator, type) and issubclass(iterator, DataLoader)):
                return False
            if "collate_fn" in params_for(prefix, vars(self)):
                return False
        return True

    def rows_view(self, X, y, rows):
        """The rows ``rows`` of ``(X, y)`` as a dataset view, or None.

        When this net would serve ``X`` through skmat's fast path anyway
        (skorch's ``Dataset`` on in-memory data, no ``get_dataset`` of the
        user's, the default collate function), a held-out fold can train and
        predict on a ``Subset`` of the gathered dataset instead of a copy of
        its rows; the batches are the same. None otherwise: the caller then
        copies the rows in ``X``'s own kind.
        """
        if _overrides(type(self), "get_dataset") or self.get_params_for("dataset"):
            return None
        dataset = SkorchDataset(X, y)
        if not self._can_gather(dataset, y):
            return None
        return torch.utils.data.Subset(_RowDataset(dataset, {}, True), rows)

    def get_params_for(self, prefix):
        """skorch's ``get_params_for``; a user's ``collate_fn`` also collates the
        per-row training data beside the rows."""
        params = super().get_params_for(prefix)
        if prefix in ("iterator_train", "iterator_valid") and "collate_fn" in params:
            params["collate_fn"] = _RowDataCollate(params["collate_fn"])
        return params

    def _batch_row_data_now(self):
        """The per-row training data of the batch being trained or validated."""
        return vars(self).get("_row_data", {})

    def _step_without_row_data(self, step, batch, **fit_params):
        # Once per batch: a plain try/finally, not a context manager (its
        # overhead shows in the per-batch time of small nets).
        batch, self.__dict__["_row_data"] = _strip(batch)
        try:
            return step(batch, **fit_params)
        finally:
            vars(self).pop("_row_data", None)

    def train_step(self, batch, **fit_params):
        """skorch's ``train_step`` on the batch without its row data."""
        return self._step_without_row_data(super().train_step, batch, **fit_params)

    def validation_step(self, batch, **fit_params):
        """skorch's ``validation_step`` on the batch without its row data."""
        return self._step_without_row_data(super().validation_step, batch, **fit_params)

    def evaluation_step(self, batch, training=False):
        """skorch's ``evaluation_step`` (prediction): the shift plays no part."""
        batch, _ = _strip(batch)
        return super().evaluation_step(batch, training=training)

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``: callbacks see the batch without its row data; a
        callback that asks training to stop is told apart from a Ctrl-C."""
        if "batch" in cb_kwargs:
            cb_kwargs["batch"], _ = _strip(cb_kwargs["batch"])
        try:
            return super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            # skorch's convention: a callback ends training by raising
            # KeyboardInterrupt (EarlyStopping does); that is not the user's ^C.
            self._stop_requested = True
            raise

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The net's loss of ``f(x) + shift`` when the batch carries a shift."""
        kind = output_kind(self)
        if kind == "binary_logit" and y_true is not None:
            # BCEWithLogitsLoss needs float targets; skmat passes class indices.
            y_true = torch.as_tensor(y_true).to(
                device=_first(y_pred).device, dtype=_first(y_pred).dtype
            )
        shift = self._batch_row_data_now().get(SHIFT_PARAM)
        if shift is not None:
            if isinstance(y_pred, tuple):
                y_pred = (_shifted(y_pred[0], shift, kind), *y_pred[1:])
            else:
                y_pred = _shifted(y_pred, shift, kind)
        return super().get_loss(y_pred, y_true, X=X, training=training)


def _first(y_pred):
    return y_pred[0] if isinstance(y_pred, tuple) else y_pred


def _shifted(out, shift, kind):
    """The module's output moved by the shift, in the form its criterion reads."""
    if shift.device != out.device or shift.dtype != out.dtype:
        shift = shift.to(device=out.device, dtype=out.dtype)
    if kind == "logits":
        return out + shift
    if kind == "proba":
        # skorch's get_loss takes the log of a probability output: hand it the
        # probabilities of the shifted logits, softmax(log p + shift).
        log_proba = torch.log(out + torch.finfo(out.dtype).eps)
        return F.softmax(log_proba + shift, dim=-1)
    return out + (shift[:, 1] - shift[:, 0])


class MATNeuralNetClassifier(ShiftedLossMixin, NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` trained with MAT's shifted loss when given one.

    Identical to ``NeuralNetClassifier`` (same parameters, plus ``random_state``)
    except for :class:`ShiftedLossMixin`: ``fit(X, y, mat_shift=shift)`` trains
    with the shifted loss, and in-memory data are served a batch at a time.
    :class:`~skmat.MATClassifier` converts a plain ``NeuralNetClassifier`` to this
    class; use it directly to train with a shift you computed yourself.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.mlp import MLPModule
    >>> from skmat.nets import MATNeuralNetClassifier
    >>> X = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> shift = np.log(np.full((64, 2), 0.5))
    >>> net = MATNeuralNetClassifier(
    ...     MLPModule, module__n_features=4, module__n_classes=2,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=5, train_split=None,
    ...     verbose=0, random_state=0)
    >>> net = net.fit(X, y, mat_shift=shift)
    >>> net.predict(X).shape
    (64,)
    """


class MATNeuralNetBinaryClassifier(ShiftedLossMixin, NeuralNetBinaryClassifier):
    """skorch's ``NeuralNetBinaryClassifier`` with MAT's shifted loss when given one.

    The module outputs one logit per example; the shift moves it by
    ``shift[:, 1] - shift[:, 0]``, which is the two-class softmax shift written
    for a sigmoid.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetBinaryClassifier
    >>> X = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = MATNeuralNetBinaryClassifier(
    ...     torch.nn.Linear, module__in_features=4, module__out_features=1,
    ...     max_epochs=5, train_split=None, verbose=0, random_state=0)
    >>> net.fit(X, y).predict(X).shape
    (64,)
    """


_KNOWN_CLASSES = {
    NeuralNetClassifier: MATNeuralNetClassifier,
    NeuralNetBinaryClassifier: MATNeuralNetBinaryClassifier,
}


def _user_class(cls):
    """The user's class behind a class made by :func:`net_class` (or ``cls``)."""
    return vars(cls).get("_skmat_bases", (cls,))[0]


@functools.cache
def net_class(base, mixin=None):
    """A skorch classifier class with MAT's shifted loss (and ``mixin``) in front.

    ``NeuralNetClassifier`` and ``NeuralNetBinaryClassifier`` give
    :class:`MATNeuralNetClassifier` and :class:`MATNeuralNetBinaryClassifier`;
    any other class gets a subclass with :class:`ShiftedLossMixin` in front, so
    the user's own overrides stay in force; ``mixin`` (skmat's reweighting, XRM
    or folds mixins) goes in front of that. Each class is made once and pickles
    by recording its bases.

    Parameters
    ----------
    base : type
        A skorch classifier class.
    mixin : type, default=None
        A mixin class with a ``_class_prefix`` attribute.

    Returns
    -------
    cls : type

    Examples
    --------
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import net_class
    >>> net_class(NeuralNetClassifier).__name__
    'MATNeuralNetClassifier'
    """
    base = _user_class(base)
    if mixin is not None and issubclass(base, mixin):
        return base
    if issubclass(base, ShiftedLossMixin):
        mat = base
    elif base in _KNOWN_CLASSES:
        mat = _KNOWN_CLASSES[base]
    else:
        mat = _made_class(f"MAT{base.__name__}", (ShiftedLossMixin, base), base, None)
    if mixin is None:
        return mat
    return _made_class(
        f"{mixin._class_prefix}{mat.__name__}", (mixin, mat), base, mixin
    )


def _made_class(name, bases, user_class, mixin):
    return type(
        name,
        bases,
        {
            "__module__": __name__,
            "__reduce__": _reduce_made_net,
            "_skmat_bases": (user_class, mixin),
        },
    )


def _reduce_made_net(self):
    # A class made at run time cannot be pickled by name: record its bases.
    return (_new_made_net, type(self)._skmat_bases, self.__getstate__())


def _new_made_net(base, mixin):
    cls = net_class(base, mixin)
    return cls.__new__(cls)


def as_mat_net(net: NeuralNet, mixin: type | None = None, **params: Any) -> NeuralNet:
    """An unfitted copy of a skorch classifier whose class adds MAT's shifted loss.

    The copy's class is :func:`net_class` of the net's class: the user's own
    class (its overrides stay in force) with :class:`ShiftedLossMixin` and
    ``mixin`` in front.

    Parameters
    ----------
    net : skorch ``NeuralNetClassifier`` or ``NeuralNetBinaryClassifier``
        The net to copy (its parameters and metadata requests; not its weights).
    mixin : type, default=None
        One of skmat's mixins to put in front as well.
    **params
        Parameters to set on the copy (``device=...``, ``random_state=...``).

    Returns
    -------
    mat_net : skorch net with :class:`ShiftedLossMixin`

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import as_mat_net
    >>> net = NeuralNetClassifier(torch.nn.Linear, module__in_features=3,
    ...                           module__out_features=2, lr=0.1)
    >>> mat_net = as_mat_net(net, random_state=0)
    >>> type(mat_net).__name__, mat_net.lr
    ('MATNeuralNetClassifier', 0.1)
    """
    if not isinstance(net, (NeuralNetClassifier, NeuralNetBinaryClassifier)):
        raise TypeError(
            "net must be a skorch NeuralNetClassifier or NeuralNetBinaryClassifier; "
            f"got {type(net).__name__}."
        )
    from sklearn.base import clone

    template = clone(net)
    cls = net_class(type(template), mixin)
    kwargs = template.get_params(deep=False)
    kwargs.update(params)
    mat_net = cls(**kwargs)
    if hasattr(template, "_metadata_request"):
        mat_net._metadata_request = template._metadata_request
    return mat_net


def per_example_losses(get_loss, net, y_pred, y_true, X=None, training=False):
    """``get_loss`` (a bound ``get_loss`` of ``net``'s classes) per example.

    The net's criterion computes one loss per example for this call (its
    ``reduction`` set to ``"none"``, then restored), so that the shift, skorch's
    handling of ``NLLLoss`` and binary outputs, and the user's own ``get_loss``
    all apply before skmat reduces the losses its own way (weights, groups,
    folds, XRM's class balance).

    Returns
    -------
    losses : torch.Tensor of shape (n,)
    """
    criterion = net.criterion_
    reduction = criterion.reduction
    criterion.reduction = "none"
    try:
        losses = get_loss(y_pred, y_true, X=X, training=training)
    finally:
        criterion.reduction = reduction
    return losses.reshape(-1)


def class_logits(net: NeuralNet, out: torch.Tensor) -> torch.Tensor:
    """A module's output read as class logits, by the net's criterion.

    The output itself (``CrossEntropyLoss``), its log (``NLLLoss``: the module
    outputs probabilities) or, for a binary net's single logit ``f``,
    ``[0, f]``. Leading dimensions are kept; the classes are the last.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetBinaryClassifier
    >>> from skmat.nets import class_logits
    >>> net = NeuralNetBinaryClassifier(torch.nn.Linear)
    >>> class_logits(net, torch.tensor([2.0, -1.0])).tolist()
    [[0.0, 2.0], [0.0, -1.0]]
    """
    kind = output_kind(net)
    if kind == "logits":
        return out
    if kind == "proba":
        return torch.log(out.clamp_min(torch.finfo(out.dtype).tiny))
    if out.ndim >= 2 and out.shape[-1] == 1:
        out = out.squeeze(-1)
    return torch.stack([torch.zeros_like(out), out], dim=-1)


def output_kind(net: NeuralNet) -> Literal["logits", "proba", "binary_logit"]:
    """What a skorch classifier's module outputs, judged from its criterion.

    Parameters
    ----------
    net : skorch classifier
        An initialised or uninitialised net.

    Returns
    -------
    kind : {"logits", "proba", "binary_logit"}
        ``"logits"`` for ``CrossEntropyLoss``, ``"proba"`` for ``NLLLoss`` (the
        module ends in softmax, skorch's default), ``"binary_logit"`` for a
        ``NeuralNetBinaryClassifier`` with ``BCEWithLogitsLoss``.

    Raises
    ------
    TypeError
        For any other criterion: MAT needs the class logits.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import output_kind
    >>> output_kind(NeuralNetClassifier(torch.nn.Linear))
    'proba'
    >>> net = NeuralNetClassifier(torch.nn.Linear, criterion=torch.nn.CrossEntropyLoss)
    >>> output_kind(net)
    'logits'
    """
    criterion = net.criterion
    cls = criterion if isinstance(criterion, type) else type(criterion)
    if isinstance(net, NeuralNetBinaryClassifier):
        if issubclass(cls, nn.BCEWithLogitsLoss):
            return "binary_logit"
    elif issubclass(cls, nn.CrossEntropyLoss):
        return "logits"
    elif issubclass(cls, nn.NLLLoss):
        return "proba"
    raise TypeError(
        f"criterion of {type(net).__name__} must be torch.nn.CrossEntropyLoss "
        "(module outputs logits) or torch.nn.NLLLoss (module outputs probabilities)"
        ", or BCEWithLogitsLoss for a NeuralNetBinaryClassifier; got "
        f"{cls.__name__}."
    )


def checked_output(predict, X):
    """``predict(X)`` as a float64 array; a module error or a non-finite output
    is a ValueError naming ``X``."""
    try:
        out = predict(X)
    except RuntimeError as exc:  # e.g. X has the wrong number of features
        raise ValueError(
            f"X ({describe(X)}) cannot be fed to the network: {exc}"
        ) from exc
    out = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "the network's output on X is NaN or infinite: X holds NaN, infinity "
            "or values too large for the network, or its weights are not finite."
        )
    return out


def net_logits(net: NeuralNet, X: ArrayLike) -> np.ndarray:
    """Class logits ``f(X)`` of a fitted skorch classifier, as float64 NumPy.

    The module runs through skorch (``net.forward``: the net's dataset,
    iterator and ``infer``, batch by batch, on its device); its output is read
    as logits according to the criterion (:func:`output_kind`).

    Parameters
    ----------
    net : fitted skorch classifier
        Its criterion tells how to read the output.
    X : any input the net takes
        Input.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
        The log of the output for ``NLLLoss`` nets (floored at the smallest
        positive float32), ``[0, f(x)]`` for binary nets.

    Raises
    ------
    ValueError
        If the module cannot take ``X`` or its output is not finite; the
        message names ``X``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetClassifier, net_logits
    >>> net = MATNeuralNetClassifier(torch.nn.Linear, module__in_features=2,
    ...     module__out_features=3, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=1, train_split=None, verbose=0, random_state=0)
    >>> X, y = np.eye(3, 2, dtype=np.float32), np.array([0, 1, 2])
    >>> net_logits(net.fit(X, y), X).shape
    (3, 3)
    """
    kind = output_kind(net)

    def forward(X):
        out = net.forward(X, training=False)
        out = out[0] if isinstance(out, tuple) else out
        return out.detach().to("cpu", torch.float64).numpy()

    out = checked_output(forward, X)
    if kind == "logits":
        return out
    if kind == "proba":
        return np.log(np.maximum(out, np.finfo(np.float32).tiny))
    out = out.reshape(-1)
    return np.column_stack([np.zeros_like(out), out])


def check_trained(net, X, name="the network"):
    """Raise if the training of a fitted skorch net was interrupted or diverged.

    skorch ends training quietly on ``KeyboardInterrupt``; inside an estimator
    that would leave a half-trained network in a "fitted" estimator, so the
    interrupt is raised again (the fit transaction then restores the previous
    state). A loss that overflows (huge feature values, a learning rate far too
    large) turns the weights into NaN, and the network would predict NaN: that
    is a ValueError naming ``X``.
    """
    if getattr(net, "interrupted_", False):
        raise KeyboardInterrupt(f"the training of {name} was interrupted")
    module = getattr(net, "module_", None)
    if module is None:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            largest = largest_magnitude(X)
            held = (
                ""
                if largest is None
                else f"X holds values up to {largest:.3g} in absolute value; "
            )
            raise ValueError(
                f"training of {name} diverged: its weights became NaN or infinite. "
                f"{held}scale X (e.g. with sklearn.preprocessing.StandardScaler) or "
                "lower the learning rate."
            )


def check_device(device: str | torch.device | None, name: str = "device") -> str | None:
    """Validate a torch device and that it exists on this machine.

    Parameters
    ----------
    device : str, torch.device or None
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...; ``None`` passes.
    name : str, default="device"
        Parameter name used in error messages.

    Returns
    -------
    device : str or None
        The device as a string (``None`` unchanged).

    Raises
    ------
    ValueError
        If the string is not a torch device, or the device is absent.

    Examples
    --------
    >>> from skmat.nets import check_device
    >>> check_device("cpu")
    'cpu'
    """
    if device is None:
        return None
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a torch device such as 'cpu', 'cuda' or 'cuda:0'; "
            f"got {device!r}."
        ) from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"{name}={device!r} was requested but CUDA is not available on this "
                "machine (torch.cuda.is_available() is False); use device='cpu'."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"{name}={device!r} was requested but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    elif parsed.type == "mps" and not (
        hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
    ):
        raise ValueError(f"{name}={device!r} was requested but MPS is not available.")
    return str(device) if not isinstance(device, str) else device
