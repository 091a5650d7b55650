"""The skorch side of skmat: nets that add MAT's shift to the loss, and the MLP.

MAT changes only the training loss: ``CE(softmax(f(x_i) + shift_i), y_i)``. The
classes here do that through skorch's documented extension points (``get_loss``,
``infer``, ``get_dataset``, ``get_iterator``), so a net keeps everything skorch
gives it: callbacks, history, the internal validation split, ``warm_start``.

How the shift travels: :class:`ShiftedDataset` holds ``X``, ``y`` and the shift as
tensors; a batch's ``X`` is the dict ``{"X": x, "mat_shift": shift}``. The dict is
sliced with the rows (skorch's ``ValidSplit`` takes a ``Subset`` of the dataset,
so each validation row keeps its own shift). ``infer`` strips the shift before the
module's forward, so the module never sees it; ``get_loss`` reads it from the
batch. Without a shift (plain arrays, prediction) the net is an ordinary skorch
classifier.

The dataset also serves whole batches through ``__getitems__`` (one tensor gather
per batch instead of one ``__getitem__`` and a collate per row), which is what
makes skorch's loop close to a bare PyTorch loop on tabular data.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from skorch import NeuralNet, NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.dataset import Dataset as SkorchDataset
from torch import nn
from torch.nn import functional as F

__all__ = [
    "SHIFT_KEY",
    "ShiftedDataset",
    "RowSubset",
    "ShiftedLossMixin",
    "MATNeuralNetClassifier",
    "MATNeuralNetBinaryClassifier",
    "as_mat_net",
    "output_kind",
    "net_logits",
    "check_device",
]

#: Key of the shift in a batch's ``X`` dict.
SHIFT_KEY = "mat_shift"
_X_KEY = "X"


class ShiftedDataset(torch.utils.data.Dataset):
    """Rows of ``X``, labels and (optionally) MAT's shift, served a batch at a time.

    ``X`` is converted once to a float32 tensor (no copy when it already is one, or
    a C-contiguous float32 array). Indexing one row returns ``(x, y)``; a batch of
    rows is gathered at once by ``__getitems__``, which torch's ``DataLoader``
    calls when the collate function passes batches through (the nets of this module
    arrange that).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric features.
    y : array-like of shape (n_samples,), default=None
        Integer labels; ``None`` for prediction.
    shift : array-like of shape (n_samples, n_classes), default=None
        Per-example logit shift; when given, a batch's ``X`` is the dict
        ``{"X": x, "mat_shift": shift}``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.nets import ShiftedDataset
    >>> ds = ShiftedDataset(np.zeros((4, 3)), np.array([0, 1, 0, 1]), np.zeros((4, 2)))
    >>> xb, yb = ds.__getitems__([0, 2])
    >>> xb["X"].shape, xb["mat_shift"].shape, yb.tolist()
    (torch.Size([2, 3]), torch.Size([2, 2]), [0, 0])
    """

    def __init__(self, X, y=None, shift=None):
        self.X = _as_float_tensor(X, "X")
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D; got shape {tuple(self.X.shape)}.")
        n_samples = self.X.shape[0]
        self.y = None
        if y is not None:
            y = np.asarray(y)
            if y.dtype.kind not in "biuf" or (
                y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)
            ):
                raise ValueError(
                    "y must hold integer class indices 0 .. n_classes - 1; got "
                    f"{y.dtype} values."
                )
            self.y = torch.as_tensor(y, dtype=torch.int64)
            if self.y.shape != (n_samples,):
                raise ValueError(
                    f"y must have shape ({n_samples},); got {tuple(self.y.shape)}."
                )
        self.shift = None
        if shift is not None:
            self.shift = _as_float_tensor(shift, "shift")
            if self.shift.ndim != 2 or self.shift.shape[0] != n_samples:
                raise ValueError(
                    f"shift must have shape ({n_samples}, n_classes); "
                    f"got {tuple(self.shift.shape)}."
                )
            if not bool(torch.isfinite(self.shift).all()):
                raise ValueError("shift must not contain NaN or infinity.")

    def __len__(self):
        return self.X.shape[0]

    def _batch(self, index):
        x = _take_rows(self.X, index)
        if self.shift is not None:
            x = {_X_KEY: x, SHIFT_KEY: _take_rows(self.shift, index)}
        return x, (None if self.y is None else _take_rows(self.y, index))

    def __getitem__(self, i):
        return self._batch(i)

    def __getitems__(self, indices):
        return self._batch(torch.as_tensor(indices, dtype=torch.int64))


def _take_rows(tensor, index):
    if isinstance(index, torch.Tensor):
        # index_select gathers a batch about twice as fast as advanced indexing.
        return torch.index_select(tensor, 0, index.to(tensor.device))
    return tensor[index]


def _as_float_tensor(a, name):
    if isinstance(a, torch.Tensor):
        return a if a.dtype == torch.float32 else a.to(torch.float32)
    try:
        a = np.asarray(a, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric; got {type(a).__name__}.") from exc
    a = np.ascontiguousarray(a)
    if not a.flags.writeable:
        # A read-only array (a joblib memmap shared with the held-out folds) is
        # only ever read here: share it rather than copy it.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not writable.*")
            return torch.from_numpy(a)
    return torch.from_numpy(a)


class RowSubset(torch.utils.data.Subset):
    """Rows of a :class:`ShiftedDataset`, served a batch at a time, without a copy.

    A ``torch.utils.data.Subset`` (so skorch and its scoring callbacks treat it as
    one) whose batches map their indices with one tensor lookup. The held-out
    folds train and predict on these instead of on copies of their rows of ``X``.

    Parameters
    ----------
    dataset : ShiftedDataset
        The full dataset.
    indices : array-like of int
        Rows of ``dataset`` in this subset.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.nets import RowSubset, ShiftedDataset
    >>> rows = RowSubset(ShiftedDataset(np.arange(8.0).reshape(4, 2), [0, 1, 0, 1]),
    ...                  [3, 1])
    >>> xb, yb = rows.__getitems__([0, 1])
    >>> xb.tolist(), yb.tolist()
    ([[6.0, 7.0], [2.0, 3.0]], [1, 1])
    """

    def __init__(self, dataset, indices):
        index = torch.as_tensor(np.asarray(indices), dtype=torch.int64)
        super().__init__(dataset, index)

    def __getitems__(self, indices):
        return self.dataset.__getitems__(
            self.indices[torch.as_tensor(indices, dtype=torch.int64)]
        )


def _pass_through(batch):
    # __getitems__ already returns a collated batch.
    return batch


def _base_dataset(dataset):
    while isinstance(dataset, torch.utils.data.Subset):
        dataset = dataset.dataset
    return dataset


def _iterator_kwargs(net, n_rows, training):
    """The DataLoader arguments of a net, as skorch's ``get_iterator`` builds them."""
    kwargs = net.get_params_for("iterator_train" if training else "iterator_valid")
    kwargs.setdefault("batch_size", net.batch_size)
    if kwargs["batch_size"] == -1:
        kwargs["batch_size"] = n_rows
    return kwargs


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


class ShiftedLossMixin:
    """Adds MAT's per-example logit shift to a skorch classifier's loss.

    Put it first among the bases of a skorch classifier class. Its loss with a
    shift is ``criterion(f(x) + shift, y)`` where ``f(x)`` are the module's logits:
    the output itself with ``CrossEntropyLoss``; the log of the output with
    ``NLLLoss`` (skorch's default, a module ending in softmax); for
    ``NeuralNetBinaryClassifier`` with ``BCEWithLogitsLoss`` the single logit
    moves by ``shift[:, 1] - shift[:, 0]``. Other criteria are rejected by
    :func:`output_kind`.

    It also adds one parameter, ``random_state``: an int seeds torch's generators
    (weight initialisation, shuffling, dropout) for each ``fit``, restoring the
    global generator state afterwards, so two fits give identical nets.

    With a shift, the net's ``train_loss`` and ``valid_loss`` are the *shifted*
    (MAT) losses; ``valid_acc`` is the accuracy of ``f(x)`` alone, as at
    prediction time.

    Examples
    --------
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import ShiftedLossMixin
    >>> class MyNet(ShiftedLossMixin, NeuralNetClassifier):
    ...     pass
    """

    def __init__(self, *args, random_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.random_state = random_state

    def fit(self, X, y=None, **fit_params):
        """Fit the module, seeded by ``random_state``; see skorch's ``fit``."""
        # Only wraps skorch's fit in a seeded RNG context; the loop is skorch's.
        with _torch_seed(self.random_state):
            return super().fit(X, y, **fit_params)

    def fit_loop(self, *args, **kwargs):
        """skorch's training loop; records whether it was interrupted.

        skorch ends training on any ``KeyboardInterrupt`` and returns normally
        (the net keeps the epochs it completed). That covers two different
        things: a callback that *asks* training to stop (skorch's
        ``EarlyStopping`` raises ``KeyboardInterrupt`` from ``on_epoch_end``),
        which ends a fit normally, and the user's Ctrl-C, after which the net is
        only half-trained. The net's ``interrupted_`` attribute is True only for
        the latter (an interrupt raised outside the callbacks), so that skmat's
        estimators re-raise it instead of keeping a half-trained network.
        """
        self.interrupted_ = False
        self._stop_requested = False
        try:
            return super().fit_loop(*args, **kwargs)
        except KeyboardInterrupt:
            self.interrupted_ = not self._stop_requested
            raise

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``; remembers a callback that asked training to stop."""
        try:
            return super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            # skorch's convention: a callback ends training by raising
            # KeyboardInterrupt (EarlyStopping does); that is not the user's ^C.
            self._stop_requested = True
            raise

    def get_dataset(self, X, y=None):
        """Wrap plain arrays in a :class:`ShiftedDataset` (fast batched path)."""
        uses_default_dataset = (
            self.dataset is SkorchDataset and not self.get_params_for("dataset")
        )
        is_array = isinstance(X, (np.ndarray, torch.Tensor)) and X.ndim == 2
        if uses_default_dataset and is_array:
            return ShiftedDataset(X, y)
        return super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        """skorch's iterator, passing whole batches through for a ShiftedDataset."""
        kwargs = _iterator_kwargs(self, len(dataset), training)
        if isinstance(_base_dataset(dataset), ShiftedDataset):
            if "collate_fn" not in kwargs:
                iterator = self.iterator_train if training else self.iterator_valid
                return iterator(dataset, collate_fn=_pass_through, **kwargs)
        return super().get_iterator(dataset, training=training)

    def infer(self, x, **fit_params):
        """Forward ``x`` through the module, without the shift if ``x`` carries one."""
        if isinstance(x, Mapping) and SHIFT_KEY in x:
            x = x[_X_KEY]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The MAT loss when the batch carries a shift, skorch's loss otherwise."""
        kind = output_kind(self)
        if kind == "binary_logit" and y_true is not None:
            y_true = torch.as_tensor(y_true).to(
                device=y_pred.device, dtype=y_pred.dtype
            )
        shift = X.get(SHIFT_KEY) if isinstance(X, Mapping) else None
        if shift is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        shift = shift.to(device=y_pred.device, dtype=y_pred.dtype)
        y_true = torch.as_tensor(y_true).to(y_pred.device)
        if kind == "logits":
            return self.criterion_(y_pred + shift, y_true)
        if kind == "proba":
            log_proba = torch.log(y_pred + torch.finfo(y_pred.dtype).eps)
            return self.criterion_(F.log_softmax(log_proba + shift, dim=-1), y_true)
        return self.criterion_(y_pred + (shift[:, 1] - shift[:, 0]), y_true)


class MATNeuralNetClassifier(ShiftedLossMixin, NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` trained with MAT's shifted loss when given one.

    Identical to ``NeuralNetClassifier`` (same parameters, plus ``random_state``)
    except for the behaviour of :class:`ShiftedLossMixin`: fast batched loading of
    arrays, and the shifted loss for a :class:`ShiftedDataset` with a shift.
    :class:`~skmat.MATClassifier` converts a plain ``NeuralNetClassifier`` to this
    class; use it directly to train with a shift you computed yourself.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.mlp import MLPModule
    >>> from skmat.nets import MATNeuralNetClassifier, ShiftedDataset
    >>> X = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> shift = np.log(np.full((64, 2), 0.5))
    >>> net = MATNeuralNetClassifier(
    ...     MLPModule, module__n_features=4, module__n_classes=2,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=5, train_split=None,
    ...     verbose=0, random_state=0)
    >>> net = net.fit(ShiftedDataset(X, y, shift), y)
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


@functools.cache
def _mat_class_for(base):
    """The MAT-enabled subclass of a skorch classifier class (made once per base)."""
    if issubclass(base, ShiftedLossMixin):
        return base
    if base in _KNOWN_CLASSES:
        return _KNOWN_CLASSES[base]
    return type(
        f"MAT{base.__name__}",
        (ShiftedLossMixin, base),
        {"__module__": __name__, "__reduce__": _reduce_dynamic_net, "_mat_base": base},
    )


def _reduce_dynamic_net(self):
    # A class made at run time cannot be pickled by name: record its base instead.
    return (_new_dynamic_net, (type(self)._mat_base,), self.__getstate__())


def _new_dynamic_net(base):
    cls = _mat_class_for(base)
    return cls.__new__(cls)


def as_mat_net(net: NeuralNet, **params: Any) -> NeuralNet:
    """An unfitted copy of a skorch classifier whose class adds MAT's shifted loss.

    ``NeuralNetClassifier`` and ``NeuralNetBinaryClassifier`` become
    :class:`MATNeuralNetClassifier` and :class:`MATNeuralNetBinaryClassifier`; any
    other subclass gets a subclass with :class:`ShiftedLossMixin` in front (made
    once per class, picklable), so the user's own overrides stay in force.

    Parameters
    ----------
    net : skorch ``NeuralNetClassifier`` or ``NeuralNetBinaryClassifier``
        The net to copy (its parameters and metadata requests; not its weights).
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
    cls = _mat_class_for(type(template))
    kwargs = template.get_params(deep=False)
    kwargs.update(params)
    mat_net = cls(**kwargs)
    if hasattr(template, "_metadata_request"):
        mat_net._metadata_request = template._metadata_request
    return mat_net


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


def net_logits(net: NeuralNet, X: ArrayLike) -> np.ndarray:
    """Class logits ``f(X)`` of a fitted skorch classifier, as float64 NumPy.

    On the CPU the module runs in float64 (on a temporary copy): float32 matrix
    products change in the last bits with the number of rows in a batch, and a
    row's prediction should not depend on which other rows are predicted with it.
    On other devices the module runs as trained, batch by batch through skorch.

    Parameters
    ----------
    net : fitted skorch classifier
        Its criterion tells how to read the output (see :func:`output_kind`).
    X : array-like of shape (n_samples, n_features)
        Numeric input.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
        The log of the output for ``NLLLoss`` nets (floored at the smallest
        positive float32), ``[0, f(x)]`` for binary nets.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetClassifier, net_logits
    >>> net = MATNeuralNetClassifier(torch.nn.Linear, module__in_features=2,
    ...     module__out_features=3, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=1, train_split=None, verbose=0, random_state=0)
    >>> X, y = np.eye(3, 2), np.array([0, 1, 2])
    >>> net_logits(net.fit(X, y), X).shape
    (3, 3)
    """
    kind = output_kind(net)
    if getattr(X, "ndim", 2) != 2:
        raise ValueError(f"X must be 2-D; got shape {tuple(X.shape)}.")
    try:
        if torch.device(net.device).type == "cpu":
            out = _cpu_float64_forward(net, X)
        else:
            outputs = []
            for batch_out in net.forward_iter(X, training=False):
                batch_out = batch_out[0] if isinstance(batch_out, tuple) else batch_out
                outputs.append(batch_out.detach().to("cpu", torch.float64).numpy())
            out = np.concatenate(outputs, axis=0)
    except RuntimeError as exc:  # e.g. X has the wrong number of features
        raise ValueError(
            f"X of shape {tuple(X.shape)} cannot be fed to the network: {exc}"
        ) from exc
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "the network's output on X is NaN or infinite: X holds NaN, infinity "
            "or values too large for the network, or its weights are not finite."
        )
    if kind == "logits":
        return out
    if kind == "proba":
        return np.log(np.maximum(out, np.finfo(np.float32).tiny))
    out = out.reshape(-1)
    return np.column_stack([np.zeros_like(out), out])


def _cpu_float64_forward(net, X):
    net.check_is_fitted()
    module = copy.deepcopy(net.module_).to(torch.float64).eval()
    batch_size = net.batch_size if net.batch_size and net.batch_size > 0 else len(X)
    outputs = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            # Cast batch by batch: never a float64 copy of the whole X. Always a
            # copy, so that torch never wraps a read-only array (a pandas frame).
            batch = np.array(X[start : start + batch_size], dtype=np.float64)
            out = module(torch.from_numpy(batch))
            out = out[0] if isinstance(out, tuple) else out
            outputs.append(out.numpy())
    if not outputs:
        return np.empty((0, 0))
    return np.concatenate(outputs, axis=0)


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
