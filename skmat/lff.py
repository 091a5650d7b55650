"""Learning from Failure (Nam et al., 2020): its two copies as one skorch net.

LfF trains two copies of the network side by side on the same batches:

* the **biased** copy with generalized cross-entropy (:mod:`skmat.bias`), which
  makes it fit the shortcut and resist the examples the shortcut gets wrong;
* the **debiased** copy with each example's cross-entropy weighted by its
  *relative difficulty* ``w = L_b / (L_b + L_d)``: examples the biased copy
  finds hard (large ``L_b``) and the debiased copy does not yet fit weigh most.

``L_b`` and ``L_d`` are each example's cross-entropy under the two copies,
smoothed over epochs by an exponential moving average (``ema_alpha``: a row's
first loss starts its average, then ``L <- alpha * L + (1 - alpha) * loss``)
and divided by the largest average among the training rows of the example's
class. The weights are detached: they steer the debiased copy's gradient only.
Each step minimises ``mean_i p_b(y_i | x_i) ** q * CE_b(i) + mean_i w_i CE_d(i)``
(the first term has GCE's gradient, see :mod:`skmat.bias`); the debiased copy
is the model that predicts.

The two copies are **one skorch net**: the user's own net class with
:class:`LfFMixin` in front, whose module is a
:class:`~skmat.stacked.StackedModule` of the two copies (the machinery of
:mod:`skmat.together`: one optimizer over both copies' parameters, which must
be elementwise; on accelerators one ``torch.vmap`` call). The per-row averages
are state of the net, looked up through each row's index, which rides with the
rows of the net's own dataset (:mod:`skmat.nets`).

References
----------
J. Nam, H. Cha, S. Ahn, J. Lee, J. Shin. "Learning from Failure: Training
Debiased Classifier from Biased Classifier", NeurIPS 2020.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._devices import torch_device
from ._outputs import per_example_losses
from .bias import GCELossMixin, gce_weights
from .losses import WEIGHT_PARAM, weighted_mean
from .nets import ShiftedLossMixin
from .stacked import StackedModule, unfold
from .together import StackedNetMixin, build_members, member_proba

__all__ = ["LfFMixin", "LFF_ROW", "BIASED", "DEBIASED"]

#: Fit parameter carrying each row's index in the training set (set by the net).
LFF_ROW = "lff_row"
#: Position of the biased and of the debiased copy in the stacked module.
BIASED, DEBIASED = 0, 1


class LfFMixin(StackedNetMixin):
    """Trains the user's skorch net as LfF's biased and debiased copies.

    Put in front of a MAT-enabled skorch classifier
    (``make_net(net, mixin=LfFMixin)``, :func:`skmat.factory.make_net`).
    ``fit(X, y)`` trains both copies on every batch;
    :meth:`predict_proba_members` gives both copies' probabilities,
    :meth:`predict_proba` the debiased copy's, and
    :meth:`~skmat.together.StackedNetMixin.member_nets` standalone nets of
    each.

    Parameters added to the skorch net's: ``gce_q`` (GCE's exponent for the
    biased copy, in (0, 1], default 0.7), ``ema_alpha`` (the moving average's
    weight of the past, in [0, 1), default 0.7) and ``vmap``
    (:class:`~skmat.together.StackedNetMixin`). With per-row weights
    (``fit(X, y, mat_weight=w)``, :mod:`skmat.losses`), both terms of the loss
    are weighted means.

    The net's ``train_split`` is kept: validation rows train neither copy; the
    ``valid_loss`` is the debiased copy's mean loss on them and ``valid_acc``
    its accuracy, so callbacks that select on validation scores see the model
    that predicts.

    Attributes
    ----------
    lff_loss_ema_ : ndarray of shape (2, n_samples)
        The moving averages of the biased (row 0) and debiased (row 1) copies'
        per-example losses at the end of training (0 for a row never trained).
    lff_weights_ : ndarray of shape (n_samples,)
        The relative-difficulty weight ``w`` of each training row from those
        averages (also ``history[:, "lff_mean_weight"]``, one mean per epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.factory import as_mat_net
    >>> from skmat.lff import LfFMixin
    >>> from skmat.mlp import mlp_net
    >>> X = np.random.RandomState(0).randn(40, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = mlp_net((8,), module__n_features=3, module__n_classes=2, max_epochs=2)
    >>> lff = as_mat_net(net, mixin=LfFMixin, random_state=0).fit(X, y)
    >>> lff.predict_proba_members(X).shape, lff.lff_weights_.shape
    ((2, 40, 2), (40,))
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, LFF_ROW, WEIGHT_PARAM)
    _class_prefix = "LfF"
    _parameter_constraints = {
        **GCELossMixin._parameter_constraints,
        "ema_alpha": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(self, *args, gce_q=0.7, ema_alpha=0.7, **kwargs):
        super().__init__(*args, **kwargs)
        self.gce_q = gce_q
        self.ema_alpha = ema_alpha

    def initialize_module(self):
        """The user's module, built twice (biased, debiased), in a StackedModule."""
        members = build_members(super().initialize_module, self, 2)
        self.module_ = StackedModule(
            members, vmap=self.vmap, device=self.device, split_rows=False
        )
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, with LfF's per-row state (the loss averages)."""
        labels = torch.as_tensor(np.asarray(y), dtype=torch.int64)
        n_samples = len(labels)
        previous = getattr(self, "_lff_ema", None)
        if not (
            self.warm_start and previous is not None and previous.shape[1] == n_samples
        ):
            device = torch_device(self.device)
            self._lff_ema = torch.zeros((2, n_samples), device=device)
            self._lff_seen = torch.zeros(n_samples, dtype=torch.bool, device=device)
        self._lff_y = labels.to(self._lff_ema.device)
        fit_params[LFF_ROW] = torch.arange(n_samples)
        return super().fit_loop(X, y, epochs, **fit_params)

    def _class_max(self):
        """The largest loss average among each class's rows, per copy: (2, C)."""
        n_classes = int(self._lff_y.max()) + 1 if len(self._lff_y) else 1
        index = self._lff_y.expand(2, -1)
        out = torch.zeros((2, n_classes), device=self._lff_ema.device)
        return out.scatter_reduce(1, index, self._lff_ema, "amax", include_self=True)

    def relative_difficulty(self, rows, labels):
        """LfF's weight ``L_b / (L_b + L_d)`` of the rows from the averages.

        Parameters
        ----------
        rows : torch.Tensor of shape (n,)
            Row indices in the training set.
        labels : torch.Tensor of shape (n,)
            Their class indices.

        Returns
        -------
        weights : torch.Tensor of shape (n,)
        """
        peak = self._class_max().clamp_min(1e-8)
        ema = self._lff_ema[:, rows] / peak[:, labels]
        return ema[BIASED] / (ema[BIASED] + ema[DEBIASED] + 1e-8)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """GCE for the biased copy plus the debiased copy's weighted loss.

        Outside training (validation), the debiased copy's mean loss.
        """
        y_rep = torch.as_tensor(y_true).repeat(2)
        losses = per_example_losses(super().get_loss, self, y_pred, y_rep, X, training)
        both = unfold(losses, 2)
        row_data = self.batch_row_data()
        rows, weight = row_data.get(LFF_ROW), row_data.get(WEIGHT_PARAM)
        if not training or rows is None:
            return weighted_mean(both[DEBIASED], weight)
        device = self._lff_ema.device
        rows = rows.to(device)
        labels = self._lff_y.index_select(0, rows)
        alpha = float(self.ema_alpha)
        # A row's first loss starts its average (LfF's rule), later ones move it.
        keep = torch.where(self._lff_seen[rows], alpha, 0.0)
        fresh = both.detach().to(device=device, dtype=self._lff_ema.dtype)
        self._lff_ema[:, rows] = keep * self._lff_ema[:, rows] + (1 - keep) * fresh
        self._lff_seen[rows] = True
        weights = self.relative_difficulty(rows, labels).to(losses.device, losses.dtype)
        biased_out = unfold(y_pred, 2)[BIASED]
        gce = gce_weights(self, biased_out, labels, self.gce_q)
        gce = gce.to(losses.device, losses.dtype)
        return weighted_mean(gce * both[BIASED], weight) + weighted_mean(
            weights * both[DEBIASED], weight
        )

    def on_epoch_end(self, net, **kwargs):
        """The mean relative-difficulty weight of the training rows seen so far."""
        seen = self._lff_seen.nonzero().squeeze(1)
        if len(seen):
            weight = self.relative_difficulty(seen, self._lff_y[seen]).mean()
            self.history.record("lff_mean_weight", float(weight))
        return super().on_epoch_end(net, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Keep LfF's state as NumPy arrays (portable pickles)."""
        rows = torch.arange(len(self._lff_y), device=self._lff_ema.device)
        self.lff_weights_ = self.relative_difficulty(rows, self._lff_y).cpu().numpy()
        self.lff_loss_ema_ = self._lff_ema.cpu().numpy()
        return super().on_train_end(net, X=X, y=y, **kwargs)

    def __getstate__(self):
        state = super().__getstate__()
        for name in ("_lff_ema", "_lff_seen", "_lff_y"):
            value = state.get(name)
            if isinstance(value, torch.Tensor):
                state[name] = value.cpu()
        return state

    def predict_proba_members(self, X):
        """Both copies' class probabilities, through skorch's forward.

        Returns
        -------
        proba : ndarray of shape (2, n_samples, n_classes)
            ``proba[0]`` the biased copy's, ``proba[1]`` the debiased copy's.
        """
        return member_proba(self, X, 2)

    def predict_proba(self, X):
        """The debiased copy's probabilities (the model LfF predicts with)."""
        return self.predict_proba_members(X)[DEBIASED]
