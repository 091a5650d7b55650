"""Held-out probabilities from XRM twins (Pezeshki et al., ICML 2024).

Cross-Risk Minimization (XRM) trains two copies ("twins") of a network. A fair
coin assigns every training example to one twin; each twin trains only on its
own half, so the *other* twin's output on an example is a held-out prediction.
What makes XRM more than 2-fold cross-validation is label flipping: each twin
trains on *dynamic* labels, and after every optimisation step the dynamic label
of each example of the batch moves towards what the held-out twin confidently
predicts. The twins thereby imitate each other's confident held-out mistakes,
which amplifies the shortcut (the spurious feature) instead of letting each twin
memorise the examples the shortcut gets wrong. The held-out twin's
probabilities on the training set are what :class:`~skmat.MATClassifier` turns
into its logit shift, and the two twins' mistakes on new data ("cross-mistakes")
infer groups without annotations.

The exact procedure implemented by :func:`fit_xrm` (C classes, n examples):

1. ``assignment[i] ~ Bernoulli(1/2)`` picks the twin that trains on example
   ``i``; the dynamic labels start as the true labels.
2. For ``max_epochs`` epochs, over shuffled mini-batches of ``batch_size``
   (the whole set for ``-1``), both twins' logits on the batch are computed:
   in one forward (``torch.func.functional_call`` under ``torch.vmap`` over
   the two stacked parameter sets), or by plain forwards, see ``vectorize``;
   the plain path runs each twin with gradients on its own rows only and
   without on the other twin's rows (same loss and gradients, a third less
   arithmetic; BatchNorm modules instead see the whole batch). Twin
   ``k``'s loss is the *class-balanced* cross-entropy on the batch examples
   assigned to it, against their dynamic labels: the sum over classes ``c``
   of the mean loss of its examples whose dynamic label is ``c`` (classes
   absent from the batch add nothing). One optimizer step updates both twins
   (their parameters are disjoint, so each receives only its own gradient).
3. Label flipping, after the step and without gradients: with the held-out
   twin's softmax ``p`` on example ``i`` from the forward of that step (train
   mode, before the update), ``yhat = argmax p`` and confidence
   ``pmax = max p``, a coin with probability ``(pmax - 1/C) * C / (C - 1)``
   (0 for a uniform prediction, 1 for a certain one) decides whether the
   dynamic label becomes ``yhat``. Otherwise it becomes the *true* label
   again (``flip_mode="redraw"``, the default) or keeps its current value
   (``flip_mode="persist"``). Either way flips are not permanent. "redraw"
   makes the dynamic label a fresh draw between the true label and the
   held-out twin's current prediction at every step; "persist" lets flips
   made early, from the twins' random initialisation, survive until the
   held-out twin confidently predicts the true label, and measured here it
   locks slow learners into their initial guesses (on a clean, linearly
   separable problem, twin accuracy 0.55-0.88 with "persist" against
   0.96-0.99 with "redraw"); on the paper's Figure 1 problem both give the
   same result.
4. At the end, both twins are put in eval mode and ``holdout_proba[i]`` is the
   softmax of the held-out twin ``1 - assignment[i]`` on ``x_i``.

The network, optimizer, learning rate, number of epochs and batch size are read
from a skorch net used as a template (see :func:`fit_xrm`); the net's criterion
only says whether the module outputs logits or probabilities (XRM always uses its
class-balanced cross-entropy).

References
----------
M. Pezeshki, D. Bouchacourt, M. Ibrahim, N. Ballas, P. Vincent, D. Lopez-Paz.
"Discovering environments with XRM", ICML 2024.
"""

from __future__ import annotations

import copy
import numbers
import time
import warnings
from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.exceptions import DeviceWarning
from torch import nn
from torch.nn import functional as F

from ._base import SKORCH_CLASSIFIERS
from .mlp import MLPModule, mlp_net
from .nets import _has_batchnorm, _torch_seed, check_device, output_kind

__all__ = ["XRMResult", "fit_xrm"]


# ---------------------------------------------------------------------- result
class XRMResult:
    """The outcome of :func:`fit_xrm`: held-out probabilities and the twins.

    Attributes
    ----------
    holdout_proba : ndarray of shape (n_samples, n_classes)
        float64; row ``i`` is the softmax of the twin that did *not* train on
        example ``i`` (twin ``1 - assignment[i]``), computed in eval mode after
        training. Rows sum to one.
    assignment : ndarray of shape (n_samples,)
        int64 in ``{0, 1}``: the twin that trained on each example.
    dynamic_labels : ndarray of shape (n_samples,)
        int64; the dynamic (possibly flipped) labels at the end of training.
    flip_rate : float
        Fraction of the final dynamic labels that differ from the true labels.
    flip_rate_history : ndarray of shape (max_epochs,)
        The flip rate at the end of each epoch.
    twins : tuple of two torch.nn.Module
        The fitted twins, in eval mode, on the device they were trained on.
    output_kind : {"logits", "proba", "binary_logit"}
        How the module's output is read (see :func:`skmat.nets.output_kind`).
    n_classes : int
        Number of classes.
    vectorized : bool
        Whether training ran both twins in one ``torch.vmap`` forward.
    fit_time : float
        Seconds spent in the training loop (data transfer and set-up included).
    """

    def __init__(
        self,
        *,
        holdout_proba,
        assignment,
        dynamic_labels,
        flip_rate_history,
        twins,
        output_kind,
        n_classes,
        vectorized,
        fit_time,
    ):
        self.holdout_proba = holdout_proba
        self.assignment = assignment
        self.dynamic_labels = dynamic_labels
        self.flip_rate_history = flip_rate_history
        self.flip_rate = float(flip_rate_history[-1]) if len(flip_rate_history) else 0.0
        self.twins = tuple(twins)
        self.output_kind = output_kind
        self.n_classes = int(n_classes)
        self.vectorized = bool(vectorized)
        self.fit_time = float(fit_time)

    def __repr__(self):
        return (
            f"XRMResult(n_samples={len(self.assignment)}, n_classes={self.n_classes}, "
            f"flip_rate={self.flip_rate:.4f}, vectorized={self.vectorized})"
        )

    def predict_proba_twins(self, X, batch_size=4096):
        """Both twins' class probabilities on new data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric input, converted to float32.
        batch_size : int, default=4096
            Rows per forward pass.

        Returns
        -------
        proba : ndarray of shape (2, n_samples, n_classes)
            float64; ``proba[k]`` is twin ``k``'s softmax.
        """
        X = _check_finite_2d(_as_float32_tensor(X))
        device = _module_device(self.twins[0])
        outputs = []
        with torch.no_grad():
            for start in range(0, X.shape[0], max(1, int(batch_size))):
                xb = X[start : start + batch_size].to(device)
                try:
                    out = torch.stack([twin(xb) for twin in self.twins])
                except RuntimeError as exc:  # e.g. the wrong number of features
                    raise ValueError(
                        f"X of shape {tuple(X.shape)} cannot be fed to the twins: {exc}"
                    ) from exc
                logits = _to_logits(out, self.output_kind)
                outputs.append(torch.softmax(logits.double(), dim=-1).cpu())
        if not outputs:
            return np.empty((2, 0, self.n_classes))
        proba = torch.cat(outputs, dim=1).numpy()
        if not np.all(np.isfinite(proba)):
            raise ValueError(
                "the twins' outputs on X are NaN or infinite: X holds values too "
                "large for the networks (scale it like the training data)."
            )
        return proba

    def cross_mistakes(self, X, y):
        """Infer the "conflicting" group by the twins' cross-mistakes.

        An example is conflicting when *either* twin's argmax differs from its
        label: the twins learned the shortcut, so their mistakes mark the
        examples where the shortcut disagrees with the label.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.
        y : array-like of shape (n_samples,)
            Labels encoded as ``0 .. n_classes - 1``.

        Returns
        -------
        conflicting : ndarray of shape (n_samples,), bool
        """
        y = np.asarray(y)
        pred = self.predict_proba_twins(X).argmax(axis=-1)
        if y.shape != pred.shape[1:]:
            raise ValueError(
                f"y must have shape {pred.shape[1:]}, one label per row of X; got "
                f"shape {y.shape}."
            )
        return np.any(pred != y[None, :], axis=0)

    def __getstate__(self):
        # Portable pickles: twins trained on an accelerator are stored on the CPU,
        # with the device they ran on. On loading they go back to that device when
        # it exists, and stay on the CPU (with a warning) on a machine without it,
        # as skorch does for its nets.
        state = self.__dict__.copy()
        device = _module_device(self.twins[0])
        if device.type != "cpu":
            state["twins"] = tuple(copy.deepcopy(twin).cpu() for twin in self.twins)
        state["_twins_device"] = str(device)
        return state

    def __setstate__(self, state):
        state = dict(state)
        device = state.pop("_twins_device", "cpu")
        self.__dict__.update(state)
        if torch.device(device).type == "cpu":
            return
        try:
            check_device(device)
        except ValueError:
            warnings.warn(
                f"The XRM twins were trained on {device!r}, which is not available "
                "here; they are loaded on the CPU.",
                DeviceWarning,
                stacklevel=2,
            )
        else:
            self.twins = tuple(twin.to(device) for twin in self.twins)


# ------------------------------------------------------------------- helpers
def _as_float32_tensor(X):
    if isinstance(X, torch.Tensor):
        return X.detach().to(torch.float32)
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:  # strings, sparse matrices
        raise TypeError(
            f"X must be a dense numeric array; got {type(X).__name__} ({exc})."
        ) from exc
    return torch.from_numpy(np.ascontiguousarray(X))


def _all_finite(X, chunk_rows=65536):
    """Whether a tensor is all finite, without a full-size temporary.

    The sum is finite for almost every finite input (one pass, no copy); only when
    it is not (a NaN, an infinity, or an overflow of large values) are the rows
    scanned, a chunk at a time.
    """
    if bool(torch.isfinite(X.sum())):
        return True
    return all(
        bool(torch.isfinite(X[start : start + chunk_rows]).all())
        for start in range(0, X.shape[0], chunk_rows)
    )


def _check_finite_2d(X):
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D; got shape {tuple(X.shape)}.")
    if not _all_finite(X):
        raise ValueError(
            "X must be finite: it contains NaN or infinity, or values beyond the "
            "float32 range (about 3.4e38) of the networks."
        )
    return X


def _module_device(module):
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


def _to_logits(out, kind):
    """Class logits from stacked twin outputs of shape (2, B, ...)."""
    if kind == "logits":
        return out
    if kind == "proba":
        return torch.log(out.clamp_min(torch.finfo(out.dtype).tiny))
    logit = out.reshape(out.shape[0], out.shape[1])
    return torch.stack([torch.zeros_like(logit), logit], dim=-1)


def _reset_parameters(module):
    for sub in module.modules():
        reset = getattr(sub, "reset_parameters", None)
        if callable(reset):
            reset()


def _make_twin(net, n_features, n_classes):
    """One freshly initialised module from the template net."""
    module = net.module
    params = dict(net.get_params_for("module"))
    if isinstance(module, nn.Module):
        if params:
            warnings.warn(
                "net.module is a module instance, so the module__ parameters of the "
                "net are ignored; each twin is a deep copy of the instance with its "
                "parameters re-initialised (reset_parameters of each submodule).",
                UserWarning,
                stacklevel=3,
            )
        twin = copy.deepcopy(module)
        _reset_parameters(twin)
        return twin
    if isinstance(module, type) and issubclass(module, MLPModule):
        params.setdefault("n_features", n_features)
        params.setdefault("n_classes", n_classes)
    return module(**params)


def _optimizer_for(net, parameters):
    kwargs = dict(net.get_params_for("optimizer"))
    if "param_groups" in kwargs:
        kwargs.pop("param_groups")
        warnings.warn(
            "optimizer__param_groups is ignored by XRM: both twins use one set of "
            "optimizer parameters.",
            UserWarning,
            stacklevel=3,
        )
    kwargs.setdefault("lr", net.lr)
    return net.optimizer(parameters, **kwargs)


class _LoopTwins:
    """Two plain modules, called one after the other (works for any module)."""

    vectorized = False

    def __init__(self, twins):
        self.twins = twins
        # BatchNorm normalises with the statistics of the whole batch: such twins
        # must see every row of it, so they cannot run on their own rows alone.
        self.splits_rows = not _has_batchnorm(twins[0])

    def parameters(self):
        return [p for twin in self.twins for p in twin.parameters()]

    def train(self, mode=True):
        for twin in self.twins:
            twin.train(mode)

    def __call__(self, x):
        return torch.stack([twin(x) for twin in self.twins])

    def modules(self):
        return self.twins

    def split_step(self, xb, n_first, labels, kind, n_classes):
        """Each twin's loss on its own rows and its held-out logits on the others.

        ``xb`` holds the batch with twin 0's rows first (``n_first`` of them),
        then twin 1's; ``labels`` are their dynamic labels. The loss equals
        :func:`_balanced_ce` on both twins' full-batch forwards (where the other
        rows carry no gradient) with a third less arithmetic: each row goes
        backward through one twin only, and the held-out forward builds no
        graph. Returns the loss and the held-out logits, rows in ``xb`` order.
        """
        parts = (xb[:n_first], xb[n_first:])
        part_labels = (labels[:n_first], labels[n_first:])
        loss = xb.new_zeros(())
        held_out = [None, None]
        for k, twin in enumerate(self.twins):
            if len(parts[k]):
                logits = _to_logits(twin(parts[k]).unsqueeze(0), kind)[0].float()
                loss = loss + _balanced_ce_rows(logits, part_labels[k], n_classes)
            else:
                # No own row in this batch: a zero gradient, as the full-batch
                # loss gives, so that the optimizer still steps this twin.
                loss = loss + sum(p.sum() * 0.0 for p in twin.parameters())
            with torch.no_grad():
                out = twin(parts[1 - k]).unsqueeze(0)
                held_out[1 - k] = _to_logits(out, kind)[0].float()
        return loss, torch.cat(held_out)


def _batches_by_twin(order, assignment, batch_size):
    """Cut ``order`` into batches of ``batch_size`` and, within each batch, put
    twin 0's rows first: ``[(rows, n_twin0_rows), ...]``. One sort per epoch
    instead of a search for each twin's rows in every batch."""
    n_batches = -(-len(order) // batch_size)
    batch_of = torch.arange(len(order), device=order.device) // batch_size
    key = batch_of * 2 + assignment[order]
    order = order[torch.argsort(key, stable=True)]
    counts = torch.bincount(key, minlength=2 * n_batches).tolist()
    batches = []
    for b in range(n_batches):
        start = b * batch_size
        stop = min(start + batch_size, len(order))
        batches.append((order[start:stop], counts[2 * b]))
    return batches


class _VmapTwins:
    """Both twins in one forward: stacked parameters under ``torch.vmap``."""

    vectorized = True
    splits_rows = False  # both twins see the whole batch in one call

    def __init__(self, twins):
        self.twins = twins
        self.params, self.buffers = torch.func.stack_module_state(list(twins))
        self.base = copy.deepcopy(twins[0]).to("meta")

        def call(params, buffers, x):
            return torch.func.functional_call(self.base, (params, buffers), (x,))

        self._forward = torch.vmap(call, in_dims=(0, 0, None), randomness="different")

    def parameters(self):
        return list(self.params.values())

    def train(self, mode=True):
        self.base.train(mode)

    def __call__(self, x):
        return self._forward(self.params, self.buffers, x)

    def modules(self):
        """Copy the trained stacked state back into the two plain modules."""
        with torch.no_grad():
            for k, twin in enumerate(self.twins):
                for name, value in self.params.items():
                    twin.get_parameter(name).copy_(value[k])
                for name, value in self.buffers.items():
                    twin.get_buffer(name).copy_(value[k])
        return self.twins


def _engine(twins, vectorize, probe):
    """Choose how both twins are run: vmap when possible, else two forwards."""
    if vectorize == "auto":
        if probe.device.type == "cpu" or _has_batchnorm(twins[0]):
            # On CPU, vmap turns each Linear into a batched matmul over a
            # broadcast input, 2-5x slower than two plain forwards (measured on
            # MLPs and on the Figure 1 linear model). BatchNorm in train mode
            # updates running statistics in place, which vmap over
            # functional_call does not reliably support.
            return _LoopTwins(twins)
        try:
            engine = _VmapTwins(twins)
            with torch.no_grad():
                engine(probe)
            return engine
        except Exception as exc:  # noqa: BLE001 - any vmap failure -> plain loop
            warnings.warn(
                f"torch.vmap cannot run this module ({type(exc).__name__}: {exc}); "
                "falling back to two separate forwards.",
                UserWarning,
                stacklevel=3,
            )
            return _LoopTwins(twins)
    if vectorize:
        return _VmapTwins(twins)
    return _LoopTwins(twins)


def _balanced_ce_rows(logits, labels, n_classes):
    """One twin's class-balanced cross-entropy on its own rows: the sum over
    classes of the mean loss of the rows of that (dynamic) label."""
    nll = F.cross_entropy(logits, labels, reduction="none")
    sums = nll.new_zeros(n_classes).index_add(0, labels, nll)
    counts = torch.bincount(labels, minlength=n_classes).to(nll.dtype)
    return (sums / counts.clamp_min(1.0)).sum()


def _balanced_ce(logits, labels, train_mask, n_classes):
    """Sum over twins and classes of the mean cross-entropy per class.

    ``logits`` (2, B, C); ``labels`` (B,) dynamic labels; ``train_mask`` (2, B)
    float, 1 where the twin trains on the example.
    """
    log_p = F.log_softmax(logits, dim=-1)
    nll = -log_p.gather(-1, labels.expand(2, -1).unsqueeze(-1)).squeeze(-1)  # (2, B)
    weight = train_mask.unsqueeze(-1) * F.one_hot(labels, n_classes).to(nll.dtype)
    counts = weight.sum(dim=1)  # (2, C)
    sums = (nll.unsqueeze(-1) * weight).sum(dim=1)  # (2, C)
    return (sums / counts.clamp_min(1.0)).sum()


# ----------------------------------------------------------------------- fit
def fit_xrm(
    net: NeuralNet | None,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_classes: int | None = None,
    device: str | torch.device | None = None,
    random_state: int | np.random.RandomState | None = None,
    vectorize: bool | Literal["auto"] = "auto",
    flip_mode: Literal["redraw", "persist"] = "redraw",
    verbose: int = 0,
) -> XRMResult:
    """Train XRM twins and return the held-out probabilities of the training set.

    Parameters
    ----------
    net : skorch NeuralNetClassifier or NeuralNetBinaryClassifier or None
        Template for the twins (its weights, if fitted, are not used). Read from
        it: ``module`` (a class instantiated with ``module__*`` parameters, or an
        instance deep-copied with its parameters re-initialised), ``optimizer``
        and ``optimizer__*`` parameters, ``lr``, ``max_epochs``, ``batch_size``
        (``-1`` for full batch) and ``criterion`` (only to know whether the module
        outputs logits, ``CrossEntropyLoss``, or probabilities, ``NLLLoss``).
        ``None`` uses :func:`skmat.mlp.mlp_net`. For :class:`~skmat.mlp.MLPModule`,
        missing ``module__n_features`` / ``module__n_classes`` are filled in from
        ``X`` and ``n_classes``.
    X : array-like of shape (n_samples, n_features)
        Numeric training features (converted to float32).
    y : array-like of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    n_classes : int, default=None
        Number of classes; ``None`` means ``y.max() + 1``.
    device : str or torch.device, default=None
        Where to train (``"cpu"``, ``"cuda"``...); ``None`` uses ``net.device``.
        The training data are moved there once.
    random_state : int, RandomState instance or None, default=None
        Seeds the twin assignment, the initialisation, the shuffling and the
        flip coins. With an int, two calls on CPU give identical results; torch's
        global generator state is restored afterwards.
    vectorize : {"auto", True, False}, default="auto"
        ``True``: one ``torch.vmap`` forward over the two stacked parameter sets.
        ``False``: plain forwards (one optimizer step still updates both
        twins on the same batch). ``"auto"``: vmap on accelerators (CUDA,
        MPS), unless the module has BatchNorm layers (running statistics are
        updated in place in train mode) or vmap fails on a probe batch (a
        warning says so); plain forwards on CPU, where vmap's batched matmuls
        measured 2-5x slower. Both give the same results up to floating-point
        rounding (dropout draws differ).
    flip_mode : {"redraw", "persist"}, default="redraw"
        What an unflipped dynamic label becomes after each step: the true
        label ("redraw") or its current value ("persist"); see the module
        docstring.
    verbose : int, default=0
        Print the flip rate every ``max(1, max_epochs // 10)`` epochs if > 0.

    Returns
    -------
    result : XRMResult
        ``holdout_proba``, ``assignment``, ``flip_rate``, ``flip_rate_history``,
        the ``twins`` and :meth:`XRMResult.predict_proba_twins`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.xrm import fit_xrm
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 5).astype(np.float32); y = (X[:, 0] > 0).astype(int)
    >>> net = NeuralNetClassifier(torch.nn.Linear, module__in_features=5,
    ...     module__out_features=2, criterion=torch.nn.CrossEntropyLoss,
    ...     optimizer=torch.optim.SGD, lr=0.1, batch_size=-1, max_epochs=5)
    >>> result = fit_xrm(net, X, y, random_state=0)
    >>> result.holdout_proba.shape, result.predict_proba_twins(X[:3]).shape
    ((200, 2), (2, 3, 2))
    """
    if net is None:
        net = mlp_net()
    if not isinstance(net, SKORCH_CLASSIFIERS):
        raise TypeError(
            "net must be a skorch NeuralNetClassifier or NeuralNetBinaryClassifier "
            f"(or None for skmat's default MLP); got {type(net).__name__}."
        )
    if vectorize not in ("auto", True, False):
        raise ValueError(f"vectorize must be 'auto', True or False; got {vectorize!r}.")
    if flip_mode not in ("redraw", "persist"):
        raise ValueError(f"flip_mode must be 'redraw' or 'persist'; got {flip_mode!r}.")
    kind = output_kind(net)

    X = _check_finite_2d(_as_float32_tensor(X))
    y_np = np.asarray(y)
    n_samples = X.shape[0]
    if y_np.shape != (n_samples,):
        raise ValueError(f"y must have shape ({n_samples},); got {y_np.shape}.")
    if n_samples < 2:
        raise ValueError("XRM needs at least 2 training examples.")
    if not np.issubdtype(y_np.dtype, np.integer):
        if not np.all(np.mod(y_np, 1) == 0):
            raise ValueError("y must hold integer labels 0 .. n_classes - 1.")
    y_np = y_np.astype(np.int64)
    if n_classes is None:
        n_classes = int(y_np.max()) + 1
        if n_classes < 2:
            raise ValueError(
                "y must hold at least 2 classes (labels 0 .. n_classes - 1); got "
                f"only label {int(y_np.max())}."
            )
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
    n_classes = int(n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes}.")
    if y_np.min() < 0 or y_np.max() >= n_classes:
        raise ValueError(f"y must hold labels in 0 .. {n_classes - 1}.")
    if kind == "binary_logit" and n_classes != 2:
        raise ValueError("a NeuralNetBinaryClassifier needs exactly 2 classes.")

    device = check_device(device if device is not None else net.device) or "cpu"
    max_epochs = int(net.max_epochs)
    batch_size = int(net.batch_size)
    if batch_size == -1 or batch_size >= n_samples:
        batch_size = n_samples
    if batch_size < 1:
        raise ValueError(f"net.batch_size must be -1 or >= 1; got {net.batch_size}.")

    rng = check_random_state(random_state)
    # Three derived seeds, so that the coins are not the seed's first raw draws
    # (data generated with randint(2) and the same seed would equal them).
    seeds = rng.randint(np.iinfo(np.int32).max, size=3)
    coin_seed, torch_seed, loop_seed = (int(s) for s in seeds)
    coins_rng = np.random.RandomState(coin_seed)
    assignment_np = coins_rng.randint(2, size=n_samples).astype(np.int64)
    if random_state is None:
        torch_seed = None

    start_time = time.perf_counter()
    with _torch_seed(torch_seed):
        twins = [_make_twin(net, X.shape[1], n_classes).to(device) for _ in range(2)]
        for twin in twins:
            # Eval mode for the probe forwards: no dropout draw, no BatchNorm
            # statistics update before training starts.
            twin.eval()
        X_dev = X.to(device)
        engine = _engine(twins, vectorize, X_dev[:2])
        with torch.no_grad():
            probe = _to_logits(engine(X_dev[:2]), kind)
        if probe.shape != (2, 2, n_classes):
            what = "one logit" if kind == "binary_logit" else "one output per class"
            raise ValueError(
                f"the module's output, read as class logits, has shape "
                f"{tuple(probe.shape[1:])} for 2 rows; expected (2, {n_classes}): "
                f"{what} for n_classes={n_classes}."
            )
        optimizer = _optimizer_for(net, engine.parameters())

        y_dev = torch.as_tensor(y_np, device=device)
        assign_dev = torch.as_tensor(assignment_np, device=device)
        dynamic = y_dev.clone()
        twin_ids = torch.arange(2, device=device).unsqueeze(1)
        generator = torch.Generator()  # CPU: shuffles and flip coins
        if random_state is not None:
            generator.manual_seed(loop_seed)
        else:
            generator.seed()
        n_flipped = torch.zeros(max_epochs, dtype=torch.int64, device=device)
        full_batch = batch_size == n_samples
        all_rows = torch.arange(n_samples, device=device)
        report_every = max(1, max_epochs // 10)

        engine.train(True)
        splits_rows = engine.splits_rows
        for epoch in range(max_epochs):
            coins = torch.rand(n_samples, generator=generator).to(device)
            if full_batch:
                order = all_rows
            else:
                order = torch.randperm(n_samples, generator=generator).to(device)
            if splits_rows:
                batches = _batches_by_twin(order, assign_dev, batch_size)
            else:
                batches = [(idx, None) for idx in order.split(batch_size)]
            for idx, n_first in batches:
                labels = dynamic[idx]
                if splits_rows:
                    loss, held_out = engine.split_step(
                        X_dev.index_select(0, idx), n_first, labels, kind, n_classes
                    )
                else:
                    owner = assign_dev[idx]
                    xb = X_dev if full_batch else X_dev.index_select(0, idx)
                    train_mask = (owner.unsqueeze(0) == twin_ids).to(X_dev.dtype)
                    logits = _to_logits(engine(xb), kind).float()
                    loss = _balanced_ce(logits, labels, train_mask, n_classes)
                    rows = torch.arange(len(owner), device=device)
                    held_out = logits.detach()[1 - owner, rows]
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    confidence, guess = torch.softmax(held_out, dim=-1).max(dim=-1)
                    flip_prob = (confidence - 1.0 / n_classes) * (
                        n_classes / (n_classes - 1)
                    )
                    flip = coins[idx] < flip_prob
                    keep = labels if flip_mode == "persist" else y_dev[idx]
                    dynamic[idx] = torch.where(flip, guess, keep)
            with torch.no_grad():
                n_flipped[epoch] = (dynamic != y_dev).sum()
            if verbose > 0 and ((epoch + 1) % report_every == 0 or epoch == 0):
                print(
                    f"[fit_xrm] epoch {epoch + 1}/{max_epochs} flip rate "
                    f"{n_flipped[epoch].item() / n_samples:.4f} loss {loss.item():.4f}"
                )

        twins = engine.modules()
        for twin in twins:
            twin.eval()
        fit_time = time.perf_counter() - start_time
        result = XRMResult(
            holdout_proba=None,
            assignment=assignment_np,
            dynamic_labels=dynamic.cpu().numpy(),
            flip_rate_history=n_flipped.cpu().numpy() / n_samples,
            twins=twins,
            output_kind=kind,
            n_classes=n_classes,
            vectorized=engine.vectorized,
            fit_time=fit_time,
        )
    for tensor in [t for twin in twins for t in (*twin.parameters(), *twin.buffers())]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(
                "training of the XRM twins diverged: their weights became NaN or "
                f"infinite. X holds values up to {float(X.abs().max()):.3g} in "
                "absolute value; scale X (e.g. with sklearn.preprocessing."
                "StandardScaler) or lower the learning rate."
            )
    both = result.predict_proba_twins(X)
    proba = both[1 - assignment_np, np.arange(n_samples)]
    result.holdout_proba = proba / proba.sum(axis=1, keepdims=True)
    return result
