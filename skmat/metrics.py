"""Group metrics: worst-group accuracy, calibration, bootstrap intervals, scorers.

Spurious correlations hurt the *minority* groups of a problem (the examples where
the shortcut is wrong) while the average accuracy barely moves, so models are
compared by their **worst-group accuracy**, the accuracy of the group they
classify worst, or by the mean of the group accuracies.

* :func:`group_accuracy_report`, :func:`worst_group_accuracy` and
  :func:`mean_group_accuracy` measure a prediction against known groups;
  :func:`train_weighted_accuracy` averages the group accuracies with the
  proportions of the training set (the "average accuracy" of the Waterbirds
  literature).
* :func:`worst_class_accuracy` is the smallest per-class accuracy (recall), for
  selection when no group labels exist.
* :func:`expected_calibration_error` and :func:`group_calibration_error` measure
  the calibration of predicted probabilities, overall and within each group.
* :func:`bootstrap_group_metric` gives a percentile bootstrap confidence interval
  of any group metric, resampling within each group.
* :func:`infer_groups` (from :mod:`skmat.groups`, where group inference lives)
  infers groups when none are annotated, from the mistakes of held-out models.
* :func:`make_group_scorer` gives scorers for
  :class:`~sklearn.model_selection.GridSearchCV` and
  :func:`~sklearn.model_selection.cross_validate` that receive the true groups
  through scikit-learn's metadata routing;
  :func:`make_inferred_group_scorer` (and :data:`inferred_mean_group_scorer`)
  gives scorers that need nothing beyond ``X`` and ``y``: they ask the fitted
  estimator to infer the groups (``estimator.infer_groups(X, y)``, which
  :class:`skmat.MATClassifier` provides); :data:`worst_class_scorer` needs no
  groups at all.

Model selection with the true groups, in a grid search (the scorer requests
``groups``; a :class:`~sklearn.model_selection.StratifiedKFold` ignores them, so
they reach the scorer only):

>>> import numpy as np
>>> import sklearn
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.model_selection import GridSearchCV
>>> from skmat.datasets import make_spurious_classification
>>> from skmat.metrics import make_group_scorer
>>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
>>> with sklearn.config_context(enable_metadata_routing=True):
...     search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]},
...                           scoring=make_group_scorer("worst_group"), cv=3)
...     search = search.fit(X, y, groups=groups)
>>> sorted(search.best_params_)
['C']

With a splitter that also requests ``groups`` (``GroupKFold``...), ``groups``
would reach both; give the scorer its own name for them instead:
``make_group_scorer().set_score_request(groups="eval_groups")`` (inside the
same ``config_context``) and ``search.fit(X, y, groups=folds, eval_groups=groups)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import issparse
from sklearn import config_context
from sklearn.metrics import make_scorer
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state, check_scalar

from ._encoding import (
    check_classes,
    check_labels,
    check_same_kind,
    check_scores,
    encode_groups,
    label_index,
    python_value,
)
from ._errors import naming
from .groups import infer_groups

__all__ = [
    "GroupAccuracyReport",
    "group_accuracy_report",
    "worst_group_accuracy",
    "mean_group_accuracy",
    "train_weighted_accuracy",
    "worst_class_accuracy",
    "expected_calibration_error",
    "group_calibration_error",
    "bootstrap_group_metric",
    "infer_groups",
    "make_group_scorer",
    "make_inferred_group_scorer",
    "inferred_worst_group_scorer",
    "inferred_mean_group_scorer",
    "worst_class_scorer",
]

_METRICS = ("worst_group", "mean_group")
# make_group_scorer also takes "train_weighted", which needs train_groups=.
_SCORER_METRICS = (*_METRICS, "train_weighted")


# --------------------------------------------------------------------------- checks


def _check_y(y_true, y_pred):
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred")
    if y_pred.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"y_pred has {y_pred.shape[0]} entries but y_true has {y_true.shape[0]}; "
            "they must have the same length."
        )
    check_same_kind(y_true, y_pred, "y_true", "y_pred")
    return y_true, y_pred


def _require_groups(groups):
    if groups is None:
        raise TypeError(
            "groups is required: one group per example (ints, strings, or the rows "
            "of a 2-D array). As a scorer, pass it through metadata routing: "
            "sklearn.set_config(enable_metadata_routing=True) and a scorer from "
            "skmat.metrics.make_group_scorer(), which requests groups."
        )


def _group_counts(y_true, y_pred, groups):
    """Group keys, and the number of examples and of right predictions of each."""
    keys, inverse = encode_groups(groups, y_true.shape[0])
    n_keys = len(keys)
    count = np.bincount(inverse, minlength=n_keys).astype(np.int64)
    correct = np.bincount(inverse, weights=(y_true == y_pred), minlength=n_keys)
    return keys, count, correct


# ------------------------------------------------------------------------- report


class GroupAccuracyReport(Bunch):
    """Accuracy of a prediction within each group, returned by
    :func:`group_accuracy_report`.

    A :class:`~sklearn.utils.Bunch` (a dict whose keys are also attributes) that
    prints as a table.

    Attributes
    ----------
    groups : ndarray of shape (n_groups,)
        The groups, sorted when they can be (or in the order of
        ``expected_groups``); one tuple per group for 2-D groups.
    accuracy : ndarray of shape (n_groups,)
        Accuracy within each group.
    count : ndarray of shape (n_groups,)
        Number of examples of each group.
    overall_accuracy : float
        Accuracy over all examples (the count-weighted mean of ``accuracy``).
    worst_group_accuracy : float
        Smallest group accuracy.
    worst_group : object
        The group with the smallest accuracy (the first one on ties).
    mean_group_accuracy : float
        Unweighted mean of the group accuracies.
    """

    def __repr__(self):
        names = [repr(python_value(g)) for g in self.groups]
        accs = [f"{a:.3f}" for a in self.accuracy]
        counts = [str(int(c)) for c in self.count]
        w_group = max([len("group")] + [len(s) for s in names])
        w_acc = max([len("accuracy")] + [len(s) for s in accs])
        w_count = max([len("count")] + [len(s) for s in counts])
        n_groups, n_samples = len(names), int(np.sum(self.count))
        lines = [
            f"GroupAccuracyReport: {n_groups} group{'s' * (n_groups != 1)}, "
            f"{n_samples} sample{'s' * (n_samples != 1)}",
            f"{'group':>{w_group}}  {'accuracy':>{w_acc}}  {'count':>{w_count}}",
        ]
        for name, acc, count in zip(names, accs, counts):
            lines.append(f"{name:>{w_group}}  {acc:>{w_acc}}  {count:>{w_count}}")
        lines.append(
            f"overall {self.overall_accuracy:.3f}, "
            f"worst {self.worst_group_accuracy:.3f} "
            f"(group {python_value(self.worst_group)!r}), "
            f"mean {self.mean_group_accuracy:.3f}"
        )
        return "\n".join(lines)

    __str__ = __repr__

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(type(self))))

    def to_frame(self):
        """The table as a :class:`pandas.DataFrame` indexed by group (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is a test extra
            raise ImportError("GroupAccuracyReport.to_frame needs pandas.") from exc
        index = pd.Index(
            [python_value(g) for g in self.groups], name="group", tupleize_cols=False
        )
        return pd.DataFrame(
            {"accuracy": self.accuracy, "count": self.count}, index=index
        )


def group_accuracy_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    expected_groups: ArrayLike | None = None,
) -> GroupAccuracyReport:
    """Accuracy and number of examples of each group, plus the overall accuracy.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example: ints, strings, any hashable values, or one row per
        example of a 2-D array (e.g. label and attribute columns; each distinct row
        is a group, reported as a tuple). Required; it is keyword-only (and
        defaults to ``None`` only so that a scorer called without it can explain
        how to route it).
    expected_groups : array-like, default=None
        The complete list of groups the evaluated set should contain (tuples for
        2-D groups). When given, a missing group or one not in the list is a
        ``ValueError`` naming it, rather than a worst-group accuracy silently
        computed over fewer groups (useful in cross-validation, where a small
        minority can vanish from a fold); the report follows this order.

    Returns
    -------
    report : GroupAccuracyReport
        A Bunch with ``groups``, ``accuracy``, ``count``, ``overall_accuracy``,
        ``worst_group_accuracy``, ``worst_group`` and ``mean_group_accuracy``;
        it prints as a table.

    Raises
    ------
    ValueError
        Empty inputs, inputs of different lengths, or groups that do not match
        ``expected_groups``.

    See Also
    --------
    worst_group_accuracy, mean_group_accuracy

    Examples
    --------
    >>> from skmat.metrics import group_accuracy_report
    >>> y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> y_pred = [0, 0, 0, 1, 1, 1, 0, 0]
    >>> groups = ["a", "a", "a", "b", "a", "a", "b", "b"]
    >>> report = group_accuracy_report(y_true, y_pred, groups=groups)
    >>> report
    GroupAccuracyReport: 2 groups, 8 samples
    group  accuracy  count
      'a'     1.000      5
      'b'     0.000      3
    overall 0.625, worst 0.000 (group 'b'), mean 0.500
    >>> report.count
    array([5, 3])
    """
    y_true, y_pred = _check_y(y_true, y_pred)
    _require_groups(groups)
    keys, count, correct = _group_counts(y_true, y_pred, groups)

    if expected_groups is not None:
        keys, count, correct = _align_expected(keys, count, correct, expected_groups)

    accuracy = correct / count
    worst = int(np.argmin(accuracy))
    return GroupAccuracyReport(
        groups=keys,
        accuracy=accuracy,
        count=count,
        overall_accuracy=float(correct.sum() / count.sum()),
        worst_group_accuracy=float(accuracy[worst]),
        worst_group=python_value(keys[worst]),
        mean_group_accuracy=float(np.mean(accuracy)),
    )


def _align_expected(
    keys,
    count,
    correct,
    expected_groups,
    *,
    name="expected_groups",
    values="groups",
    kind="group",
):
    """Counts in the order of ``expected_groups``, each of them present.

    ``name`` is the parameter that lists the expected keys, ``values`` the one
    whose keys were counted, and ``kind`` what a key is, for the messages.
    """
    if isinstance(expected_groups, (list, tuple)):
        expected = [python_value(g) for g in expected_groups]
    else:
        expected_arr = np.asarray(expected_groups)
        if expected_arr.ndim == 2:
            expected = [tuple(r) for r in expected_arr.tolist()]
        else:
            expected = [python_value(g) for g in expected_arr.ravel().tolist()]
    if not expected:
        raise ValueError(f"{name} is empty.")
    try:
        position = {}
        for g in expected:
            if g in position:
                raise ValueError(f"{name} lists {kind} {g!r} twice.")
            position[g] = len(position)
    except TypeError as exc:
        raise ValueError(f"{name} must hold hashable values.") from exc

    some = "class(es)" if kind == "class" else f"{kind}(s)"
    found = [python_value(k) for k in keys]
    unexpected = [k for k in found if k not in position]
    if unexpected:
        raise ValueError(
            f"{values} contains {len(unexpected)} {some} not in {name}: "
            f"{unexpected[:10]!r}."
        )
    order = np.array([position[k] for k in found], dtype=np.intp)
    aligned_count = np.zeros(len(expected), dtype=np.int64)
    aligned_correct = np.zeros(len(expected))
    aligned_count[order] = count
    aligned_correct[order] = correct
    missing = [g for g, c in zip(expected, aligned_count) if c == 0]
    if missing:
        raise ValueError(
            f"{kind} {missing[0]!r} of {name} has no examples in the "
            f"evaluated set ({len(missing)} expected {some} missing: "
            f"{missing[:10]!r}); its accuracy is undefined."
        )
    aligned_keys = np.empty(len(expected), dtype=object)
    for i, g in enumerate(expected):
        aligned_keys[i] = g
    if all(not isinstance(g, tuple) for g in expected):
        try:
            plain = np.array(expected)
            if plain.dtype != object and len({type(g) for g in expected}) == 1:
                aligned_keys = plain
        except (TypeError, ValueError):
            pass
    return aligned_keys, aligned_count, aligned_correct


def worst_group_accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    expected_groups: ArrayLike | None = None,
) -> float:
    """Accuracy of the group that is classified worst.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example (required); see :func:`group_accuracy_report`.
    expected_groups : array-like, default=None
        Every group the set must contain; see :func:`group_accuracy_report`.

    Returns
    -------
    accuracy : float
        ``min`` over groups of the accuracy within the group.

    Examples
    --------
    >>> from skmat.metrics import worst_group_accuracy
    >>> worst_group_accuracy([0, 0, 1, 1], [0, 1, 1, 1], groups=[0, 0, 1, 1])
    0.5
    """
    return group_accuracy_report(
        y_true, y_pred, groups=groups, expected_groups=expected_groups
    ).worst_group_accuracy


def mean_group_accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    expected_groups: ArrayLike | None = None,
) -> float:
    """Unweighted mean of the group accuracies (every group counts the same).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example (required); see :func:`group_accuracy_report`.
    expected_groups : array-like, default=None
        Every group the set must contain; see :func:`group_accuracy_report`.

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from skmat.metrics import mean_group_accuracy
    >>> mean_group_accuracy([0, 0, 1, 1, 1], [0, 1, 1, 1, 1], groups=[0, 0, 1, 1, 1])
    0.75
    """
    return group_accuracy_report(
        y_true, y_pred, groups=groups, expected_groups=expected_groups
    ).mean_group_accuracy


def _train_group_counts(train_groups):
    """The groups of ``train_groups`` (as plain Python values) and their counts."""
    if train_groups is None:
        raise TypeError(
            "train_groups is required: the group of each training example, whose "
            "proportions weight the group accuracies."
        )
    try:
        n_train = len(train_groups)
    except TypeError as exc:
        raise ValueError(
            "train_groups must be array-like, one group per training example; "
            f"got {type(train_groups).__name__}."
        ) from exc
    if n_train == 0:
        raise ValueError(
            "train_groups is empty; it must hold the group of each training example."
        )
    try:
        keys, inverse = encode_groups(train_groups, n_train, against="train_groups")
    except (TypeError, ValueError) as exc:
        raise naming(exc, "train_groups") from exc
    counts = np.bincount(inverse, minlength=len(keys)).astype(np.int64)
    return [python_value(k) for k in keys], counts


def train_weighted_accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    train_groups: ArrayLike,
) -> float:
    """Group accuracies averaged with the group proportions of the training set.

    The "average accuracy" that the Waterbirds literature reports (DFR, JTT,
    SubpopBench): the test set of Waterbirds is balanced differently from the
    training set, so each group's test accuracy is weighted by how often the
    group occurs in *training*, as if the test set had the training
    distribution.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels of the evaluated set.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each evaluated example (required); see
        :func:`group_accuracy_report`. Keyword-only; it defaults to ``None``
        only so that a scorer called without it can explain how to route it.
    train_groups : array-like of shape (n_train_samples,) or \
(n_train_samples, n_attributes)
        The group of each example of the **training** set, written like
        ``groups``; a group's weight is its proportion in ``train_groups``.

    Returns
    -------
    accuracy : float
        ``sum over groups g of (n_train_g / n_train) * accuracy_g``.

    Raises
    ------
    ValueError
        A group of ``groups`` absent from ``train_groups`` (it would have no
        weight), a group of ``train_groups`` absent from the evaluated set (its
        weight would silently vanish), or the errors of
        :func:`group_accuracy_report`.

    See Also
    --------
    mean_group_accuracy, worst_group_accuracy, group_accuracy_report

    Notes
    -----
    Three averages of the same group accuracies differ only in the weight each
    group gets:

    ============================  ============================================
    average                       weight of group ``g``
    ============================  ============================================
    plain accuracy                ``n_g / n``, its proportion in the evaluated
                                  (test) set
    :func:`mean_group_accuracy`   ``1 / n_groups``, the same for every group
    ``train_weighted_accuracy``   ``n_train_g / n_train``, its proportion in
                                  the training set (``train_groups``)
    ============================  ============================================

    References
    ----------
    P. Kirichenko, P. Izmailov, A. G. Wilson. "Last Layer Re-Training is
    Sufficient for Robustness to Spurious Correlations", ICLR 2023. Y. Yang,
    H. Zhang, D. Katabi, M. Ghassemi. "Change is Hard: A Closer Look at
    Subpopulation Shift", ICML 2023.

    Examples
    --------
    Groups ``a`` and ``b`` are right, ``c`` is wrong; the training set holds 60%,
    30% and 10% of them:

    >>> from skmat.metrics import mean_group_accuracy, train_weighted_accuracy
    >>> y_true = [0, 0, 1, 1, 1, 1]
    >>> y_pred = [0, 0, 1, 1, 0, 0]
    >>> groups = ["a", "a", "b", "b", "c", "c"]
    >>> train_groups = ["a"] * 6 + ["b"] * 3 + ["c"]
    >>> train_weighted_accuracy(y_true, y_pred, groups=groups,
    ...                         train_groups=train_groups)
    0.9
    >>> mean_group_accuracy(y_true, y_pred, groups=groups)  # uniform weights
    0.6666666666666666
    """
    train_keys, train_count = _train_group_counts(train_groups)
    y_true, y_pred = _check_y(y_true, y_pred)
    _require_groups(groups)
    keys, count, correct = _group_counts(y_true, y_pred, groups)
    _, count, correct = _align_expected(
        keys, count, correct, train_keys, name="train_groups"
    )
    return float(np.dot(train_count, correct / count) / train_count.sum())


def worst_class_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, *, labels: ArrayLike | None = None
) -> float:
    """Smallest per-class accuracy (recall): the worst group when groups are classes.

    The selection criterion of SubpopBench when no group labels exist: each
    class is a group, so the score is low when a model sacrifices a minority
    class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Every class that must appear in ``y_true``. A listed class with no
        example is a ``ValueError`` (its accuracy is undefined), and so is a
        class of ``y_true`` that is not listed. ``None`` uses the classes that
        ``y_true`` contains. Predicted labels need not be listed: a prediction
        of another label is simply wrong.

    Returns
    -------
    accuracy : float
        ``min`` over classes ``c`` of the fraction of the examples of class ``c``
        predicted ``c``.

    Raises
    ------
    ValueError
        Empty inputs, inputs of different lengths, or classes that do not match
        ``labels``.

    See Also
    --------
    worst_group_accuracy : The same minimum over given groups.
    worst_class_scorer : This metric as a scorer.

    Examples
    --------
    >>> from skmat.metrics import worst_class_accuracy
    >>> y_true = [0, 0, 0, 0, 0, 0, 1, 1]
    >>> y_pred = [0, 0, 0, 0, 0, 0, 1, 0]
    >>> worst_class_accuracy(y_true, y_pred)  # class 1: 1 of 2 right
    0.5
    >>> worst_class_accuracy(y_true, y_pred, labels=[0, 1, 2])
    Traceback (most recent call last):
        ...
    ValueError: class 2 of labels has no examples in the evaluated set ...
    """
    y_true, y_pred = _check_y(y_true, y_pred)
    keys, count, correct = _group_counts(y_true, y_pred, y_true)
    if labels is not None:
        labels = check_labels(labels, "labels")
        check_same_kind(y_true, labels, "y_true", "labels")
        keys, count, correct = _align_expected(
            keys,
            count,
            correct,
            [python_value(c) for c in labels.tolist()],
            name="labels",
            values="y_true",
            kind="class",
        )
    return float(np.min(correct / count))


# -------------------------------------------------------------------- calibration


def _top_label(y_true, y_proba, classes, n_bins):
    """Checked inputs of the calibration errors: the confidence of each top-label
    prediction, whether it is right, and ``n_bins``."""
    n_bins = check_scalar(n_bins, "n_bins", numbers.Integral, min_val=1)
    y_true = check_labels(y_true, "y_true")
    n_samples = y_true.shape[0]
    classes, where, hint = check_classes(classes, y_true)
    y_index = label_index(y_true, classes, "y_true", hint)
    if issparse(y_proba):
        raise TypeError("y_proba is a sparse matrix; pass a dense 2-D array.")
    try:
        y_proba = np.asarray(y_proba)
    except (TypeError, ValueError) as exc:
        raise ValueError("y_proba must be a 2-D array of probabilities.") from exc
    if y_proba.ndim != 2 or y_proba.shape[0] != n_samples:
        raise ValueError(
            f"y_proba has shape {y_proba.shape}; expected ({n_samples}, "
            f"{len(classes)}): one row per example of y_true, one column of "
            f"probabilities per class of {where}."
        )
    check_scores(y_proba, "y_proba", len(classes), where)
    low, high = float(np.min(y_proba)), float(np.max(y_proba))
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(
            f"y_proba must hold probabilities between 0 and 1; its values run from "
            f"{low!r} to {high!r} (pass predict_proba's output, not scores)."
        )
    confidence = np.clip(np.max(y_proba, axis=1), 0.0, 1.0).astype(np.float64)
    correct = np.argmax(y_proba, axis=1) == y_index
    return confidence, correct, n_bins


def _calibration_error(confidence, correct, n_bins):
    """Top-label ECE with ``n_bins`` equal-width bins over (0, 1]."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin b holds the confidences in (edges[b], edges[b + 1]]; 0 goes to the first
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    confidence_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(bins, weights=correct, minlength=n_bins)
    # (n_b / n) * |correct_sum / n_b - confidence_sum / n_b|, summed over bins
    return float(np.sum(np.abs(correct_sum - confidence_sum)) / confidence.shape[0])


def expected_calibration_error(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    classes: ArrayLike | None = None,
    n_bins: int = 15,
) -> float:
    """Top-label expected calibration error (ECE) of predicted probabilities.

    Each prediction is the class of largest probability (ties go to the first
    column) and its *confidence* that probability. The confidences are put in
    ``n_bins`` equal-width bins over (0, 1] (bin ``b`` holds
    ``(b / n_bins, (b + 1) / n_bins]``), and the error is

    ``sum over bins of (n_bin / n) * |accuracy_bin - mean confidence_bin|``

    0 for a model as right as it is confident; empty bins count for nothing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (``predict_proba``), columns in the order of
        ``classes``; values between 0 and 1.
    classes : array-like of shape (n_classes,), default=None
        Every label, in the order of the columns of ``y_proba`` (an estimator's
        ``classes_``). ``None`` uses the sorted distinct labels of ``y_true``;
        the number of columns must match.
    n_bins : int, default=15
        Number of confidence bins, at least 1.

    Returns
    -------
    ece : float
        Between 0 and 1.

    Raises
    ------
    ValueError
        Empty input, a ``y_proba`` whose shape does not match (one row per
        example, one column per class), values outside [0, 1], NaN, a label of
        ``y_true`` not in ``classes``, or ``n_bins`` not an integer >= 1.

    See Also
    --------
    group_calibration_error : The same error within each group.

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger. "On Calibration of Modern Neural
    Networks", ICML 2017.

    Examples
    --------
    Three confidences fall in the bin (0.5, 0.75], with 2 of 3 right (mean
    confidence 0.708), and one, right, in (0.75, 1]:

    >>> from skmat.metrics import expected_calibration_error
    >>> y_true = [0, 1, 0, 0]
    >>> y_proba = [[0.875, 0.125], [0.25, 0.75], [0.375, 0.625], [0.75, 0.25]]
    >>> expected_calibration_error(y_true, y_proba, n_bins=4)
    0.0625
    """
    confidence, correct, n_bins = _top_label(y_true, y_proba, classes, n_bins)
    return _calibration_error(confidence, correct, n_bins)


def group_calibration_error(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    groups: ArrayLike,
    classes: ArrayLike | None = None,
    n_bins: int = 15,
) -> dict:
    """Expected calibration error within each group.

    The :func:`expected_calibration_error` of the examples of each group, with
    the same classes (the columns of ``y_proba``) and bins for every group.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example; see :func:`group_accuracy_report`.
    classes : array-like of shape (n_classes,), default=None
        Every label, in the order of the columns of ``y_proba``. ``None`` uses
        the sorted distinct labels of the whole ``y_true`` (not of each group).
    n_bins : int, default=15
        Number of confidence bins, at least 1.

    Returns
    -------
    errors : dict
        ``{group: ece}`` in sorted group order (the order of
        :func:`group_accuracy_report`), each group as a plain Python value (a
        tuple for 2-D groups).

    Raises
    ------
    ValueError
        The errors of :func:`expected_calibration_error`, or ``groups`` of the
        wrong length.

    See Also
    --------
    expected_calibration_error

    Examples
    --------
    >>> from skmat.metrics import group_calibration_error
    >>> y_true = [0, 1, 0, 0]
    >>> y_proba = [[0.875, 0.125], [0.25, 0.75], [0.375, 0.625], [0.75, 0.25]]
    >>> group_calibration_error(y_true, y_proba, groups=["a", "a", "a", "b"],
    ...                         n_bins=4)
    {'a': 0.16666666666666666, 'b': 0.25}
    """
    confidence, correct, n_bins = _top_label(y_true, y_proba, classes, n_bins)
    keys, inverse = encode_groups(groups, confidence.shape[0])
    return {
        python_value(key): _calibration_error(
            confidence[inverse == i], correct[inverse == i], n_bins
        )
        for i, key in enumerate(keys)
    }


# ---------------------------------------------------------------------- bootstrap


def bootstrap_group_metric(
    metric: Callable | Literal["worst_group", "mean_group"],
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    groups: ArrayLike,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.RandomState | None = None,
    **metric_params,
) -> Bunch:
    """Percentile bootstrap confidence interval of a group metric.

    Each of the ``n_boot`` resamples draws, **within each group**, as many rows
    as the group has, with replacement: every resample keeps the size of every
    group (so a small minority never vanishes and a worst-group accuracy stays
    defined), and row ``i`` of a resample is a row of the same group as row
    ``i`` of the data. The interval runs between the ``(1 - confidence_level) /
    2`` and ``(1 + confidence_level) / 2`` quantiles of the resampled values.

    Parameters
    ----------
    metric : callable or {"worst_group", "mean_group"}
        ``metric(y_true, y_pred, groups=groups, **metric_params) -> float``,
        such as :func:`worst_group_accuracy`, :func:`mean_group_accuracy` or
        :func:`train_weighted_accuracy` (with ``train_groups=`` in
        ``metric_params``); or the name of the first two.
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted labels, or predicted probabilities (for a metric such as
        :func:`group_calibration_error` wrapped to return a number); its rows
        are resampled with those of ``y_true``.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example; see :func:`group_accuracy_report`. The metric
        receives it unchanged: the resampling keeps each row's group.
    n_boot : int, default=1000
        Number of resamples, at least 1.
    confidence_level : float, default=0.95
        Coverage of the interval, strictly between 0 and 1.
    random_state : int, RandomState instance or None, default=None
        Seed of the resampling (:func:`sklearn.utils.check_random_state`); an
        int gives the same interval on every call.
    **metric_params
        Passed to ``metric`` unchanged, not resampled (so nothing with one entry
        per row).

    Returns
    -------
    result : Bunch
        ``estimate`` (the metric on the data), ``low`` and ``high`` (the
        interval), ``confidence_level``, and ``samples`` (ndarray of shape
        (n_boot,), the metric on each resample).

    Raises
    ------
    ValueError
        An unknown metric name, ``n_boot`` not an integer >= 1,
        ``confidence_level`` not strictly between 0 and 1, inputs whose lengths
        differ, or a metric that does not return a number.

    Notes
    -----
    A group of a single example is the same row in every resample, so it adds
    no spread: the interval reflects the sampling noise of the groups that the
    data estimate from several examples only.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.metrics import bootstrap_group_metric
    >>> groups = np.repeat(["majority", "minority"], [80, 20])
    >>> y_true = np.ones(100, dtype=int)
    >>> right = np.random.RandomState(0).uniform(size=100) < np.where(
    ...     groups == "majority", 0.9, 0.6)
    >>> y_pred = np.where(right, 1, 0)
    >>> ci = bootstrap_group_metric("worst_group", y_true, y_pred, groups=groups,
    ...                             n_boot=200, random_state=0)
    >>> print(f"{ci.estimate:.2f} [{ci.low:.2f}, {ci.high:.2f}]")
    0.75 [0.55, 0.90]
    >>> ci.samples.shape
    (200,)
    """
    if isinstance(metric, str):
        if metric not in _METRICS:
            raise ValueError(
                "metric must be a callable metric(y_true, y_pred, groups=...) or "
                f"one of {_METRICS}; got {metric!r}."
            )
        metric = _check_metric(metric)
    elif not callable(metric):
        raise ValueError(
            "metric must be a callable metric(y_true, y_pred, groups=...) or one "
            f"of {_METRICS}; got {type(metric).__name__}."
        )
    n_boot = check_scalar(n_boot, "n_boot", numbers.Integral, min_val=1)
    confidence_level = float(
        check_scalar(
            confidence_level,
            "confidence_level",
            numbers.Real,
            min_val=0,
            max_val=1,
            include_boundaries="neither",
        )
    )

    y_true = check_labels(y_true, "y_true")
    n_samples = y_true.shape[0]
    if issparse(y_pred):
        raise TypeError("y_pred is a sparse matrix; pass a dense array.")
    try:
        y_pred = np.asarray(y_pred)
    except (TypeError, ValueError) as exc:
        raise ValueError("y_pred must be an array.") from exc
    if y_pred.ndim not in (1, 2) or y_pred.shape[0] != n_samples:
        raise ValueError(
            f"y_pred has shape {y_pred.shape}; expected ({n_samples},) labels or "
            f"({n_samples}, n_classes) probabilities, one row per example of y_true."
        )
    _require_groups(groups)
    _, inverse = encode_groups(groups, n_samples)

    def evaluate(rows):
        value = metric(
            y_true if rows is None else y_true[rows],
            y_pred if rows is None else y_pred[rows],
            groups=groups,
            **metric_params,
        )
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"metric must return a single number; it returned {value!r}."
            ) from exc

    estimate = evaluate(None)
    # Row i of a resample is drawn among the rows of row i's group.
    order = np.argsort(inverse, kind="stable")
    sizes = np.bincount(inverse)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    row_start, row_size = starts[inverse], sizes[inverse]
    rng = check_random_state(random_state)
    samples = np.empty(n_boot)
    for b in range(n_boot):
        samples[b] = evaluate(order[row_start + rng.randint(0, row_size)])
    alpha = 1.0 - confidence_level
    low, high = np.quantile(samples, [alpha / 2, 1 - alpha / 2])
    return Bunch(
        estimate=estimate,
        low=float(low),
        high=float(high),
        confidence_level=confidence_level,
        samples=samples,
    )


# ------------------------------------------------------------------------ scorers


def _check_metric(metric):
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}.")
    return worst_group_accuracy if metric == "worst_group" else mean_group_accuracy


def make_group_scorer(
    metric: Literal["worst_group", "mean_group", "train_weighted"] = "worst_group",
    *,
    expected_groups: ArrayLike | None = None,
    train_groups: ArrayLike | None = None,
) -> Callable:
    """Scorer of a group metric that receives the true groups by metadata routing.

    The scorer calls ``estimator.predict(X)`` and requests ``groups`` as scoring
    metadata, so with routing enabled
    (``sklearn.set_config(enable_metadata_routing=True)`` or
    ``sklearn.config_context``) a search or cross-validation forwards the groups
    of each evaluated fold: ``GridSearchCV(...).fit(X, y, groups=groups)``,
    ``cross_validate(..., params={"groups": groups})``. Without routing, the
    scorer receives no groups and raises a ``TypeError`` that says so.

    A splitter such as ``StratifiedKFold`` (what ``cv=5`` gives a classifier)
    ignores ``groups``; ``GroupKFold`` and other group splitters request them too.
    To split by one grouping and score by another, rename the scorer's:
    ``make_group_scorer().set_score_request(groups="eval_groups")`` (with routing
    enabled) then ``fit(X, y, groups=split_groups, eval_groups=groups)``.

    Parameters
    ----------
    metric : {"worst_group", "mean_group", "train_weighted"}, default="worst_group"
        :func:`worst_group_accuracy`, :func:`mean_group_accuracy`, or
        :func:`train_weighted_accuracy` (which needs ``train_groups``).
    expected_groups : array-like, default=None
        Every group a fold must contain; a fold that lacks one fails to score
        (``error_score`` of the search applies) instead of silently ignoring it.
        Not for ``"train_weighted"``, where every group of ``train_groups`` must
        already be present.
    train_groups : array-like of shape (n_train_samples,) or \
(n_train_samples, n_attributes), default=None
        For ``metric="train_weighted"`` only, where it is required: the groups
        of the training set, whose proportions weight the group accuracies of
        every evaluated fold. They are fixed when the scorer is made, not taken
        from each fold's training part.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, groups=...)``
        A :func:`sklearn.metrics.make_scorer` scorer; greater is better.

    Raises
    ------
    ValueError
        An unknown metric, ``"train_weighted"`` without ``train_groups`` (or
        with ``expected_groups``), or ``train_groups`` with another metric.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skmat.metrics import make_group_scorer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(60, 2)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> groups = 2 * y + (X[:, 1] > 0)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     cv = cross_validate(LogisticRegression(), X, y, cv=3,
    ...                         scoring=make_group_scorer("worst_group"),
    ...                         params={"groups": groups})
    >>> cv["test_score"].shape
    (3,)

    Weighting by the proportions of a training set:

    >>> scorer = make_group_scorer("train_weighted", train_groups=groups)
    """
    if metric not in _SCORER_METRICS:
        raise ValueError(f"metric must be one of {_SCORER_METRICS}; got {metric!r}.")
    if metric == "train_weighted":
        if train_groups is None:
            raise ValueError(
                "metric='train_weighted' needs train_groups=: the group of each "
                "training example, whose proportions weight the group accuracies."
            )
        if expected_groups is not None:
            raise ValueError(
                "expected_groups does not apply to metric='train_weighted': every "
                "group of train_groups must already be in each evaluated fold."
            )
        _train_group_counts(train_groups)  # fail now rather than at every fold
        scorer = make_scorer(train_weighted_accuracy, train_groups=train_groups)
    else:
        if train_groups is not None:
            raise ValueError(
                f"train_groups applies only to metric='train_weighted'; got "
                f"metric={metric!r}, which does not weight the groups."
            )
        func = _check_metric(metric)
        kwargs = {} if expected_groups is None else {"expected_groups": expected_groups}
        scorer = make_scorer(func, **kwargs)
    with config_context(enable_metadata_routing=True):
        scorer.set_score_request(groups=True)
    return scorer


class _InferredGroupScorer:
    """Scorer ``(estimator, X, y) -> float`` on inferred groups: the estimator's
    own, or those of one fixed reference."""

    def __init__(self, metric, reference=None):
        self._metric = metric
        self._func = _check_metric(metric)
        self._reference = reference
        if reference is not None:
            self._infer_function(reference)  # refuse a reference without it now

    def __repr__(self):
        if self._reference is None:
            return f"make_inferred_group_scorer(metric={self._metric!r})"
        return (
            f"make_inferred_group_scorer(metric={self._metric!r}, "
            f"reference={type(self._reference).__name__}(...))"
        )

    def _infer_function(self, estimator):
        if hasattr(estimator, "infer_groups"):
            return estimator.infer_groups
        if isinstance(estimator, Pipeline) and hasattr(estimator[-1], "infer_groups"):

            def infer(X, y):
                Xt = estimator[:-1].transform(X) if len(estimator) > 1 else X
                return estimator[-1].infer_groups(Xt, y)

            return infer
        who = "reference" if estimator is self._reference else "the estimator"
        raise TypeError(
            f"{self!r} needs {who} to have an infer_groups(X, y) method that "
            "returns inferred group ids from its held-out models (such as "
            "a fitted skmat.MATClassifier, or a Pipeline ending in one); "
            f"{type(estimator).__name__} has none. Score with the true groups "
            "instead: skmat.metrics.make_group_scorer()."
        )

    def __call__(self, estimator, X, y):
        source = estimator if self._reference is None else self._reference
        groups = self._infer_function(source)(X, y)
        y_pred = estimator.predict(X)
        return self._func(y, y_pred, groups=groups)


def make_inferred_group_scorer(
    metric: Literal["worst_group", "mean_group"] = "mean_group",
    *,
    reference: Any = None,
) -> Callable:
    """Scorer of a group metric on groups inferred without annotations.

    For model selection without group annotations: the scorer infers the groups
    of the evaluated examples with ``infer_groups(X, y)`` (from held-out models'
    mistakes, :func:`infer_groups`; :class:`skmat.MATClassifier` provides it)
    and scores ``estimator.predict(X)`` on them. It needs nothing beyond ``X``
    and ``y``, so it works with or without metadata routing. A
    :class:`~sklearn.pipeline.Pipeline` is accepted when its final step has
    ``infer_groups`` (the earlier steps transform ``X`` first).

    Whose held-out models infer the groups:

    * ``reference=None``: each evaluated estimator's own. Candidates of a search
      whose held-out models differ (another ``holdout``, ``holdout_epochs``,
      learning rate...) are then scored on different groupings, and their
      scores do not compare.
    * ``reference=fitted_estimator``: one fitted estimator infers the groups for
      every candidate, so a search compares like with like. Fit it once on the
      training split (for example ``MATClassifier(net, holdout="xrm",
      holdout_epochs=None)``: XRM trained for the whole budget, the paper's
      grouping) and pass it here.

    Which metric: the inferred conflicting groups are the rows the held-out
    models get wrong, the minority where there is a shortcut, but the
    mislabelled and hard rows where there is none. On those, a candidate is right
    exactly where it departs from the held-out models, so one that departs at
    random (a worse model, such as one trained on the residual of a too strong
    shift) gains on the conflicting groups what it loses on the agreeing ones.
    The mean of the groups' accuracies does not move under such departures; the
    worst group rewards them, up to departing on half the rows. In
    ``benchmarks/results/selection.md`` (a search over MAT's temperature and
    held-out budget, ERM among the candidates) the mean's picks lose less
    accuracy to plain training where there is no shortcut, and undo the
    shortcut as well as the worst group's where there is one: hence the
    default.

    Parameters
    ----------
    metric : {"mean_group", "worst_group"}, default="mean_group"
        :func:`mean_group_accuracy` or :func:`worst_group_accuracy` (the
        paper's criterion, which rewards departing from the held-out models at
        random; see above).
    reference : fitted estimator with ``infer_groups``, default=None
        The estimator whose held-out models infer the groups for every
        candidate (or a Pipeline ending in one); None uses each candidate's own.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Greater is better. Raises ``TypeError`` for an estimator (or reference)
        without ``infer_groups``.

    Examples
    --------
    >>> from skmat.metrics import make_inferred_group_scorer
    >>> make_inferred_group_scorer("mean_group")
    make_inferred_group_scorer(metric='mean_group')
    """
    return _InferredGroupScorer(metric, reference)


#: Worst-group accuracy on groups from ``estimator.infer_groups(X, y)``.
inferred_worst_group_scorer = make_inferred_group_scorer("worst_group")
#: Mean group accuracy on groups from ``estimator.infer_groups(X, y)``.
inferred_mean_group_scorer = make_inferred_group_scorer("mean_group")
#: Worst-class accuracy (:func:`worst_class_accuracy`) of ``estimator.predict(X)``:
#: selection without any group labels.
worst_class_scorer = make_scorer(worst_class_accuracy)
