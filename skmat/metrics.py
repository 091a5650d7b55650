"""Group metrics: worst-group accuracy, group inference by held-out mistakes, scorers.

Spurious correlations hurt the *minority* groups of a problem (the examples where
the shortcut is wrong) while the average accuracy barely moves, so models are
compared by their **worst-group accuracy**, the accuracy of the group they
classify worst, or by the mean of the group accuracies.

* :func:`group_accuracy_report`, :func:`worst_group_accuracy` and
  :func:`mean_group_accuracy` measure a prediction against known groups.
* :func:`infer_groups` infers groups when none are annotated, from the mistakes of
  held-out models (XRM, and MAT's model selection): an example whose held-out
  prediction is wrong is *conflicting*, and its group is ``(label, conflicting)``.
* :func:`make_group_scorer` gives scorers for
  :class:`~sklearn.model_selection.GridSearchCV` and
  :func:`~sklearn.model_selection.cross_validate` that receive the true groups
  through scikit-learn's metadata routing;
  :func:`make_inferred_group_scorer` (and :data:`inferred_worst_group_scorer`)
  gives scorers that need nothing beyond ``X`` and ``y``: they ask the fitted
  estimator to infer the groups (``estimator.infer_groups(X, y)``, which
  :class:`skmat.MATClassifier` provides).

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

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import issparse
from sklearn import config_context
from sklearn.metrics import make_scorer
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch

from ._encoding import (
    check_labels,
    check_same_kind,
    encode_groups,
    is_number,
    label_index,
    python_value,
)

__all__ = [
    "GroupAccuracyReport",
    "group_accuracy_report",
    "worst_group_accuracy",
    "mean_group_accuracy",
    "infer_groups",
    "make_group_scorer",
    "make_inferred_group_scorer",
    "inferred_worst_group_scorer",
    "inferred_mean_group_scorer",
]

_METRICS = ("worst_group", "mean_group")


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
    if groups is None:
        raise TypeError(
            "groups is required: one group per example (ints, strings, or the rows "
            "of a 2-D array). As a scorer, pass it through metadata routing: "
            "sklearn.set_config(enable_metadata_routing=True) and a scorer from "
            "skmat.metrics.make_group_scorer(), which requests groups."
        )
    keys, inverse = encode_groups(groups, y_true.shape[0])
    n_keys = len(keys)
    count = np.bincount(inverse, minlength=n_keys).astype(np.int64)
    correct = np.bincount(inverse, weights=(y_true == y_pred), minlength=n_keys)

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


def _align_expected(keys, count, correct, expected_groups):
    if isinstance(expected_groups, (list, tuple)):
        expected = [python_value(g) for g in expected_groups]
    else:
        expected_arr = np.asarray(expected_groups)
        if expected_arr.ndim == 2:
            expected = [tuple(r) for r in expected_arr.tolist()]
        else:
            expected = [python_value(g) for g in expected_arr.ravel().tolist()]
    if not expected:
        raise ValueError("expected_groups is empty.")
    try:
        position = {}
        for g in expected:
            if g in position:
                raise ValueError(f"expected_groups lists group {g!r} twice.")
            position[g] = len(position)
    except TypeError as exc:
        raise ValueError("expected_groups must hold hashable values.") from exc

    found = [python_value(k) for k in keys]
    unexpected = [k for k in found if k not in position]
    if unexpected:
        raise ValueError(
            f"groups contains {len(unexpected)} group(s) not in expected_groups: "
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
            f"group {missing[0]!r} of expected_groups has no examples in the "
            f"evaluated set ({len(missing)} expected group(s) missing: "
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


# ---------------------------------------------------------------- group inference


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
    >>> from skmat.metrics import infer_groups
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
    if classes is None:
        classes = np.unique(y_true)
        where = "y_true"
        hint = " (the labels of y_true); pass classes= with every label"
    else:
        classes = check_labels(classes, "classes")
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes has repeated labels: {classes!r}.")
        where = "classes"
        hint = ""
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
            if pred.shape[1] != len(classes):
                raise ValueError(
                    f"{name} has {pred.shape[1]} probability columns but there are "
                    f"{len(classes)} classes in {where}."
                )
            if not is_number(pred.dtype):
                raise ValueError(f"{name} is 2-D, so it must hold numeric scores.")
            if not np.all(np.isfinite(pred)):
                raise ValueError(f"{name} must not contain NaN or infinity.")
            pred_index = np.argmax(pred, axis=1)
        else:
            pred_index = label_index(pred, classes, name, hint)
        conflicting |= pred_index != y_index
    return (2 * y_index + conflicting).astype(np.int64)


# ------------------------------------------------------------------------ scorers


def _check_metric(metric):
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}; got {metric!r}.")
    return worst_group_accuracy if metric == "worst_group" else mean_group_accuracy


def make_group_scorer(
    metric: Literal["worst_group", "mean_group"] = "worst_group",
    *,
    expected_groups: ArrayLike | None = None,
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
    metric : {"worst_group", "mean_group"}, default="worst_group"
        :func:`worst_group_accuracy` or :func:`mean_group_accuracy`.
    expected_groups : array-like, default=None
        Every group a fold must contain; a fold that lacks one fails to score
        (``error_score`` of the search applies) instead of silently ignoring it.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, groups=...)``
        A :func:`sklearn.metrics.make_scorer` scorer; greater is better.

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
    """
    func = _check_metric(metric)
    kwargs = {} if expected_groups is None else {"expected_groups": expected_groups}
    scorer = make_scorer(func, **kwargs)
    with config_context(enable_metadata_routing=True):
        scorer.set_score_request(groups=True)
    return scorer


class _InferredGroupScorer:
    """Scorer ``(estimator, X, y) -> float`` on groups the estimator infers itself."""

    def __init__(self, metric):
        self._metric = metric
        self._func = _check_metric(metric)

    def __repr__(self):
        return f"make_inferred_group_scorer(metric={self._metric!r})"

    def _infer(self, estimator, X, y):
        if hasattr(estimator, "infer_groups"):
            return estimator.infer_groups(X, y)
        if isinstance(estimator, Pipeline) and hasattr(estimator[-1], "infer_groups"):
            Xt = estimator[:-1].transform(X) if len(estimator) > 1 else X
            return estimator[-1].infer_groups(Xt, y)
        raise TypeError(
            f"{self!r} needs an estimator with an infer_groups(X, y) method that "
            "returns inferred group ids from its held-out models (such as "
            "skmat.MATClassifier, or a Pipeline ending in one); "
            f"{type(estimator).__name__} has none. Score with the true groups "
            "instead: skmat.metrics.make_group_scorer()."
        )

    def __call__(self, estimator, X, y):
        groups = self._infer(estimator, X, y)
        y_pred = estimator.predict(X)
        return self._func(y, y_pred, groups=groups)


def make_inferred_group_scorer(
    metric: Literal["worst_group", "mean_group"] = "worst_group",
) -> Callable:
    """Scorer of a group metric on groups inferred by the estimator itself.

    For model selection without group annotations: the scorer calls
    ``estimator.infer_groups(X, y)`` (the groups of the evaluated examples
    inferred from the fitted estimator's held-out models, e.g. with
    :func:`infer_groups`; :class:`skmat.MATClassifier` provides it) and scores
    ``estimator.predict(X)`` on them. It needs nothing beyond ``X`` and ``y``, so
    it works with or without metadata routing. A
    :class:`~sklearn.pipeline.Pipeline` is accepted when its final step has
    ``infer_groups`` (the earlier steps transform ``X`` first).

    Parameters
    ----------
    metric : {"worst_group", "mean_group"}, default="worst_group"
        :func:`worst_group_accuracy` or :func:`mean_group_accuracy`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Greater is better. Raises ``TypeError`` for an estimator without
        ``infer_groups``.

    Examples
    --------
    >>> from skmat.metrics import make_inferred_group_scorer
    >>> make_inferred_group_scorer("mean_group")
    make_inferred_group_scorer(metric='mean_group')
    """
    return _InferredGroupScorer(metric)


#: Worst-group accuracy on groups from ``estimator.infer_groups(X, y)``.
inferred_worst_group_scorer = make_inferred_group_scorer("worst_group")
#: Mean group accuracy on groups from ``estimator.infer_groups(X, y)``.
inferred_mean_group_scorer = make_inferred_group_scorer("mean_group")
