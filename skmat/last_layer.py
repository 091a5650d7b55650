"""The last linear layer of a fitted skorch net, as last-layer methods use it.

Last-layer methods (DFR, AFR) keep a trained network's features and refit only
the linear map from them to the class logits. Here that layer is a
``torch.nn.Linear`` submodule of the net's module, named by ``last_layer``:

* ``None`` (default): the last ``torch.nn.Linear`` registered in the module
  (skmat's :class:`~skmat.mlp.MLPModule`, and most classifiers whose head is
  ``fc``, ``classifier`` or ``head``);
* a dotted submodule name, as ``module.get_submodule`` reads it
  (``"classifier"``, ``"layers.4"``, ``"head.fc"``).

Its output must be the class logits: the module's output itself
(``CrossEntropyLoss``, a binary net's one logit) or what the module's final
softmax turns into probabilities (``NLLLoss``). :func:`check_last_layer`
verifies this on a few rows before anything is refitted.

The penultimate features are the layer's inputs, read by a forward pre-hook
while skorch's own prediction path (``forward_iter``, evaluation mode, the
net's dataset and iterator) runs over ``X``: whatever the net takes, its
features come out as a float32 table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from skorch import NeuralNet
from torch import nn

from ._inputs import n_rows, take_rows
from ._outputs import class_logits, first_output, output_kind

__all__ = ["find_last_layer", "layer_inputs", "check_last_layer", "head_logits"]


def head_logits(net: NeuralNet, out: torch.Tensor) -> torch.Tensor:
    """The last layer's output as class logits: itself, or for a binary net's
    single logit ``f``, ``[0, f]`` (a module ending in softmax applies it
    after the last layer, so the layer's output is already the logits).

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetBinaryClassifier
    >>> from skmat.last_layer import head_logits
    >>> head_logits(NeuralNetBinaryClassifier(torch.nn.Linear), torch.ones(1, 1))
    tensor([[0., 1.]])
    """
    if output_kind(net) == "binary_logit":
        return class_logits(net, out)
    return out


def _linear_names(module):
    return [name for name, sub in module.named_modules() if isinstance(sub, nn.Linear)]


def find_last_layer(
    module: nn.Module, last_layer: str | None, name: str = "last_layer"
) -> nn.Linear:
    """The ``torch.nn.Linear`` submodule of ``module`` named by ``last_layer``.

    Parameters
    ----------
    module : torch.nn.Module
        The net's module (``net.module_``).
    last_layer : str or None
        A dotted submodule name, or ``None`` for the last ``torch.nn.Linear``
        registered in ``module``.
    name : str, default="last_layer"
        The parameter ``last_layer`` came from, for error messages.

    Returns
    -------
    layer : torch.nn.Linear

    Raises
    ------
    ValueError
        When the name is not a submodule, is not a ``torch.nn.Linear``, or the
        module has no linear layer; the message lists the linear layers found.

    Examples
    --------
    >>> from skmat.mlp import MLPModule
    >>> from skmat.last_layer import find_last_layer
    >>> find_last_layer(MLPModule(5, 2, hidden_layer_sizes=(8,)), None)
    Linear(in_features=8, out_features=2, bias=True)
    """
    linear = _linear_names(module)
    found = ", ".join(repr(n) for n in linear) or "none"
    if last_layer is None:
        if not linear:
            raise ValueError(
                f"{name}=None takes the module's last torch.nn.Linear, but "
                f"{type(module).__name__} has none; give {name} the name of the "
                "layer that maps the features to the class logits."
            )
        return module.get_submodule(linear[-1])
    if not isinstance(last_layer, str):
        raise TypeError(
            f"{name} must be None or the dotted name of a torch.nn.Linear submodule "
            f"(linear layers found: {found}); got {last_layer!r}."
        )
    try:
        layer = module.get_submodule(last_layer)
    except AttributeError:
        raise ValueError(
            f"{name}={last_layer!r} is not a submodule of {type(module).__name__}; "
            f"its linear layers are: {found}."
        ) from None
    if not isinstance(layer, nn.Linear):
        raise ValueError(
            f"{name}={last_layer!r} is a {type(layer).__name__}; it must be a "
            f"torch.nn.Linear (linear layers found: {found})."
        )
    return layer


def layer_inputs(net: NeuralNet, X: Any, layer: nn.Module) -> np.ndarray:
    """The inputs of ``layer`` on every row of ``X``, through skorch's forward.

    Parameters
    ----------
    net : fitted skorch net
        Its module holds ``layer``.
    X : any input the net takes
    layer : torch.nn.Module
        A submodule of ``net.module_`` called once per forward with one
        tensor of shape (batch, n_features).

    Returns
    -------
    features : ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.mlp import mlp_net
    >>> from skmat.last_layer import find_last_layer, layer_inputs
    >>> X = np.random.RandomState(0).randn(20, 3).astype(np.float32)
    >>> net = mlp_net((8,), module__n_features=3, module__n_classes=2,
    ...               max_epochs=1).fit(X, (X[:, 0] > 0).astype(np.int64))
    >>> layer_inputs(net, X, find_last_layer(net.module_, None)).shape
    (20, 8)
    """
    parts = []

    def keep(_, args):
        parts.append(args[0].detach().reshape(args[0].shape[0], -1).float().cpu())

    handle = layer.register_forward_pre_hook(keep)
    try:
        seen = 0
        for _ in net.forward_iter(X, training=False):
            if len(parts) != seen + 1:
                raise ValueError(
                    f"the last layer ran {len(parts) - seen} times in one forward; "
                    "it must run once per batch, on the penultimate features."
                )
            seen += 1
    finally:
        handle.remove()
    if not parts:
        return np.empty((0, layer.in_features), dtype=np.float32)
    return torch.cat(parts).numpy()


def check_last_layer(net: NeuralNet, X: Any, layer: nn.Linear, name: str) -> None:
    """Raise a ValueError naming ``name`` unless ``layer``'s output is the net's
    class logits on (up to) four rows of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.mlp import mlp_net
    >>> from skmat.last_layer import check_last_layer, find_last_layer
    >>> X = np.random.RandomState(0).randn(20, 3).astype(np.float32)
    >>> net = mlp_net((8,), module__n_features=3, module__n_classes=2,
    ...               max_epochs=1).fit(X, (X[:, 0] > 0).astype(np.int64))
    >>> check_last_layer(net, X, find_last_layer(net.module_, None), "last_layer")
    """
    rows = np.arange(min(4, n_rows(X)))
    few = take_rows(X, rows)
    features = torch.as_tensor(layer_inputs(net, few, layer))
    outputs = [first_output(out) for out in net.forward_iter(few, training=False)]
    module_logits = class_logits(net, torch.cat(outputs).float().cpu())
    with torch.no_grad():
        weight = layer.weight.detach().float().cpu()
        bias = None if layer.bias is None else layer.bias.detach().float().cpu()
        head = head_logits(net, torch.nn.functional.linear(features, weight, bias))
    if head.shape != module_logits.shape or not torch.allclose(
        torch.log_softmax(head, -1), torch.log_softmax(module_logits, -1), atol=1e-4
    ):
        raise ValueError(
            f"{name} must name the layer whose output is the class logits (the "
            f"module's output, or the input of its final softmax); the output of "
            f"this {layer} does not give the module's predictions."
        )
