"""K copies of a torch module run on one batch, their outputs stacked: pure torch.

:class:`StackedModule` holds K copies of a module (their parameters stacked
along a first axis by ``torch.func.stack_module_state`` and run in one
``torch.vmap`` call, or kept as modules and run one after the other, each on
its own rows) and returns their outputs one after the other along the first
axis. It knows nothing of skorch: the nets that train such a module (the fold
nets of :mod:`skmat.together`, the XRM twins of :mod:`skmat.xrm`, LfF's copies
of :mod:`skmat.lff`) are built on it there.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from ._devices import is_accelerator

__all__ = [
    "StackedModule",
    "has_batchnorm",
    "unfold",
    "OWN_ROWS",
    "SPLIT_FLOPS_PER_ROW",
]

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
    >>> from skmat.stacked import has_batchnorm
    >>> module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    >>> has_batchnorm(module)
    True
    """
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def _mangle(name):
    # ParameterDict-free storage: a stacked parameter per module parameter name.
    return name.replace(".", "__")


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
    >>> from skmat.stacked import StackedModule
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
        >>> from skmat.stacked import StackedModule
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
        >>> from skmat.stacked import StackedModule
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
    >>> from skmat.stacked import unfold
    >>> unfold(torch.arange(6.0), 2).tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    return out.reshape(n_members, -1, *out.shape[1:])
