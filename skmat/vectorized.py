"""Training several copies of a skorch network together, in one vectorized pass.

The held-out phase of :class:`~skmat.MATClassifier` trains K copies of the same
network, one per cross-validation fold. Trained one after the other (or in K
processes), each copy pays the whole per-step cost of a small network: on a GPU
a few dozen tiny kernel launches and skorch's Python bookkeeping per batch, so a
small net leaves the device idle. :func:`fit_nets_together` instead stacks the K
copies' parameters (``torch.func.stack_module_state``) and, at every step, runs
all K forwards and backwards at once (``torch.vmap`` over
``torch.func.functional_call`` on accelerators; on CPU K plain forwards and one
backward, see ``vectorize``) followed by one optimizer update of the stacked
parameters. Even without vmap this saves skorch's per-batch bookkeeping of K-1
nets, which dominates the step of a small network.

The result equals training each net separately with its own ``fit``, up to
floating-point rounding:

* each net is initialised by its own ``initialize()`` under its own
  ``random_state``, exactly as its ``fit`` would;
* each net draws its batches from its own ``DataLoader`` (the net's
  ``iterator_train`` and its parameters), with torch's generator state of that
  net, so the shuffles are those of the separate fit;
* each net's loss is its own ``get_loss`` on its batch;
* the optimizer update is the net's optimizer (SGD, Adam, AdamW with one
  parameter group) applied elementwise to each net's slice, with per-net step
  counts; a net whose training set gives fewer batches in an epoch simply skips
  the extra steps, as its own loop would;
* each net's history records the same epochs, batches and ``train_loss`` as
  skorch's loop (``dur`` is the joint epoch's), and its callbacks see
  ``on_train_begin``, ``on_epoch_begin``, ``on_epoch_end`` and
  ``on_train_end`` (an ``EarlyStopping`` that stops one net stops only that
  one).

Random layers break the equality: dropout draws differ from the separate fits
(they are independent per net, so the training is equivalent in distribution).
What is supported is checked by :func:`unsupported_reason`.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetBinaryClassifier
from skorch.callbacks import BatchScoring, Callback, EpochScoring
from skorch.dataset import Dataset as SkorchDataset

from .nets import ShiftedLossMixin, _cuda_devices, _has_batchnorm, _torch_seed

__all__ = ["fit_nets_together", "unsupported_reason"]

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")
# The training loop, as skorch runs it: a subclass that overrides one of these
# trains differently from what this module reproduces.
_LOOP_METHODS = (
    "fit",
    "partial_fit",
    "fit_loop",
    "run_single_epoch",
    "train_step",
    "train_step_single",
    "infer",
    "get_loss",
    "get_dataset",
    "get_iterator",
    "get_split_datasets",
)


# -------------------------------------------------------------- what is supported
def unsupported_reason(net: NeuralNet) -> str | None:
    """Why ``net`` cannot be trained by :func:`fit_nets_together`, or None.

    Supported: a skmat net (:class:`~skmat.nets.ShiftedLossMixin`) whose class
    overrides none of skorch's training-loop methods, with ``train_split=None``
    (every row trains), the default dataset and collate function,
    ``torch.optim.SGD``, ``Adam`` or ``AdamW`` with one parameter group, and
    callbacks that act on whole epochs only (skorch's defaults,
    ``EarlyStopping``...): a callback with a per-batch or per-gradient hook
    would need every step of every net. The module must return one tensor
    (checked when training starts).

    Parameters
    ----------
    net : skorch net
        Unfitted or fitted; only its class and parameters are read.

    Returns
    -------
    reason : str or None

    Examples
    --------
    >>> from skmat.mlp import mlp_net
    >>> from skmat.vectorized import unsupported_reason
    >>> unsupported_reason(mlp_net()) is None
    True
    >>> unsupported_reason(mlp_net(train_split=5))
    'train_split must be None (an internal validation split is not supported)'
    """
    if not isinstance(net, ShiftedLossMixin):
        return f"the net must be a skmat MAT net; got {type(net).__name__}"
    for name in _LOOP_METHODS:
        ours = getattr(ShiftedLossMixin, name, None)
        method = getattr(type(net), name)
        owner = next(k for k in type(net).__mro__ if name in vars(k))
        if method is not ours and owner.__module__.split(".")[0] != "skorch":
            return f"{type(net).__name__} overrides {name}"
    if net.train_split is not None:
        return (
            "train_split must be None (an internal validation split is not supported)"
        )
    if net.dataset is not SkorchDataset or net.get_params_for("dataset"):
        return "the net must use skorch's default dataset"
    if "collate_fn" in net.get_params_for("iterator_train"):
        return "iterator_train__collate_fn is not supported"
    optimizer = net.optimizer
    if optimizer not in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        name = getattr(optimizer, "__name__", type(optimizer).__name__)
        return f"the optimizer must be torch.optim.SGD, Adam or AdamW; got {name}"
    if "param_groups" in net.get_params_for("optimizer"):
        return "optimizer__param_groups is not supported"
    for name, callback in _user_callbacks(net):
        if _acts_per_batch(callback):
            return (
                f"callback {name!r} ({type(callback).__name__}) acts on every "
                "batch or gradient"
            )
    return None


def _user_callbacks(net):
    callbacks = net.callbacks if net.callbacks not in (None, "disable") else []
    named = []
    for i, item in enumerate(callbacks):
        name, callback = item if isinstance(item, tuple) else (str(i), item)
        if isinstance(callback, type):
            callback = callback()
        named.append((name, callback))
    return named


def _acts_per_batch(callback):
    if isinstance(callback, (EpochScoring, BatchScoring)):
        # Scoring of the validation split only, and there is none here.
        return bool(getattr(callback, "on_train", False)) or isinstance(
            callback, BatchScoring
        )
    return any(
        getattr(type(callback), hook) is not getattr(Callback, hook)
        for hook in _BATCH_HOOKS
    )


# ----------------------------------------------------------------- optimizers
class _StackedOptimizer:
    """SGD / Adam / AdamW on parameters stacked along a first axis of K nets.

    Elementwise, so each net's slice is updated exactly as the net's own torch
    optimizer would update it (up to rounding), with per-net learning rates and
    step counts; a net left out of a step (``active`` False) is not changed.
    Steps where every net takes part update in place; the others compute the
    update for all and keep it only where ``active``.
    """

    def __init__(self, kind, group, params, n_nets):
        self.kind = kind
        self.params = params
        self.hyper = {k: v for k, v in group.items() if k != "params"}
        self.steps = torch.zeros(n_nets, dtype=torch.float64)
        self.lr = torch.full((n_nets,), float(group["lr"]), dtype=torch.float64)
        self.state = {name: {} for name in params}
        self._vectors = {}

    def _per_net(self, name, ndim):
        # A per-net factor shaped (K, 1, ..., 1) to broadcast over a parameter.
        vector = self._vectors[name]
        return vector.reshape((-1,) + (1,) * (ndim - 1))

    def _prepare(self, like):
        h = self.hyper
        vectors = {"lr": self.lr}
        if self.kind != "sgd":
            beta1, beta2 = h["betas"]
            steps = self.steps.clamp_min(1)
            vectors["step_size"] = self.lr / (1 - beta1**steps)
            vectors["bias2_sqrt"] = (1 - beta2**steps).sqrt()
        self._vectors = {
            k: v.to(device=like.device, dtype=like.dtype) for k, v in vectors.items()
        }

    @torch.no_grad()
    def step(self, active):
        if not bool(active.any()):
            return
        self.steps += active.to(self.steps.dtype)
        first = next(iter(self.params.values()))
        self._prepare(first)
        in_place = bool(active.all())
        mask = active.to(first.device)
        update = self._sgd if self.kind == "sgd" else self._adam
        for name, p in self.params.items():
            if p.grad is None:
                continue
            g = -p.grad if self.hyper.get("maximize", False) else p.grad
            state = self.state[name]
            if in_place:
                update(p, g, state, in_place=True)
                continue
            new_p, new_state = update(p.clone(), g, dict(state), in_place=False)
            keep = mask.reshape((-1,) + (1,) * (p.ndim - 1))
            p.copy_(torch.where(keep, new_p, p))
            for key, value in new_state.items():
                # Every net with a batch takes part in each epoch's first step,
                # so a state is missing only for a net that never steps (no
                # batch at all, e.g. drop_last); it keeps the zero state.
                old = state.get(key, torch.zeros_like(value))
                state[key] = torch.where(keep, value, old)

    def _sgd(self, p, g, state, in_place):
        h = self.hyper
        if h["weight_decay"]:
            g = g.add(p, alpha=h["weight_decay"])
        momentum = h["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = g.clone()
            elif in_place:
                buf.mul_(momentum).add_(g, alpha=1 - h["dampening"])
            else:
                buf = buf * momentum + (1 - h["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g.add(buf, alpha=momentum) if h["nesterov"] else buf
        p.sub_(self._per_net("lr", p.ndim) * g)
        return p, state

    def _adam(self, p, g, state, in_place):
        h = self.hyper
        beta1, beta2 = h["betas"]
        wd = h["weight_decay"]
        if wd:
            if self.kind == "adamw" or h.get("decoupled_weight_decay", False):
                p.mul_(1 - self._per_net("lr", p.ndim) * wd)
            else:
                g = g.add(p, alpha=wd)
        if "exp_avg" not in state:
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            if h["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        if not in_place:
            state = {key: value.clone() for key, value in state.items()}
        state["exp_avg"].lerp_(g, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        second = state["exp_avg_sq"]
        if h["amsgrad"]:
            torch.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
            second = state["max_exp_avg_sq"]
        denom = (second.sqrt() / self._per_net("bias2_sqrt", p.ndim)).add_(h["eps"])
        p.sub_(self._per_net("step_size", p.ndim) * state["exp_avg"] / denom)
        return p, state

    def state_of(self, k, name):
        """Net ``k``'s state of parameter ``name`` in torch.optim's format."""
        state = {key: value[k].clone() for key, value in self.state[name].items()}
        if self.kind != "sgd":
            state["step"] = torch.tensor(float(self.steps[k]))
        return state


_OPTIMIZER_KIND = {
    torch.optim.SGD: "sgd",
    torch.optim.Adam: "adam",
    torch.optim.AdamW: "adamw",
}


# ------------------------------------------------------------------- batches
class _Positions(torch.utils.data.Dataset):
    """Positions ``0 .. n - 1``, served a batch at a time: a net's DataLoader over
    these draws exactly the batches it would draw over its training rows."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i

    def __getitems__(self, indices):
        return torch.as_tensor(indices, dtype=torch.int64)


def _iterator_kwargs(net, n_rows):
    """The training DataLoader arguments of a net, as skorch's get_iterator."""
    kwargs = net.get_params_for("iterator_train")
    kwargs.setdefault("batch_size", net.batch_size)
    if kwargs["batch_size"] == -1:
        kwargs["batch_size"] = n_rows
    return kwargs


def _pass_through(batch):
    # _Positions.__getitems__ already returns a collated batch.
    return batch


@contextlib.contextmanager
def _generator_state(states, k):
    """Run with torch's CPU generator in net ``k``'s state, saving it after."""
    torch.set_rng_state(states[k])
    try:
        yield
    finally:
        states[k] = torch.get_rng_state()


# ----------------------------------------------------------------- the loop
def fit_nets_together(
    nets: Sequence[NeuralNet],
    X: np.ndarray,
    y: np.ndarray,
    rows: Sequence[np.ndarray],
    *,
    vectorize: bool | str = "auto",
) -> list[NeuralNet]:
    """Fit K copies of a skorch net, each on its own rows of ``X``, in one pass.

    Equivalent to ``[net.fit(X[r], y[r]) for net, r in zip(nets, rows)]`` up to
    floating-point rounding (see the module docstring for what makes it so, and
    for dropout), but every step runs the K forwards and backwards at once.

    Parameters
    ----------
    nets : sequence of skmat nets
        Unfitted, with the same parameters apart from ``random_state``; each is
        initialised and fitted in place. :func:`unsupported_reason` must be None
        for each.
    X : ndarray of shape (n_samples, n_features)
        float32 features shared by all nets (read in place, never copied whole).
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    rows : sequence of int arrays
        Training rows of each net.
    vectorize : {"auto", True, False}, default="auto"
        ``True``: one ``torch.vmap`` forward and backward over the stacked
        parameters at each step where the nets that take part have batches
        of one size (plain per-net forwards for uneven last batches). ``False``: per-net
        forwards at every step (still one backward and one optimizer update).
        ``"auto"``: vmap on accelerators (CUDA, MPS) unless the module has
        BatchNorm layers (running statistics updated in place) or fails under
        vmap on a probe batch (a warning says so); per-net forwards on CPU,
        where vmap's batched matmuls are slower except for the smallest nets.

    Returns
    -------
    nets : list of fitted nets
        With their module weights, optimizer state and history.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import clone
    >>> from skmat.mlp import mlp_net
    >>> from skmat.vectorized import fit_nets_together
    >>> X = np.random.RandomState(0).randn(90, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = mlp_net((8,), module__n_features=4, module__n_classes=2,
    ...               max_epochs=3, random_state=0)
    >>> rows = [np.arange(0, 60), np.arange(30, 90)]
    >>> nets = fit_nets_together([clone(net), clone(net)], X, y, rows)
    >>> [len(n.history) for n in nets]
    [3, 3]
    """
    if vectorize not in ("auto", True, False):
        raise ValueError(f"vectorize must be 'auto', True or False; got {vectorize!r}.")
    nets = list(nets)
    for net in nets:
        reason = unsupported_reason(net)
        if reason is not None:
            raise ValueError(f"these nets cannot be trained together: {reason}.")
    if len(nets) != len(rows):
        raise ValueError(f"got {len(nets)} nets but {len(rows)} sets of rows.")
    X_all = torch.as_tensor(np.asarray(X, dtype=np.float32))
    if X_all.ndim != 2:
        raise ValueError(f"X must be 2-D; got shape {tuple(X_all.shape)}.")
    n_samples = X_all.shape[0]
    y_all = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    if y_all.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},); got {tuple(y_all.shape)}.")
    rows = [_check_rows(r, n_samples) for r in rows]

    # Each net initialised as its own fit would, and torch's generator state at
    # the start of its epochs kept per net for its shuffles.
    states = []
    with torch.random.fork_rng(devices=_cuda_devices()):
        for net in nets:
            with _torch_seed(net.random_state):
                net.initialize()
                states.append(torch.get_rng_state())
        _check_same_architecture(nets)
        return _train(nets, X_all, y_all, rows, states, vectorize)


def _check_rows(r, n_samples):
    r = np.asarray(r)
    # Every net takes part in the first step, so the optimizer state of all of
    # them exists before a step that leaves some out.
    if r.ndim != 1 or len(r) == 0 or r.dtype.kind not in "iu":
        raise ValueError(
            "rows must hold a non-empty 1-D array of integer row indices per net."
        )
    if r.min() < 0 or r.max() >= n_samples:
        raise ValueError(f"rows must index rows of X, 0 .. {n_samples - 1}.")
    return torch.as_tensor(r, dtype=torch.int64)


def _check_same_architecture(nets):
    first = [(n, p.shape) for n, p in nets[0].module_.named_parameters()]
    for net in nets[1:]:
        if [(n, p.shape) for n, p in net.module_.named_parameters()] != first:
            raise ValueError("the nets' modules must have the same parameters.")

    def hyper(net):
        group = net.optimizer_.param_groups[0]
        return {k: v for k, v in group.items() if k not in ("params", "lr")}

    for net in nets:
        if len(net.optimizer_.param_groups) != 1:
            raise ValueError("each net's optimizer must have one parameter group.")
        if type(net.optimizer_) is not type(nets[0].optimizer_) or hyper(net) != hyper(
            nets[0]
        ):
            raise ValueError("the nets must have the same optimizer settings.")
        if net.max_epochs != nets[0].max_epochs:
            raise ValueError("the nets must have the same max_epochs.")


def _train(nets, X_all, y_all, rows, states, vectorize):
    n_nets = len(nets)
    modules = [net.module_ for net in nets]
    device = next(modules[0].parameters()).device
    params, buffers = torch.func.stack_module_state(modules)
    base = copy.deepcopy(modules[0]).to("meta")
    # On CPU, vmap's batched matmuls are slower than plain ones except for the
    # smallest nets (measured: 2.7x slower on the paper's full-batch linear
    # model, 1.3x on a 200,000 x 512 linear head, 1.35x faster on a 20-32-2 MLP).
    use_vmap = vectorize is True or (
        vectorize == "auto"
        and device.type != "cpu"
        and not _has_batchnorm(base)
        and _vmap_works(base, params, buffers, X_all, device)
    )
    kind = _OPTIMIZER_KIND[type(nets[0].optimizer_)]
    optimizer = _StackedOptimizer(
        kind, nets[0].optimizer_.param_groups[0], params, n_nets
    )
    # The training rows travel to the device once when they are small enough;
    # otherwise each batch is gathered on the host and moved.
    on_device = X_all.device == device or _fits_on(device, X_all)
    X_dev = X_all.to(device) if on_device else X_all
    y_dev = y_all.to(X_dev.device)  # indexed with the same row indices as X

    loaders = []
    for net, r in zip(nets, rows):
        kwargs = _iterator_kwargs(net, len(r))
        loaders.append(
            net.iterator_train(_Positions(len(r)), collate_fn=_pass_through, **kwargs)
        )

    binary = isinstance(nets[0], NeuralNetBinaryClassifier)

    def loss_of(k, p, b, x, yb):
        out = _inferred(torch.func.functional_call(base, (p, b), (x,)), binary)
        return nets[k].get_loss(out, yb, X=None, training=True)

    def vmapped_losses(p, b, x, yb):
        def one(p_k, b_k, x_k, y_k):
            out = torch.func.functional_call(base, (p_k, b_k), (x_k,))
            return nets[0].get_loss(_inferred(out, binary), y_k, X=None, training=True)

        return torch.vmap(one, randomness="different")(p, b, x, yb)

    # What each net's own fit would show its callbacks: its training rows.
    full = SkorchDataset(X_all, y_all)
    datasets = [torch.utils.data.Subset(full, r) for r in rows]
    running = list(range(n_nets))
    # The user's callbacks see (and may change) each net's weights at every
    # epoch's end; skorch's default callbacks do not read them.
    syncs_weights = any(_user_callbacks(net) for net in nets)
    for net, dataset, r in zip(nets, datasets, rows):
        net.interrupted_ = False
        net._stop_requested = False
        net.notify("on_train_begin", X=dataset, y=y_all[r].numpy())
    max_epochs = int(nets[0].max_epochs)
    base.train(True)
    for _ in range(max_epochs):
        if not running:
            break
        batches = {}
        for k in running:
            nets[k].notify(
                "on_epoch_begin", dataset_train=datasets[k], dataset_valid=None
            )
            with _generator_state(states, k):
                positions = list(loaders[k])
            # One transfer of the epoch's row indices per net, not one per step.
            batch_sizes = [len(p) for p in positions]
            epoch_rows = rows[k][torch.cat(positions)] if positions else rows[k][:0]
            batches[k] = list(epoch_rows.to(X_dev.device).split(batch_sizes))
            optimizer.lr[k] = float(nets[k].optimizer_.param_groups[0]["lr"])
        losses = {k: [] for k in running}
        n_steps = max(len(b) for b in batches.values())
        for step in range(n_steps):
            taking = [k for k in running if step < len(batches[k])]
            idx = [batches[k][step] for k in taking]
            active = torch.zeros(n_nets, dtype=torch.bool)
            active[taking] = True
            for p in params.values():
                p.grad = None
            sizes = {len(i) for i in idx}
            if use_vmap and len(sizes) == 1:
                p_step, b_step = params, buffers
                if len(taking) < n_nets:
                    # Some nets have no batch at this step (fewer batches in
                    # their epoch, or stopped): vmap over the others only.
                    which = torch.as_tensor(taking, device=device)
                    p_step = {n: v.index_select(0, which) for n, v in params.items()}
                    b_step = {n: v.index_select(0, which) for n, v in buffers.items()}
                flat = torch.cat(idx)
                x = _gather(X_dev, flat, device).reshape(len(taking), len(idx[0]), -1)
                yb = y_dev[flat].to(device).reshape(len(taking), -1)
                step_losses = vmapped_losses(p_step, b_step, x, yb)
                step_losses.sum().backward()
                for j, k in enumerate(taking):
                    losses[k].append((step_losses[j].detach(), len(idx[j])))
            else:
                total = 0.0
                for k, i in zip(taking, idx):
                    p_k = {n: v[k] for n, v in params.items()}
                    b_k = {n: v[k] for n, v in buffers.items()}
                    x_k, y_k = _gather(X_dev, i, device), y_dev[i].to(device)
                    loss = loss_of(k, p_k, b_k, x_k, y_k)
                    total = total + loss
                    losses[k].append((loss.detach(), len(i)))
                total.backward()
            optimizer.step(active)
        if syncs_weights:
            _write_back(nets, params, buffers, None, running)
        for k in list(running):
            _record_epoch(nets[k], losses[k])
            try:
                nets[k].notify(
                    "on_epoch_end", dataset_train=datasets[k], dataset_valid=None
                )
            except KeyboardInterrupt:
                # A callback (EarlyStopping) asked this net to stop.
                running.remove(k)
            if syncs_weights:
                # An epoch-level callback may have changed the weights.
                _read_back(nets[k], params, buffers, k)
    _write_back(nets, params, buffers, optimizer, range(n_nets))
    for net, dataset, r in zip(nets, datasets, rows):
        net.notify("on_train_end", X=dataset, y=y_all[r].numpy())
    return nets


def _inferred(out, binary):
    """The module's output as the net's ``infer`` returns it."""
    if isinstance(out, (tuple, list)):
        raise ValueError(
            "the nets' module returns several outputs; training nets together "
            "needs a module that returns one tensor (use vectorize=False)."
        )
    if binary:
        # NeuralNetBinaryClassifier.infer: one logit per row, shape (n,).
        if out.dim() > 2 or (out.dim() == 2 and out.shape[1] != 1):
            raise ValueError(
                "a binary net's module must output shape (n,) or (n, 1); got "
                f"{tuple(out.shape)}."
            )
        out = out.reshape(-1)
    return out


def _vmap_works(base, params, buffers, X, device):
    """Whether the module runs under ``torch.vmap`` (a probe on two rows)."""

    def one(p, b, x):
        return torch.func.functional_call(base, (p, b), (x,))

    base.eval()  # no dropout draw, no statistics update in the probe
    try:
        with torch.no_grad():
            x = X[:2].to(device).expand(len(next(iter(params.values()))), -1, -1)
            torch.vmap(one, randomness="different")(params, buffers, x)
        return True
    except Exception as exc:  # noqa: BLE001 - any vmap failure -> per-net forwards
        warnings.warn(
            f"torch.vmap cannot run this module ({type(exc).__name__}: {exc}); the "
            "nets train together with per-net forwards instead.",
            UserWarning,
            stacklevel=4,
        )
        return False


def _fits_on(device, X):
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return X.element_size() * X.nelement() < free // 4


def _gather(X, index, device):
    if X.device != index.device:
        index = index.to(X.device)
    return torch.index_select(X, 0, index).to(device, non_blocking=True)


@torch.no_grad()
def _write_back(nets, params, buffers, optimizer, which):
    for k in which:
        module = nets[k].module_
        for name, value in params.items():
            module.get_parameter(name).copy_(value[k])
        for name, value in buffers.items():
            module.get_buffer(name).copy_(value[k])
        if optimizer is None:
            continue
        torch_optimizer = nets[k].optimizer_
        by_name = dict(module.named_parameters())
        for name in params:
            state = optimizer.state_of(k, name)
            if state:
                torch_optimizer.state[by_name[name]] = state


@torch.no_grad()
def _read_back(net, params, buffers, k):
    module = net.module_
    for name, value in params.items():
        value[k].copy_(module.get_parameter(name))
    for name, value in buffers.items():
        value[k].copy_(module.get_buffer(name))


def _record_epoch(net, losses):
    """What skorch's loop and default callbacks record for a training epoch."""
    history = net.history  # the epoch itself was opened by on_epoch_begin
    values = torch.stack([loss for loss, _ in losses]).tolist() if losses else []
    for value, (_, size) in zip(values, losses):
        history.new_batch()
        history.record_batch("train_loss", value)
        history.record_batch("train_batch_size", size)
    history.record("train_batch_count", len(losses))
