"""Private pieces shared by MATClassifier and the baselines: a net factory, label
validation, prediction through the fitted skorch network, and all-or-nothing
fitting. What ``X`` can be is decided in :mod:`skmat._inputs`."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from scipy.special import log_softmax
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from ._inputs import (
    check_fit_X,
    check_X,
    flat_width,
    n_rows,
    naming,
)
from .mlp import MLPModule, mlp_net
from .nets import (
    _cuda_devices,
    as_mat_net,
    check_device,
    checked_output,
    net_logits,
    output_kind,
)

SKORCH_CLASSIFIERS = (NeuralNetClassifier, NeuralNetBinaryClassifier)
# skorch's own predict methods: a rule on predict_proba.
_SKORCH_PREDICT = (NeuralNetClassifier.predict, NeuralNetBinaryClassifier.predict)


@contextlib.contextmanager
def fit_transaction(estimator):
    """Restore the fitted state an estimator had if the block raises (even ^C).

    With an int ``random_state``, the block also runs under a copy of torch's
    generators, so a seeded fit leaves the global ones as it found them (the
    nets' predictions inside a fit, through skorch's data loaders, draw from
    them).
    """
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    for name in fitted:  # a new fit starts clean: no attribute of the old one stays
        delattr(estimator, name)
    seeded = getattr(estimator, "random_state", None) is not None
    try:
        with torch.random.fork_rng(devices=_cuda_devices(), enabled=seeded):
            yield
    except BaseException:
        for name in [k for k in vars(estimator) if k.endswith("_")]:
            delattr(estimator, name)
        for name, value in fitted.items():
            setattr(estimator, name, value)
        raise


def validate_fit_data(estimator, X, y):
    """Validate training data; set ``n_features_in_`` (and feature names) for tables.

    Returns ``X`` (:func:`skmat._inputs.check_fit_X`: tables validated the
    scikit-learn way, other kinds kept as they are), ``y`` encoded as
    ``0 .. n_classes - 1`` and the sorted class labels. Every error is a
    ValueError or TypeError whose message names ``X`` or ``y``.
    """
    X = check_fit_X(estimator, X)
    try:
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name="y")
        check_classification_targets(y)
    except (TypeError, ValueError) as exc:
        raise naming(exc, "y") from exc
    if y.shape[0] != n_rows(X):
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_rows(X)} rows "
            f"but y has {y.shape[0]} labels."
        )
    try:
        encoder = LabelEncoder().fit(y)
    except TypeError as exc:  # mixed strings and numbers
        raise naming(exc, "y") from exc
    if len(encoder.classes_) < 2:
        raise ValueError(
            "y must contain at least 2 classes; got only one class: "
            f"{encoder.classes_[0]!r}."
        )
    return X, encoder.transform(y), encoder.classes_


def make_net(
    template,
    *,
    X,
    n_classes,
    device=None,
    seed=None,
    verbose=0,
    name="estimator",
    convert=as_mat_net,
    **net_params,
):
    """A MAT-enabled (optionally reweighted), unfitted copy of a skorch net.

    ``None`` is :func:`skmat.mlp.mlp_net`; an ``MLPModule`` gets its input and
    output sizes from the data ``X`` unless the template fixes them;
    ``NeuralNetClassifier`` nets get ``classes=range(n_classes)`` (labels reach
    them encoded). Raises ``TypeError`` for anything but a skorch classifier or a
    criterion without class logits, ``ValueError`` for an absent device or a
    binary net without exactly two classes.
    """
    if template is None:
        template = mlp_net()
    elif not isinstance(template, SKORCH_CLASSIFIERS):
        raise TypeError(
            f"{name} must be a skorch NeuralNetClassifier or "
            "NeuralNetBinaryClassifier (or None for skmat's default MLP); got "
            f"{type(template).__name__}."
        )
    output_kind(template)  # rejects criteria without class logits
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
        if "n_features" in given:
            params["module__n_features"] = given["n_features"]
        else:
            params["module__n_features"] = flat_width(X)
        params["module__n_classes"] = given.get("n_classes", n_classes)
    params.update(net_params)
    net = convert(template, **params)
    check_device(net.device, name=f"{name}.device")
    return net


class NetClassifierMixin:
    """Prediction through the fitted skorch network ``estimator_``, with no shift.

    Every method runs the net's own prediction path (its dataset, iterator and
    ``infer``; :meth:`predict` and :meth:`predict_proba` are the net's own
    methods), after :func:`skmat._inputs.check_X`. Needs ``estimator_`` and
    ``classes_``; MATClassifier predicts the same way.
    """

    def _net_input(self, X):
        check_is_fitted(self)
        return check_X(self, X, reset=False)

    def _logits(self, X):
        return net_logits(self.estimator_, X)

    def decision_function(self, X):
        """Logits of the network, ``f(X)``.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input, of any kind the estimator was fitted on
            (:ref:`user_guide_inputs`).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]`` (positive means ``classes_[1]``), as in scikit-learn.
        """
        logits = self._logits(self._net_input(X))
        if len(self.classes_) == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities of the network: its own ``predict_proba``.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input, of any kind the estimator was fitted on
            (:ref:`user_guide_inputs`).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            float64, columns in ``classes_`` order, rows summing to 1.
        """
        return self._proba(self._net_input(X))

    def _proba(self, X):
        proba = checked_output(self.estimator_.predict_proba, X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, from the network's logits.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input, of any kind the estimator was fitted on
            (:ref:`user_guide_inputs`).

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._logits(self._net_input(X)), axis=1)

    def predict(self, X):
        """Predicted class labels: the network's own ``predict``.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input, of any kind the estimator was fitted on
            (:ref:`user_guide_inputs`).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._net_input(X)
        net = self.estimator_
        if type(net).predict in _SKORCH_PREDICT:
            # skorch's predict is a rule on predict_proba (argmax, or the
            # binary threshold): apply it to the checked probabilities, one
            # forward pass instead of two.
            proba = self._proba(X)
            if isinstance(net, NeuralNetBinaryClassifier):
                index = (proba[:, 1] > net.threshold).astype(np.intp)
            else:
                index = np.argmax(proba, axis=1)
        else:
            index = np.asarray(net.predict(X)).astype(np.intp).reshape(-1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input, of any kind the estimator was fitted on
            (:ref:`user_guide_inputs`).
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the examples.

        Returns
        -------
        score : float
            Accuracy, as scikit-learn's ``ClassifierMixin.score``.
        """
        y_pred = self.predict(X)
        try:
            y = column_or_1d(y)
            assert_all_finite(y, input_name="y")
        except (TypeError, ValueError) as exc:
            raise naming(exc, "y") from exc
        if y.shape[0] != y_pred.shape[0]:
            raise ValueError(
                f"y has {y.shape[0]} labels but X has {y_pred.shape[0]} rows; they "
                "must have the same length."
            )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != y_pred.shape:
                raise ValueError(
                    f"sample_weight must have shape {y_pred.shape}, one weight per "
                    f"row of X; got shape {sample_weight.shape}."
                )
        try:
            return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
        except (TypeError, ValueError) as exc:
            hint = " (y must hold class labels like those of classes_)"
            raise naming(exc, "y", hint) from exc

    def __sklearn_is_fitted__(self):
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags
