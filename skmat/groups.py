"""Group inference: groups from held-out mistakes, when none are annotated.

A modelling step, not a metric: an example whose held-out prediction is wrong
is *conflicting*, and its group is ``(label, conflicting)``
(:func:`infer_groups`). XRM (Pezeshki et al., 2024) infers its environments
this way, :class:`~skmat.MATClassifier` and
:class:`~skmat.baselines.XRMGroupDROClassifier` infer the groups of new
labelled data with it (their ``infer_groups`` methods, which the scorers of
:mod:`skmat.metrics` call for model selection without group labels), and
:func:`unsplit_classes` names the classes an inference did not split.
Plain NumPy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import issparse

from ._encoding import check_classes, check_labels, check_scores, label_index

__all__ = ["infer_groups", "unsplit_classes"]


def infer_groups(
    y_true: ArrayLike, *predictions: ArrayLike, classes: ArrayLike | None = None
) -> np.ndarray:
    """Infer groups from held-out mistakes: ``(label, conflicting)``, as one integer.

    An example is *conflicting* when a model that did not train on it (a held-out
    or cross-validation model, one of XRM's twins...) predicts a wrong label:
    those are the examples a shortcut gets wrong, a proxy for the minority groups.
    With several held-out predictions, an example is conflicting when **any** of
    them is wrong (XRM's "either twin").

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    *predictions : array-like of shape (n_samples,) or (n_samples, n_classes)
        One or more held-out predictions, one argument per model: predicted
        labels (1-D), or class probabilities / scores (2-D, columns in the order
        of ``classes``) whose argmax is the prediction (ties go to the first
        column). A 3-D array of shape (n_models, n_samples, n_classes) stacks
        several models' probabilities (e.g. XRM's two twins). To pass a list of
        predictions, unpack it: ``infer_groups(y, *preds)``.
    classes : array-like of shape (n_classes,), default=None
        Every label, in the order of the probability columns and of the group
        ids (an estimator's ``classes_``). ``None`` uses the sorted distinct
        labels of ``y_true``; pass ``classes`` so that the ids do not depend on
        which labels the evaluated set happens to contain.

    Returns
    -------
    groups : ndarray of shape (n_samples,), int64
        ``2 * label_index + conflicting``: ``label_index`` the position of the
        true label in ``classes`` and ``conflicting`` 0 or 1, so
        ``label_index, conflicting = divmod(groups, 2)``. With two classes:
        0 = class 0 agreeing, 1 = class 0 conflicting, 2 = class 1 agreeing,
        3 = class 1 conflicting. Ids run over ``0 .. 2 * n_classes - 1``; the
        ones with no example simply do not occur.

    Raises
    ------
    ValueError
        No prediction, empty input, lengths or column counts that do not match,
        or a label (true or predicted) that is not in ``classes``.

    References
    ----------
    M. Pezeshki, D. Bouchacourt, M. Ibrahim, N. Ballas, P. Vincent, D. Lopez-Paz.
    "Discovering Environments with XRM", ICML 2024. R. Bayat et al., "The Pitfalls
    of Memorization: When Memorization Hurts Generalization", 2024.

    Examples
    --------
    >>> from skmat.groups import infer_groups
    >>> y = ["cat", "cat", "dog", "dog"]
    >>> infer_groups(y, ["cat", "dog", "dog", "dog"])
    array([0, 1, 2, 2])
    >>> proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]
    >>> infer_groups(y, proba, classes=["cat", "dog"])
    array([0, 0, 2, 3])
    >>> infer_groups(y, ["cat", "dog", "dog", "dog"], proba)  # any mistake counts
    array([0, 1, 2, 3])
    """
    if not predictions:
        raise ValueError(
            "infer_groups needs at least one held-out prediction: "
            "infer_groups(y_true, predictions, ...)."
        )
    y_true = check_labels(y_true, "y_true")
    n_samples = y_true.shape[0]
    classes, where, hint = check_classes(classes, y_true)
    y_index = label_index(y_true, classes, "y_true")

    arrays = []
    for i, pred in enumerate(predictions):
        if issparse(pred):
            raise TypeError(f"predictions[{i}] is a sparse matrix; pass a dense array.")
        try:
            pred = np.asarray(pred)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"predictions[{i}] must be an array.") from exc
        if pred.ndim == 3:  # a stack of probability matrices, one per model
            arrays.extend((f"predictions[{i}][{j}]", p) for j, p in enumerate(pred))
        else:
            arrays.append((f"predictions[{i}]", pred))

    if not arrays:
        raise ValueError("infer_groups got an empty stack of held-out predictions.")
    conflicting = np.zeros(n_samples, dtype=bool)
    for name, pred in arrays:
        if pred.ndim not in (1, 2) or pred.shape[0] != n_samples:
            raise ValueError(
                f"{name} has shape {pred.shape}; expected ({n_samples},) labels or "
                f"({n_samples}, {len(classes)}) probabilities, one row per example of "
                "y_true. Pass several models' predictions as separate arguments: "
                "infer_groups(y_true, pred_1, pred_2)."
            )
        if pred.ndim == 2:
            check_scores(pred, name, len(classes), where)
            pred_index = np.argmax(pred, axis=1)
        else:
            pred_index = label_index(pred, classes, name, hint)
        conflicting |= pred_index != y_index
    return (2 * y_index + conflicting).astype(np.int64)


def unsplit_classes(groups: ArrayLike, n_classes: int) -> np.ndarray:
    """The classes whose examples are all agreeing or all conflicting.

    An inference that leaves a class unsplit found no minority in it: on a
    problem with a shortcut that is a degenerate run (XRM's authors discard
    it in model selection); on a problem without one it is expected.

    Parameters
    ----------
    groups : array-like of shape (n_samples,)
        Inferred groups, ``2 * label_index + conflicting``
        (:func:`infer_groups`).
    n_classes : int
        Number of classes (``label_index`` runs over ``0 .. n_classes - 1``).

    Returns
    -------
    classes : ndarray of int
        The label indices of the unsplit classes, sorted.

    Examples
    --------
    >>> from skmat.groups import unsplit_classes
    >>> unsplit_classes([0, 1, 2, 2], 2)  # class 1 has no conflicting example
    array([1])
    """
    counts = np.bincount(np.asarray(groups), minlength=2 * n_classes)
    return np.flatnonzero(counts.reshape(-1, 2).min(axis=1) == 0)
