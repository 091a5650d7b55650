"""Private pieces shared by MATClassifier and the baselines: a net factory, input
validation, prediction from a fitted skorch network, and all-or-nothing fitting."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import torch
from scipy.special import log_softmax, softmax
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from .mlp import MLPModule, mlp_net
from .nets import as_mat_net, check_device, net_logits, output_kind

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


def _naming(exc, name, hint=""):
    """``exc`` again (ValueError or TypeError), its message naming ``name``.

    scikit-learn's validation messages do not always say which input they are
    about ("Found array with dim 3", "Unknown label type: continuous"); they are
    kept whole, after the parameter's name.
    """
    message = str(exc)
    if not re.search(rf"\b{re.escape(name)}\b", message):
        message = f"Invalid {name}: {message}"
    cls = TypeError if isinstance(exc, TypeError) else ValueError
    return cls(message + hint)


def _non_numeric_columns(X):
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [c for c, dt in dtypes.items() if getattr(dt, "kind", "O") not in "biuf"]


def validate_X(
    estimator, X, *, reset, ensure_min_samples=1, dtype=(np.float64, np.float32)
):
    """``validate_data`` on ``X`` alone, its errors naming ``X``."""
    try:
        return validate_data(
            estimator,
            X,
            dtype=dtype,
            reset=reset,
            ensure_min_samples=ensure_min_samples,
        )
    except (TypeError, ValueError) as exc:
        columns = _non_numeric_columns(X)
        hint = (
            f" (X has non-numeric columns {columns[:10]}: encode them first, e.g. "
            "with sklearn.preprocessing.OneHotEncoder in a ColumnTransformer.)"
            if columns
            else ""
        )
        raise _naming(exc, "X", hint) from exc


def validate_fit_data(estimator, X, y):
    """Validate training data; set ``n_features_in_`` (and feature names).

    Returns ``X`` (float64 or float32, at least 2 rows), ``y`` encoded as
    ``0 .. n_classes - 1`` and the sorted class labels. Every error is a
    ValueError or TypeError whose message names ``X`` or ``y``.
    """
    X = validate_X(estimator, X, reset=True, ensure_min_samples=2)
    # float32 input cannot exceed the float32 range; for float64, max and min
    # avoid the full-size temporary of abs(X).
    largest = 0.0
    if X.dtype != np.float32 and X.size:
        largest = max(float(X.max()), -float(X.min()))
    if largest > float(np.finfo(np.float32).max):
        raise ValueError(
            f"X holds values up to {largest:.3g} in absolute value, beyond the "
            "float32 range (about 3.4e38) in which the networks train; scale X "
            "(e.g. with sklearn.preprocessing.StandardScaler)."
        )
    try:
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name="y")
        check_classification_targets(y)
    except (TypeError, ValueError) as exc:
        raise _naming(exc, "y") from exc
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {X.shape[0]} rows "
            f"but y has {y.shape[0]} labels."
        )
    try:
        encoder = LabelEncoder().fit(y)
    except TypeError as exc:  # mixed strings and numbers
        raise _naming(exc, "y") from exc
    if len(encoder.classes_) < 2:
        raise ValueError(
            "y must contain at least 2 classes; got only one class: "
            f"{encoder.classes_[0]!r}."
        )
    return X, encoder.transform(y), encoder.classes_


def check_trained(net, X, name="the network"):
    """Raise if the training of a fitted skorch net was interrupted or diverged.

    skorch ends training quietly on ``KeyboardInterrupt``; inside an estimator
    that would leave a half-trained network in a "fitted" estimator, so the
    interrupt is raised again (the fit transaction then restores the previous
    state). A loss that overflows (huge feature values, a learning rate far too
    large) turns the weights into NaN, and the network would predict NaN: that
    is a ValueError naming ``X``.
    """
    if getattr(net, "interrupted_", False):
        raise KeyboardInterrupt(f"the training of {name} was interrupted")
    module = getattr(net, "module_", None)
    if module is None:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            largest = float(np.max(np.abs(X))) if np.size(X) else 0.0
            raise ValueError(
                f"training of {name} diverged: its weights became NaN or infinite. "
                f"X holds values up to {largest:.3g} in absolute value; scale X "
                "(e.g. with sklearn.preprocessing.StandardScaler) or lower the "
                "learning rate."
            )


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

    ``None`` is :func:`skmat.mlp.mlp_net`; an ``MLPModule`` gets its input and
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
    if isinstance(template.module, type) and issubclass(template.module, MLPModule):
        given = template.get_params_for("module")
        params["module__n_features"] = given.get("n_features", n_features)
        params["module__n_classes"] = given.get("n_classes", n_classes)
    params.update(net_params)
    net = convert(template, **params)
    check_device(net.device, name=f"{name}.device")
    return net


class NetClassifierMixin:
    """Prediction from a fitted skorch network ``estimator_``, with no shift.

    Needs ``estimator_`` and ``classes_``; MATClassifier predicts the same way.
    """

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_X(self, X, reset=False, dtype=(np.float32, np.float64))
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
        return softmax(self._logits(X), axis=1)

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
        return log_softmax(self._logits(X), axis=1)

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

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input.
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
            raise _naming(exc, "y") from exc
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
            raise _naming(exc, "y", hint) from exc

    def __sklearn_is_fitted__(self):
        return hasattr(self, "estimator_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags
