"""How skmat reads a skorch classifier's output: class logits and per-example losses.

A net's criterion says what its module outputs (:func:`output_kind`): logits
(``CrossEntropyLoss``), probabilities (``NLLLoss``, skorch's default: a module
ending in softmax) or, for ``NeuralNetBinaryClassifier``, one logit. Every other
part of skmat reads outputs through these functions.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import clone
from skorch import NeuralNet, NeuralNetBinaryClassifier
from torch import nn

from ._inputs import describe, for_nets, n_rows, take_rows
from ._seeding import torch_rng_preserved

__all__ = [
    "first_output",
    "output_kind",
    "class_logits",
    "per_example_losses",
    "checked_output",
    "net_logits",
    "check_module_output",
]


def first_output(y_pred):
    """The first output of a module that returns several (skorch's rule)."""
    return y_pred[0] if isinstance(y_pred, tuple) else y_pred


def per_example_losses(get_loss, net, y_pred, y_true, X=None, training=False):
    """``get_loss`` (a bound ``get_loss`` of ``net``'s classes) per example.

    The net's criterion computes one loss per example for this call (its
    ``reduction`` set to ``"none"``, torch's documented way, then restored), so
    that the shift, skorch's handling of ``NLLLoss`` and binary outputs, and the
    user's own ``get_loss`` all apply before skmat reduces the losses its own way
    (weights, groups, folds, XRM's class balance).

    Returns
    -------
    losses : torch.Tensor of shape (n,)

    Raises
    ------
    TypeError
        If the criterion has no ``reduction`` or ignores it (returns fewer
        losses than rows): skmat would otherwise weigh a batch's mean as if it
        were each row's loss. The message names the criterion.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat._outputs import per_example_losses
    >>> net = NeuralNetClassifier(torch.nn.Linear, module__in_features=2,
    ...     module__out_features=2, criterion=torch.nn.CrossEntropyLoss).initialize()
    >>> out, y = torch.zeros(3, 2), torch.tensor([0, 1, 1])
    >>> per_example_losses(net.get_loss, net, out, y).shape
    torch.Size([3])
    """
    criterion = net.criterion_
    reduction = getattr(criterion, "reduction", None)
    if not isinstance(reduction, str):
        raise TypeError(_no_per_example_message(criterion, "has no 'reduction'"))
    criterion.reduction = "none"
    try:
        losses = get_loss(y_pred, y_true, X=X, training=training)
    finally:
        criterion.reduction = reduction
    losses = losses.reshape(-1)
    expected = len(y_true)
    if losses.shape[0] != expected:
        raise TypeError(
            _no_per_example_message(
                criterion,
                f"returned {losses.shape[0]} loss(es) for a batch of {expected} rows "
                "with reduction='none'",
            )
        )
    return losses


def _no_per_example_message(criterion, what):
    return (
        f"this method weighs each example's loss, but the net's criterion "
        f"{type(criterion).__name__} {what}. Use a criterion that honours "
        "reduction='none' (torch.nn.CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss, "
        "or a subclass whose forward passes self.reduction on)."
    )


def class_logits(net: NeuralNet, out: torch.Tensor) -> torch.Tensor:
    """A module's output read as class logits, by the net's criterion.

    The output itself (``CrossEntropyLoss``), its log (``NLLLoss``: the module
    outputs probabilities) or, for a binary net's single logit ``f``,
    ``[0, f]``. Leading dimensions are kept; the classes are the last.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetBinaryClassifier
    >>> from skmat._outputs import class_logits
    >>> net = NeuralNetBinaryClassifier(torch.nn.Linear)
    >>> class_logits(net, torch.tensor([2.0, -1.0])).tolist()
    [[0.0, 2.0], [0.0, -1.0]]
    """
    kind = output_kind(net)
    if kind == "logits":
        return out
    if kind == "proba":
        return torch.log(out.clamp_min(torch.finfo(out.dtype).tiny))
    if out.ndim >= 2 and out.shape[-1] == 1:
        out = out.squeeze(-1)
    return torch.stack([torch.zeros_like(out), out], dim=-1)


def output_kind(
    net: NeuralNet, name: str | None = None
) -> Literal["logits", "proba", "binary_logit"]:
    """What a skorch classifier's module outputs, judged from its criterion.

    Parameters
    ----------
    net : skorch classifier
        An initialised or uninitialised net.
    name : str, default=None
        The parameter the net came from, for the error message.

    Returns
    -------
    kind : {"logits", "proba", "binary_logit"}
        ``"logits"`` for ``CrossEntropyLoss``, ``"proba"`` for ``NLLLoss`` (the
        module ends in softmax, skorch's default), ``"binary_logit"`` for a
        ``NeuralNetBinaryClassifier`` with ``BCEWithLogitsLoss``.

    Raises
    ------
    TypeError
        For any other criterion: MAT needs the class logits.

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat._outputs import output_kind
    >>> output_kind(NeuralNetClassifier(torch.nn.Linear))
    'proba'
    >>> net = NeuralNetClassifier(torch.nn.Linear, criterion=torch.nn.CrossEntropyLoss)
    >>> output_kind(net)
    'logits'
    """
    criterion = net.criterion
    cls = criterion if isinstance(criterion, type) else type(criterion)
    binary = isinstance(net, NeuralNetBinaryClassifier)
    if binary:
        if issubclass(cls, nn.BCEWithLogitsLoss):
            return "binary_logit"
    elif issubclass(cls, nn.CrossEntropyLoss):
        return "logits"
    elif issubclass(cls, nn.NLLLoss):
        return "proba"
    what = f"{name} ({type(net).__name__})" if name else type(net).__name__
    if binary:
        raise TypeError(
            f"{what} is a NeuralNetBinaryClassifier, whose module outputs one logit: "
            "its criterion must be torch.nn.BCEWithLogitsLoss (skorch's default for "
            f"it); got {cls.__name__}. For CrossEntropyLoss or NLLLoss over two "
            "output columns, use NeuralNetClassifier."
        )
    raise TypeError(
        f"the criterion of {what} must be torch.nn.CrossEntropyLoss (the module "
        "outputs logits) or torch.nn.NLLLoss (the module outputs probabilities); "
        f"got {cls.__name__}."
    )


def checked_output(predict, X):
    """``predict(X)`` as a float64 array; a module error or a non-finite output
    is a ValueError naming ``X``."""
    try:
        out = predict(X)
    except RuntimeError as exc:  # e.g. X has the wrong number of features
        raise ValueError(
            f"X ({describe(X)}) cannot be fed to the network: {exc}"
        ) from exc
    out = np.asarray(out, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "the network's output on X is NaN or infinite: X holds NaN, infinity "
            "or values too large for the network, or its weights are not finite."
        )
    return out


def net_logits(net: NeuralNet, X: ArrayLike) -> np.ndarray:
    """Class logits ``f(X)`` of a fitted skorch classifier, as float64 NumPy.

    The module runs through skorch (``net.forward``: the net's dataset,
    iterator and ``infer``, batch by batch, on its device); its output is read
    as logits according to the criterion (:func:`output_kind`).

    Parameters
    ----------
    net : fitted skorch classifier
        Its criterion tells how to read the output.
    X : any input the net takes
        Input.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_classes)
        The log of the output for ``NLLLoss`` nets (floored at the smallest
        positive float32), ``[0, f(x)]`` for binary nets.

    Raises
    ------
    ValueError
        If the module cannot take ``X`` or its output is not finite; the
        message names ``X``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetClassifier
    >>> from skmat._outputs import net_logits
    >>> net = MATNeuralNetClassifier(torch.nn.Linear, module__in_features=2,
    ...     module__out_features=3, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=1, train_split=None, verbose=0, random_state=0)
    >>> X, y = np.eye(3, 2, dtype=np.float32), np.array([0, 1, 2])
    >>> net_logits(net.fit(X, y), X).shape
    (3, 3)
    """
    kind = output_kind(net)

    def forward(X):
        out = net.forward(X, training=False)
        out = out[0] if isinstance(out, tuple) else out
        return out.detach().to("cpu", torch.float64).numpy()

    out = checked_output(forward, X)
    if kind == "logits":
        return out
    if kind == "proba":
        return np.log(np.maximum(out, np.finfo(np.float32).tiny))
    out = out.reshape(-1)
    return np.column_stack([np.zeros_like(out), out])


def check_module_output(net: NeuralNet, X: Any, n_classes: int, name: str) -> None:
    """Check, before any training, that ``net``'s module fits its criterion and
    the number of classes: one forward of a fresh copy on two rows of ``X``.

    The two most common set-up mistakes would otherwise surface as errors from
    inside torch or as wrong-looking held-out probabilities: a module whose
    output width is not the number of classes (one logit for a binary net), and
    a module that outputs logits with ``NLLLoss``, skorch's default criterion,
    which expects probabilities.

    Parameters
    ----------
    net : skorch classifier
        Unfitted; left as it is (a clone is initialised).
    X : any input the net takes
        Training input, as the net will get it.
    n_classes : int
        Number of classes in ``y``.
    name : str
        The parameter the net came from, for the message.

    Raises
    ------
    ValueError
        Naming the module's output width and the number of classes, or saying
        that its outputs are not probabilities and how to fix it.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat._outputs import check_module_output
    >>> net = NeuralNetClassifier(torch.nn.Linear, module__in_features=2,
    ...                           module__out_features=2)  # NLLLoss, skorch's default
    >>> check_module_output(net, np.ones((4, 2), np.float32), 2, "estimator")
    Traceback (most recent call last):
    ...
    ValueError: estimator's module outputs values that are not probabilities ...
    """
    kind = output_kind(net, name=name)
    rows = np.arange(min(2, n_rows(X)))
    if not len(rows):
        return
    try:
        # A check leaves torch's generators as it found them (seeded fits).
        with torch_rng_preserved():
            probe = clone(net).set_params(verbose=0).initialize()
            X_rows = for_nets(take_rows(X, rows))
            out = first_output(probe.forward(X_rows, training=False))
    except ValueError as exc:
        # skorch's own check of a binary net's output shape, named by its cause.
        if kind == "binary_logit" and "Expected module output" in str(exc):
            raise ValueError(
                f"{name}'s module does not output one logit per example, as a "
                f"NeuralNetBinaryClassifier's module must ({exc}); set its output "
                "size to 1, or use NeuralNetClassifier with "
                "criterion=torch.nn.CrossEntropyLoss for several output columns."
            ) from exc
        return  # the real fit reports input errors itself
    except Exception:  # noqa: BLE001 - likewise
        return
    out = out.detach().to("cpu", torch.float64)
    width = 1 if out.ndim < 2 else int(out.shape[-1])
    module = type(probe.module_).__name__
    if kind == "binary_logit":
        if width != 1:
            raise ValueError(
                f"{name}'s module ({module}) outputs {width} columns per example, but "
                "a NeuralNetBinaryClassifier's module outputs one logit per example; "
                "set its output size to 1, or use NeuralNetClassifier with "
                f"criterion=torch.nn.CrossEntropyLoss for {width} output columns."
            )
        return
    if width != n_classes:
        raise ValueError(
            f"{name}'s module ({module}) outputs {width} column(s) per example, but y "
            f"has {n_classes} classes: set the module's output size to {n_classes} "
            f"(for example module__out_features={n_classes} for torch.nn.Linear)."
        )
    if kind == "proba":
        sums = out.sum(dim=-1)
        summing_to_one = torch.allclose(sums, torch.ones_like(sums), atol=1e-3)
        if bool((out < 0).any()) or not summing_to_one:
            example = [round(v, 3) for v in out.reshape(-1)[:3].tolist()]
            raise ValueError(
                f"{name}'s module outputs values that are not probabilities (for "
                f"example {example}), but its criterion is "
                "NLLLoss (skorch's default), which reads the output as probabilities. "
                "For a module that outputs logits use "
                "criterion=torch.nn.CrossEntropyLoss, or end the module with "
                "torch.nn.Softmax(dim=-1)."
            )
