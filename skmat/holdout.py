"""Where held-out probabilities come from: cross-validation over any classifier."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import cross_val_predict

__all__ = ["cross_val_holdout_proba", "check_holdout_proba"]


def cross_val_holdout_proba(
    estimator, X, y, *, splits, n_classes, n_jobs=None, params=None, verbose=0
):
    """Held-out class probabilities of every training example, by cross-validation.

    Each example's probabilities come from the model of the fold that left it out,
    through :func:`sklearn.model_selection.cross_val_predict` with
    ``method="predict_proba"``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Unfitted; cloned for each fold.
    X : array-like of shape (n_samples, n_features)
        Training features.
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    splits : list of (train, test) index arrays
        Explicit splits; their test parts must cover every sample exactly once.
    n_classes : int
        Number of classes; a class missing from a fold's training part gets a
        probability of 0 for that fold (sklearn warns; the warning is kept).
    n_jobs : int, default=None
        Folds fitted in parallel with joblib.
    params : dict, default=None
        Fit parameters of the estimator (already routed).
    verbose : int, default=0
        Verbosity of ``cross_val_predict``.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        float64, columns in label order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import StratifiedKFold
    >>> from skmat.holdout import cross_val_holdout_proba
    >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))]; y = np.r_[[0] * 5, [1] * 5]
    >>> splits = list(StratifiedKFold(5).split(X, y))
    >>> cross_val_holdout_proba(LogisticRegression(), X, y, splits=splits,
    ...                         n_classes=2).shape
    (10, 2)
    """
    proba = cross_val_predict(
        estimator,
        X,
        y,
        cv=splits,
        method="predict_proba",
        n_jobs=n_jobs,
        params=params,
        verbose=verbose,
    )
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(y), n_classes):
        raise ValueError(
            f"holdout_estimator.predict_proba returned shape {proba.shape}; expected "
            f"({len(y)}, {n_classes}), one column per class."
        )
    return check_holdout_proba(proba, len(y), n_classes, name="held-out probabilities")


def check_holdout_proba(
    proba, n_samples, n_classes, *, name="holdout_proba", atol=1e-4
):
    """Validate held-out probabilities: shape, finite, non-negative, rows sum to 1.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities, columns in the order of the classifier's ``classes_``.
    n_samples, n_classes : int
        Expected shape.
    name : str, default="holdout_proba"
        Name used in error messages.
    atol : float, default=1e-4
        Tolerance on the row sums. Rows within it are re-normalised exactly.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), float64

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.holdout import check_holdout_proba
    >>> check_holdout_proba([[0.2, 0.8], [1.0, 0.0]], 2, 2)
    array([[0.2, 0.8],
           [1. , 0. ]])
    """
    try:
        proba = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array.") from exc
    if proba.shape != (n_samples, n_classes):
        raise ValueError(
            f"{name} must have shape (n_samples, n_classes) = "
            f"({n_samples}, {n_classes}); got {proba.shape}."
        )
    if not np.all(np.isfinite(proba)):
        raise ValueError(f"{name} must not contain NaN or infinity.")
    if np.any(proba < 0):
        raise ValueError(f"{name} must not contain negative entries.")
    row_sums = proba.sum(axis=1)
    bad = np.abs(row_sums - 1.0) > atol
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"every row of {name} must sum to 1; row {first} sums to "
            f"{row_sums[first]:.6g} ({int(bad.sum())} rows off by more than {atol})."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return proba / row_sums[:, None]
