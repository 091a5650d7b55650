"""The skorch loss mixins skmat's methods add: row weights, GroupDRO, batch priors.

Each mixin goes in front of a MAT-enabled skorch classifier (the classes
:func:`skmat.factory.make_net` makes, with :class:`~skmat.nets.ShiftedLossMixin`)
and reads its per-row data from the net's own batches, on the channel of
:mod:`skmat.nets`: ``fit(X, y, mat_weight=w)`` a weight per row
(:data:`WEIGHT_PARAM`), ``fit(X, y, mat_group=g)`` a group index per row
(:data:`GROUP_PARAM`), ``fit(X, y, mat_bias=q)`` a bias model's sharpened
probabilities per row (:data:`BIAS_PARAM`). Their ``get_loss`` asks the MAT net
for the per-example losses (the criterion's ``reduction`` set to ``"none"``
for that call, :func:`skmat._outputs.per_example_losses`, so the shift and the
``NLLLoss``/``CrossEntropyLoss``/binary cases are handled in one place) and
reduces them:

- :class:`WeightedLossMixin`: the weighted mean ``sum_i w_i l_i / sum_i w_i``
  (group reweighting, JTT, every estimator's ``sample_weight``);
- :class:`GroupDROLossMixin`: GroupDRO's ``sum_g q_g * mean_{i in g} l_i``,
  ``q`` updated on every training batch;
- :class:`BatchPriorMixin`: logits shifted by a prior computed from each batch
  (logit correction, uLA);
- :class:`AnchoredLossMixin`: a penalty pulling the parameters towards their
  starting values (AFR's last layer).

Batches without these entries (prediction, validation rows of a plain fit) get
the MAT net's own loss, so a fitted network predicts exactly like any other
skmat network. The parameters a mixin adds to the net's are declared once, in
its ``_parameter_constraints``, and checked the scikit-learn way when training
starts (:func:`validate_net_params`); the estimators that set them declare the
same constraints.
"""

from __future__ import annotations

import numbers

import torch
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

from ._outputs import per_example_losses
from .nets import ShiftedLossMixin

__all__ = [
    "WEIGHT_PARAM",
    "GROUP_PARAM",
    "BIAS_PARAM",
    "weighted_mean",
    "validate_net_params",
    "WeightedLossMixin",
    "GroupDROLossMixin",
    "BatchPriorMixin",
    "AnchoredLossMixin",
]

#: Fit parameter of the per-row weight.
WEIGHT_PARAM = "mat_weight"
#: Fit parameter of the per-row group index, from 0 to ``n_groups - 1``.
GROUP_PARAM = "mat_group"
#: Fit parameter carrying each row's sharpened bias-model probabilities.
BIAS_PARAM = "mat_bias"
#: Added inside the log of a per-batch prior, as the authors' code of MAT does.
PRIOR_EPS = 1e-6


def weighted_mean(values, weight):
    """``values.mean()``, or ``sum_i w_i v_i / sum_i w_i`` when ``weight`` is given.

    Parameters
    ----------
    values : torch.Tensor of shape (n,)
        Per-example values (losses).
    weight : torch.Tensor of shape (n,) or None
        Per-example weights (moved to ``values``' device and dtype).

    Returns
    -------
    mean : torch.Tensor (a scalar)

    Examples
    --------
    >>> import torch
    >>> from skmat.losses import weighted_mean
    >>> float(weighted_mean(torch.tensor([1.0, 3.0]), torch.tensor([3.0, 1.0])))
    1.5
    """
    if weight is None:
        return values.mean()
    weight = weight.to(device=values.device, dtype=values.dtype)
    # A batch whose rows all weigh 0 counts 0 (not 0 / 0).
    return (weight * values).sum() / weight.sum().clamp_min(1e-12)


def validate_net_params(net):
    """Check the parameters skmat's mixins add to a skorch net, the scikit-learn way.

    The constraints are the ``_parameter_constraints`` of the net's classes
    (each mixin declares its own); an invalid value raises scikit-learn's
    ``InvalidParameterError`` (a ``ValueError`` and ``TypeError``) naming the
    parameter and the net's class.

    Examples
    --------
    >>> from skmat.factory import make_net
    >>> from skmat.losses import GroupDROLossMixin, validate_net_params
    >>> import numpy as np
    >>> net = make_net(None, X=np.zeros((4, 2)), n_classes=2,
    ...                mixin=GroupDROLossMixin, group_dro_eta=-1.0, n_groups=2)
    >>> validate_net_params(net)
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'group_dro_eta' ...
    """
    constraints = {}
    for cls in reversed(type(net).__mro__):
        constraints.update(vars(cls).get("_parameter_constraints", {}))
    params = {name: getattr(net, name) for name in constraints}
    validate_parameter_constraints(constraints, params, type(net).__name__)


class WeightedLossMixin:
    """Reduces a batch's per-example losses by their weighted mean.

    ``fit(X, y, mat_weight=w)`` (one non-negative weight per row) trains on
    ``sum_i w_i l_i / sum_i w_i`` over each batch, with ``l_i`` the MAT net's
    own per-example loss (shift included); batches without weights get the
    net's loss unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.factory import make_net
    >>> from skmat.losses import WEIGHT_PARAM, WeightedLossMixin
    >>> X = np.random.RandomState(0).randn(20, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = make_net(None, X=X, n_classes=2, seed=0, mixin=WeightedLossMixin,
    ...                max_epochs=2)
    >>> weight = np.r_[np.ones(10), np.zeros(10)]  # the last 10 rows weigh nothing
    >>> net.fit(X, y, **{WEIGHT_PARAM: weight}).history[-1, "epoch"]
    2
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, WEIGHT_PARAM)
    _class_prefix = "Weighted"

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, after checking the parameters skmat's mixins add."""
        validate_net_params(self)
        return super().fit_loop(X, y, epochs, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The weighted mean of the per-example losses when the batch has weights."""
        weight = self.batch_row_data().get(WEIGHT_PARAM)
        if weight is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        losses = per_example_losses(
            super().get_loss, self, y_pred, y_true, X=X, training=training
        )
        return weighted_mean(losses, weight)


class GroupDROLossMixin(WeightedLossMixin):
    """Reduces a batch's per-example losses by GroupDRO's robust loss.

    ``fit(X, y, mat_group=g)`` (an integer group per row) trains on
    ``sum_g q_g * L_g``, ``L_g`` the mean loss of the batch's rows of group
    ``g`` (0 for a group absent from the batch; weighted by ``mat_weight``
    when given), and updates ``q`` after every training batch
    (Sagawa et al., 2020, Algorithm 1). Batches without groups get
    :class:`WeightedLossMixin`'s loss.

    It adds two parameters to the skorch net's: ``group_dro_eta`` (float >= 0,
    default 0.01), GroupDRO's step size; and ``n_groups`` (int >= 1), the
    number of groups, whose indices are ``0 .. n_groups - 1``. The net's
    ``group_weights_`` (a tensor of shape ``(n_groups,)``) is the current
    distribution over groups: uniform at ``initialize``, so ``warm_start``
    continues from the last one.
    """

    row_data_params = (*WeightedLossMixin.row_data_params, GROUP_PARAM)
    _class_prefix = "GroupDRO"
    _parameter_constraints = {
        "group_dro_eta": [Interval(numbers.Real, 0, None, closed="left")],
        "n_groups": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *args, group_dro_eta=0.01, n_groups=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_dro_eta = group_dro_eta
        self.n_groups = n_groups

    def initialize(self):
        """Initialize the net, and GroupDRO's group weights to uniform."""
        super().initialize()
        n_groups = int(self.n_groups)
        self.group_weights_ = torch.full((n_groups,), 1.0 / n_groups)
        return self

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Keep GroupDRO's weights on the CPU between fits (pickling, inspection)."""
        self.group_weights_ = self.group_weights_.detach().cpu()
        return super().on_train_end(net, X=X, y=y, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """GroupDRO's loss when the batch carries groups."""
        row_data = self.batch_row_data()
        group = row_data.get(GROUP_PARAM)
        if group is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        # The per-example losses of the MAT net, past WeightedLossMixin.
        losses = per_example_losses(
            super(WeightedLossMixin, self).get_loss,
            self,
            y_pred,
            y_true,
            X=X,
            training=training,
        )
        group = group.to(losses.device)
        # Sagawa et al. (2020), Algorithm 1: q <- q * exp(eta * loss_g), normalised
        # (done in log space); the loss is sum_g q_g * (mean loss of group g in the
        # batch). Groups absent from the batch have loss 0 there.
        n_groups = self.group_weights_.shape[0]
        weight = row_data.get(WEIGHT_PARAM)
        sums = torch.zeros(n_groups, dtype=losses.dtype, device=losses.device)
        if weight is None:
            counts = torch.bincount(group, minlength=n_groups).to(losses.dtype)
            group_loss = sums.index_add(0, group, losses) / counts.clamp(min=1)
        else:
            weight = weight.to(device=losses.device, dtype=losses.dtype)
            totals = sums.index_add(0, group, weight)
            group_loss = sums.index_add(0, group, weight * losses) / torch.where(
                totals > 0, totals, torch.ones_like(totals)
            )
        q = self.group_weights_.to(device=losses.device, dtype=losses.dtype)
        if training:
            step = float(self.group_dro_eta) * group_loss.detach()
            q = torch.softmax(torch.log(q) + step, dim=0)
            self.group_weights_ = q
        return (q * group_loss).sum()


class BatchPriorMixin(WeightedLossMixin):
    """Shifts each batch's logits by a prior computed from the batch itself.

    ``fit(X, y, mat_bias=q)`` (each row's bias-model probabilities, already
    sharpened) shifts the logits of a batch of ``B`` rows by
    ``log(q_i @ P + 1e-6)``, where ``J[k, c] = (1/B) sum_{i: y_i = c} q_i[k]``
    is the batch's joint of the bias prediction and the label and ``P`` is
    ``J`` itself (``bias_prior="joint"``, logit correction) or ``J`` with each
    row normalised over the labels (``"conditional"``, uLA: ``p(y | m_hat)``).
    The shift reaches the loss as MAT's does
    (:meth:`skmat.nets.ShiftedLossMixin.batch_shift`); per-row weights, when
    given, weigh the rows in ``J`` and the shifted losses
    (:class:`WeightedLossMixin`).
    """

    row_data_params = (*WeightedLossMixin.row_data_params, BIAS_PARAM)
    _class_prefix = "BatchPrior"
    _parameter_constraints = {"bias_prior": [StrOptions({"joint", "conditional"})]}

    def __init__(self, *args, bias_prior="joint", **kwargs):
        super().__init__(*args, **kwargs)
        self.bias_prior = bias_prior

    def batch_shift(self, y_true):
        """``log(q_i @ P + 1e-6)`` of the batch's rows (see the class)."""
        row_data = self.batch_row_data()
        q = row_data.get(BIAS_PARAM)
        if q is None:
            return super().batch_shift(y_true)
        y = torch.as_tensor(y_true).to(device=q.device).long()
        onehot = torch.nn.functional.one_hot(y, q.shape[1]).to(q.dtype)
        weight = row_data.get(WEIGHT_PARAM)
        if weight is None:
            joint = q.T @ onehot / max(len(y), 1)  # J[k, c]
        else:  # the weighted joint: sum_i w_i q_i[k] [y_i = c] / sum_i w_i
            weight = weight.to(device=q.device, dtype=q.dtype)
            joint = q.T @ (onehot * weight[:, None]) / weight.sum().clamp_min(1e-12)
        if self.bias_prior == "conditional":
            joint = joint / joint.sum(dim=1, keepdim=True).clamp_min(1e-12)
        return torch.log(q @ joint + PRIOR_EPS)


class AnchoredLossMixin(WeightedLossMixin):
    """A penalty that holds the module's parameters near their starting values.

    The (weighted) loss gets ``anchor_penalty * ||theta - theta_0||^2`` added,
    ``theta_0`` the module's parameters when the net is initialised (kept as
    ``anchor_``). It adds one parameter to the skorch net's, ``anchor_penalty``
    (float >= 0, default 0).
    """

    _class_prefix = "Anchored"
    _parameter_constraints = {
        "anchor_penalty": [Interval(numbers.Real, 0, None, closed="left")]
    }

    def __init__(self, *args, anchor_penalty=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.anchor_penalty = anchor_penalty

    def initialize_module(self):
        """The module, and a detached copy of its starting parameters."""
        super().initialize_module()
        self.anchor_ = [p.detach().clone() for p in self.module_.parameters()]
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The net's loss plus the squared distance to the starting parameters."""
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if not self.anchor_penalty:
            return loss
        distance = sum(
            ((p - a.to(p.device)) ** 2).sum()
            for p, a in zip(self.module_.parameters(), self.anchor_)
        )
        return loss + float(self.anchor_penalty) * distance
