"""What a net memorizes: per-example memorization scores, inferred groups, a verdict.

A network can "simplify and memorize" (Bayat et al., 2024): fit most examples
with a simple rule and memorize the exceptions. A model that did not train on
an example (a held-out model) shows what the rule alone predicts for it, so
comparing the net fitted on all the data with held-out models exposes the
memorized examples:

* the **memorization score** of example ``i`` is the net's confidence in the
  true label when trained on ``i`` minus the held-out confidence,
  ``p_train(y_i | x_i) - p_ho(y_i | x_i)`` (:func:`memorization_score`): near 1
  for an example fitted only because it was trained on, near 0 for one the
  rule explains;
* the **inferred groups** are ``(label, conflicting)``, conflicting when the
  held-out prediction is wrong (:func:`skmat.metrics.infer_groups`), with their
  sizes and, per group, the accuracy in-sample and held-out;
* the **transition matrix** ``p(y = c | y_ho = k)`` of MAT
  (:mod:`skmat.transition`);
* a **verdict** in words (:func:`memorization_report`): a *shortcut* the net
  memorizes around, *hard or mislabelled* examples, or *nothing*.

What tells a shortcut from mislabelled examples is whether a rule exists that
holds for the conflicting examples too. Memorization scores alone cannot say
(a flipped label and a minority example are both memorized); training can.
:class:`MemorizationDiagnosis` trains, on the same folds, *check* nets with
MAT's shift and *control* nets with the plain loss, and compares their
held-out accuracy on the conflicting examples. Where a shortcut hides a feature
that holds for every group, the check nets learn it and get many conflicting
examples right while the control nets, which follow the shortcut like the
held-out models, do not. Where the conflicting examples are mislabelled or
hard, nothing in the inputs supports their labels: both kinds of nets get the
same few of them right (those a retraining gets right by chance). The
difference of the two accuracies is the report's ``lift``.

The thresholds of the verdict, :data:`CONFLICTING_MIN` and :data:`LIFT_MIN`,
were measured by ``benchmarks/diagnosis.py`` on problems with and without a
shortcut (:doc:`/generated/results/diagnosis`).

References
----------
R. Bayat, M. Pezeshki, E. Dohmatob, D. Lopez-Paz, P. Vincent. "The Pitfalls of
Memorization: When Memorization Hurts Generalization", arXiv:2412.07684, 2024.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from ._checks import check_trained
from ._devices import check_device
from ._encoding import check_labels, label_index, python_value
from ._inputs import check_fit_data, check_X, for_nets, n_rows, splitter_X
from ._outputs import checked_output
from ._seeding import seed_estimator, spawn_seeds
from ._transaction import fit_transaction
from .factory import SKORCH_CLASSIFIERS, make_net, reject_torch_module
from .holdout import check_holdout_proba, cross_val_holdout_proba
from .metrics import infer_groups
from .nets import SHIFT_PARAM
from .transition import joint_matrix, mat_shift, sharpen, transition_matrix
from .xrm import fit_xrm

__all__ = [
    "CONFLICTING_MIN",
    "LIFT_MIN",
    "VERDICTS",
    "memorization_score",
    "memorization_report",
    "MemorizationReport",
    "MemorizationDiagnosis",
    "training_holdout_proba",
]

#: Smallest share of conflicting examples (the held-out models' mistakes), and
#: of the control nets' held-out mistakes, for a verdict other than
#: ``"nothing"``. Measured by ``benchmarks/diagnosis.py``.
CONFLICTING_MIN = 0.02
#: Smallest ``lift`` (held-out accuracy on the conflicting examples of the nets
#: trained with MAT's shift minus that of the nets trained plainly, on the same
#: folds) for the verdict ``"shortcut"``. Measured by ``benchmarks/diagnosis.py``
#: with cross-validation held-out models (the default route): it lies between
#: the lifts of the problems without a shortcut and of those with one.
LIFT_MIN = 0.11
#: The verdicts of :func:`memorization_report`.
VERDICTS = ("shortcut", "hard_or_mislabelled", "nothing", "unchecked")


# ------------------------------------------------------------------- the numbers
def _check_y(y_true, classes):
    y = check_labels(y_true, "y_true")
    if classes is None:
        classes = np.unique(y)
    else:
        classes = check_labels(classes, "classes")
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes has repeated labels: {classes!r}.")
    if len(classes) < 2:
        raise ValueError(
            "y_true must hold at least 2 classes (or pass classes= with every "
            f"label); got {python_value(classes)!r}."
        )
    return y, classes, label_index(y, classes, "y_true")


def _check_proba(proba, name, n_samples, n_classes):
    return check_holdout_proba(proba, n_samples, n_classes, name=name)


def _true_class_proba(proba, y_index):
    return proba[np.arange(len(y_index)), y_index]


def memorization_score(
    y_true: ArrayLike,
    train_proba: ArrayLike,
    holdout_proba: ArrayLike,
    *,
    classes: ArrayLike | None = None,
) -> np.ndarray:
    """Per example: confidence in the true label when trained on it minus held-out.

    ``score_i = train_proba[i, y_i] - holdout_proba[i, y_i]``. Near 1: the net
    gets example ``i`` right only because it trained on it (memorized); near 0:
    a model that never saw it is as sure (the example follows a rule the net
    learned); negative: the held-out model is surer than the net.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    train_proba : array-like of shape (n_samples, n_classes)
        Class probabilities from a net fitted on all the examples (its
        ``predict_proba`` on its own training set), columns in ``classes`` order.
    holdout_proba : array-like of shape (n_samples, n_classes)
        Held-out class probabilities: row ``i`` from a model that did not train
        on example ``i`` (cross-validation, XRM), columns in ``classes`` order.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``None`` uses the sorted labels of ``y_true``.

    Returns
    -------
    score : ndarray of shape (n_samples,)
        In ``[-1, 1]``.

    Examples
    --------
    >>> from skmat.diagnosis import memorization_score
    >>> y = [0, 0, 1]
    >>> train = [[0.99, 0.01], [0.98, 0.02], [0.01, 0.99]]
    >>> held_out = [[0.95, 0.05], [0.10, 0.90], [0.02, 0.98]]
    >>> memorization_score(y, train, held_out).round(2)
    array([0.04, 0.88, 0.01])
    """
    y, classes, y_index = _check_y(y_true, classes)
    train = _check_proba(train_proba, "train_proba", len(y), len(classes))
    held_out = _check_proba(holdout_proba, "holdout_proba", len(y), len(classes))
    return _true_class_proba(train, y_index) - _true_class_proba(held_out, y_index)


class MemorizationReport(Bunch):
    """What :func:`memorization_report` found; prints as a table and a verdict.

    A :class:`~sklearn.utils.Bunch` (a dict whose keys are also attributes).

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The class labels, in the order of the probability columns.
    score : ndarray of shape (n_samples,)
        Memorization score of each example (:func:`memorization_score`).
    train_confidence, holdout_confidence : ndarray of shape (n_samples,)
        Confidence in the true label of the net fitted on all the data, and of
        the held-out models.
    inferred_groups : ndarray of shape (n_samples,)
        Each example's inferred group, ``2 * label_index + conflicting``
        (:func:`skmat.metrics.infer_groups` on the held-out probabilities).
    groups : ndarray of shape (n_groups,)
        The inferred groups that occur, sorted.
    group_names : list of str
        ``"<label>, agreeing"`` or ``"<label>, conflicting"`` for each group.
    count : ndarray of shape (n_groups,)
        Number of examples of each group.
    in_sample_accuracy, holdout_accuracy : ndarray of shape (n_groups,)
        Accuracy within each group of the net fitted on all the data (on its
        own training examples) and of the held-out models. The held-out accuracy
        is 1 on the agreeing groups and 0 on the conflicting ones, by the
        definition of the groups.
    check_accuracy, control_accuracy : ndarray of shape (n_groups,)
        Held-out accuracy within each group of the check nets (trained with
        MAT's shift) and of the control nets (trained plainly on the same
        folds); NaN without ``check_proba`` / ``control_proba``.
    mean_score : ndarray of shape (n_groups,)
        Mean memorization score of each group.
    transition_matrix : ndarray of shape (n_classes, n_classes)
        ``p(y = c | y_ho = k)``, MAT's matrix at ``temperature``.
    temperature : float
        The temperature of ``transition_matrix``.
    conflicting_fraction : float
        Share of examples the held-out models get wrong.
    memorized_fraction : float
        Share of examples the net fitted on all the data gets right and the
        held-out models get wrong.
    recovered_fraction, control_fraction : float
        Held-out accuracy on the conflicting examples of the check nets and of
        the control nets; NaN without their probabilities or without
        conflicting examples.
    lift : float
        ``recovered_fraction - control_fraction``: what MAT's shift, and not
        retraining alone, gets right among the conflicting examples.
    control_error : float
        Share of all the examples the control nets get wrong on held-out data
        (NaN without ``control_proba``).
    verdict : {"shortcut", "hard_or_mislabelled", "nothing", "unchecked"}
        See :func:`memorization_report`.
    explanation : str
        The verdict in words, with the numbers behind it.
    """

    def __repr__(self):
        header = ("group", "count", "in-sample", "held-out", "check", "control")
        header += ("score",)

        def cell(value):
            return "-" if np.isnan(value) else f"{value:.3f}"

        rows = [
            (name, str(int(count)), *(cell(v) for v in values))
            for name, count, *values in zip(
                self.group_names,
                self.count,
                self.in_sample_accuracy,
                self.holdout_accuracy,
                self.check_accuracy,
                self.control_accuracy,
                self.mean_score,
            )
        ]
        widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
        n = int(np.sum(self.count))
        lines = [
            f"MemorizationReport: {n} example{'s' * (n != 1)}, "
            f"{len(rows)} inferred group{'s' * (len(rows) != 1)}",
            "  ".join(h.rjust(w) for h, w in zip(header, widths)),
        ]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        lines.append(f"verdict: {self.verdict}")
        lines.append(self.explanation)
        return "\n".join(lines)

    __str__ = __repr__

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(type(self))))


def _percent(value):
    return f"{100 * value:.1f}%"


def _explain(verdict, conflicting, memorized, fitted, recovered, control, error):
    """The verdict in words, with the numbers behind it."""
    seen = (
        f"held-out models get {_percent(conflicting)} of the examples wrong (the "
        "conflicting groups)"
    )
    if verdict == "nothing" and conflicting < CONFLICTING_MIN:
        return (
            f"Nothing stands apart: {seen}, fewer than {_percent(CONFLICTING_MIN)}; "
            f"the net fitted on all the data memorizes {_percent(memorized)} of "
            "the examples."
        )
    if verdict == "nothing":
        return (
            f"Nothing stands apart: {seen}, but the net trained plainly on the "
            f"same folds as the check gets all but {_percent(error)} of the "
            f"examples right on held-out data (fewer than "
            f"{_percent(CONFLICTING_MIN)}): the held-out models' mistakes are "
            "theirs, not a rule of the data the net fails to learn."
        )
    if fitted >= 0.5:
        how = (
            f"the net fitted on all the data gets {_percent(fitted)} of them "
            "right, by memorizing them"
        )
    else:
        how = (
            f"the net fitted on all the data gets only {_percent(fitted)} of them "
            "right: it follows the same rule"
        )
    if verdict == "unchecked":
        return (
            f"Memorized or hard examples: {seen}; {how}. Without check_proba and "
            "control_proba (held-out probabilities of nets trained with and "
            "without MAT's shift) a shortcut cannot be told from hard or "
            "mislabelled examples; skmat.diagnosis.MemorizationDiagnosis "
            "computes them."
        )
    found = (
        f"on held-out data, nets trained with MAT's shift get {_percent(recovered)} "
        f"of them right and nets trained plainly {_percent(control)} (lift "
        f"{recovered - control:.2f}; a shortcut from {LIFT_MIN:.2f})"
    )
    if verdict == "shortcut":
        kind = "memorizes around" if fitted >= 0.5 else "follows"
        return (
            f"A shortcut the net {kind}: {seen}; {how}; {found}: a rule "
            "that holds for the conflicting examples exists and plain training "
            "does not learn it. MAT (skmat.MATClassifier) is made for this case."
        )
    return (
        f"Hard or mislabelled examples, no shortcut: {seen}; {how}; {found}: "
        "nothing in the inputs supports their labels that MAT could learn. MAT "
        "would train on this residual; plain training (or MAT with a temperature "
        ">= 1) suits such data."
    )


def _group_accuracy(right, inferred, groups):
    if right is None:
        return np.full(len(groups), np.nan)
    return np.array([right[inferred == g].mean() for g in groups], dtype=np.float64)


def memorization_report(
    y_true: ArrayLike,
    train_proba: ArrayLike,
    holdout_proba: ArrayLike,
    *,
    check_proba: ArrayLike | None = None,
    control_proba: ArrayLike | None = None,
    classes: ArrayLike | None = None,
    temperature: float = 0.1,
) -> MemorizationReport:
    """Memorization scores, inferred groups, their accuracies and a verdict.

    From probabilities of the same training examples: a net fitted on all of
    them (``train_proba``), held-out models (``holdout_proba``) and, for the
    verdict, held-out nets trained with MAT's shift (``check_proba``) and
    trained plainly (``control_proba``), on the same folds.
    :class:`MemorizationDiagnosis` trains all of them; this function only
    computes.

    The verdict:

    * ``"nothing"`` when fewer than :data:`CONFLICTING_MIN` of the examples are
      conflicting (the held-out models get almost everything right), or the
      control nets get wrong fewer than :data:`CONFLICTING_MIN` of them (the
      held-out models' mistakes are theirs: weaker models than the net, such as
      XRM twins trained on half the rows, miss what the net learns);
    * otherwise ``"shortcut"`` when the ``lift``, the check nets' held-out
      accuracy on the conflicting examples minus the control nets', is at least
      :data:`LIFT_MIN`: MAT's shift finds a rule for them that plain training
      does not learn; else ``"hard_or_mislabelled"``;
    * ``"unchecked"`` when there are conflicting examples but no
      ``check_proba`` or ``control_proba``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    train_proba : array-like of shape (n_samples, n_classes)
        Class probabilities of a net fitted on all the examples, on them.
    holdout_proba : array-like of shape (n_samples, n_classes)
        Held-out class probabilities (row ``i`` from a model that did not train
        on example ``i``).
    check_proba : array-like of shape (n_samples, n_classes), default=None
        Held-out class probabilities of nets trained with MAT's shift (from
        ``holdout_proba``: :func:`skmat.transition.mat_shift`), for example by
        :func:`~sklearn.model_selection.cross_val_predict` of a
        :class:`~skmat.nets.MATNeuralNetClassifier` given
        ``params={"mat_shift": shift}``.
    control_proba : array-like of shape (n_samples, n_classes), default=None
        Held-out class probabilities of the same nets trained plainly, on the
        same folds, with another seed than the held-out models.
    classes : array-like of shape (n_classes,), default=None
        The label of each probability column; ``None`` uses the sorted labels
        of ``y_true``.
    temperature : float, default=0.1
        Temperature of MAT's transition matrix (:func:`skmat.transition.sharpen`).

    Returns
    -------
    report : MemorizationReport

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.diagnosis import memorization_report
    >>> y = np.array([0] * 50 + [1] * 50)
    >>> held_out = np.tile([[0.9, 0.1]], (100, 1)); held_out[50:] = [0.1, 0.9]
    >>> held_out[:5] = [0.2, 0.8]                  # five examples held-out wrong
    >>> train = np.eye(2)[y] * 0.98 + 0.01         # all fitted in-sample
    >>> report = memorization_report(y, train, held_out)
    >>> report.group_names
    ['0, agreeing', '0, conflicting', '1, agreeing']
    >>> report.memorized_fraction, report.verdict
    (0.05, 'unchecked')
    >>> check = held_out.copy(); check[:5] = [0.7, 0.3]  # MAT's nets get them
    >>> report = memorization_report(y, train, held_out, check_proba=check,
    ...                              control_proba=held_out)
    >>> report.lift, report.verdict
    (1.0, 'shortcut')
    """
    y, classes, y_index = _check_y(y_true, classes)
    n, n_classes = len(y), len(classes)
    train = _check_proba(train_proba, "train_proba", n, n_classes)
    held_out = _check_proba(holdout_proba, "holdout_proba", n, n_classes)
    right = {}
    for name, proba in (("check_proba", check_proba), ("control_proba", control_proba)):
        if proba is not None:
            proba = _check_proba(proba, name, n, n_classes)
            right[name] = proba.argmax(axis=1) == y_index
    train_conf = _true_class_proba(train, y_index)
    holdout_conf = _true_class_proba(held_out, y_index)
    score = train_conf - holdout_conf
    inferred = infer_groups(y_index, held_out, classes=np.arange(n_classes))
    conflicting = inferred % 2 == 1
    train_right = train.argmax(axis=1) == y_index
    holdout_right = held_out.argmax(axis=1) == y_index

    groups = np.unique(inferred)
    names = []
    for group in groups:
        label, is_conflicting = divmod(int(group), 2)
        side = "conflicting" if is_conflicting else "agreeing"
        names.append(f"{python_value(classes[label])}, {side}")

    conflicting_fraction = float(conflicting.mean())
    memorized_fraction = float(np.mean(train_right & ~holdout_right))
    fitted = float(train_right[conflicting].mean()) if conflicting.any() else np.nan
    recovered = control = np.nan
    if conflicting.any():
        if "check_proba" in right:
            recovered = float(right["check_proba"][conflicting].mean())
        if "control_proba" in right:
            control = float(right["control_proba"][conflicting].mean())
    lift = recovered - control
    control_error = (
        float(1.0 - right["control_proba"].mean())
        if "control_proba" in right
        else np.nan
    )
    if conflicting_fraction < CONFLICTING_MIN or control_error < CONFLICTING_MIN:
        verdict = "nothing"
    elif np.isnan(lift):
        verdict = "unchecked"
    elif lift >= LIFT_MIN:
        verdict = "shortcut"
    else:
        verdict = "hard_or_mislabelled"
    q = sharpen(held_out, temperature)
    return MemorizationReport(
        classes=classes,
        score=score,
        train_confidence=train_conf,
        holdout_confidence=holdout_conf,
        inferred_groups=inferred,
        groups=groups,
        group_names=names,
        count=np.array([np.sum(inferred == g) for g in groups], dtype=np.int64),
        in_sample_accuracy=_group_accuracy(train_right, inferred, groups),
        holdout_accuracy=_group_accuracy(holdout_right, inferred, groups),
        check_accuracy=_group_accuracy(right.get("check_proba"), inferred, groups),
        control_accuracy=_group_accuracy(right.get("control_proba"), inferred, groups),
        mean_score=np.array([score[inferred == g].mean() for g in groups]),
        transition_matrix=transition_matrix(joint_matrix(q, y_index)),
        temperature=float(temperature),
        conflicting_fraction=conflicting_fraction,
        memorized_fraction=memorized_fraction,
        recovered_fraction=recovered,
        control_fraction=control,
        lift=lift,
        control_error=control_error,
        verdict=verdict,
        explanation=_explain(
            verdict,
            conflicting_fraction,
            memorized_fraction,
            fitted,
            recovered,
            control,
            control_error,
        ),
    )


# ------------------------------------------------------- reuse of fitted estimators
def training_holdout_proba(estimator: Any, X: ArrayLike | None = None) -> np.ndarray:
    """The held-out probabilities a fitted skmat estimator holds for its training rows.

    For reusing an estimator's held-out phase in a :class:`MemorizationDiagnosis`
    (``fit(X, y, holdout_proba=training_holdout_proba(clf, X))``) instead of
    training it again:

    * :class:`~skmat.MATClassifier` and :class:`MemorizationDiagnosis`: their
      ``holdout_proba_`` (cross-validation or XRM);
    * :class:`~skmat.baselines.XRMGroupDROClassifier`: the held-out twin's
      probabilities of each training row (needs the training ``X``, in the
      order it was fitted);
    * :class:`~skmat.baselines.LogitCorrectionClassifier` with ``bias="xrm"``
      (or given ``bias_proba``): its ``bias_proba_``.

    Other estimators (and LC's default ``bias="gce"``, whose bias net trained on
    the same rows) hold no held-out probabilities: a ``TypeError`` says so.

    Parameters
    ----------
    estimator : fitted skmat estimator
        See above.
    X : array-like, sparse matrix, dict or SliceDataset, default=None
        The training input, for the estimators that predict again.

    Returns
    -------
    holdout_proba : ndarray of shape (n_samples, n_classes)
        Columns in ``estimator.classes_`` order.

    Examples
    --------
    >>> from skmat import MATClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.diagnosis import training_holdout_proba
    >>> from skmat.mlp import mlp_net
    >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
    >>> clf = MATClassifier(mlp_net((16,), max_epochs=20), random_state=0).fit(X, y)
    >>> training_holdout_proba(clf).shape
    (200, 2)
    """
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if hasattr(estimator, "holdout_proba_"):
        return np.asarray(estimator.holdout_proba_, dtype=np.float64)
    twins = getattr(estimator, "xrm_", None)
    if twins is not None and hasattr(twins, "held_out_proba"):
        if X is None:
            raise TypeError(
                f"{name} predicts its training rows again with the held-out twin: "
                "pass the training X, training_holdout_proba(estimator, X)."
            )
        X = check_X(estimator, X)
        expected = len(twins.xrm_assignment_)
        if n_rows(X) != expected:
            raise ValueError(
                f"X has {n_rows(X)} rows but {name} was fitted on {expected}; pass "
                "its training X, in the order it was fitted."
            )
        return twins.held_out_proba(for_nets(X))
    if hasattr(estimator, "bias_proba_"):
        if getattr(estimator, "bias", None) == "xrm" or (
            getattr(estimator, "bias_estimator_", None) is None
        ):
            return np.asarray(estimator.bias_proba_, dtype=np.float64)
        raise TypeError(
            f"{name}'s bias model (bias={estimator.bias!r}) trained on the same "
            "rows it predicts: its probabilities are not held-out. Fit it with "
            "bias='xrm', or let MemorizationDiagnosis compute held-out ones."
        )
    raise TypeError(
        f"{name} holds no held-out probabilities of its training rows; "
        "MATClassifier, XRMGroupDROClassifier, LogitCorrectionClassifier(bias='xrm') "
        "and MemorizationDiagnosis do."
    )


# ----------------------------------------------------------------- the estimator
class MemorizationDiagnosis(MetaEstimatorMixin, BaseEstimator):
    """Which examples a net memorizes, and whether a shortcut is there.

    ``fit(X, y)`` trains four things on the labelled data and compares them
    (:func:`memorization_report`):

    1. the net fitted on all the data, with the plain loss: its confidence in
       each example's label (``train_proba_``) is what memorization achieves;
    2. held-out models, by cross-validation (``holdout="cv"``) or XRM twins
       (``holdout="xrm"``), trained for the net's own epochs: what a model
       that never saw the example predicts (``holdout_proba_``). Their mistakes
       infer the groups;
    3. check nets: copies of the net trained with MAT's shift (the shift
       :func:`skmat.transition.mat_shift` computes from ``holdout_proba_`` at
       ``temperature``, in the net's loss as :class:`~skmat.MATClassifier`
       puts it) on the ``cv`` folds, each predicting the rows it did not train
       on (``check_proba_``);
    4. control nets: copies of the net trained plainly on the same folds, with
       another seed than the held-out models (``control_proba_``).

    The check and control nets' held-out accuracy on the conflicting examples
    tells a shortcut (MAT's shift finds a rule for them, plain training does
    not: a large ``lift``) from hard or mislabelled examples (both get the same
    few right). They are skipped when fewer than :data:`CONFLICTING_MIN` of the
    examples are conflicting.

    Cost, in trainings of the net (K folds of ``cv``): ``1 + K + 2K`` with
    ``holdout="cv"``: one on all the rows, K on ``(K-1)/K`` of them for the
    held-out phase, K check and K control nets on the same folds (``1 + K``
    when the held-out models leave fewer than :data:`CONFLICTING_MIN`
    conflicting); with ``holdout="xrm"``, one on all the rows, one twin run
    (two copies trained together, each on half the rows: counted as 2) and
    the 2K check and control nets. The default (``cv=5``) is 16 trainings, or
    6; ``cv=3`` makes it 10 (the thresholds were measured with 5). Giving
    ``holdout_proba`` (from a fitted :class:`~skmat.MATClassifier`:
    :func:`training_holdout_proba`) saves the held-out phase, ``train_proba``
    (a fitted net's ``predict_proba(X)``) the first training. ``n_fits_``
    records what a fit ran.

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The net to diagnose (copied, never modified), as for
        :class:`~skmat.MATClassifier`; ``None`` uses :func:`skmat.mlp.mlp_net`.
        It is trained on all the data, copied for the held-out phase (unless
        ``holdout_estimator`` is given) and for the check.
    holdout : {"cv", "xrm"}, default="cv"
        Where the held-out probabilities come from, as for
        :class:`~skmat.MATClassifier`.
    holdout_estimator : classifier with ``predict_proba``, default=None
        The held-out model (any scikit-learn classifier with ``holdout="cv"``,
        a skorch net with either); ``None`` uses ``estimator``.
    cv : int, cross-validation generator or iterable, default=5
        Folds of the held-out phase (``holdout="cv"``) and of the check; an
        int is a :class:`~sklearn.model_selection.StratifiedKFold`. With
        ``holdout="xrm"`` or a given ``holdout_proba`` it splits the check
        only. Every class needs at least as many examples as folds.
    temperature : float, default=0.1
        MAT's temperature, for the transition matrix and the check nets.
    device : str or torch.device, default=None
        Torch device of the nets made from ``estimator``; ``None`` keeps the
        net's own.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    random_state : int, RandomState instance or None, default=None
        Seeds the nets; the same value and data give the same report.
    verbose : int, default=0
        ``1`` prints the phases.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit (tables only).
    estimator_ : skorch net or None
        The net fitted on all the data (None when ``train_proba`` was given).
    train_proba_, holdout_proba_ : ndarray of shape (n_samples, n_classes)
        Probabilities of the net fitted on all the data and held-out ones,
        columns in ``classes_`` order.
    check_proba_, control_proba_ : ndarray of shape (n_samples, n_classes) or None
        Held-out probabilities of the check nets and of the control nets
        (None when skipped).
    holdout_estimators_ : list of fitted classifiers
        With ``holdout="cv"`` (and no ``holdout_proba``): the fold models.
    xrm_ : skorch net
        With ``holdout="xrm"``: the fitted twin net.
    memorization_score_ : ndarray of shape (n_samples,)
        The memorization score of each training example.
    inferred_groups_ : ndarray of shape (n_samples,)
        ``2 * label_index + conflicting`` of each training example.
    report_ : MemorizationReport
        Everything above per group, the transition matrix and the verdict.
    verdict_ : str
        ``report_.verdict``: ``"shortcut"``, ``"hard_or_mislabelled"`` or
        ``"nothing"``.
    n_fits_ : dict
        Trainings run by ``fit``: ``{"all_data": 0 or 1, "holdout": K, 2 (the
        XRM twins) or 0, "check": K or 0, "control": K or 0}``.

    See Also
    --------
    memorization_report : The computation, from probabilities you have.
    skmat.plot.MemorizationDisplay : The report as a figure.

    Examples
    --------
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.diagnosis import MemorizationDiagnosis
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 50, random_state=0)
    >>> diagnosis = MemorizationDiagnosis(mlp_net((32,), max_epochs=40), cv=2,
    ...                                   random_state=0).fit(X, y)
    >>> diagnosis.memorization_score_.shape, diagnosis.n_fits_["holdout"]
    ((200,), 2)
    >>> diagnosis.verdict_ in {"shortcut", "hard_or_mislabelled", "nothing"}
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "holdout_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "holdout": [StrOptions({"cv", "xrm"})],
        "cv": ["cv_object"],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: NeuralNet | None = None,
        *,
        holdout: Literal["cv", "xrm"] = "cv",
        holdout_estimator: Any = None,
        cv: int | BaseCrossValidator | Iterable | None = 5,
        temperature: float = 0.1,
        device: str | torch.device | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.holdout = holdout
        self.holdout_estimator = holdout_estimator
        self.cv = cv
        self.temperature = temperature
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        holdout_proba: ArrayLike | None = None,
        train_proba: ArrayLike | None = None,
    ) -> MemorizationDiagnosis:
        """Train the net on all the data, the held-out models and the check nets.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Training input: a numeric table or anything the network takes
            (:ref:`user_guide_inputs`).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        holdout_proba : array-like of shape (n_samples, n_classes), default=None
            Held-out probabilities you have (columns in sorted label order):
            a fitted :class:`~skmat.MATClassifier`'s ``holdout_proba_``,
            :func:`training_holdout_proba` of another estimator, or
            :func:`~sklearn.model_selection.cross_val_predict` with
            ``method="predict_proba"``; no held-out model is trained.
        train_proba : array-like of shape (n_samples, n_classes), default=None
            Probabilities of a net already fitted on all of ``X`` (its
            ``predict_proba(X)``); the net is not trained again.

        Returns
        -------
        self : MemorizationDiagnosis
            Fitted; a failed fit leaves the estimator as it was.
        """
        with fit_transaction(self):
            reject_torch_module(self.estimator, "estimator")
            reject_torch_module(self.holdout_estimator, "holdout_estimator")
            self._validate_params()
            return self._fit(X, y, holdout_proba, train_proba)

    def _log(self, message):
        if self.verbose:
            print(f"[MemorizationDiagnosis] {message}")

    def _net(self, X, n_classes, device, seed, template=None, name="estimator"):
        return make_net(
            self.estimator if template is None else template,
            X=X,
            n_classes=n_classes,
            device=device,
            seed=seed,
            verbose=self.verbose,
            name=name,
        )

    def _fit(self, X, y, holdout_proba, train_proba):
        X, y_enc, classes = check_fit_data(self, X, y)
        n, n_classes = n_rows(X), len(classes)
        device = check_device(self.device)
        holdout_seed, final_seed, check_seed, control_seed = spawn_seeds(
            self.random_state, 4
        )
        X_net = for_nets(X)
        n_fits = {"all_data": 0, "holdout": 0, "check": 0, "control": 0}
        held_out = {}
        # Everything that can be refused is, before any training: the given
        # probabilities, the folds (of the held-out phase and of the check; the
        # XRM twins split the rows their own way) and the XRM template.
        if train_proba is not None:
            train_proba = check_holdout_proba(
                train_proba, n, n_classes, name="train_proba"
            )
        if holdout_proba is not None:
            holdout_proba = check_holdout_proba(holdout_proba, n, n_classes)
        splits = self._splits(X, y_enc, classes)
        if holdout_proba is None and self.holdout == "xrm":
            self._check_xrm_template()

        if train_proba is not None:
            train, net = train_proba, None
        else:
            net = self._net(X, n_classes, device, final_seed)
            self._log(f"training the net on all {n} rows")
            net.fit(X_net, y_enc)
            check_trained(net, X)
            train = checked_output(net.predict_proba, X_net)
            train = train / train.sum(axis=1, keepdims=True)
            n_fits["all_data"] = 1

        if holdout_proba is not None:
            proba = holdout_proba
        elif self.holdout == "xrm":
            proba, twins = self._xrm(X, X_net, y_enc, n_classes, device, holdout_seed)
            held_out = {"xrm_": twins}
            n_fits["holdout"] = 2
        else:
            proba, models = self._cv(
                X, X_net, y_enc, n_classes, device, splits, holdout_seed
            )
            held_out = {"holdout_estimators_": models}
            n_fits["holdout"] = len(splits)

        conflicting = np.mean(proba.argmax(axis=1) != y_enc)
        check = control = None
        if conflicting >= CONFLICTING_MIN:
            check, _ = self._check(
                X, X_net, y_enc, n_classes, device, proba, splits, check_seed
            )
            control, _ = self._control(
                X, X_net, y_enc, n_classes, device, splits, control_seed
            )
            n_fits["check"] = n_fits["control"] = len(splits)

        report = memorization_report(
            classes[y_enc],
            train,
            proba,
            check_proba=check,
            control_proba=control,
            classes=classes,
            temperature=self.temperature,
        )
        if "xrm_" in held_out and report.verdict == "shortcut":
            report.explanation += (
                " With XRM held-out models, problems without a shortcut were "
                "measured above LIFT_MIN too (benchmarks/diagnosis.py): confirm "
                "with holdout='cv', the route the thresholds were set on."
            )
        self.classes_ = classes
        self.estimator_ = net
        self.train_proba_ = train
        self.holdout_proba_ = proba
        self.check_proba_ = check
        self.control_proba_ = control
        for name, value in held_out.items():
            setattr(self, name, value)
        self.memorization_score_ = report.score
        self.inferred_groups_ = report.inferred_groups
        self.report_ = report
        self.verdict_ = report.verdict
        self.n_fits_ = n_fits
        return self

    def _splits(self, X, y, classes):
        cv = check_cv(self.cv, y, classifier=True)
        X_split = splitter_X(X)
        counts = np.bincount(y, minlength=len(classes))
        n_splits = cv.get_n_splits(X_split, y)
        if hasattr(cv, "n_splits") and counts.min() < n_splits:
            smallest = classes[np.argmin(counts)]
            raise ValueError(
                f"cv={self.cv!r} asks for {n_splits} folds, but class "
                f"{python_value(smallest)!r} has only {counts.min()} example(s): "
                "every class needs at least as many examples as folds. Lower cv "
                "or add examples."
            )
        return list(cv.split(X_split, y))

    def _holdout_template(self, X, n_classes, device, seed):
        """The held-out model: a net (from ``holdout_estimator`` or
        ``estimator``) or a seeded copy of a scikit-learn classifier."""
        template = self.holdout_estimator
        if template is None:
            return self._net(X, n_classes, device, seed), True
        if isinstance(template, SKORCH_CLASSIFIERS):
            net = self._net(X, n_classes, None, seed, template, "holdout_estimator")
            return net, True
        return seed_estimator(clone(template), seed), False

    def _cv(self, X, X_net, y, n_classes, device, splits, seed):
        holdout, is_net = self._holdout_template(X, n_classes, device, seed)
        self._log(
            f"held-out probabilities from {len(splits)} folds of "
            f"{type(holdout).__name__}"
        )
        return cross_val_holdout_proba(
            holdout,
            X_net if is_net else X,
            y,
            splits=splits,
            n_classes=n_classes,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )

    def _check_xrm_template(self):
        template = self.holdout_estimator
        if template is not None and not isinstance(template, SKORCH_CLASSIFIERS):
            raise TypeError(
                "holdout='xrm' trains two twin networks, so holdout_estimator must "
                "be a skorch NeuralNetClassifier or None (a copy of estimator); got "
                f"{type(template).__name__}. Use holdout='cv' for a scikit-learn "
                "classifier."
            )

    def _xrm(self, X, X_net, y, n_classes, device, seed):
        template = self.holdout_estimator
        self._log("held-out probabilities from XRM twins")
        proba, twins = fit_xrm(
            self.estimator if template is None else template,
            X_net,
            y,
            n_classes=n_classes,
            device=device if template is None else None,
            random_state=seed,
            verbose=self.verbose,
        )
        return proba, twins

    def _control(self, X, X_net, y, n_classes, device, splits, seed):
        net = self._net(X, n_classes, device, seed)
        self._log(f"control: {len(splits)} nets trained plainly")
        return cross_val_holdout_proba(
            net,
            X_net,
            y,
            splits=splits,
            n_classes=n_classes,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )

    def _check(self, X, X_net, y, n_classes, device, proba, splits, seed):
        # MAT's shift of every row, computed once; each check net trains on its
        # fold's rows of it (MATClassifier's guard and warnings play no part:
        # the check asks what the shifted loss itself learns).
        shift = mat_shift(proba, y, self.temperature).shift
        net = self._net(X, n_classes, device, seed)
        self._log(f"check: {len(splits)} nets trained with MAT's shift")
        return cross_val_holdout_proba(
            net,
            X_net,
            y,
            splits=splits,
            n_classes=n_classes,
            n_jobs=self.n_jobs,
            params={SHIFT_PARAM: shift},
            verbose=self.verbose,
        )
