"""Prediction of skmat's estimators: through the fitted skorch net, with no shift."""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax
from sklearn.metrics import accuracy_score
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils.validation import check_is_fitted

from ._errors import naming
from ._inputs import check_X
from ._outputs import checked_output, net_logits

__all__ = ["NetClassifierMixin"]


class NetClassifierMixin:
    """Prediction through the fitted skorch network ``estimator_``, with no shift.

    Every method runs the net's own prediction path (its dataset, iterator and
    ``infer``; :meth:`predict` and :meth:`predict_proba` are the net's own
    methods, so a net that overrides them, or a binary net's ``threshold``, is
    obeyed), after :func:`skmat._inputs.check_X`. Needs ``estimator_`` and
    ``classes_``. A mixin of :class:`~skmat.MATClassifier` and the baselines.
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
        index = checked_output(self.estimator_.predict, X)
        return self.classes_[index.astype(np.intp).reshape(-1)]

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
