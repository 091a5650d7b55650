"""skmat's default network: a multi-layer perceptron in a MAT-enabled skorch net."""

from __future__ import annotations

import numbers
from typing import Any

import torch
from sklearn.utils import check_scalar
from torch import nn

from .nets import MATNeuralNetClassifier

__all__ = ["MLPModule", "mlp_net"]


def _check_hidden_layer_sizes(sizes):
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(
            "hidden_layer_sizes must be a tuple of positive integers (() for a "
            f"linear model); got {sizes!r}."
        ) from None
    for size in sizes:
        check_scalar(size, "hidden_layer_sizes entry", numbers.Integral, min_val=1)
    return sizes


class MLPModule(nn.Module):
    """A multi-layer perceptron that outputs class logits.

    Rows of any shape are flattened (an image of shape (3, 8, 8) is a row of
    192 features) and integer or boolean input is cast to the weights' dtype,
    so the default network takes tables, images and sparse rows (which skmat's
    nets densify a batch at a time).

    Parameters
    ----------
    n_features : int
        Input width: the number of values in one (flattened) row.
    n_classes : int
        Output width (one logit per class).
    hidden_layer_sizes : tuple of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : type of torch.nn.Module, default=torch.nn.ReLU
        Non-linearity after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden non-linearity.
    bias : bool, default=True
        Whether the linear layers have a bias.

    Examples
    --------
    >>> import torch
    >>> from skmat.mlp import MLPModule
    >>> MLPModule(4, 3, hidden_layer_sizes=(8,))(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_layer_sizes=(100,),
        activation=nn.ReLU,
        dropout=0.0,
        bias=True,
    ):
        super().__init__()
        check_scalar(n_features, "n_features", numbers.Integral, min_val=1)
        check_scalar(n_classes, "n_classes", numbers.Integral, min_val=1)
        hidden_layer_sizes = _check_hidden_layer_sizes(hidden_layer_sizes)
        layers = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size, bias=bias), activation()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes, bias=bias))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        if X.ndim > 2:  # images and other N-D rows: one flat row per example
            X = X.flatten(1)
        if not X.is_floating_point():  # integer or boolean tables
            X = X.to(self.layers[0].weight.dtype)
        return self.layers(X)


def mlp_net(
    hidden_layer_sizes: tuple[int, ...] = (100,), **params: Any
) -> MATNeuralNetClassifier:
    """skmat's default network: an :class:`MLPModule` in a MAT-enabled skorch net.

    ``n_features`` and ``n_classes`` of the module are filled in by
    :class:`~skmat.MATClassifier` at fit time (pass ``module__n_features`` and
    ``module__n_classes`` to use the net on its own).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layer widths; ``()`` gives a linear (softmax regression) model.
    **params
        Other parameters of :class:`~skmat.nets.MATNeuralNetClassifier`.
        Defaults: Adam with
        ``lr=1e-3``, ``batch_size=128``, ``max_epochs=30``, no internal validation
        split (``train_split=None``: every row trains), ``verbose=0``,
        ``CrossEntropyLoss``.

    Returns
    -------
    net : skmat.nets.MATNeuralNetClassifier

    Examples
    --------
    >>> from skmat import MATClassifier
    >>> from skmat.mlp import mlp_net
    >>> clf = MATClassifier(mlp_net((64, 64), max_epochs=50, lr=3e-3))
    """
    defaults = dict(
        module=MLPModule,
        module__hidden_layer_sizes=_check_hidden_layer_sizes(hidden_layer_sizes),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=128,
        max_epochs=30,
        train_split=None,
        verbose=0,
    )
    defaults.update(params)
    return MATNeuralNetClassifier(**defaults)
