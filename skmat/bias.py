"""Bias models: skorch nets trained with generalized cross-entropy (GCE).

Generalized cross-entropy (GCE, Zhang and Sabuncu, 2018) is
``(1 - p_y(x) ** q) / q`` for the probability ``p_y`` a model gives the true
label: ``q -> 0`` is cross-entropy, ``q = 1`` the mean absolute error. Its
gradient is ``p_y ** q`` times the gradient of cross-entropy, so an example the
model already fits confidently pulls harder than one it gets wrong: the model
fits the easy majority (the shortcut) first and resists the examples the
shortcut gets wrong. LfF (Nam et al., 2020) and logit correction (Liu et al.,
2023) train their bias models this way.

:class:`GCELossMixin` trains a user's skorch net with that gradient: each
example's loss through the net's own criterion (``per_example_losses``: the
user's ``get_loss`` and criterion stay in force), weighted by ``p_y ** q``
computed from the same forward and detached. The weighted cross-entropy has
exactly GCE's gradient; its value, which skorch records as ``train_loss``, is
the weighted cross-entropy, not GCE's.

References
----------
Z. Zhang, M. R. Sabuncu. "Generalized Cross Entropy Loss for Training Deep
Neural Networks with Noisy Labels", NeurIPS 2018.
"""

from __future__ import annotations

import numbers
from typing import Any

import torch
from sklearn.utils._param_validation import Interval
from skorch import NeuralNet

from ._outputs import class_logits, first_output, per_example_losses
from .losses import WEIGHT_PARAM, validate_net_params, weighted_mean
from .nets import ShiftedLossMixin

__all__ = ["gce_weights", "GCELossMixin"]


def gce_weights(net: NeuralNet, y_pred: Any, y_true: torch.Tensor, q: float):
    """``p_y ** q`` of each row, detached: the factor that turns the gradient
    of cross-entropy into that of generalized cross-entropy.

    Parameters
    ----------
    net : skorch classifier
        Reads the module's output as class logits (:func:`class_logits`).
    y_pred : torch.Tensor or tuple
        The module's output on the batch (its first output when several).
    y_true : torch.Tensor of shape (n_rows,)
        Class indices.
    q : float
        GCE's exponent, in (0, 1].

    Returns
    -------
    weights : torch.Tensor of shape (n_rows,)

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.bias import gce_weights
    >>> net = NeuralNetClassifier(torch.nn.Linear,
    ...                           criterion=torch.nn.CrossEntropyLoss)
    >>> logits = torch.log(torch.tensor([[0.25, 0.75], [0.5, 0.5]]))
    >>> w = gce_weights(net, logits, torch.tensor([1, 0]), q=0.5)
    >>> [round(v, 4) for v in w.tolist()]  # sqrt(0.75), sqrt(0.5)
    [0.866, 0.7071]
    """
    logits = class_logits(net, first_output(y_pred)).detach().float()
    log_p = torch.log_softmax(logits, dim=-1)
    index = torch.as_tensor(y_true, device=log_p.device).long().reshape(-1, 1)
    return torch.exp(float(q) * log_p.gather(1, index).squeeze(1))


class GCELossMixin:
    """Trains a MAT-enabled skorch classifier with generalized cross-entropy.

    Put in front of a MAT-enabled skorch classifier
    (``make_net(net, mixin=GCELossMixin)``, :func:`skmat.factory.make_net`).
    Every batch's loss is ``mean_i p_y(x_i) ** q * l_i`` with ``l_i`` the net's
    own per-example loss and ``p_y ** q`` detached (:func:`gce_weights`), whose
    gradient is GCE's; with per-row weights (``fit(X, y, mat_weight=w)``,
    :mod:`skmat.losses`), their weighted mean. Adds one parameter to the net's,
    ``gce_q`` in (0, 1] (default 0.7, LfF's value; logit correction uses 0.8).

    Examples
    --------
    >>> from skmat.factory import as_mat_net
    >>> from skmat.mlp import mlp_net
    >>> from skmat.bias import GCELossMixin
    >>> net = as_mat_net(mlp_net(), mixin=GCELossMixin, gce_q=0.8)
    >>> type(net).__name__, net.gce_q
    ('GCEMATNeuralNetClassifier', 0.8)
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, WEIGHT_PARAM)
    _class_prefix = "GCE"
    _parameter_constraints = {
        "gce_q": [Interval(numbers.Real, 0, 1, closed="right")],
    }

    def __init__(self, *args, gce_q=0.7, **kwargs):
        super().__init__(*args, **kwargs)
        self.gce_q = gce_q

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, after checking ``gce_q``."""
        validate_net_params(self)
        return super().fit_loop(X, y, epochs, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The GCE-weighted mean of the net's per-example losses."""
        losses = per_example_losses(
            super().get_loss, self, y_pred, y_true, X=X, training=training
        )
        gce = gce_weights(self, y_pred, y_true, self.gce_q)
        gce = gce.to(losses.device, losses.dtype)
        return weighted_mean(gce * losses, self.batch_row_data().get(WEIGHT_PARAM))
