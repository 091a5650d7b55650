"""Signs that a MAT fit went wrong, measured from its shift and its predictions (NumPy).

MAT's final network learns only what its shift does not already explain. Where
the held-out models are right, with confidence, on nearly every training row
(no shortcut and an easy problem, or held-out models trained to fit the labels),
nothing is left to learn and the network keeps its initial weights; where they
are right on most rows, the network learns the residual (label noise, hard
cases) and can end worse than plain training. These functions measure both
before and after the final network trains; :class:`~skmat.MATClassifier` runs
them on every fit and warns (:class:`~skmat.exceptions.MATFitWarning`) when a
threshold below is crossed. The thresholds come from the controls benchmark
(``benchmarks/controls.py``, :doc:`/generated/results/controls`): each lies
between the values of the collapsed or harmed fits and those of MAT on the
shortcut problems.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "LEFT_TO_LEARN_MIN",
    "ACCURACY_DROP_MAX",
    "OVERPREDICTION_MAX",
    "left_to_learn",
    "accuracy_drop",
    "overprediction",
]

#: Smallest share of the labels' information that the shift may leave to learn
#: (:func:`left_to_learn`) before MAT trains the final network plainly instead.
LEFT_TO_LEARN_MIN = 0.1

#: Largest drop of the final network's training accuracy below the held-out
#: models' accuracy (:func:`accuracy_drop`) before MAT warns.
ACCURACY_DROP_MAX = 0.25

#: Largest factor by which the final network may predict a class more often
#: than it occurs in the training labels (:func:`overprediction`) before MAT
#: warns.
OVERPREDICTION_MAX = 3.0


def _label_entropy(y, n_classes):
    prior = np.bincount(y, minlength=n_classes) / len(y)
    prior = prior[prior > 0]
    return float(-(prior * np.log(prior)).sum())


def left_to_learn(shift: ArrayLike, y: ArrayLike) -> float:
    """Share of the labels' information that a MAT shift leaves to learn.

    The shifted loss of a network whose logits are all zero is
    ``mean_i -shift[i, y_i]``: what the held-out prior alone costs. Divided by
    the entropy of the labels (the plain loss of that network, which knows only
    the class prior), it is 1 when the held-out models know nothing beyond the
    class prior and 0 when they predict every label with certainty, so that the
    shifted loss is zero before the final network has learned anything.

    Parameters
    ----------
    shift : array-like of shape (n_samples, n_classes)
        The logit shift (``MATClassifier.shift_``).
    y : array-like of shape (n_samples,)
        Integer labels in ``0 .. n_classes - 1``.

    Returns
    -------
    share : float
        Usually between 0 and 1; above 1 when the held-out models are confidently
        wrong more often than right. ``inf`` when ``y`` holds a single class.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.guard import left_to_learn
    >>> y = np.array([0, 1, 0, 1])
    >>> left_to_learn(np.log(np.full((4, 2), 0.5)), y)      # prior only: all of it
    1.0
    >>> certain = np.log(np.where(np.eye(2)[y] > 0, 1 - 1e-6, 1e-6))
    >>> round(left_to_learn(certain, y), 6)                   # nothing left
    1e-06
    """
    shift = np.asarray(shift, dtype=np.float64)
    y = np.asarray(y)
    loss = float(-np.mean(shift[np.arange(len(y)), y]))
    entropy = _label_entropy(y, shift.shape[1])
    return loss / entropy if entropy > 0 else float("inf")


def accuracy_drop(
    y: ArrayLike, holdout_proba: ArrayLike, y_pred: ArrayLike
) -> tuple[float, float]:
    """Held-out accuracy and the final network's own accuracy on the training rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer labels.
    holdout_proba : array-like of shape (n_samples, n_classes)
        Held-out probabilities (``MATClassifier.holdout_proba_``).
    y_pred : array-like of shape (n_samples,)
        The final network's integer predictions on the same rows, unshifted.

    Returns
    -------
    holdout_accuracy, train_accuracy : float
        A network that learned the robust feature is at least about as accurate on
        its own training rows as models that never saw them; one far below
        learned only the residual of the shift.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.guard import accuracy_drop
    >>> accuracy_drop([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], [0, 0, 1])
    (1.0, 0.666...)
    """
    y = np.asarray(y)
    holdout = float(np.mean(np.asarray(holdout_proba).argmax(axis=1) == y))
    return holdout, float(np.mean(np.asarray(y_pred) == y))


def overprediction(
    y: ArrayLike, y_pred: ArrayLike, n_classes: int
) -> tuple[int, float]:
    """The class predicted most often relative to its frequency, and by what factor.

    Parameters
    ----------
    y, y_pred : array-like of shape (n_samples,)
        Integer labels and predictions in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes.

    Returns
    -------
    label_index, factor : int, float
        ``factor`` = (rows predicted as the class) / (rows labelled with it), the
        largest over the classes; MAT's shift holds the class prior, so a network
        trained on the residual can predict rare classes many times too often.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.guard import overprediction
    >>> overprediction(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), 2)
    (1, 3.0)
    """
    true = np.bincount(np.asarray(y), minlength=n_classes).astype(np.float64)
    predicted = np.bincount(np.asarray(y_pred), minlength=n_classes)
    factor = predicted / np.maximum(true, 1)
    factor[(true == 0) & (predicted > 0)] = np.inf  # a class absent from y
    k = int(np.argmax(factor))
    return k, float(factor[k])
