"""Making the nets skmat trains: the user's skorch class with skmat's mixins in front.

Every network skmat trains (the final MAT net, the held-out fold nets, the
XRM twins, the baselines' nets) is made here, from the user's net (or skmat's
default MLP) by :func:`make_net`: the user's own class with
:class:`~skmat.nets.ShiftedLossMixin` (and a method's mixin) in front
(:func:`net_class`), the same parameters, sized from the data for
:class:`~skmat.mlp.MLPModule`, seeded, on the chosen device. Classes made at run
time pickle by recording their bases.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from sklearn.base import clone
from skorch import NeuralNet, NeuralNetBinaryClassifier, NeuralNetClassifier

from ._devices import check_device
from ._inputs import flat_width
from ._outputs import check_module_output, output_kind
from .mlp import MLPModule, mlp_net
from .nets import MATNeuralNetBinaryClassifier, MATNeuralNetClassifier, ShiftedLossMixin

__all__ = [
    "SKORCH_CLASSIFIERS",
    "check_skorch_classifier",
    "reject_torch_module",
    "net_class",
    "as_mat_net",
    "make_net",
]

#: The skorch classifier classes skmat extends (and their subclasses).
SKORCH_CLASSIFIERS = (NeuralNetClassifier, NeuralNetBinaryClassifier)

_KNOWN_CLASSES = {
    NeuralNetClassifier: MATNeuralNetClassifier,
    NeuralNetBinaryClassifier: MATNeuralNetBinaryClassifier,
}


def reject_torch_module(value, name):
    """Raise a TypeError naming ``name`` if ``value`` is a bare torch module (or
    module class): skmat trains torch modules through skorch nets.

    Examples
    --------
    >>> import torch
    >>> from skmat.factory import reject_torch_module
    >>> reject_torch_module(torch.nn.Linear(2, 2), "estimator")
    Traceback (most recent call last):
    ...
    TypeError: estimator is a torch module (Linear); skmat trains modules through ...
    """
    is_module = isinstance(value, torch.nn.Module) or (
        isinstance(value, type) and issubclass(value, torch.nn.Module)
    )
    if is_module:
        module = value.__name__ if isinstance(value, type) else type(value).__name__
        raise TypeError(
            f"{name} is a torch module ({module}); skmat trains modules through "
            "skorch: wrap it, e.g. NeuralNetClassifier(module, "
            "criterion=torch.nn.CrossEntropyLoss) for a module that outputs logits."
        )


def check_skorch_classifier(net, name, default_allowed=False):
    """Raise a TypeError naming ``name`` unless ``net`` is a skorch classifier.

    A bare torch module gets the fix in the message
    (:func:`reject_torch_module`).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmat.factory import check_skorch_classifier
    >>> check_skorch_classifier(LogisticRegression(), "estimator")
    Traceback (most recent call last):
    ...
    TypeError: estimator must be a skorch NeuralNetClassifier or ...
    """
    if isinstance(net, SKORCH_CLASSIFIERS):
        return
    reject_torch_module(net, name)
    default = " (or None for skmat's default MLP)" if default_allowed else ""
    raise TypeError(
        f"{name} must be a skorch NeuralNetClassifier or NeuralNetBinaryClassifier"
        f"{default}; got {type(net).__name__}."
    )


def _user_class(cls):
    """The user's class behind a class made by :func:`net_class` (or ``cls``)."""
    return vars(cls).get("_skmat_bases", (cls,))[0]


@functools.cache
def net_class(base, mixin=None):
    """A skorch classifier class with MAT's shifted loss (and ``mixin``) in front.

    ``NeuralNetClassifier`` and ``NeuralNetBinaryClassifier`` give
    :class:`~skmat.nets.MATNeuralNetClassifier` and
    :class:`~skmat.nets.MATNeuralNetBinaryClassifier`;
    any other class gets a subclass with :class:`~skmat.nets.ShiftedLossMixin`
    in front, so the user's own overrides stay in force; ``mixin`` (skmat's
    reweighting, XRM or folds mixins) goes in front of that. Each class is made
    once and pickles by recording its bases.

    Parameters
    ----------
    base : type
        A skorch classifier class.
    mixin : type, default=None
        A mixin class with a ``_class_prefix`` attribute.

    Returns
    -------
    cls : type

    Examples
    --------
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.factory import net_class
    >>> net_class(NeuralNetClassifier).__name__
    'MATNeuralNetClassifier'
    """
    base = _user_class(base)
    if mixin is not None and issubclass(base, mixin):
        return base
    if issubclass(base, ShiftedLossMixin):
        mat = base
    elif base in _KNOWN_CLASSES:
        mat = _KNOWN_CLASSES[base]
    else:
        mat = _made_class(f"MAT{base.__name__}", (ShiftedLossMixin, base), base, None)
    if mixin is None:
        return mat
    return _made_class(
        f"{mixin._class_prefix}{mat.__name__}", (mixin, mat), base, mixin
    )


def _made_class(name, bases, user_class, mixin):
    return type(
        name,
        bases,
        {
            "__module__": __name__,
            "__reduce__": _reduce_made_net,
            "_skmat_bases": (user_class, mixin),
        },
    )


def _reduce_made_net(self):
    # A class made at run time cannot be pickled by name: record its bases.
    return (_new_made_net, type(self)._skmat_bases, self.__getstate__())


def _new_made_net(base, mixin):
    cls = net_class(base, mixin)
    return cls.__new__(cls)


def as_mat_net(net: NeuralNet, mixin: type | None = None, **params: Any) -> NeuralNet:
    """An unfitted copy of a skorch classifier whose class adds MAT's shifted loss.

    The copy's class is :func:`net_class` of the net's class: the user's own
    class (its overrides stay in force) with :class:`~skmat.nets.ShiftedLossMixin` and
    ``mixin`` in front.

    Parameters
    ----------
    net : skorch ``NeuralNetClassifier`` or ``NeuralNetBinaryClassifier``
        The net to copy (its parameters and metadata requests; not its weights).
    mixin : type, default=None
        One of skmat's mixins to put in front as well.
    **params
        Parameters to set on the copy (``device=...``, ``random_state=...``).

    Returns
    -------
    mat_net : skorch net with :class:`~skmat.nets.ShiftedLossMixin`

    Examples
    --------
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.factory import as_mat_net
    >>> net = NeuralNetClassifier(torch.nn.Linear, module__in_features=3,
    ...                           module__out_features=2, lr=0.1)
    >>> mat_net = as_mat_net(net, random_state=0)
    >>> type(mat_net).__name__, mat_net.lr
    ('MATNeuralNetClassifier', 0.1)
    """
    check_skorch_classifier(net, "net")
    template = clone(net)
    cls = net_class(type(template), mixin)
    kwargs = template.get_params(deep=False)
    kwargs.update(params)
    mat_net = cls(**kwargs)
    if hasattr(template, "_metadata_request"):
        mat_net._metadata_request = template._metadata_request
    return mat_net


def make_net(
    template: NeuralNet | None,
    *,
    X: Any,
    n_classes: int,
    device: str | torch.device | None = None,
    seed: int | None = None,
    verbose: int = 0,
    name: str = "estimator",
    mixin: type | None = None,
    **net_params: Any,
) -> NeuralNet:
    """The one factory of skmat's nets: an unfitted copy of a user's skorch net,
    with :class:`~skmat.nets.ShiftedLossMixin` (and ``mixin``) in front.

    Parameters
    ----------
    template : skorch NeuralNetClassifier or NeuralNetBinaryClassifier or None
        The user's net (copied, never modified); ``None`` is
        :func:`skmat.mlp.mlp_net`.
    X : any input the net takes
        Training input: an :class:`~skmat.mlp.MLPModule` gets its input width
        from it, and its output width from ``n_classes``, unless the template
        fixes them.
    n_classes : int
        Number of classes; labels reach the net encoded as ``0 .. n_classes - 1``
        (a ``NeuralNetClassifier`` gets ``classes=range(n_classes)``).
    device : str or torch.device, default=None
        The net's device; ``None`` keeps the template's.
    seed : int, default=None
        The net's ``random_state`` (:mod:`skmat._seeding`).
    verbose : int, default=0
        The net's ``verbose``.
    name : str, default="estimator"
        The parameter the template came from, for error messages.
    mixin : type, default=None
        A method's mixin (reweighting, XRM, folds) to put in front.
    **net_params
        Other parameters to set on the copy.

    Returns
    -------
    net : unfitted skorch net

    Raises
    ------
    TypeError
        For anything but a skorch classifier, or a criterion without class
        logits.
    ValueError
        For an absent device, a binary net without exactly two classes, or a
        module whose output does not fit the criterion or the number of classes
        (:func:`skmat._outputs.check_module_output`, one forward on two rows of
        ``X`` before any training).

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.factory import make_net
    >>> net = make_net(None, X=np.zeros((4, 7)), n_classes=3, seed=0)
    >>> type(net).__name__, net.module__n_features, net.module__n_classes
    ('MATNeuralNetClassifier', 7, 3)
    """
    template = mlp_net() if template is None else template
    check_skorch_classifier(template, name, default_allowed=True)
    output_kind(template, name=name)  # rejects criteria without class logits
    if isinstance(template, NeuralNetBinaryClassifier) and n_classes != 2:
        raise ValueError(
            f"{name} is a NeuralNetBinaryClassifier, which needs exactly 2 classes; "
            f"y has {n_classes}."
        )
    params = {"verbose": int(verbose)}
    if seed is not None:
        params["random_state"] = seed
    if device is not None:
        params["device"] = device
    if isinstance(template, NeuralNetClassifier):
        params["classes"] = list(range(n_classes))
    if isinstance(template.module, type) and issubclass(template.module, MLPModule):
        given = template.get_params_for("module")
        params["module__n_features"] = given.get("n_features", flat_width(X))
        params["module__n_classes"] = given.get("n_classes", n_classes)
    params.update(net_params)
    net = as_mat_net(template, mixin=mixin, **params)
    check_device(net.device, name=f"{name}.device")
    check_module_output(net, X, n_classes, name)
    return net
