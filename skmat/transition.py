"""The mathematics of Memorization-Aware Training, in plain NumPy.

This module is the whole method in one page. Given held-out class probabilities
``p_ho(k | x_i)`` for every training example (from a model that never trained on
example ``i``) and the labels ``y_i``:

1. sharpen them with a temperature ``T``: ``q_i = softmax(log p_ho(. | x_i) / T)``
   (:func:`sharpen`);
2. build the joint matrix ``J[k, c] = (1/n) * sum_{i: y_i = c} q_i[k]``
   (:func:`joint_matrix`);
3. normalise each row over the label: ``M[k, c] = p(y = c | y_ho = k)``
   (:func:`transition_matrix`);
4. form the calibrated held-out prior ``pbar_i = q_i @ M`` and its log, the
   per-example logit shift used in training (:func:`logit_shift`).

The network is then trained on ``CE(softmax(f(x_i) + shift_i), y_i)`` and
predicts with ``f(x)`` alone. :func:`mat_shift` runs the four steps at once.

Nothing here imports torch, skorch or a scikit-learn estimator, so each step can be
checked with NumPy alone.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

__all__ = [
    "PROBA_FLOOR",
    "TEMPERATURE",
    "MATShift",
    "sharpen",
    "joint_matrix",
    "transition_matrix",
    "logit_shift",
    "mat_shift",
]

#: Smallest probability used inside a logarithm. Held-out probabilities of exactly
#: zero (a class missing from a cross-validation fold, a saturated softmax) are
#: raised to this value so that no logarithm is ``-inf``; the authors' code adds
#: ``1e-6`` inside the log for the same reason.
PROBA_FLOOR = 1e-6

#: The rule of a temperature, in scikit-learn's terms (a finite positive number):
#: :func:`sharpen` checks it, and the estimators that take a ``temperature``
#: declare it in their ``_parameter_constraints``.
TEMPERATURE = Interval(numbers.Real, 0, np.inf, closed="neither")


class MATShift(NamedTuple):
    """The fitted quantities of MAT, as returned by :func:`mat_shift`.

    Attributes
    ----------
    joint : ndarray of shape (n_classes, n_classes)
        ``joint[k, c]`` = p(y_ho = k, y = c) over the training set.
    transition : ndarray of shape (n_classes, n_classes)
        ``transition[k, c]`` = p(y = c | y_ho = k); every row sums to one.
    shift : ndarray of shape (n_samples, n_classes)
        Log of the calibrated held-out prior of each example; every row of
        ``exp(shift)`` sums to one.
    """

    joint: np.ndarray
    transition: np.ndarray
    shift: np.ndarray


def _as_float_array(value, name):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # strings, ragged lists, sparse matrices
        raise TypeError(
            f"{name} must be a dense numeric array; got {type(value).__name__} ({exc})."
        ) from exc


def _check_proba(proba, name="proba"):
    proba = _as_float_array(proba, name)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_samples, n_classes) with "
            f"n_classes >= 2; got shape {proba.shape}."
        )
    if not np.all(np.isfinite(proba)):
        raise ValueError(f"{name} must not contain NaN or infinity.")
    if np.any(proba < 0):
        raise ValueError(f"{name} must not contain negative probabilities.")
    return proba


def _check_temperature(temperature):
    validate_parameter_constraints(
        {"temperature": [TEMPERATURE]}, {"temperature": temperature}, "sharpen"
    )
    return float(temperature)


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def sharpen(proba: ArrayLike, temperature: float) -> np.ndarray:
    """Sharpen (``T < 1``) or soften (``T > 1``) probabilities with a temperature.

    Computes ``softmax(log(max(proba, PROBA_FLOOR)) / temperature)`` row by row,
    in a numerically stable way: the result has no NaN for any positive
    temperature, however small or large.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Non-negative probabilities (rows need not be exactly normalised).
    temperature : float
        Positive temperature. ``1`` re-normalises ``proba``; values towards ``0``
        approach the one-hot argmax; large values approach the uniform
        distribution.

    Returns
    -------
    q : ndarray of shape (n_samples, n_classes)
        Rows sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.transition import sharpen
    >>> sharpen(np.array([[0.6, 0.4]]), temperature=1.0)
    array([[0.6, 0.4]])
    >>> sharpen(np.array([[0.6, 0.4]]), temperature=0.01).round(3)
    array([[1., 0.]])
    """
    proba = _check_proba(proba)
    temperature = _check_temperature(temperature)
    log_proba = np.log(np.maximum(proba, PROBA_FLOOR))
    # Subtract each row's maximum *before* dividing: the largest entry becomes 0
    # and the others -inf at worst (a tiny temperature), never a row of -inf.
    log_proba -= log_proba.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        logits = log_proba / temperature
    return _softmax(logits)


def joint_matrix(
    q: ArrayLike,
    y: ArrayLike,
    n_classes: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> np.ndarray:
    """Joint distribution of held-out prediction and label over a training set.

    Parameters
    ----------
    q : array-like of shape (n_samples, n_classes)
        (Sharpened) held-out probabilities, rows summing to one.
    y : array-like of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``.
    n_classes : int, default=None
        Number of classes; defaults to ``q.shape[1]``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each example: the weighted joint,
        ``sum_i w_i [y_i = c] q[i, k] / sum_i w_i``. ``None`` weighs them alike.

    Returns
    -------
    joint : ndarray of shape (n_classes, n_classes)
        ``joint[k, c] = (1/n) * sum over i with y_i = c of q[i, k]``: the
        probability that the held-out model says ``k`` while the label is ``c``.
        It sums to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.transition import joint_matrix
    >>> q = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> joint_matrix(q, np.array([0, 0, 1, 1]))
    array([[0.5 , 0.25],
           [0.  , 0.25]])
    """
    q = _check_proba(q, "q")
    n_samples, n_cols = q.shape
    n_classes = n_cols if n_classes is None else int(n_classes)
    if n_classes != n_cols:
        raise ValueError(
            f"q has {n_cols} columns but n_classes={n_classes}; they must agree."
        )
    y = np.asarray(y)
    if y.shape != (n_samples,):
        raise ValueError(
            f"y must be 1-D with one label per row of q ({n_samples}); "
            f"got shape {y.shape}."
        )
    if n_samples == 0:
        raise ValueError("q and y must contain at least one sample.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"y must hold integer labels in [0, {n_classes - 1}] (encode labels "
            "with sklearn.preprocessing.LabelEncoder first)."
        )
    total = n_samples
    if sample_weight is not None:
        sample_weight = _as_float_array(sample_weight, "sample_weight")
        if sample_weight.shape != (n_samples,) or not np.all(sample_weight >= 0):
            raise ValueError(
                f"sample_weight must hold {n_samples} non-negative weights, one "
                f"per row of q; got shape {sample_weight.shape}."
            )
        q = q * sample_weight[:, None]
        total = sample_weight.sum()
    # One weighted bincount per held-out class: O(n * C) time, no (n, C) one-hot.
    joint = np.stack(
        [np.bincount(y, weights=q[:, k], minlength=n_classes) for k in range(n_classes)]
    )
    return joint / total


def transition_matrix(joint: ArrayLike) -> np.ndarray:
    """Row-normalise a joint matrix into ``p(y = c | y_ho = k)``.

    A held-out class that the held-out model never predicts (an all-zero row of
    ``joint``) carries no information about the label; its row is set to the
    class prior ``p(y = c)`` (the column sums of ``joint``). Such a row never
    affects the shift, because it is multiplied by a held-out probability of zero,
    but it keeps every row a valid distribution.

    Parameters
    ----------
    joint : array-like of shape (n_classes, n_classes)
        Non-negative joint matrix, as returned by :func:`joint_matrix`.

    Returns
    -------
    transition : ndarray of shape (n_classes, n_classes)
        Every row sums to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.transition import transition_matrix
    >>> transition_matrix(np.array([[0.5, 0.25], [0.0, 0.25]]))
    array([[0.66666667, 0.33333333],
           [0.        , 1.        ]])
    >>> transition_matrix(np.array([[0.25, 0.75], [0.0, 0.0]]))  # never predicted
    array([[0.25, 0.75],
           [0.25, 0.75]])
    """
    joint = _as_float_array(joint, "joint")
    if joint.ndim != 2 or joint.shape[0] != joint.shape[1]:
        raise ValueError(f"joint must be a square 2-D array; got shape {joint.shape}.")
    if not np.all(np.isfinite(joint)) or np.any(joint < 0):
        raise ValueError("joint must hold finite, non-negative values.")
    if joint.size == 0 or joint.max() <= 0:
        raise ValueError("joint must have a positive total mass.")
    # The result does not depend on the scale of joint: divide by its largest
    # entry first so that the sums below cannot overflow.
    joint = joint / joint.max()
    total = joint.sum()
    row_mass = joint.sum(axis=1, keepdims=True)
    prior = joint.sum(axis=0) / total
    empty = row_mass[:, 0] <= np.finfo(np.float64).tiny
    transition = np.empty_like(joint)
    transition[~empty] = joint[~empty] / row_mass[~empty]
    transition[empty] = prior
    return transition


def logit_shift(q: ArrayLike, transition: ArrayLike) -> np.ndarray:
    """Per-example logit shift: ``log(q @ transition)``, floored and normalised.

    Parameters
    ----------
    q : array-like of shape (n_samples, n_classes)
        (Sharpened) held-out probabilities.
    transition : array-like of shape (n_classes, n_classes)
        Row-stochastic transition matrix, as returned by :func:`transition_matrix`.

    Returns
    -------
    shift : ndarray of shape (n_samples, n_classes)
        ``log(pbar)`` where ``pbar = q @ transition`` is the calibrated held-out
        prior, each entry raised to at least :data:`PROBA_FLOOR` and each row then
        re-normalised, so ``exp(shift)`` rows sum to one and no entry is ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.transition import logit_shift
    >>> q = np.array([[0.5, 0.5]])
    >>> np.exp(logit_shift(q, np.array([[0.9, 0.1], [0.3, 0.7]])))
    array([[0.6, 0.4]])
    """
    q = _check_proba(q, "q")
    transition = _as_float_array(transition, "transition")
    if transition.shape != (q.shape[1], q.shape[1]):
        raise ValueError(
            f"transition must have shape {(q.shape[1], q.shape[1])}; "
            f"got {transition.shape}."
        )
    if not np.all(np.isfinite(transition)) or np.any(transition < 0):
        raise ValueError("transition must hold finite, non-negative values.")
    pbar = np.maximum(q @ transition, PROBA_FLOOR)
    pbar /= pbar.sum(axis=1, keepdims=True)
    return np.log(pbar)


def mat_shift(
    holdout_proba: ArrayLike,
    y: ArrayLike,
    temperature: float,
    sample_weight: ArrayLike | None = None,
) -> MATShift:
    """Run the whole MAT computation: sharpen, joint, transition and shift.

    Parameters
    ----------
    holdout_proba : array-like of shape (n_samples, n_classes)
        Held-out probabilities of the training examples, columns in label order.
    y : array-like of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``.
    temperature : float
        Positive temperature of :func:`sharpen`.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the examples in the joint matrix (:func:`joint_matrix`).

    Returns
    -------
    result : MATShift
        Named tuple ``(joint, transition, shift)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.transition import mat_shift
    >>> proba = np.full((4, 2), 0.5)                  # an uninformative held-out model
    >>> result = mat_shift(proba, np.array([0, 0, 0, 1]), temperature=0.1)
    >>> np.exp(result.shift)                          # every example gets the prior
    array([[0.75, 0.25],
           [0.75, 0.25],
           [0.75, 0.25],
           [0.75, 0.25]])
    """
    q = sharpen(holdout_proba, temperature)
    joint = joint_matrix(q, y, sample_weight=sample_weight)
    transition = transition_matrix(joint)
    return MATShift(joint, transition, logit_shift(q, transition))
