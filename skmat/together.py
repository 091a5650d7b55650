"""Several copies of the user's network trained at once, as one skorch net.

The held-out phase of :class:`~skmat.MATClassifier` trains K copies of the same
network, one per cross-validation fold. Trained one after the other, each copy
pays the whole per-step cost of a small network (on a GPU, dozens of tiny kernel
launches and skorch's bookkeeping per batch), so a small network leaves the
device idle. Here the K copies are **one skorch net**: the user's own net class
(its dataset, iterator, ``infer``, callbacks, mixins), whose module is a
:class:`~skmat.stacked.StackedModule` holding the K copies' parameters
stacked along a first axis (``torch.func.stack_module_state``), and whose
loss is the sum of each copy's mean loss over *its own training rows only*.
One standard torch optimizer updates the stacked parameters; for an elementwise
optimizer (SGD, Adam, AdamW, RMSprop, Adagrad...) each copy receives exactly the
update of its own gradient. Every row of ``X`` is in every batch stream once per
epoch: a copy computes nothing from the rows it holds out, so a row's held-out
prediction comes only from a copy that never trained on it.

How the copies run (``vmap``): on accelerators, one ``torch.vmap`` call over
``torch.func.functional_call`` runs the K forwards (and so the backwards) at
once; on the CPU, and for modules with BatchNorm, the K forwards run one after
the other, each on its own training rows only (less arithmetic, and BatchNorm
statistics of its own rows). The XRM twins of :mod:`skmat.xrm` are the same
module with K = 2.

Batches: the joint net's batch size is the user's times ``K / (K - 1)``, so
that each copy sees as many of its own rows per step, and takes as many steps
per epoch, as when it is trained alone. Training therefore differs from the
one-by-one fits only by which rows share a batch.

What cannot be stacked is refused by :func:`unsupported_reason`: optimizers
that are not elementwise (``LBFGS``, ``Adafactor``...), callbacks that act on
gradients (per-net gradient clipping), an internal validation split.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions
from skorch import NeuralNet
from skorch.callbacks import Callback

from ._outputs import checked_output, class_logits, per_example_losses
from .factory import as_mat_net
from .losses import WEIGHT_PARAM, validate_net_params
from .nets import ShiftedLossMixin
from .stacked import OWN_ROWS, StackedModule, has_batchnorm, unfold

__all__ = [
    "build_members",
    "member_proba",
    "StackedNetMixin",
    "FoldsTogetherMixin",
    "as_folds_net",
    "fit_folds_together",
    "unsupported_reason",
    "together_batch_size",
    "ELEMENTWISE_OPTIMIZERS",
    "FOLDS_PARAM",
]

#: Torch optimizers whose update of a parameter element depends on that element's
#: own gradient and state only: over stacked parameters, each copy gets exactly
#: the update it would get alone.
ELEMENTWISE_OPTIMIZERS = tuple(
    getattr(torch.optim, name)
    for name in (
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adamax",
        "NAdam",
        "RAdam",
        "ASGD",
        "Rprop",
    )
    if hasattr(torch.optim, name)
)


def _reset_parameters(module):
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


def member_proba(net, X, n_members, n_classes=None):
    """Every copy's class probabilities on ``X``, through the net's forward.

    Each batch's outputs are the copies' one after the other: they are unfolded
    batch by batch, then the batches joined along the rows. A module error or a
    non-finite output is a ValueError naming ``X``.

    Returns
    -------
    proba : ndarray of shape (n_members, n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.mlp import mlp_net
    >>> from skmat.together import member_proba
    >>> from skmat.factory import as_mat_net
    >>> from skmat.xrm import XRMMixin
    >>> X = np.random.RandomState(0).randn(10, 3).astype(np.float32)
    >>> net = mlp_net((4,), module__n_features=3, module__n_classes=2, max_epochs=1)
    >>> twins = as_mat_net(net, mixin=XRMMixin).fit(X, np.arange(10) % 2)
    >>> member_proba(twins, X, 2).shape
    (2, 10, 2)
    """

    def forward(X):
        # Softmax batch by batch: only the (K, n, C) result is held, in float64.
        parts = [
            torch.softmax(
                class_logits(net, unfold(out, n_members)).double(), dim=-1
            ).numpy()
            for out in net.forward_iter(X, training=False)
        ]
        if not parts:
            return np.empty((n_members, 0, n_classes or 0))
        return np.concatenate(parts, axis=1)

    return checked_output(forward, X)


def build_members(initialize_module, net, n_members):
    """``n_members`` freshly initialised modules from a skorch net.

    Each is what the net's own ``initialize_module`` (the user's override, or
    skorch's) builds; a module given as an instance (which skorch reuses as it
    is) is deep-copied with its parameters re-initialised (``reset_parameters``
    of each submodule), so that the copies start apart and the user's instance
    is never trained.

    Examples
    --------
    Called from a net's ``initialize_module``, as :class:`FoldsTogetherMixin`
    does:

    >>> from skmat.mlp import mlp_net
    >>> from skmat.together import as_folds_net
    >>> net = mlp_net((4,), module__n_features=3, module__n_classes=2)
    >>> as_folds_net(net, 3).initialize().module_.n_members
    3
    """
    members = []
    for _ in range(n_members):
        initialize_module()
        module = net.module_
        if any(module is m for m in members):
            module = copy.deepcopy(module)
            _reset_parameters(module)
        members.append(module)
    return members


# ------------------------------------------------------ nets of stacked copies
class StackedNetMixin:
    """What every skorch net whose module is a stacked module shares.

    The net's module is a :class:`~skmat.stacked.StackedModule`. It adds one
    parameter to the skorch net's, ``vmap`` (``"auto"``, True or False):
    whether the copies run stacked under :func:`torch.vmap` (the stacked
    module's ``vmap``; ``"auto"``: on accelerators, unless the module has
    BatchNorm). The parameters skmat's mixins add are checked when training
    starts (:func:`skmat.losses.validate_net_params`).

    The net's optimizer, when the user leaves ``foreach`` (and ``fused``)
    unset and the optimizer takes it, runs torch's multi-tensor ("foreach")
    implementation: the same arithmetic as its per-tensor loop (the same
    results for Adam, AdamW, SGD, RMSprop, Adagrad), without paying the loop's
    Python cost once per tensor of every copy. torch itself picks it on CUDA
    only; here the copies multiply the tensors.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.factory import as_mat_net
    >>> from skmat.mlp import mlp_net
    >>> from skmat.xrm import XRMMixin
    >>> X = np.random.RandomState(0).randn(40, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> net = mlp_net((8,), module__n_features=3, module__n_classes=2, max_epochs=1)
    >>> twins = as_mat_net(net, mixin=XRMMixin).fit(X, y)
    >>> twins.optimizer_.defaults["foreach"]
    True
    """

    _parameter_constraints = {"vmap": [StrOptions({"auto"}), "boolean"]}

    def __init__(self, *args, vmap="auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.vmap = vmap

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, after checking the parameters skmat's mixins add."""
        validate_net_params(self)
        return super().fit_loop(X, y, epochs, **fit_params)

    def member_nets(self, template):
        """Standalone fitted nets, copies of ``template`` with each copy's weights.

        Each net's ``history`` is a copy of the joint training's: its epochs,
        durations and callbacks' records.

        Parameters
        ----------
        template : skorch net
            Unfitted, of the copies' architecture; cloned and initialised for
            each copy.

        Returns
        -------
        nets : list of fitted skorch nets
            One per copy, in the stacked order.
        """
        nets = []
        for state in self.module_.member_state_dicts():
            net = clone(template).initialize()
            net.module_.load_state_dict(state)
            net.history = copy.deepcopy(self.history)
            nets.append(net)
        return nets

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's optimizer parameters, with ``foreach=True`` by default."""
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        optimizer = getattr(self, prefix, None)
        if (
            kwargs.get("foreach") is None
            and not kwargs.get("fused")
            and _accepts(optimizer, "foreach")
        ):
            kwargs = {**kwargs, "foreach": True}
        return args, kwargs


def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------ the folds net
#: Fit parameter: which rows each copy trains on, a boolean array (n, K).
FOLDS_PARAM = "mat_folds"


class FoldsTogetherMixin(StackedNetMixin):
    """The K held-out fold nets of a skorch net, trained together as one net.

    Put in front of a MAT-enabled skorch classifier (:func:`as_folds_net` does).
    ``fit(X, y, mat_folds=M)`` trains K copies of the module, copy ``k`` on the
    rows where ``M[:, k]`` is True; :meth:`predict_proba_folds` gives every
    copy's probabilities and
    :meth:`~StackedNetMixin.member_nets` K standalone fitted nets.

    Parameters added to the skorch net's: ``n_folds`` (K) and ``vmap``
    (:class:`StackedNetMixin`). With per-row weights (``mat_weight``,
    :mod:`skmat.losses`), each copy's loss is the weighted mean over its rows.
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, FOLDS_PARAM, WEIGHT_PARAM)
    _class_prefix = "Folds"
    _parameter_constraints = {
        "n_folds": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *args, n_folds=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_folds = n_folds

    def initialize_module(self):
        """The user's module, built ``n_folds`` times, in a stacked module."""
        members = build_members(super().initialize_module, self, int(self.n_folds))
        # BatchNorm: each copy must normalise its own rows only (no leak of the
        # rows it holds out), so the rows are always split.
        split = True if has_batchnorm(members[0]) else "auto"
        self.module_ = StackedModule(
            members, vmap=self.vmap, device=self.device, split_rows=split
        )
        return self

    def infer(self, x, **fit_params):
        """The net's ``infer``; while training, each copy runs on its own rows."""
        own = self.batch_row_data().get(FOLDS_PARAM)
        if own is not None and self.module_.wants_own_rows():
            fit_params[OWN_ROWS] = own
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Sum over the copies of each one's mean loss over its own rows."""
        row_data = self.batch_row_data()
        own = row_data.get(FOLDS_PARAM)
        if own is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        k = int(self.n_folds)
        y_rep = torch.as_tensor(y_true).repeat(k)
        losses = per_example_losses(super().get_loss, self, y_pred, y_rep, X, training)
        mask = own.to(device=losses.device, dtype=losses.dtype).T  # (K, B)
        weight = row_data.get(WEIGHT_PARAM)
        if weight is not None:
            mask = mask * weight.to(device=losses.device, dtype=losses.dtype)
            totals = mask.sum(dim=1, keepdim=True)
            counts = torch.where(totals > 0, totals, torch.ones_like(totals))
        else:
            counts = mask.sum(dim=1, keepdim=True).clamp_min(1)
        return (unfold(losses, k) * mask / counts).sum()

    def predict_proba_folds(self, X):
        """Every copy's class probabilities on ``X``, through skorch's forward.

        Returns
        -------
        proba : ndarray of shape (n_folds, n_samples, n_classes)
        """
        return member_proba(self, X, int(self.n_folds))

    def predict_proba(self, X):
        """The average of the copies' probabilities (for scoring the joint net)."""
        return self.predict_proba_folds(X).mean(axis=0)


def unsupported_reason(net: NeuralNet, *, train_split: bool = False) -> str | None:
    """Why copies of ``net`` cannot be trained together, or None.

    Supported: any skorch classifier whose optimizer is elementwise
    (:data:`ELEMENTWISE_OPTIMIZERS`), with no internal validation split
    (``train_split=None``) and no callback that acts on gradients (such as
    skorch's ``GradientNormClipping``, which would clip all copies together).
    The module must return one tensor (checked when training starts).

    Parameters
    ----------
    net : skorch net
        Only its parameters are read.
    train_split : bool, default=False
        Whether the caller supports an internal validation split (the copies
        of LfF, which all train on the same rows, do).

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> import torch
    >>> from skmat.mlp import mlp_net
    >>> from skmat.together import unsupported_reason
    >>> unsupported_reason(mlp_net()) is None
    True
    >>> print(unsupported_reason(mlp_net(optimizer=torch.optim.LBFGS)))
    the optimizer must be elementwise (SGD, Adam, AdamW, RMSprop, Adagrad...); got LBFGS
    """
    if net.train_split is not None and not train_split:
        return (
            "train_split must be None (an internal validation split is not supported)"
        )
    optimizer = net.optimizer
    if not (
        isinstance(optimizer, type) and issubclass(optimizer, ELEMENTWISE_OPTIMIZERS)
    ):
        name = getattr(optimizer, "__name__", type(optimizer).__name__)
        return (
            "the optimizer must be elementwise (SGD, Adam, AdamW, RMSprop, "
            f"Adagrad...); got {name}"
        )
    for name, callback in _user_callbacks(net):
        if type(callback).on_grad_computed is not Callback.on_grad_computed:
            return (
                f"callback {name!r} ({type(callback).__name__}) acts on gradients, "
                "which the copies share in one backward pass"
            )
    return None


def _user_callbacks(net):
    callbacks = net.callbacks if net.callbacks not in (None, "disable") else []
    named = []
    for i, item in enumerate(callbacks):
        name, callback = item if isinstance(item, tuple) else (str(i), item)
        named.append((name, callback() if isinstance(callback, type) else callback))
    return named


def together_batch_size(batch_size, n_folds):
    """The joint net's batch size for the user's ``batch_size`` and K folds.

    Each copy trains on ``(K - 1) / K`` of the rows, so ``K / (K - 1)`` times
    the user's batch gives each copy as many of its own rows per step (and as
    many steps per epoch) as alone; ``-1`` (full batch) stays ``-1``.

    Examples
    --------
    >>> from skmat.together import together_batch_size
    >>> together_batch_size(128, 5), together_batch_size(64, 2)
    (160, 128)
    """
    if batch_size == -1:
        return -1
    return int(math.ceil(batch_size * n_folds / max(n_folds - 1, 1)))


def as_folds_net(net: NeuralNet, n_folds: int, **params: Any) -> NeuralNet:
    """An unfitted joint net: ``n_folds`` copies of ``net`` trained together.

    The copy's class is ``net``'s own with :class:`FoldsTogetherMixin` and
    :class:`~skmat.nets.ShiftedLossMixin` in front; its batch size is scaled by
    :func:`together_batch_size`.

    Parameters
    ----------
    net : skorch NeuralNetClassifier or NeuralNetBinaryClassifier
        The fold net (its parameters, not its weights).
    n_folds : int
        Number of copies.
    **params
        Other parameters to set on the joint net.

    Returns
    -------
    joint : skorch net

    Examples
    --------
    >>> from skmat.mlp import mlp_net
    >>> from skmat.together import as_folds_net
    >>> joint = as_folds_net(mlp_net(batch_size=128), 5)
    >>> type(joint).__name__, joint.batch_size, joint.n_folds
    ('FoldsMATNeuralNetClassifier', 160, 5)
    """
    sizes = {"batch_size": together_batch_size(net.batch_size, n_folds)}
    given = net.get_params_for("iterator_train").get("batch_size")
    if given is not None:
        sizes["iterator_train__batch_size"] = together_batch_size(given, n_folds)
    return as_mat_net(
        net, mixin=FoldsTogetherMixin, n_folds=int(n_folds), **sizes, **params
    )


def fit_folds_together(
    net: NeuralNet,
    X: Any,
    y: np.ndarray,
    splits: Sequence,
    *,
    vmap: bool | str = "auto",
    **fit_params: Any,
) -> NeuralNet:
    """Train the K fold nets of ``splits`` together, as one skorch net.

    Parameters
    ----------
    net : skorch classifier
        The fold net (copied; :func:`unsupported_reason` must be None).
    X : any input the net takes
        Training input.
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    splits : sequence of (train, test) index arrays
        Copy ``k`` trains on the rows ``train`` of split ``k``.
    vmap : {"auto", True, False}, default="auto"
        :class:`~skmat.stacked.StackedModule`'s ``vmap``.
    **fit_params
        Passed to the joint net's ``fit``.

    Returns
    -------
    joint : fitted joint net
        Its history is the joint training's; :meth:`~StackedNetMixin.member_nets`
        gives the K fold nets, :meth:`~FoldsTogetherMixin.predict_proba_folds`
        every copy's probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import KFold
    >>> from skmat.mlp import mlp_net
    >>> from skmat.together import fit_folds_together
    >>> X = np.random.RandomState(0).randn(60, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = mlp_net((8,), module__n_features=4, module__n_classes=2,
    ...               max_epochs=2, random_state=0)
    >>> joint = fit_folds_together(net, X, y, list(KFold(3).split(X)))
    >>> joint.predict_proba_folds(X).shape, len(joint.member_nets(net))
    ((3, 60, 2), 3)
    """
    reason = unsupported_reason(net)
    if reason is not None:
        raise ValueError(f"the fold nets cannot be trained together: {reason}.")
    mask = np.zeros((len(y), len(splits)), dtype=bool)
    for k, (train, _) in enumerate(splits):
        mask[np.asarray(train), k] = True
    joint = as_folds_net(net, len(splits), vmap=vmap)
    return joint.fit(X, y, **{FOLDS_PARAM: mask}, **fit_params)
