"""Where held-out probabilities come from: cross-validation over any classifier."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params

from ._inputs import splitter_X, take_rows
from .losses import WEIGHT_PARAM
from .nets import RowDataMixin
from .together import fit_folds_together

__all__ = ["cross_val_holdout_proba", "proba_in_label_order", "check_holdout_proba"]


def cross_val_holdout_proba(
    estimator: Any,
    X: ArrayLike,
    y: np.ndarray,
    *,
    splits: list,
    n_classes: int,
    n_jobs: int | None = None,
    params: dict | None = None,
    verbose: int = 0,
    together: bool = False,
    vmap: bool | str = "auto",
) -> tuple[np.ndarray, list]:
    """Held-out class probabilities of every training example, by cross-validation.

    Each example's probabilities come from the model of the fold that left it out,
    exactly as :func:`sklearn.model_selection.cross_val_predict` with
    ``method="predict_proba"`` computes them (same splits, same clones, same
    per-fold fit parameters), but the fold models are returned too: MAT uses them
    again to infer groups on new labelled data. Folds are fitted in parallel with
    joblib. A skorch net that serves ``X`` through skmat's fast path reads its
    fold's rows in place (:meth:`skmat.nets.RowDataMixin.rows_view`);
    otherwise each fold's rows are taken in ``X``'s own kind
    (:func:`skmat._inputs.take_rows`: a lazy view of a ``SliceDataset``, a copy
    of the rows of an array), in the worker, and freed after its fit.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Unfitted; cloned for each fold.
    X : any input kind of :mod:`skmat._inputs`
        Training features.
    y : ndarray of shape (n_samples,)
        Labels encoded as ``0 .. n_classes - 1``.
    splits : list of (train, test) index arrays
        Explicit splits; their test parts must cover every sample exactly once.
    n_classes : int
        Number of classes. A class missing from a fold's training part gets a
        probability of 0 from that fold's model (with a warning, as in sklearn).
    n_jobs : int, default=None
        Folds fitted in parallel with joblib.
    params : dict, default=None
        Fit parameters of the estimator (already routed); sample-aligned ones are
        sliced to each fold's training rows.
    verbose : int, default=0
        If > 0, print which fold is being fitted (and joblib's progress).
    together : bool, default=False
        Train the fold models together as one net
        (:func:`skmat.together.fit_folds_together`) instead of one ``fit``
        each; needs a skorch net that
        :func:`~skmat.together.unsupported_reason` accepts and no ``params``
        but per-row weights (``mat_weight``).
        ``n_jobs`` is then unused.
    vmap : {"auto", True, False}, default="auto"
        With ``together``: whether the copies run under :func:`torch.vmap`
        (:class:`skmat.stacked.StackedModule`).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        float64, columns in label order.
    models : list of fitted estimators
        One per split, in the order of ``splits``.

    Raises
    ------
    Exception
        The error of the first failing fold, unchanged, with a note naming the fold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import StratifiedKFold
    >>> from skmat.holdout import cross_val_holdout_proba
    >>> X = np.r_[np.zeros((5, 1)), np.ones((5, 1))]; y = np.r_[[0] * 5, [1] * 5]
    >>> splits = list(StratifiedKFold(5).split(X, y))
    >>> proba, models = cross_val_holdout_proba(LogisticRegression(), X, y,
    ...                                         splits=splits, n_classes=2)
    >>> proba.shape, len(models)
    ((10, 2), 5)
    """
    test_indices = np.concatenate([test for _, test in splits]) if splits else []
    if len(test_indices) != len(y) or not np.array_equal(
        np.sort(test_indices), np.arange(len(y))
    ):
        raise ValueError(
            "cv must give test folds that partition the training set (each sample "
            "in exactly one test fold), as cross_val_predict requires."
        )
    if together:
        results = _fit_folds_together(estimator, X, y, splits, params, verbose, vmap)
    else:
        results = Parallel(n_jobs=n_jobs, verbose=verbose)(
            delayed(_fit_fold)(
                clone(estimator),
                X,
                y,
                train,
                test,
                params or {},
                i,
                len(splits),
                verbose,
            )
            for i, (train, test) in enumerate(splits)
        )
    proba = np.zeros((len(y), n_classes))
    models = []
    for (_, test), (model, fold_proba) in zip(splits, results):
        proba[test] = proba_in_label_order(model, fold_proba, n_classes)
        models.append(model)
    return check_holdout_proba(
        proba, len(y), n_classes, name="held-out probabilities"
    ), models


def _fold_rows(estimator, X, y, train, test):
    """A fold's training and test rows: views where the net serves X itself
    (:meth:`skmat.nets.RowDataMixin.rows_view`), copies otherwise."""
    if isinstance(estimator, RowDataMixin):
        train_view = estimator.rows_view(X, y, train)
        if train_view is not None:
            return train_view, estimator.rows_view(X, y, test)
    return take_rows(X, train), take_rows(X, test)


def _fit_fold(estimator, X, y, train, test, params, index, n_folds, verbose=0):
    if verbose:
        print(
            f"[skmat] held-out fold {index + 1}/{n_folds}: fitting "
            f"{type(estimator).__name__} on {len(train)} rows"
        )
    try:
        fold_params = _check_method_params(splitter_X(X), params=params, indices=train)
        X_train, X_test = _fold_rows(estimator, X, y, train, test)
        estimator.fit(X_train, y[train], **fold_params)
        return estimator, _predict_fold(estimator, X_test, index, n_folds)
    except Exception as exc:
        _raise_with_note(
            exc,
            f"raised while fitting the held-out model of fold {index} (of {n_folds})",
        )


def _fit_folds_together(estimator, X, y, splits, params, verbose, vmap):
    n_folds = len(splits)
    params = dict(params or {})
    weight = params.pop(WEIGHT_PARAM, None)  # the joint net weighs each copy's rows
    if params:
        raise ValueError(
            "the held-out nets cannot train together with fit parameters "
            f"({sorted(params)}); fit them one by one."
        )
    if verbose:
        print(
            f"[skmat] held-out folds: fitting {n_folds} copies of "
            f"{type(estimator).__name__} together"
        )
    try:
        weights = {} if weight is None else {WEIGHT_PARAM: weight}
        joint = fit_folds_together(estimator, X, y, splits, vmap=vmap, **weights)
    except Exception as exc:
        _raise_with_note(
            exc, f"raised while fitting the {n_folds} held-out models together"
        )
    if getattr(joint, "interrupted_", False):
        raise KeyboardInterrupt(f"the {n_folds} held-out folds were interrupted")
    results = []
    for index, (model, (train, test)) in enumerate(
        zip(joint.member_nets(estimator), splits)
    ):
        try:
            _, X_test = _fold_rows(model, X, y, train[:0], test)
            results.append((model, _predict_fold(model, X_test, index, n_folds)))
        except Exception as exc:
            _raise_with_note(
                exc,
                f"raised while predicting with the held-out model of fold {index} "
                f"(of {n_folds})",
            )
    return results


def _predict_fold(estimator, X_test, index, n_folds):
    if getattr(estimator, "interrupted_", False):
        # skorch ended training quietly on KeyboardInterrupt: stop the whole
        # held-out phase instead of using a half-trained fold model.
        raise KeyboardInterrupt(f"fold {index} (of {n_folds}) was interrupted")
    proba = estimator.predict_proba(X_test)
    if not np.all(np.isfinite(np.asarray(proba, dtype=np.float64))):
        raise ValueError(
            "holdout_estimator returned NaN or infinite probabilities (its "
            "training diverged?); scale X (e.g. with StandardScaler) or "
            "regularise the held-out model."
        )
    return proba


def _raise_with_note(exc, note):
    if hasattr(exc, "add_note"):
        exc.add_note(note)
        raise exc
    raise RuntimeError(f"{note}: {exc!r}") from exc


def proba_in_label_order(model: Any, proba: ArrayLike, n_classes: int) -> np.ndarray:
    """Spread a fitted model's ``predict_proba`` columns over all encoded labels.

    A model that saw only some of the labels ``0 .. n_classes - 1`` (a fold without
    a class) returns fewer columns; the missing classes get probability 0.

    Parameters
    ----------
    model : fitted classifier
        Its ``classes_`` are encoded labels.
    proba : ndarray of shape (n_samples, n_model_classes)
        Output of ``model.predict_proba``, one column per entry of
        ``model.classes_``.
    n_classes : int
        Total number of classes.

    Returns
    -------
    full : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from skmat.holdout import proba_in_label_order
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     proba = proba_in_label_order(SimpleNamespace(classes_=np.array([0, 2])),
    ...                                  np.array([[0.3, 0.7]]), 3)
    >>> proba
    array([[0.3, 0. , 0.7]])
    >>> print(caught[0].message)  # class 1 was missing from the model's training rows
    A held-out model saw only 2 of the 3 classes; the missing classes get ...
    """
    proba = np.asarray(proba, dtype=np.float64)
    classes = np.asarray(getattr(model, "classes_", np.arange(proba.shape[1])))
    if proba.shape[1] == n_classes and np.array_equal(classes, np.arange(n_classes)):
        return proba
    if proba.shape[1] != len(classes):
        raise ValueError(
            f"holdout_estimator.predict_proba returned {proba.shape[1]} columns but "
            f"the model has {len(classes)} classes_."
        )
    warnings.warn(
        f"A held-out model saw only {len(classes)} of the {n_classes} classes; the "
        "missing classes get probability 0 from it.",
        RuntimeWarning,
        stacklevel=3,
    )
    full = np.zeros((proba.shape[0], n_classes))
    full[:, classes.astype(int)] = proba
    return full


def check_holdout_proba(
    proba: ArrayLike,
    n_samples: int,
    n_classes: int,
    *,
    name: str = "holdout_proba",
    atol: float = 1e-4,
) -> np.ndarray:
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
