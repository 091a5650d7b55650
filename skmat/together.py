"""Several copies of the user's network trained at once, as one skorch net.

The held-out phase of :class:`~skmat.MATClassifier` trains K copies of the same
network, one per cross-validation fold. Trained one after the other, each copy
pays the whole per-step cost of a small network (on a GPU, dozens of tiny kernel
launches and skorch's bookkeeping per batch), so a small network leaves the
device idle. Here the K copies are **one skorch net**: the user's own net class
(its dataset, iterator, ``infer``, callbacks, mixins), whose module is a
:class:`StackedModule` holding the K copies' parameters stacked along a first
axis (``torch.func.stack_module_state``), and whose loss is the sum of each
copy's mean loss over *its own training rows only*. One standard torch
optimizer updates the stacked parameters; for an elementwise optimizer (SGD,
Adam, AdamW, RMSprop, Adagrad...) each copy receives exactly the update of its
own gradient. Every row of ``X`` is in every batch stream once per epoch: a
copy computes nothing from the rows it holds out, so a row's held-out
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

import contextlib
import copy
import inspect
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn

from ._devices import is_accelerator
from ._outputs import checked_output, class_logits, per_example_losses
from .factory import as_mat_net
from .nets import ShiftedLossMixin

__all__ = [
    "StackedModule",
    "build_members",
    "has_batchnorm",
    "member_proba",
    "StackedNetMixin",
    "FoldsTogetherMixin",
    "as_folds_net",
    "fit_folds_together",
    "unsupported_reason",
    "together_batch_size",
    "unfold",
    "ELEMENTWISE_OPTIMIZERS",
    "FOLDS_PARAM",
    "OWN_ROWS",
    "SPLIT_FLOPS_PER_ROW",
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

#: Keyword argument of :meth:`StackedModule.forward` naming each copy's rows.
OWN_ROWS = "skmat_own_rows"
#: Forward FLOPs per row from which running each copy on its own rows only pays
#: (``split_rows="auto"``): below, the gathers and extra calls cost more than the
#: arithmetic saved (an MLP on a table: 5e4 FLOPs per row, one copy's forward on
#: the whole batch is faster); above, the saved backward wins (a small CNN on
#: 32x32 images: 3e6). Measured on the shapes of ``benchmarks/speed.py``
#: (``benchmarks/results/speed.md``).
SPLIT_FLOPS_PER_ROW = 1e6


def has_batchnorm(module):
    """Whether a module updates BatchNorm running statistics in train mode.

    Examples
    --------
    >>> import torch
    >>> from skmat.together import has_batchnorm
    >>> module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    >>> has_batchnorm(module)
    True
    """
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def _mangle(name):
    # ParameterDict-free storage: a stacked parameter per module parameter name.
    return name.replace(".", "__")


def _reset_parameters(module):
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


def _take_rows(value, rows, n_rows):
    """The rows ``rows`` of every batch-sized tensor in a nested argument."""
    if isinstance(value, torch.Tensor):
        if value.ndim and value.shape[0] == n_rows:
            return value.index_select(0, rows.to(value.device))
        return value
    if isinstance(value, Mapping):
        return {k: _take_rows(v, rows, n_rows) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_take_rows(v, rows, n_rows) for v in value)
    return value


def _slice_rows(value, rows, n_rows):
    """A slice of the rows of every batch-sized tensor in a nested argument."""
    if isinstance(value, torch.Tensor):
        return value[rows] if value.ndim and value.shape[0] == n_rows else value
    if isinstance(value, Mapping):
        return {k: _slice_rows(v, rows, n_rows) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_slice_rows(v, rows, n_rows) for v in value)
    return value


def _batch_size(args, kwargs):
    for value in [*args, *kwargs.values()]:
        if isinstance(value, torch.Tensor) and value.ndim:
            return value.shape[0]
        if isinstance(value, Mapping):
            found = _batch_size((), value)
            if found is not None:
                return found
    return None


class StackedModule(nn.Module):
    """K copies of a module, run on the same batch, their outputs stacked.

    The forward runs every copy on the input and returns their outputs one
    after the other along the first axis, shape ``(K * B, ...)`` for a batch of
    ``B`` rows: rows ``k * B .. (k + 1) * B`` are copy ``k``'s. That layout keeps
    each row's output shape what the module gives, so skorch's checks of the
    output (``NeuralNetBinaryClassifier.infer``) hold.

    Two layouts, chosen once: **stacked** (the copies' parameters stacked along
    a first axis by :func:`torch.func.stack_module_state`, the K forwards in one
    :func:`torch.vmap` call over :func:`torch.func.functional_call`: one kernel
    launch per layer for all copies, what pays on accelerators) or **modules**
    (the K copies kept as modules and called one after the other, each on its
    own rows: no vmap or functional_call overhead, what pays on the CPU and
    what BatchNorm needs). Either way the parameters of different copies are
    different tensor elements, so one elementwise optimizer updates each copy
    with its own gradient only.

    Parameters
    ----------
    modules : sequence of torch.nn.Module
        The K copies, same architecture (their initial weights may differ).
    vmap : {"auto", True, False}, default="auto"
        ``True``: stacked, under vmap; ``False``: modules; ``"auto"``: stacked
        when ``device`` is an accelerator (CUDA, MPS) and the module has no
        BatchNorm layer (statistics updated in place), modules otherwise. A
        module that fails under vmap (a warning says so) runs its stacked
        copies one after the other.
    others : {"skip", "no_grad"}, default="skip"
        With ``skmat_own_rows`` and the rows split, what a copy computes on the
        rows it does not own: nothing (zeros: the held-out fold nets) or its
        output without gradients (the XRM twins' held-out predictions).
    device : str or torch.device, default=None
        The device the module will train on (for ``"auto"``).
    split_rows : {"auto", True, False}, default="auto"
        Whether, given ``skmat_own_rows`` (modules layout), each copy runs on
        its own rows only (with gradients) rather than on the whole batch
        (the others' rows then weigh nothing in the loss): ``"auto"`` splits
        when the module's forward costs at least
        :data:`SPLIT_FLOPS_PER_ROW` per row (counted once, on two rows, by
        ``torch.utils.flop_counter.FlopCounterMode``).

    Examples
    --------
    >>> import torch
    >>> from skmat.together import StackedModule
    >>> stack = StackedModule([torch.nn.Linear(3, 2) for _ in range(4)])
    >>> stack(torch.zeros(5, 3)).shape
    torch.Size([20, 2])
    >>> stack.stacked, len(stack.member_state_dicts())
    (False, 4)
    """

    def __init__(
        self, modules, vmap="auto", others="skip", device=None, split_rows="auto"
    ):
        super().__init__()
        modules = list(modules)
        if len(modules) < 1:
            raise ValueError("StackedModule needs at least one module.")
        if vmap not in ("auto", True, False):
            raise ValueError(f"vmap must be 'auto', True or False; got {vmap!r}.")
        if others not in ("skip", "no_grad"):
            raise ValueError(f"others must be 'skip' or 'no_grad'; got {others!r}.")
        shapes = [[(n, p.shape) for n, p in m.named_parameters()] for m in modules]
        if any(s != shapes[0] for s in shapes[1:]):
            raise ValueError("the stacked modules must have the same parameters.")
        self.n_members = len(modules)
        self.others = others
        self.split_rows = split_rows
        self._batchnorm = has_batchnorm(modules[0])
        if vmap is True and self._batchnorm:
            raise ValueError(
                "vmap=True runs the copies under torch.vmap, which cannot "
                "update BatchNorm statistics; use vmap='auto' or False."
            )
        accelerator = is_accelerator(device)
        self.stacked = vmap is True or (
            vmap == "auto" and accelerator and not self._batchnorm
        )
        self._vmap_ok = True if vmap is True else None
        if not self.stacked:
            self.members = nn.ModuleList(modules)
            return
        params, buffers = torch.func.stack_module_state(modules)
        self._param_names = list(params)
        self._buffer_names = list(buffers)
        for name, value in params.items():
            self.register_parameter(_mangle(name), nn.Parameter(value.detach()))
        for name, value in buffers.items():
            self.register_buffer(_mangle(name), value)
        # The architecture, without weights: functional_call runs it with each
        # copy's slice. Kept out of the module registry (no parameters of its own).
        self.__dict__["_base"] = copy.deepcopy(modules[0]).to("meta")

    def _stacked_state(self):
        params = {n: getattr(self, _mangle(n)) for n in self._param_names}
        buffers = {n: getattr(self, _mangle(n)) for n in self._buffer_names}
        return params, buffers

    def member_state_dicts(self):
        """Each copy's ``state_dict`` (detached tensors, on the module's device).

        Returns
        -------
        states : list of dict
        """
        if not self.stacked:
            return [
                {n: v.detach().clone() for n, v in m.state_dict().items()}
                for m in self.members
            ]
        params, buffers = self._stacked_state()
        return [
            {n: v[k].detach().clone() for n, v in {**params, **buffers}.items()}
            for k in range(self.n_members)
        ]

    def train(self, mode=True):
        # skorch sets the mode before every batch; walking K copies' submodules
        # each time shows in the per-batch cost of small nets. The copies are
        # only reached through this module, so their mode changes only here.
        if vars(self).get("_mode") is mode and self.training is mode:
            return self
        super().train(mode)
        if self.stacked:
            self._base.train(mode)
        self.__dict__["_mode"] = mode
        return self

    def wants_own_rows(self):
        """Whether the forward uses ``skmat_own_rows`` (the rows may be split,
        see ``split_rows``): when not, the caller need not compute them.

        Returns
        -------
        wanted : bool

        Examples
        --------
        >>> import torch
        >>> from skmat.together import StackedModule
        >>> modules = [torch.nn.Linear(3, 2) for _ in range(2)]
        >>> StackedModule(modules, split_rows=False).wants_own_rows()
        False
        """
        if self.stacked or self.split_rows is False:
            return False
        return self.split_rows is True or vars(self).get("_split_decided") is not False

    def uses_vmap(self, args, kwargs):
        """Whether a forward on these arguments runs the copies under vmap."""
        if not self.stacked:
            return False
        if self._vmap_ok is None:
            self._vmap_ok = self._probe(args, kwargs)
        return self._vmap_ok

    def _probe(self, args, kwargs):
        """Whether the module runs under ``torch.vmap`` (on two rows, no grad)."""
        n_rows = _batch_size(args, kwargs)
        rows = torch.arange(min(2, n_rows or 0))
        try:
            with torch.no_grad():
                self._forward_vmap(
                    _take_rows(args, rows, n_rows), _take_rows(kwargs, rows, n_rows)
                )
            return True
        except Exception as exc:  # noqa: BLE001 - any failure -> one after the other
            warnings.warn(
                f"torch.vmap cannot run this module ({type(exc).__name__}: {exc}); "
                "the copies run one after the other instead.",
                UserWarning,
                stacklevel=4,
            )
            return False

    def _forward_vmap(self, args, kwargs):
        params, buffers = self._stacked_state()

        def one(p, b):
            out = torch.func.functional_call(self._base, (p, b), args, kwargs)
            return _single_output(out)

        out = torch.vmap(one, randomness="different")(params, buffers)
        return out.reshape(-1, *out.shape[2:])

    def _member_fn(self, k):
        """Copy ``k`` as a function of the forward's arguments."""
        if not self.stacked:
            member = self.members[k]
            return lambda args, kwargs: _single_output(member(*args, **kwargs))
        params, buffers = self._stacked_state()
        p_k = {n: v[k] for n, v in params.items()}
        b_k = {n: v[k] for n, v in buffers.items()}
        return lambda args, kwargs: _single_output(
            torch.func.functional_call(self._base, (p_k, b_k), args, kwargs)
        )

    @contextlib.contextmanager
    def only(self, k):
        """Inside the block, the forward runs copy ``k`` alone and returns its
        output, shape ``(B, ...)``: to predict with one copy through the net.

        Parameters
        ----------
        k : int
            The copy, ``0 .. K - 1``.

        Examples
        --------
        >>> import torch
        >>> from skmat.together import StackedModule
        >>> stack = StackedModule([torch.nn.Linear(3, 2) for _ in range(4)])
        >>> with stack.only(1):
        ...     stack(torch.zeros(5, 3)).shape
        torch.Size([5, 2])
        """
        if not 0 <= int(k) < self.n_members:
            raise ValueError(f"k must be in 0 .. {self.n_members - 1}; got {k}.")
        self.__dict__["_only"] = int(k)
        try:
            yield self
        finally:
            self.__dict__.pop("_only", None)

    def forward(self, *args, **kwargs):
        """Every copy's output on the batch, stacked along the first axis.

        ``skmat_own_rows`` (keyword) names the rows each copy trains on: a
        boolean tensor of shape (B, K), or of shape (B,) the one copy that owns
        each row. When the rows are split (``split_rows``), copy ``k`` then
        runs with gradients on its rows only (on the others: nothing, zeros,
        or with ``others="no_grad"`` its output without gradients). Every other
        argument goes to the module. Inside :meth:`only`, one copy's output.
        """
        own = kwargs.pop(OWN_ROWS, None)
        only = vars(self).get("_only")
        if only is not None:
            return self._member_fn(only)(args, kwargs)
        if self.uses_vmap(args, kwargs):
            return self._forward_vmap(args, kwargs)
        members = [self._member_fn(k) for k in range(self.n_members)]
        if own is not None and self._splits(members[0], args, kwargs):
            return self._forward_own_rows(own, members, args, kwargs)
        return torch.cat([member(args, kwargs) for member in members], dim=0)

    def _splits(self, member, args, kwargs):
        """Whether copies run on their own rows only (see ``split_rows``)."""
        if self.split_rows != "auto":
            return bool(self.split_rows)
        decided = vars(self).get("_split_decided")
        if decided is None:
            from torch.utils.flop_counter import FlopCounterMode

            n_rows = _batch_size(args, kwargs) or 1
            rows = torch.arange(min(2, n_rows))
            probe = _take_rows(args, rows, n_rows), _take_rows(kwargs, rows, n_rows)
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                member(*probe)
            per_row = counter.get_total_flops() / max(len(rows), 1)
            decided = per_row >= SPLIT_FLOPS_PER_ROW
            self.__dict__["_split_decided"] = decided
        return decided

    def _forward_own_rows(self, own, members, args, kwargs):
        if own.ndim == 1:  # each row's one copy: a partition of the rows
            return self._forward_partition(own, members, args, kwargs)
        n_rows = own.shape[0]
        own = own.to(torch.bool)
        parts = []
        for k, member in enumerate(members):
            computed = []
            mine = own[:, k].nonzero().squeeze(1)
            if len(mine) == n_rows:  # every row is this copy's: no gather
                computed.append((None, member(args, kwargs)))
            elif len(mine):
                x = _take_rows(args, mine, n_rows), _take_rows(kwargs, mine, n_rows)
                computed.append((mine, member(*x)))
            if self.others == "no_grad" and len(mine) < n_rows:
                rest = (~own[:, k]).nonzero().squeeze(1)
                x = _take_rows(args, rest, n_rows), _take_rows(kwargs, rest, n_rows)
                with torch.no_grad():
                    computed.append((rest, member(*x)))
            parts.append(computed)
        template = next(out for computed in parts for _, out in computed)
        outs = []
        for computed in parts:
            if len(computed) == 1 and computed[0][0] is None:
                outs.append(computed[0][1])
                continue
            full = template.new_zeros((n_rows, *template.shape[1:]))
            for rows, out in computed:
                full = full.index_copy(0, rows.to(out.device), out)
            outs.append(full)
        return torch.cat(outs, dim=0)

    def _forward_partition(self, owner, members, args, kwargs):
        """Every copy on every row, with gradients on its own rows only, when
        each row belongs to one copy (``owner``, the XRM twins): the batch is
        sorted by owner once, each copy runs on contiguous slices of it (its
        own rows with gradients, the others' without), and its outputs are put
        back in the batch's order."""
        n_rows = owner.shape[0]
        owner = owner.to(torch.int64)
        order = torch.argsort(owner, stable=True)
        counts = torch.bincount(owner, minlength=self.n_members).tolist()
        x = _take_rows(args, order, n_rows), _take_rows(kwargs, order, n_rows)
        starts = np.cumsum([0, *counts]).tolist()
        back = torch.argsort(order)
        outs = []
        for k, member in enumerate(members):
            pieces = []
            for j in range(self.n_members):
                if counts[j] == 0:
                    continue
                rows = slice(starts[j], starts[j + 1])
                piece = _slice_rows(x, rows, n_rows)
                with torch.set_grad_enabled(torch.is_grad_enabled() and j == k):
                    pieces.append(member(*piece))
            sorted_out = torch.cat(pieces, dim=0) if len(pieces) > 1 else pieces[0]
            outs.append(sorted_out.index_select(0, back.to(sorted_out.device)))
        return torch.cat(outs, dim=0)


def _single_output(out):
    if isinstance(out, (tuple, list)):
        raise ValueError(
            "the module returns several outputs; training copies together needs a "
            "module that returns one tensor (use folds_together=False in "
            "MATClassifier, or return the first output only)."
        )
    return out


def unfold(out, n_members):
    """``(K * B, ...)`` stacked outputs as ``(K, B, ...)``.

    Examples
    --------
    >>> import torch
    >>> from skmat.together import unfold
    >>> unfold(torch.arange(6.0), 2).tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    return out.reshape(n_members, -1, *out.shape[1:])


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
    >>> from skmat.xrm import as_xrm_net
    >>> X = np.random.RandomState(0).randn(10, 3).astype(np.float32)
    >>> net = mlp_net((4,), module__n_features=3, module__n_classes=2, max_epochs=1)
    >>> member_proba(as_xrm_net(net).fit(X, np.arange(10) % 2), X, 2).shape
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
    """What every skorch net whose module is a :class:`StackedModule` shares.

    It adds one parameter to the skorch net's, ``vmap`` (``"auto"``, True or
    False): whether the copies run stacked under :func:`torch.vmap`
    (:class:`StackedModule`'s ``vmap``; ``"auto"``: on accelerators, unless the
    module has BatchNorm).

    The net's optimizer, when the user leaves ``foreach`` (and ``fused``)
    unset and the optimizer takes it, runs torch's multi-tensor ("foreach")
    implementation: the same arithmetic as its per-tensor loop (the same
    results for Adam, AdamW, SGD, RMSprop, Adagrad), without paying the loop's
    Python cost once per tensor of every copy. torch itself picks it on CUDA
    only; here the copies multiply the tensors.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.mlp import mlp_net
    >>> from skmat.xrm import as_xrm_net
    >>> X = np.random.RandomState(0).randn(40, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> net = mlp_net((8,), module__n_features=3, module__n_classes=2, max_epochs=1)
    >>> twins = as_xrm_net(net).fit(X, y)
    >>> twins.optimizer_.defaults["foreach"]
    True
    """

    def __init__(self, *args, vmap="auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.vmap = vmap

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
    copy's probabilities and :meth:`fold_nets` K standalone fitted nets.

    Parameters added to the skorch net's: ``n_folds`` (K) and
    ``vmap`` (:class:`StackedModule`'s ``vmap``, from :class:`StackedNetMixin`).
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, FOLDS_PARAM)
    _class_prefix = "Folds"

    def __init__(self, *args, n_folds=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_folds = n_folds

    def initialize_module(self):
        """The user's module, built ``n_folds`` times, in a :class:`StackedModule`."""
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
        own = self.batch_row_data().get(FOLDS_PARAM)
        if own is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        k = int(self.n_folds)
        y_rep = torch.as_tensor(y_true).repeat(k)
        losses = per_example_losses(super().get_loss, self, y_pred, y_rep, X, training)
        mask = own.to(device=losses.device, dtype=losses.dtype).T  # (K, B)
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

    def fold_nets(self, template):
        """K standalone fitted nets, copies of ``template`` with each copy's weights.

        :meth:`~StackedNetMixin.member_nets`: each net's ``train_loss`` is the
        sum over the K copies of each one's mean loss on its own rows.

        Parameters
        ----------
        template : skorch net
            Unfitted; cloned and initialised for each copy.

        Returns
        -------
        nets : list of fitted skorch nets
        """
        return self.member_nets(template)


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
        :class:`StackedModule`'s ``vmap``.
    **fit_params
        Passed to the joint net's ``fit``.

    Returns
    -------
    joint : fitted joint net
        Its history is the joint training's; :meth:`~FoldsTogetherMixin.fold_nets`
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
    >>> joint.predict_proba_folds(X).shape, len(joint.fold_nets(net))
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
