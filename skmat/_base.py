"""The one fit skeleton of skmat's estimators: MATClassifier and the baselines share it.

:class:`NetEstimator` is the base of :class:`~skmat.MATClassifier` and of every
estimator of :mod:`skmat.baselines`. Its ``fit`` runs, all or nothing
(:func:`skmat._transaction.fit_transaction`): reject a bare torch module or a
net with ``warm_start=True`` where a net is expected, validate the parameters
once (scikit-learn's ``_parameter_constraints``), validate ``X``, ``y``,
``sample_weight`` and ``groups``, check the device, draw the seeds
(:mod:`skmat._seeding`), hand a :class:`TrainingSet` to the estimator's own
``_fit_nets``, and check that the network it fitted trained
(:func:`skmat._checks.check_trained`). Every net is made by :meth:`NetEstimator._net`
(:func:`skmat.factory.make_net`).

It also holds the docstring blocks the estimators share (:func:`fill_doc`).
"""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import _check_sample_weight, has_fit_parameter

from ._checks import check_trained
from ._devices import check_device
from ._encoding import encode_groups, python_value
from ._inputs import check_fit_data, for_nets, n_rows
from ._prediction import NetClassifierMixin
from ._seeding import spawn_seeds
from ._transaction import fit_transaction
from .factory import SKORCH_CLASSIFIERS, make_net, reject_torch_module
from .losses import WEIGHT_PARAM, WeightedLossMixin
from .xrm import fit_xrm

__all__ = [
    "NetEstimator",
    "TrainingSet",
    "fill_doc",
    "check_sample_weight",
    "sklearn_fit_params",
    "DOCS",
]

#: Docstring blocks shared by the estimators, inserted by :func:`fill_doc`
#: where a line holds ``%(name)s`` alone (indented as that line).
DOCS = {
    "estimator": """\
estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
    The network, as for :class:`~skmat.MATClassifier` (copied, never
    modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
    ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
    from the data.""",
    "device": """\
device : str or torch.device, default=None
    Torch device of the network(s); ``None`` keeps the net's own ``device``.""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Seeds the network(s): an int gives identical fits, and the same initial
    weights as :class:`~skmat.MATClassifier` with that ``random_state``.""",
    "verbose": """\
verbose : int, default=0
    ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
    phases and the nets' epoch tables.""",
    "fitted": """\
classes_ : ndarray of shape (n_classes,)
    Class labels.
n_features_in_ : int
    Number of features seen during fit, when ``X`` is a table (2-D array,
    DataFrame, sparse matrix); absent for other inputs (images, dicts of
    token ids, datasets), whose rows have no feature count.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Feature names, when ``X`` has string column names.""",
    "X": """\
X : array-like, sparse matrix, dict or SliceDataset
    Training input: a numeric table or anything the network takes
    (:ref:`user_guide_inputs`).""",
    "y": """\
y : array-like of shape (n_samples,)
    Class labels (at least two classes).""",
    "groups_ignored": """\
groups : array-like of shape (n_samples,), default=None
    Ignored (no group labels needed); accepted so that one loop can fit
    every baseline.""",
    "sample_weight": """\
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative weight of each training example: every network trained on
    the example weighs its loss by it (each batch's loss is the weighted mean,
    times the method's own weights), and the counts the method takes over
    the training set (class priors, group sizes, matrices) are weighted
    sums. A scikit-learn model fitted inside receives it in ``fit`` (with
    metadata routing, when it requests it). ``None`` weighs every example
    alike.""",
    "returns_self": """\
self : object
    Fitted. If fit raises (or is interrupted), the estimator keeps the
    fitted state it had before the call, or stays unfitted.""",
}

_MARKER = re.compile(r"^(?P<indent>[ ]*)%\((?P<key>\w+)\)s$", re.MULTILINE)


def fill_doc(obj):
    """Insert the :data:`DOCS` blocks into ``obj``'s docstring (a class or function).

    Examples
    --------
    >>> from skmat._base import fill_doc
    >>> @fill_doc
    ... def f():
    ...     '''Demo.
    ...
    ...     %(verbose)s
    ...     '''
    >>> print(f.__doc__.splitlines()[2].strip())
    verbose : int, default=0
    """

    def block(match):
        return textwrap.indent(DOCS[match["key"]], match["indent"])

    obj.__doc__ = _MARKER.sub(block, obj.__doc__)
    return obj


@dataclass
class TrainingSet:
    """The validated training data of a fit, as an estimator's ``_fit_nets`` gets it.

    Attributes
    ----------
    X : any input kind of :mod:`skmat._inputs`
        Validated (a table as scikit-learn's array).
    X_net : same kind
        The networks' copy of ``X`` (floats as float32,
        :func:`skmat._inputs.for_nets`).
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    n_classes : int
    groups : ndarray of shape (n_samples,) or None
        Group indices ``0 ..`` (estimators that read groups).
    sample_weight : ndarray of shape (n_samples,) or None
    device : str or None
        The estimator's checked ``device``.
    seeds : list of int or None
        The seeds of the first stage (MAT's held-out phase) and of the final
        network (:func:`skmat._seeding.spawn_seeds`).
    """

    X: Any
    X_net: Any
    y: np.ndarray
    n_classes: int
    groups: np.ndarray | None
    sample_weight: np.ndarray | None
    device: str | None
    seeds: list

    @property
    def n_samples(self):
        return len(self.y)

    def weights(self, rows=None, weight=None):
        """The per-row weights of a net trained on ``rows`` (default: all), with
        the method's own ``weight`` (of those rows): ``sample_weight`` times
        ``weight``, or None when neither is given."""
        sample_weight = self.sample_weight
        if sample_weight is not None and rows is not None:
            sample_weight = sample_weight[rows]
        if sample_weight is None:
            return weight
        return sample_weight if weight is None else sample_weight * weight

    def fit_params(self, rows=None, weight=None):
        """``{mat_weight: ...}`` for a net's ``fit``, or ``{}`` (:meth:`weights`)."""
        weights = self.weights(rows, weight)
        return {} if weights is None else {WEIGHT_PARAM: weights}


def check_sample_weight(sample_weight, y, classes):
    """``sample_weight`` as non-negative float64 weights of the rows of the
    encoded labels ``y`` (scikit-learn's check), each class with a positive
    total, or None."""
    if sample_weight is None:
        return None
    weight = _check_sample_weight(
        sample_weight, np.empty((len(y), 0)), ensure_non_negative=True
    )
    totals = np.bincount(y, weights=weight, minlength=len(classes))
    if np.any(totals <= 0):
        missing = [python_value(c) for c in classes[totals <= 0]]
        raise ValueError(
            f"sample_weight gives no weight to class(es) {missing}: every class "
            "of y needs a positive total weight."
        )
    return weight


def sklearn_fit_params(model, name, sample_weight):
    """The fit parameters of a scikit-learn model fitted inside an estimator
    (without metadata routing): ``sample_weight`` when given, or a TypeError
    naming ``name`` if the model takes none."""
    if sample_weight is None:
        return {}
    if not has_fit_parameter(model, "sample_weight"):
        raise TypeError(
            f"sample_weight was given, but {name} ({type(model).__name__}) takes "
            "no sample_weight in fit; use a model that does, or a skorch net."
        )
    return {"sample_weight": sample_weight}


class NetEstimator(
    NetClassifierMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """The fit skeleton of skmat's estimators (see the module docstring).

    Subclasses declare their parameters in ``_parameter_constraints`` (this
    class's entries included), name the parameters that take a skorch net in
    ``_net_params``, say whether ``fit`` needs group labels (``_needs_groups``)
    or reads them when given (``_reads_groups``), and implement
    ``_fit_nets(data, **fit_params)``: train on the :class:`TrainingSet`
    ``data`` and set ``estimator_`` and their own fitted attributes.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    # Parameters that take a net (a bare torch module there gets a clear error).
    _net_params: tuple = ("estimator",)
    # Whether fit needs group labels, and whether it uses them when given.
    _needs_groups = False
    _reads_groups = False

    def __init__(self, estimator=None, *, device=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __init_subclass__(cls, **kwargs):
        # A fit that takes groups it neither needs nor reads declares them
        # unused: a meta-estimator never asks for them (metadata routing).
        # Set before scikit-learn makes the set_fit_request method.
        if "groups" in inspect.signature(cls.fit).parameters:
            reads = cls._needs_groups or cls._reads_groups
            request = None if reads else metadata_routing.UNUSED
            setattr(cls, "__metadata_request__fit", {"groups": request})
        super().__init_subclass__(**kwargs)

    @fill_doc
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        groups: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> NetEstimator:
        """Train the network.

        Parameters
        ----------
        %(X)s
        %(y)s
        groups : array-like of shape (n_samples,), default=None
            Group label of each example (e.g. label x spurious attribute):
            required by GroupReweightingClassifier and GroupDROClassifier, read
            by DFRClassifier, ignored by the other baselines.
        %(sample_weight)s

        Returns
        -------
        %(returns_self)s
        """
        return self._fit(X, y, groups=groups, sample_weight=sample_weight)

    def _fit(self, X, y, *, groups=None, sample_weight=None, **fit_params):
        """Validate, then ``_fit_nets`` with ``fit_params`` (a method's own fit
        parameters, validated by it), all or nothing."""
        with fit_transaction(self):
            self._check_net_params()
            self._validate_params()
            X, y_enc, classes = check_fit_data(self, X, y)
            n_samples = n_rows(X)
            weight = check_sample_weight(sample_weight, y_enc, classes)
            group_index = None
            if self._needs_groups or (groups is not None and self._reads_groups):
                group_index = self._encode_groups(groups, n_samples)
            data = TrainingSet(
                X=X,
                # The networks' copy of X: floats as float32, converted once.
                X_net=for_nets(X),
                y=y_enc,
                n_classes=len(classes),
                groups=group_index,
                sample_weight=weight,
                device=check_device(self.device),
                # The same two draws in every estimator (first stage, final
                # net): equal random_state values give the same initial weights.
                seeds=spawn_seeds(self.random_state, 2),
            )
            self.classes_ = classes
            self._fit_nets(data, **fit_params)
            check_trained(self.estimator_, X)
        return self

    def _check_net_params(self):
        """A bare torch module, or a net with ``warm_start=True``, where a net
        is expected: a TypeError or ValueError naming the parameter."""
        for name in self._net_params:
            value = getattr(self, name, None)
            reject_torch_module(value, name)
            if isinstance(value, SKORCH_CLASSIFIERS) and value.warm_start:
                raise ValueError(
                    f"{name} has warm_start=True, but {type(self).__name__} trains "
                    "fresh copies of it at every fit (its stages depend on each "
                    f"other); set warm_start=False on {name}."
                )

    def _encode_groups(self, groups, n_samples):
        name = type(self).__name__
        if groups is None:
            raise ValueError(
                f"{name} needs group labels: call fit(X, y, groups=groups). Under "
                "metadata routing (GridSearchCV, cross_validate...), request them "
                f"with {name}(...).set_fit_request(groups=True)."
            )
        keys, index = encode_groups(groups, n_samples, against="X")
        self.groups_ = keys
        return index

    def _net(self, data, seed, *, template=None, name="estimator", **params):
        """An unfitted net for ``data`` (:func:`skmat.factory.make_net`): a copy
        of ``template`` (default: ``estimator``) on the estimator's device,
        seeded by ``seed``; with ``sample_weight``, a net that weighs each
        row's loss (:class:`~skmat.losses.WeightedLossMixin`) unless ``mixin``
        is given (skmat's loss mixins all read the weights)."""
        params.setdefault("device", data.device)
        params.setdefault("X", data.X)
        if data.sample_weight is not None and params.get("mixin") is None:
            params["mixin"] = WeightedLossMixin
        return make_net(
            self.estimator if template is None else template,
            n_classes=data.n_classes,
            seed=seed,
            verbose=self.verbose,
            name=name,
            **params,
        )

    def _fit_xrm(self, data, template, seed, **params):
        """XRM twins of ``template`` trained on ``data`` (:func:`skmat.xrm.fit_xrm`,
        weighted by ``sample_weight``): ``(held-out probabilities, twin net)``."""
        return fit_xrm(
            template,
            data.X_net,
            data.y,
            n_classes=data.n_classes,
            random_state=seed,
            verbose=self.verbose,
            **params,
            **data.fit_params(),
        )

    def _log(self, message):
        if self.verbose:
            print(f"[{type(self).__name__}] {message}")
