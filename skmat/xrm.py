"""Held-out probabilities from XRM twins (Pezeshki et al., ICML 2024), as a skorch net.

Cross-Risk Minimization (XRM) trains two copies ("twins") of a network. A fair
coin assigns every training example to one twin; each twin trains only on its
own half, so the *other* twin's output on an example is a held-out prediction.
What makes XRM more than 2-fold cross-validation is label flipping: each twin
trains on *dynamic* labels, and each time an example is trained on, its dynamic
label moves towards what the held-out twin confidently predicts. The twins
thereby imitate each other's confident held-out mistakes, which amplifies the
shortcut (the spurious feature) instead of letting each twin memorise the
examples the shortcut gets wrong. The held-out twin's
probabilities on the training set are what :class:`~skmat.MATClassifier` turns
into its logit shift, and the two twins' mistakes on new data ("cross-mistakes")
infer groups without annotations.

The twins are **one skorch net**: the user's own net class (its dataset,
iterator, ``infer``, callbacks, device, mixins), with :class:`XRMMixin` in
front, whose module is a :class:`~skmat.stacked.StackedModule` of the two
twins. skorch's own loop trains it; the mixin's overrides (each calling
``super()``) hold XRM's state (the twin assignment and the dynamic labels, set
up in ``fit_loop``), route each row to its twin (``infer``), compute the XRM
objective (``get_loss``), flip the labels at the end of each epoch
(``on_epoch_end``) and predict with both twins:

1. ``assignment[i] ~ Bernoulli(1/2)`` picks the twin that trains on example
   ``i``; the dynamic labels start as the true labels.
2. At each step both twins run on the whole batch (on the CPU one after the
   other, on accelerators in one ``torch.vmap`` call); on the CPU a twin whose
   forward is costly (:data:`~skmat.stacked.SPLIT_FLOPS_PER_ROW`, a CNN) runs
   with gradients on its own rows only and without on the other twin's, unless
   it has BatchNorm, whose statistics must see the whole batch. Twin ``k``'s
   loss is the *class-balanced* cross-entropy (the net's own criterion, per
   example) on its rows against their dynamic labels: the sum over classes
   ``c`` of the mean loss of its rows whose dynamic label is ``c``. The net's
   optimizer updates both twins (their parameters are disjoint; by default
   through torch's multi-tensor implementation, see
   :class:`~skmat.together.StackedNetMixin`).
3. Label flipping: with the held-out twin's softmax ``p`` on example ``i``
   from the forward of the step that trained on ``i`` (train mode, before the
   update), ``yhat = argmax p`` and confidence ``pmax = max p``, a coin with
   probability ``(pmax - 1/C) * C / (C - 1)`` (0 for a uniform prediction, 1
   for a certain one) decides whether the dynamic label becomes ``yhat``.
   Otherwise it becomes the *true* label again (``flip_mode="redraw"``, the
   default) or keeps its current value (``flip_mode="persist"``). "redraw"
   makes the dynamic label a fresh draw between the true label and the
   held-out twin's current prediction at every step; "persist" lets early
   flips survive until the held-out twin confidently predicts the true label,
   which can lock slow learners into their initial guesses on a clean
   problem; on the paper's Figure 1 problem both give the same result. The
   coins of the epoch's rows are drawn together at its end: a row's next use
   is in the next epoch, so this is the rule applied after each step, without
   its per-step cost (with a sampler that repeats a row within an epoch, the
   row's last step counts).
4. The fraction of dynamic labels that differ from the true ones is recorded
   in the net's history (``xrm_flip_rate``) at every epoch. After training,
   ``held_out_proba(X)`` is, for each training row ``i``, the softmax of twin
   ``1 - assignment[i]`` (eval mode, through skorch's forward; each twin runs
   on the rows it held out only).

References
----------
M. Pezeshki, D. Bouchacourt, M. Ibrahim, N. Ballas, P. Vincent, D. Lopez-Paz.
"Discovering environments with XRM", ICML 2024.
"""

from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import StrOptions
from skorch import NeuralNet

from ._checks import check_trained
from ._devices import torch_device
from ._inputs import check_rows, for_nets, n_rows, take_rows
from ._outputs import class_logits, first_output, output_kind, per_example_losses
from ._seeding import as_seed, torch_rng_preserved
from .factory import make_net
from .losses import WEIGHT_PARAM
from .nets import ShiftedLossMixin
from .stacked import OWN_ROWS, StackedModule, has_batchnorm, unfold
from .together import StackedNetMixin, build_members, member_proba

__all__ = ["XRMMixin", "fit_xrm", "XRM_ROW"]

#: Fit parameter carrying each row's index in the training set (set by the net).
XRM_ROW = "xrm_row"


class XRMMixin(StackedNetMixin):
    """Trains the user's skorch net as two XRM twins.

    Put in front of a MAT-enabled skorch classifier
    (``make_net(net, mixin=XRMMixin)``, :func:`skmat.factory.make_net`, as
    :func:`fit_xrm` does). ``fit(X, y)`` trains the twins; afterwards
    :meth:`held_out_proba` gives the held-out probabilities of the training
    rows, :meth:`predict_proba_twins` both twins' probabilities on new data, and
    :meth:`predict_proba` their average.

    Parameters added to the skorch net's: ``flip_mode`` (``"redraw"`` or
    ``"persist"``, see the module docstring) and ``vmap``
    (:class:`~skmat.together.StackedNetMixin`). With per-row weights
    (``fit(X, y, mat_weight=w)``, :mod:`skmat.losses`), each (twin, dynamic
    label) group's loss is the weighted mean over its rows.

    The net's ``train_split`` is kept: its validation rows train neither twin
    (their labels never flip), each twin's ``valid_loss`` is its class-balanced
    loss on its share of them, and ``valid_acc`` the accuracy of the twins'
    average, so callbacks that read validation scores (``EarlyStopping``,
    ``Checkpoint``, ``LRScheduler`` on ``valid_loss``) work as on the user's net.
    skmat's default MLP has ``train_split=None``: every row trains a twin.

    Attributes
    ----------
    xrm_assignment_ : ndarray of shape (n_samples,)
        The twin (0 or 1) that trained on each row.
    xrm_dynamic_labels_ : ndarray of shape (n_samples,)
        The dynamic labels at the end of training.
    xrm_flip_rate_ : float
        Fraction of the final dynamic labels that differ from the true labels
        (also ``history[:, "xrm_flip_rate"]``, one value per epoch).
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, XRM_ROW, WEIGHT_PARAM)
    _class_prefix = "XRM"
    _parameter_constraints = {"flip_mode": [StrOptions({"redraw", "persist"})]}

    def __init__(self, *args, flip_mode="redraw", **kwargs):
        super().__init__(*args, **kwargs)
        self.flip_mode = flip_mode

    def initialize_module(self):
        """The user's module, built twice, in a :class:`StackedModule`."""
        members = build_members(super().initialize_module, self, 2)
        # BatchNorm twins see the whole batch (its statistics), as one net would.
        split = False if has_batchnorm(members[0]) else "auto"
        self.module_ = StackedModule(
            members,
            vmap=self.vmap,
            others="no_grad",
            device=self.device,
            split_rows=split,
        )
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, with XRM's state: twin assignment and dynamic labels."""
        y_true = torch.as_tensor(np.asarray(y), dtype=torch.int64)
        n_samples = len(y_true)
        fresh = not (
            self.warm_start
            and getattr(self, "_xrm_y", None) is not None
            and len(self._xrm_y) == n_samples
        )
        if fresh:
            device = torch_device(self.device)
            # A fair coin per row, from torch's generator (seeded by random_state).
            self._xrm_twin = torch.randint(0, 2, (n_samples,)).to(device)
            self._xrm_y = y_true.to(device)
            self._xrm_labels = self._xrm_y.clone()
            self._xrm_classes = _n_classes(self, y_true)
        self._xrm_pending = None
        self._xrm_tables()
        fit_params[XRM_ROW] = torch.arange(n_samples)
        return super().fit_loop(X, y, epochs, **fit_params)

    def _xrm_tables(self):
        """What the batches look up per row during this fit (freed at its end)."""
        c, twin = self._xrm_classes, self._xrm_twin
        self._xrm_rows_table = torch.empty(
            (2, len(twin), 2), dtype=torch.int64, device=twin.device
        )
        self._xrm_keys()
        # Held-out groups count as infinitely many rows: weight 0.
        counts = torch.zeros(3 * c, device=twin.device)
        counts[2 * c :] = float("inf")
        self._xrm_no_counts = counts

    def _xrm_keys(self):
        """Per row and twin block of the stacked outputs, what a batch gathers:
        (dynamic label, loss group); fixed between label updates.

        Row ``i``'s group in twin ``k``'s block is ``k * C + label`` when twin
        ``k`` trains on it, ``2 * C + label`` (weight 0) when it holds it out.
        """
        c, twin = self._xrm_classes, self._xrm_twin
        blocks = torch.arange(2, device=twin.device)[:, None]
        offsets = torch.where(twin == blocks, blocks * c, 2 * c)  # (2, n)
        self._xrm_rows_table[..., 0] = self._xrm_labels
        torch.add(offsets, self._xrm_labels, out=self._xrm_rows_table[..., 1])

    def _batch_rows(self):
        rows = self.batch_row_data().get(XRM_ROW)
        return None if rows is None else rows.to(self._xrm_y.device)

    def infer(self, x, **fit_params):
        """The net's ``infer``; while training it names each row's twin, so
        that a costly twin can run with gradients on its own rows only (see
        :class:`~skmat.stacked.StackedModule`'s ``split_rows``)."""
        if self.module_.wants_own_rows():
            rows = self._batch_rows()
            if rows is not None:
                fit_params[OWN_ROWS] = self._xrm_twin[rows]  # each row's twin
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """XRM's loss: each twin's class-balanced loss on its own rows.

        In training it also keeps the twins' outputs of this forward (before
        the update), from which the rows' label flips are drawn at the end of
        the epoch.
        """
        rows = self._batch_rows()
        if rows is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        # Both twins' blocks of outputs: (2 * B, 2), no copy after the gather.
        table = self._xrm_rows_table.index_select(1, rows).view(-1, 2)
        labels, groups = table[:, 0], table[:, 1]
        losses = per_example_losses(super().get_loss, self, y_pred, labels, X, training)
        # Class balance within each twin: the sum over (twin, dynamic label)
        # groups of the group's (weighted) mean loss, as one weighted sum (a
        # short graph to differentiate). Held-out groups count as infinite:
        # weight 0. scatter_add, not bincount: no host synchronisation on a GPU.
        weight = self.batch_row_data().get(WEIGHT_PARAM)
        if weight is None:
            row_weight = torch.ones_like(groups, dtype=self._xrm_no_counts.dtype)
        else:
            row_weight = weight.to(self._xrm_no_counts).repeat(2)  # both blocks
        counts = self._xrm_no_counts.clone().scatter_add_(0, groups, row_weight)
        if weight is not None:  # a group of weight 0 weighs nothing (not 0 / 0)
            counts.masked_fill_(counts == 0, float("inf"))
        weights = counts.reciprocal_().index_select(0, groups)
        if weight is not None:
            weights = weights * row_weight
        weights = weights.to(losses.device, losses.dtype)
        if training:
            self._keep_outputs(rows, first_output(y_pred).detach())
        return losses @ weights

    def _keep_outputs(self, rows, out):
        """Store both twins' outputs on the batch until the end of the epoch
        (NaN: a row not trained since the last flips)."""
        both = unfold(out, 2)  # (2, B, ...)
        pending = self._xrm_pending
        if pending is None or pending.shape[2:] != both.shape[2:]:
            shape = (2, len(self._xrm_y), *both.shape[2:])
            pending = torch.full(
                shape, float("nan"), dtype=out.dtype, device=out.device
            )
            self._xrm_pending = pending
        pending.index_copy_(1, rows.to(pending.device), both)

    def _flip_labels(self):
        """Label flipping, for every row trained since the last call, from the
        held-out twin's outputs kept by :meth:`get_loss`.

        A row's next use is in the next epoch, so drawing its coin at the end
        of the epoch is the per-step rule, with the coins of all rows drawn in
        one call.
        """
        pending = self._xrm_pending
        if pending is None:
            return
        twin = self._xrm_twin.to(pending.device)
        n = len(twin)
        # Row i's held-out output: row n * (1 - twin[i]) + i of the flat store.
        index = torch.arange(n, device=twin.device) + n * (1 - twin)
        held_out = pending.flatten(0, 1).index_select(0, index)
        logits = class_logits(self, held_out)
        confidence, guess = torch.softmax(logits.float(), dim=-1).max(dim=-1)
        trained = ~torch.isnan(confidence)  # NaN: not trained since the last call
        if not trained.any():
            return
        c = self._xrm_classes
        flip_prob = (confidence - 1.0 / c) * (c / (c - 1))
        # NaN compares False: a row not trained keeps its label.
        flip = torch.rand(len(flip_prob), device=flip_prob.device) < flip_prob
        labels = self._xrm_labels
        flip, guess = flip.to(labels.device), guess.to(labels.device)
        if self.flip_mode == "persist":
            keep = labels
        else:
            keep = torch.where(trained.to(labels.device), self._xrm_y, labels)
        self._xrm_labels = torch.where(flip, guess, keep)
        self._xrm_keys()
        pending.fill_(float("nan"))

    def on_epoch_end(self, net, **kwargs):
        """The epoch's label flips, and the flip rate (before the callbacks,
        so PrintLog shows it)."""
        self._flip_labels()
        rate = float((self._xrm_labels != self._xrm_y).double().mean())
        self.history.record("xrm_flip_rate", rate)
        return super().on_epoch_end(net, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Keep XRM's state as NumPy arrays (portable pickles)."""
        self._flip_labels()  # an epoch cut short (Ctrl-C) still flips its rows
        self._xrm_pending = self._xrm_rows_table = self._xrm_no_counts = None
        self.xrm_assignment_ = self._xrm_twin.cpu().numpy()
        self.xrm_dynamic_labels_ = self._xrm_labels.cpu().numpy()
        self.xrm_flip_rate_ = float(
            np.mean(self.xrm_dynamic_labels_ != self._xrm_y.cpu().numpy())
        )
        return super().on_train_end(net, X=X, y=y, **kwargs)

    def __getstate__(self):
        state = super().__getstate__()
        for name in ("_xrm_twin", "_xrm_y", "_xrm_labels"):
            value = state.get(name)
            if isinstance(value, torch.Tensor):
                state[name] = value.cpu()
        return state

    def predict_proba_twins(self, X):
        """Both twins' class probabilities, through skorch's forward.

        Parameters
        ----------
        X : any input the net takes

        Returns
        -------
        proba : ndarray of shape (2, n_samples, n_classes)
            float64; ``proba[k]`` is twin ``k``'s softmax.
        """
        return member_proba(self, X, 2, self._xrm_classes)

    def predict_proba(self, X):
        """The average of the twins' probabilities (for scoring the twin net)."""
        return self.predict_proba_twins(X).mean(axis=0)

    def held_out_proba(self, X):
        """The held-out probabilities of the training rows: row ``i`` from the
        twin that did not train on it.

        Parameters
        ----------
        X : any input the net takes
            The training set, in the order it was fitted.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        assignment = self.xrm_assignment_
        n = n_rows(X)
        if n != len(assignment):
            raise ValueError(
                f"X has {n} rows, but the twins were trained on "
                f"{len(assignment)}: held-out probabilities exist for the "
                "training rows only."
            )
        proba = np.empty((n, self._xrm_classes))
        # Each twin runs on the rows it held out only: half the forwards of
        # predicting both twins on every row (what matters for a costly net).
        for k in range(2):
            rows = np.flatnonzero(assignment != k)
            if len(rows):
                view = self.rows_view(X, None, rows)
                X_k = take_rows(X, rows) if view is None else view
                with self.module_.only(k):
                    proba[rows] = member_proba(self, X_k, 1, self._xrm_classes)[0]
        return proba / proba.sum(axis=1, keepdims=True)


def _n_classes(net, y):
    classes = getattr(net, "classes", None)
    if classes is not None and len(classes):
        return len(classes)
    if output_kind(net) == "binary_logit":
        return 2
    return max(int(y.max()) + 1, 2) if len(y) else 2


def fit_xrm(
    net: NeuralNet | None,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_classes: int | None = None,
    device: str | torch.device | None = None,
    random_state: int | None = None,
    vmap: bool | Literal["auto"] = "auto",
    flip_mode: Literal["redraw", "persist"] = "redraw",
    verbose: int = 0,
    **fit_params: Any,
) -> tuple[np.ndarray, NeuralNet]:
    """Train XRM twins of a skorch net; the held-out probabilities of ``X``.

    Parameters
    ----------
    net : skorch NeuralNetClassifier or NeuralNetBinaryClassifier or None
        The net whose module, optimizer, epochs, batch size, dataset, iterator,
        callbacks and criterion (read per example; XRM balances the classes)
        the twins use; copied, never modified. ``None`` uses
        :func:`skmat.mlp.mlp_net`; an :class:`~skmat.mlp.MLPModule` without
        ``module__n_features`` / ``module__n_classes`` gets them from ``X`` and
        ``n_classes``.
    X : any input the net takes
        Training input.
    y : array-like of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    n_classes : int, default=None
        Number of classes; ``None`` means ``y.max() + 1``.
    device : str or torch.device, default=None
        Where to train; ``None`` keeps ``net.device``.
    random_state : int or None, default=None
        Seeds the twin assignment, the initialisation, the shuffling and the
        flip coins (torch's generators, restored afterwards).
    vmap : {"auto", True, False}, default="auto"
        How the twins run (:class:`~skmat.stacked.StackedModule`): one
        ``torch.vmap`` call, one after the other, or ``"auto"`` (vmap on
        accelerators unless the module has BatchNorm).
    flip_mode : {"redraw", "persist"}, default="redraw"
        See the module docstring.
    verbose : int, default=0
        The twin net's ``verbose`` (skorch prints each epoch and its flip rate).
    **fit_params
        Passed to the twin net's ``fit``.

    Returns
    -------
    holdout_proba : ndarray of shape (n_samples, n_classes)
        float64; row ``i`` from the twin that did not train on it.
    xrm_net : fitted twin net
        With ``xrm_assignment_``, ``xrm_flip_rate_``, the history's
        ``xrm_flip_rate`` and :meth:`XRMMixin.predict_proba_twins` (whose
        cross-mistakes infer groups: :func:`skmat.groups.infer_groups`).

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
    >>> proba, twins = fit_xrm(net, X, y, random_state=0)
    >>> proba.shape, twins.predict_proba_twins(X[:3]).shape
    ((200, 2), (2, 3, 2))
    """
    check_rows(X)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n_rows(X):
        raise ValueError(
            f"y must have shape ({n_rows(X)},), one label per row of X; got {y.shape}."
        )
    if len(y) < 2:
        raise ValueError("XRM needs at least 2 training examples.")
    if y.dtype.kind not in "iub" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("y must hold integer labels 0 .. n_classes - 1.")
    y = y.astype(np.int64)
    if n_classes is None:
        n_classes = int(y.max()) + 1
        if n_classes < 2:
            raise ValueError(
                "y must hold at least 2 classes (labels 0 .. n_classes - 1); got "
                f"only label {int(y.max())}."
            )
    check_scalar(n_classes, "n_classes", numbers.Integral, min_val=2)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"y must hold labels in 0 .. {n_classes - 1}.")
    seed = as_seed(random_state)
    xrm_net = make_net(
        net,
        X=X,
        n_classes=int(n_classes),
        device=device,
        seed=seed,
        verbose=verbose,
        name="net",
        mixin=XRMMixin,
        flip_mode=flip_mode,
        vmap=vmap,
    )
    X = for_nets(X)
    # Seeded: the whole call leaves torch's generators as it found them (the
    # held-out prediction's data loader draws from them too).
    with torch_rng_preserved(enabled=seed is not None):
        xrm_net.fit(X, y, **fit_params)
        check_trained(xrm_net, X, "the XRM twins")
        return xrm_net.held_out_proba(X), xrm_net
