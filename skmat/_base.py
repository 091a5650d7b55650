"""Private pieces shared by MATClassifier and the baselines: a net factory,
prediction from a fitted skorch network, and all-or-nothing fitting."""

from __future__ import annotations

import contextlib

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from .nets import MLPModule, as_mat_net, check_device, mlp_net, net_logits, output_kind

SKORCH_CLASSIFIERS = (NeuralNetClassifier, NeuralNetBinaryClassifier)


@contextlib.contextmanager
def fit_transaction(estimator):
    """Restore the fitted state an estimator had if the block raises (even ^C)."""
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    for name in fitted:  # a new fit starts clean: no attribute of the old one stays
        delattr(estimator, name)
    try:
        yield
    except BaseException:
        for name in [k for k in vars(estimator) if k.endswith("_")]:
            delattr(estimator, name)
        for name, value in fitted.items():
            setattr(estimator, name, value)
        raise


def make_net(
    template,
    *,
    n_features,
    n_classes,
    device=None,
    seed=None,
    verbose=0,
    name="estimator",
    convert=as_mat_net,
    **net_params,
):
    """A MAT-enabled (optionally reweighted), unfitted copy of a skorch net.

    ``None`` is :func:`skmat.nets.mlp_net`; an ``MLPModule`` gets its input and
    output sizes from the data unless the template fixes them; ``NeuralNetClassifier``
    nets get ``classes=range(n_classes)`` (labels reach them encoded). Raises
    ``TypeError`` for anything but a skorch classifier or a criterion without class
    logits, ``ValueError`` for an absent device or a binary net without exactly
    two classes.
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
    if template.module is MLPModule:
        given = template.get_params_for("module")
        params["module__n_features"] = given.get("n_features", n_features)
        params["module__n_classes"] = given.get("n_classes", n_classes)
    params.update(net_params)
    net = convert(template, **params)
    check_device(net.device, name=f"{name}.device")
    return net


def _softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    proba = np.exp(shifted)
    proba /= proba.sum(axis=1, keepdims=True)
    return proba


class NetClassifierMixin:
    """Prediction from a fitted skorch network ``estimator_``, with no shift.

    Needs ``estimator_`` and ``classes_``; MATClassifier predicts the same way.
    """

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float32, np.float64), reset=False)
        return net_logits(self.estimator_, X)

    def decision_function(self, X):
        """Logits of the network, ``f(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]`` (positive means ``classes_[1]``), as in scikit-learn.
        """
        logits = self._logits(X)
        if len(self.classes_) == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities ``softmax(f(X))`` of the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            float64, columns in ``classes_`` order, rows summing to 1.
        """
        return _softmax(self._logits(X))

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(X)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X):
        """Predicted class labels, the argmax of the network's logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._logits(X)  # first: it checks that the estimator is fitted
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags
