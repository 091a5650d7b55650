"""Tests of skmat.metrics: group accuracies, group inference, scorers."""

import pickle

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedKFold,
    cross_val_predict,
    cross_validate,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skmat.datasets import make_spurious_classification
from skmat.metrics import (
    GroupAccuracyReport,
    bootstrap_group_metric,
    expected_calibration_error,
    group_accuracy_report,
    group_calibration_error,
    infer_groups,
    inferred_mean_group_scorer,
    inferred_worst_group_scorer,
    make_group_scorer,
    make_inferred_group_scorer,
    mean_group_accuracy,
    train_weighted_accuracy,
    worst_class_accuracy,
    worst_class_scorer,
    worst_group_accuracy,
)


def routing():
    return sklearn.config_context(enable_metadata_routing=True)


# ----------------------------------------------------------------- group accuracies


def test_report_on_hand_made_arrays():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    y_pred = np.array([0, 0, 1, 0, 1, 1, 0, 1, 0, 0])
    groups = np.array([2, 2, 2, 2, 0, 0, 0, 1, 1, 1])
    # group 0: 2/3 right, group 1: 1/3, group 2: 3/4; overall 6/10
    report = group_accuracy_report(y_true, y_pred, groups=groups)
    assert isinstance(report, GroupAccuracyReport)
    np.testing.assert_array_equal(report.groups, [0, 1, 2])
    np.testing.assert_allclose(report.accuracy, [2 / 3, 1 / 3, 3 / 4])
    np.testing.assert_array_equal(report.count, [3, 3, 4])
    assert report.overall_accuracy == pytest.approx(0.6)
    assert report.worst_group_accuracy == pytest.approx(1 / 3)
    assert report.worst_group == 1
    assert report.mean_group_accuracy == pytest.approx((2 / 3 + 1 / 3 + 3 / 4) / 3)
    # Bunch: keys double as attributes
    assert report["count"] is report.count
    assert worst_group_accuracy(y_true, y_pred, groups=groups) == pytest.approx(1 / 3)
    assert mean_group_accuracy(y_true, y_pred, groups=groups) == pytest.approx(
        (2 / 3 + 1 / 3 + 3 / 4) / 3
    )
    assert isinstance(worst_group_accuracy(y_true, y_pred, groups=groups), float)


def test_string_groups_and_labels_and_printing():
    y_true = ["cat", "cat", "dog", "dog", "dog"]
    y_pred = ["cat", "dog", "dog", "dog", "cat"]
    groups = ["indoor", "outdoor", "indoor", "outdoor", "outdoor"]
    report = group_accuracy_report(y_true, y_pred, groups=groups)
    assert list(report.groups) == ["indoor", "outdoor"]
    np.testing.assert_allclose(report.accuracy, [1.0, 1 / 3])
    assert report.worst_group == "outdoor"
    text = repr(report)
    assert text == str(report)
    assert "2 groups, 5 samples" in text
    assert "'outdoor'     0.333      3" in text
    assert "worst 0.333 (group 'outdoor')" in text


def test_single_group_equals_accuracy():
    y_true, y_pred = [1, 0, 1, 1], [1, 1, 1, 0]
    report = group_accuracy_report(y_true, y_pred, groups=np.zeros(4))
    assert report.worst_group_accuracy == report.overall_accuracy == 0.5
    assert "1 group, 4 samples" in repr(report)


def test_two_dimensional_groups_are_combined_keys():
    y_true = np.array([0, 0, 1, 1, 1, 0])
    y_pred = np.array([0, 1, 1, 0, 1, 0])
    attribute = np.array([0, 0, 1, 1, 0, 1])
    report = group_accuracy_report(
        y_true, y_pred, groups=np.column_stack([y_true, attribute])
    )
    assert [tuple(g) for g in report.groups] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(isinstance(g, tuple) for g in report.groups)
    flat = group_accuracy_report(y_true, y_pred, groups=2 * y_true + attribute)
    np.testing.assert_allclose(report.accuracy, flat.accuracy)
    np.testing.assert_array_equal(report.count, flat.count)
    assert report.worst_group == (0, 0)
    assert "(0, 0)" in repr(report)


def test_list_of_mixed_tuples_keeps_types():
    groups = [(0, "a"), (0, "a"), (1, "b"), (1, "b")]
    report = group_accuracy_report(
        [0, 0, 1, 1], [0, 1, 1, 1], groups=groups, expected_groups=[(1, "b"), (0, "a")]
    )
    assert list(report.groups) == [(1, "b"), (0, "a")]  # expected_groups' order
    np.testing.assert_allclose(report.accuracy, [1.0, 0.5])


def test_pandas_inputs_and_to_frame():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"label": [0, 0, 1, 1], "place": ["in", "out", "in", "out"]})
    report = group_accuracy_report(
        pd.Series([0, 0, 1, 1]), pd.Series([0, 1, 1, 1]), groups=frame
    )
    assert list(report.groups) == [(0, "in"), (0, "out"), (1, "in"), (1, "out")]
    table = report.to_frame()
    assert list(table.columns) == ["accuracy", "count"]
    assert table.loc[[(0, "out")], "accuracy"].item() == 0.0
    series = group_accuracy_report(
        [0, 1, 1], [0, 1, 0], groups=pd.Series(["a", "b", "b"])
    )
    assert series.to_frame().loc["b", "accuracy"] == 0.5


def test_unorderable_group_values_keep_first_seen_order():
    groups = np.array(["b", 1, "b", 1], dtype=object)
    report = group_accuracy_report([0, 0, 1, 1], [0, 0, 1, 0], groups=groups)
    assert list(report.groups) == ["b", 1]
    np.testing.assert_allclose(report.accuracy, [1.0, 0.5])


def test_wrong_lengths():
    with pytest.raises(ValueError, match=r"groups has 3 entries but y_true has 4"):
        worst_group_accuracy([0, 1, 0, 1], [0, 1, 0, 1], groups=[0, 1, 0])
    with pytest.raises(ValueError, match=r"y_pred has 3 entries but y_true has 4"):
        worst_group_accuracy([0, 1, 0, 1], [0, 1, 0], groups=[0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"groups has 2 entries but y_true has 3"):
        worst_group_accuracy([0, 1, 0], [0, 1, 0], groups=[(0, 1), (1, 1)])


def test_empty_and_malformed_inputs():
    with pytest.raises(ValueError, match="y_true is empty"):
        group_accuracy_report([], [], groups=[])
    with pytest.raises(ValueError, match="y_pred must be a 1-D"):
        group_accuracy_report([0, 1], [[0, 1], [1, 0]], groups=[0, 1])
    with pytest.raises(ValueError, match="scalar"):
        group_accuracy_report([0, 1], [0, 1], groups=3)
    with pytest.raises(ValueError, match="NaN"):
        group_accuracy_report([0, 1], [0, 1], groups=[0.0, np.nan])
    with pytest.raises(ValueError, match="different types"):
        group_accuracy_report(["a", "b"], [0, 1], groups=[0, 1])


def test_missing_groups_explains_routing():
    with pytest.raises(TypeError, match="groups is required.*metadata routing"):
        worst_group_accuracy([0, 1], [0, 1])


def test_expected_groups():
    y_true, y_pred = [0, 0, 1, 1], [0, 1, 1, 1]
    with pytest.raises(ValueError, match=r"group 'minority' of expected_groups has no"):
        worst_group_accuracy(
            y_true, y_pred, groups=["a"] * 4, expected_groups=["a", "minority"]
        )
    with pytest.raises(ValueError, match=r"not in expected_groups: \['b'\]"):
        worst_group_accuracy(
            y_true, y_pred, groups=["a", "a", "b", "b"], expected_groups=["a"]
        )
    with pytest.raises(ValueError, match="twice"):
        worst_group_accuracy(y_true, y_pred, groups=[0] * 4, expected_groups=[0, 0])
    report = group_accuracy_report(
        y_true, y_pred, groups=[3, 3, 1, 1], expected_groups=np.array([3, 1])
    )
    np.testing.assert_array_equal(report.groups, [3, 1])
    np.testing.assert_allclose(report.accuracy, [0.5, 1.0])
    assert report.worst_group == 3


# --------------------------------------------- train-weighted and worst-class accuracy


def _three_groups():
    """Group "a": 2 of 2 right (1.0), "b": 2 of 4 (0.5), "c": 1 of 4 (0.25)."""
    y_true = np.array([0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    y_pred = np.array([0, 0, 1, 1, 0, 0, 0, 1, 1, 1])
    groups = np.array(["a", "a", "b", "b", "b", "b", "c", "c", "c", "c"])
    return y_true, y_pred, groups


def test_train_weighted_accuracy_by_hand():
    y_true, y_pred, groups = _three_groups()
    # training proportions 0.6 / 0.3 / 0.1, listed in no particular order
    train_groups = np.array(list("acabaabaab"))
    assert [np.mean(train_groups == g) for g in "abc"] == pytest.approx([0.6, 0.3, 0.1])
    # 0.6 * 1.0 + 0.3 * 0.5 + 0.1 * 0.25 = 0.6 + 0.15 + 0.025
    value = train_weighted_accuracy(
        y_true, y_pred, groups=groups, train_groups=train_groups
    )
    assert isinstance(value, float)
    assert value == pytest.approx(0.775)
    # the two other averages of the same group accuracies differ:
    # test proportions 0.2 / 0.4 / 0.4 give (2 + 2 + 1) / 10, uniform weights
    # (1 + 0.5 + 0.25) / 3
    assert np.mean(y_true == y_pred) == pytest.approx(0.5)
    assert mean_group_accuracy(y_true, y_pred, groups=groups) == pytest.approx(1.75 / 3)
    # only the proportions matter, not the size of the training set
    assert train_weighted_accuracy(
        y_true, y_pred, groups=groups, train_groups=np.repeat(list("abc"), [12, 6, 2])
    ) == pytest.approx(0.775)
    # training proportions equal to the test ones give the plain accuracy...
    assert train_weighted_accuracy(
        y_true, y_pred, groups=groups, train_groups=groups
    ) == pytest.approx(0.5)
    # ...uniform ones the mean group accuracy
    assert train_weighted_accuracy(
        y_true, y_pred, groups=groups, train_groups=["c", "b", "a"]
    ) == pytest.approx(1.75 / 3)


def test_train_weighted_accuracy_with_two_dimensional_and_numpy_groups():
    y_true, y_pred, groups = _three_groups()
    code = {"a": (0, 0), "b": (0, 1), "c": (1, 1)}
    groups_2d = np.array([code[g] for g in groups])
    train_2d = [code[g] for g in "aaaaaabbbc"]  # a list of tuples
    assert train_weighted_accuracy(
        y_true, y_pred, groups=groups_2d, train_groups=train_2d
    ) == pytest.approx(0.775)
    # numpy integers in one and Python ints in the other are the same groups
    ids = np.array([{"a": 0, "b": 1, "c": 2}[g] for g in groups], dtype=np.int64)
    assert train_weighted_accuracy(
        y_true, y_pred, groups=ids, train_groups=[0] * 6 + [1] * 3 + [2]
    ) == pytest.approx(0.775)


def test_train_weighted_accuracy_errors():
    y_true, y_pred, groups = _three_groups()
    with pytest.raises(
        ValueError, match=r"groups contains 1 group\(s\) not in train_groups: \['c'\]"
    ):
        train_weighted_accuracy(y_true, y_pred, groups=groups, train_groups=["a", "b"])
    with pytest.raises(
        ValueError,
        match=r"group 'd' of train_groups has no examples in the evaluated set",
    ):
        train_weighted_accuracy(
            y_true, y_pred, groups=groups, train_groups=["a", "b", "c", "d"]
        )
    with pytest.raises(ValueError, match="train_groups is empty"):
        train_weighted_accuracy(y_true, y_pred, groups=groups, train_groups=[])
    with pytest.raises(ValueError, match="train_groups must be array-like"):
        train_weighted_accuracy(y_true, y_pred, groups=groups, train_groups=3)
    with pytest.raises(ValueError, match="train_groups.*NaN"):
        train_weighted_accuracy(y_true, y_pred, groups=groups, train_groups=[np.nan])
    with pytest.raises(TypeError, match="groups is required.*metadata routing"):
        train_weighted_accuracy(y_true, y_pred, train_groups=["a", "b", "c"])
    with pytest.raises(ValueError, match="groups has 3 entries but y_true has 10"):
        train_weighted_accuracy(
            y_true, y_pred, groups=["a", "b", "c"], train_groups=["a", "b", "c"]
        )


def test_worst_class_accuracy_on_an_imbalanced_case():
    # "a": 5 of 6 right, "b": 2 of 3, "c": 1 of 2; plain accuracy 8 / 11
    y_true = np.array(list("aaaaaabbbcc"))
    y_pred = np.array(list("aaaaabbbaca"))
    assert np.mean(y_true == y_pred) == pytest.approx(8 / 11)
    value = worst_class_accuracy(y_true, y_pred)
    assert isinstance(value, float)
    assert value == pytest.approx(0.5)
    assert value == pytest.approx(recall_score(y_true, y_pred, average=None).min())
    assert worst_class_accuracy(y_true, y_pred, labels=["c", "a", "b"]) == 0.5
    # a predicted label that is no class is simply wrong: "a" drops to 4 / 6
    y_pred_z = np.array(list("zaaaabbbaca"))
    assert worst_class_accuracy(y_true, y_pred_z, labels=list("abc")) == 0.5
    y_pred_zz = np.array(list("zzzzabbbaca"))  # "a": 1 of 6
    assert worst_class_accuracy(y_true, y_pred_zz) == pytest.approx(1 / 6)


def test_worst_class_accuracy_errors():
    y_true, y_pred = [0, 0, 1, 1], [0, 1, 1, 1]
    with pytest.raises(
        ValueError, match=r"class 2 of labels has no examples in the evaluated set"
    ):
        worst_class_accuracy(y_true, y_pred, labels=[0, 1, 2])
    with pytest.raises(
        ValueError, match=r"y_true contains 1 class\(es\) not in labels: \[1\]"
    ):
        worst_class_accuracy(y_true, y_pred, labels=[0])
    with pytest.raises(ValueError, match="labels lists class 1 twice"):
        worst_class_accuracy(y_true, y_pred, labels=[0, 1, 1])
    with pytest.raises(ValueError, match="y_true .* and labels .* different types"):
        worst_class_accuracy(y_true, y_pred, labels=["0", "1"])
    with pytest.raises(ValueError, match="labels is empty"):
        worst_class_accuracy(y_true, y_pred, labels=[])
    with pytest.raises(ValueError, match="y_pred has 3 entries but y_true has 4"):
        worst_class_accuracy(y_true, y_pred[:3])


# -------------------------------------------------------------------- calibration

# Six top-label predictions of three classes; with 2 bins:
#   bin (0, 0.5]:   confidences 0.4 (right), 0.45 (wrong), 0.4 (right):
#                   accuracy 2/3, mean confidence 1.25/3, gap 0.75/3 = 0.25
#   bin (0.5, 1]:   confidences 0.9 (right), 0.8 (wrong), 0.7 (right):
#                   accuracy 2/3, mean confidence 2.4/3, gap 0.4/3 = 2/15
#   ECE = 3/6 * 0.25 + 3/6 * 2/15 = 1/8 + 1/15 = 23/120
# With 1 bin: |4/6 - 3.65/6| = 0.35/6 = 7/120.
_PROBA = np.array(
    [
        [0.4, 0.3, 0.3],
        [0.2, 0.45, 0.35],
        [0.3, 0.3, 0.4],
        [0.9, 0.05, 0.05],
        [0.1, 0.8, 0.1],
        [0.0, 0.3, 0.7],
    ]
)
_Y_CAL = np.array([0, 2, 2, 0, 0, 2])


def test_expected_calibration_error_by_hand():
    value = expected_calibration_error(_Y_CAL, _PROBA, classes=[0, 1, 2], n_bins=2)
    assert isinstance(value, float)
    assert value == pytest.approx(23 / 120)
    assert expected_calibration_error(
        _Y_CAL, _PROBA, classes=[0, 1, 2], n_bins=1
    ) == pytest.approx(7 / 120)
    # the columns follow classes: permuting both changes nothing
    assert expected_calibration_error(
        _Y_CAL, _PROBA[:, [2, 0, 1]], classes=[2, 0, 1], n_bins=2
    ) == pytest.approx(23 / 120)
    # string labels
    names = np.array(["cat", "cow", "dog"])
    assert expected_calibration_error(
        names[_Y_CAL], _PROBA, classes=names, n_bins=2
    ) == pytest.approx(23 / 120)
    # the default classes: the sorted labels of y_true
    y_two = np.array([0, 1, 0, 1])
    proba_two = np.array([[0.875, 0.125], [0.25, 0.75], [0.375, 0.625], [0.75, 0.25]])
    # (0.5, 0.75]: 0.75 right, 0.625 wrong, 0.75 wrong -> |1 - 2.125|;
    # (0.75, 1]: 0.875 right -> |1 - 0.875|; (1.125 + 0.125) / 4
    assert expected_calibration_error(y_two, proba_two, n_bins=4) == pytest.approx(
        1.25 / 4
    )


def test_expected_calibration_error_bin_edges():
    # bins (0, 0.5] and (0.5, 1]: 0.5 belongs to the first, 1.0 to the last.
    y = [0, 1, 0]
    proba = [[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]  # right, wrong, right
    # (0, 0.5]: |1 - 0.5| = 0.5; (0.5, 1]: |1 - 1.75| = 0.75; (0.5 + 0.75) / 3
    # (were 0.5 in the upper bin: |2 - 2.25| / 3 = 1/12)
    assert expected_calibration_error(y, proba, n_bins=2) == pytest.approx(1.25 / 3)
    # with 4 bins, 0.75 is in (0.5, 0.75] and 0.8 in (0.75, 1]:
    # |0 - 0.75| + |1 - 0.8| over 2 (were they in one bin: |1 - 1.55| / 2)
    y, proba = [1, 0], [[0.75, 0.25], [0.8, 0.2]]
    assert expected_calibration_error(y, proba, n_bins=4) == pytest.approx(0.95 / 2)
    # calibrated: confidence 0.75 and 3 of 4 right, in any number of bins
    y, proba = [0, 0, 0, 1], [[0.75, 0.25]] * 4
    for n_bins in (1, 3, 15, 100):
        assert expected_calibration_error(y, proba, n_bins=n_bins) == 0.0
    # a confident and always wrong model
    assert expected_calibration_error([1, 1], [[1.0, 0.0]] * 2, classes=[0, 1]) == 1.0


def test_expected_calibration_error_errors():
    y = np.array([0, 1, 1])
    proba = np.array([[0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    # scikit-learn's check_scalar: a ValueError out of range, a TypeError for a
    # non-integer, each naming the parameter.
    with pytest.raises(ValueError, match=r"n_bins == 0, must be >= 1"):
        expected_calibration_error(y, proba, n_bins=0)
    with pytest.raises(TypeError, match=r"n_bins must be an instance of int"):
        expected_calibration_error(y, proba, n_bins=2.5)
    with pytest.raises(
        ValueError, match="y_proba has 3 probability columns but there are 2 classes"
    ):
        expected_calibration_error(y, np.full((3, 3), 1 / 3))
    with pytest.raises(
        ValueError, match="y_proba has 2 probability columns but there are 3 classes"
    ):
        expected_calibration_error(y, proba, classes=[0, 1, 2])
    with pytest.raises(
        ValueError, match=r"y_proba has shape \(3,\); expected \(3, 2\)"
    ):
        expected_calibration_error(y, proba[:, 0])
    with pytest.raises(
        ValueError, match=r"y_proba has shape \(2, 2\); expected \(3, 2\)"
    ):
        expected_calibration_error(y, proba[:2])
    with pytest.raises(ValueError, match="between 0 and 1"):
        expected_calibration_error(y, proba * 2)
    with pytest.raises(ValueError, match="y_proba must not contain NaN"):
        expected_calibration_error(y, np.where(proba > 0.7, np.nan, proba))
    with pytest.raises(ValueError, match=r"y_true contains label\(s\) \[5\]"):
        expected_calibration_error([0, 5, 1], proba, classes=[0, 1])
    with pytest.raises(ValueError, match="classes has repeated labels"):
        expected_calibration_error(y, proba, classes=[0, 0])
    with pytest.raises(ValueError, match="y_true is empty"):
        expected_calibration_error([], np.empty((0, 2)))


def test_group_calibration_error():
    # rows 0-2 (group 1) fill the lower bin, rows 3-5 (group 0) the upper one:
    # group 1: |2 - 1.25| / 3 = 0.25; group 0: |2 - 2.4| / 3 = 2/15
    groups = np.array([1, 1, 1, 0, 0, 0])
    errors = group_calibration_error(
        _Y_CAL, _PROBA, groups=groups, classes=[0, 1, 2], n_bins=2
    )
    assert list(errors) == [0, 1]  # sorted group order
    assert all(type(key) is int for key in errors)
    assert errors[0] == pytest.approx(2 / 15)
    assert errors[1] == pytest.approx(0.25)
    # each group's error is the ECE of its rows, with the same classes
    for g in (0, 1):
        assert errors[g] == pytest.approx(
            expected_calibration_error(
                _Y_CAL[groups == g], _PROBA[groups == g], classes=[0, 1, 2], n_bins=2
            )
        )
    # 2-D groups give tuple keys; string groups their strings
    two_d = group_calibration_error(
        _Y_CAL,
        _PROBA,
        groups=np.column_stack([groups, groups]),
        classes=[0, 1, 2],
        n_bins=2,
    )
    assert two_d == pytest.approx({(0, 0): 2 / 15, (1, 1): 0.25})
    named = group_calibration_error(
        _Y_CAL,
        _PROBA,
        groups=np.where(groups == 1, "low", "high"),
        classes=[0, 1, 2],
        n_bins=2,
    )
    assert list(named) == ["high", "low"]
    # no example of class 1: the default classes (0 and 2) miss a column
    with pytest.raises(
        ValueError, match="3 probability columns but there are 2 classes in y_true"
    ):
        group_calibration_error(_Y_CAL, _PROBA, groups=groups)
    with pytest.raises(ValueError, match="groups has 5 entries but y_true has 6"):
        group_calibration_error(_Y_CAL, _PROBA, groups=groups[:5], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="n_bins == -1, must be >= 1"):
        group_calibration_error(_Y_CAL, _PROBA, groups=groups, n_bins=-1)


# ---------------------------------------------------------------------- bootstrap


def _noisy_groups(n_per_group=(50, 30, 20), accuracy=(0.9, 0.7, 0.6), seed=0):
    rng = np.random.RandomState(seed)
    groups = np.repeat(np.arange(len(n_per_group)), n_per_group)
    y_true = rng.randint(2, size=len(groups))
    right = rng.uniform(size=len(groups)) < np.asarray(accuracy)[groups]
    return y_true, np.where(right, y_true, 1 - y_true), groups


def test_bootstrap_is_reproducible_and_brackets_the_estimate():
    y_true, y_pred, groups = _noisy_groups()
    result = bootstrap_group_metric(
        worst_group_accuracy, y_true, y_pred, groups=groups, n_boot=300, random_state=0
    )
    assert set(result) == {"estimate", "low", "high", "confidence_level", "samples"}
    assert result.estimate == worst_group_accuracy(y_true, y_pred, groups=groups)
    assert result.samples.shape == (300,)
    assert result.confidence_level == 0.95
    assert result.low <= result.estimate <= result.high
    assert result.low < result.high
    assert [result.low, result.high] == pytest.approx(
        np.quantile(result.samples, [0.025, 0.975])
    )
    again = bootstrap_group_metric(
        worst_group_accuracy, y_true, y_pred, groups=groups, n_boot=300, random_state=0
    )
    np.testing.assert_array_equal(again.samples, result.samples)
    assert (again.low, again.high) == (result.low, result.high)
    # a RandomState seeded the same draws the same; another seed draws others
    same = bootstrap_group_metric(
        worst_group_accuracy,
        y_true,
        y_pred,
        groups=groups,
        n_boot=300,
        random_state=np.random.RandomState(0),
    )
    np.testing.assert_array_equal(same.samples, result.samples)
    other = bootstrap_group_metric(
        worst_group_accuracy, y_true, y_pred, groups=groups, n_boot=300, random_state=1
    )
    assert not np.array_equal(other.samples, result.samples)
    # the names are the metrics
    named = bootstrap_group_metric(
        "worst_group", y_true, y_pred, groups=groups, n_boot=300, random_state=0
    )
    np.testing.assert_array_equal(named.samples, result.samples)
    mean = bootstrap_group_metric(
        "mean_group", y_true, y_pred, groups=groups, n_boot=300, random_state=0
    )
    assert mean.estimate == mean_group_accuracy(y_true, y_pred, groups=groups)
    assert np.all(mean.samples >= result.samples)  # mean >= worst on each resample
    # a narrower coverage gives a narrower interval from the same samples
    narrow = bootstrap_group_metric(
        "worst_group",
        y_true,
        y_pred,
        groups=groups,
        n_boot=300,
        confidence_level=0.5,
        random_state=0,
    )
    assert result.low <= narrow.low <= narrow.high <= result.high
    assert [narrow.low, narrow.high] == pytest.approx(
        np.quantile(result.samples, [0.25, 0.75])
    )


def test_bootstrap_resamples_with_replacement_within_each_group():
    groups = np.repeat(["a", "b", "c"], [7, 4, 1])
    n = len(groups)
    calls = []

    def rows_metric(y_true, y_pred, *, groups):
        rows = np.asarray(y_pred)  # the predictions are the row numbers
        calls.append(rows)
        assert np.array_equal(y_true, 100 + rows)  # y_true taken at the same rows
        return float(np.mean(groups[rows] == groups))  # same group at each row

    def size_of_b(y_true, y_pred, *, groups):
        return float(np.sum(groups[np.asarray(y_pred)] == "b"))

    ids = np.arange(n)
    result = bootstrap_group_metric(
        rows_metric, 100 + ids, ids, groups=groups, n_boot=50, random_state=0
    )
    assert len(calls) == 51  # the estimate, then each resample
    np.testing.assert_array_equal(calls[0], ids)
    np.testing.assert_array_equal(result.samples, np.ones(50))
    for rows in calls[1:]:
        np.testing.assert_array_equal(
            np.bincount(np.searchsorted(["a", "b", "c"], groups[rows])), [7, 4, 1]
        )
        assert rows[-1] == n - 1  # a group of one is always its own row
    # with replacement: some rows repeat, and the resamples differ
    assert any(len(np.unique(rows)) < n for rows in calls[1:])
    assert len({tuple(rows) for rows in calls[1:]}) > 1
    sizes = bootstrap_group_metric(
        size_of_b, ids, ids, groups=groups, n_boot=50, random_state=0
    )
    np.testing.assert_array_equal(sizes.samples, np.full(50, 4.0))
    assert sizes.low == sizes.high == sizes.estimate == 4.0


def test_bootstrap_of_probabilities_and_metric_params():
    rng = np.random.RandomState(0)
    groups = np.repeat([0, 1], [40, 20])
    y_true = rng.randint(3, size=60)
    proba = rng.dirichlet(np.ones(3), size=60)
    proba[np.arange(60), y_true] += 1.0  # argmax is the true label
    proba /= proba.sum(axis=1, keepdims=True)

    def argmax_right(y_true, y_proba, *, groups):
        return float(np.mean(np.argmax(y_proba, axis=1) == y_true))

    result = bootstrap_group_metric(
        argmax_right, y_true, proba, groups=groups, n_boot=30, random_state=0
    )
    # rows of y_true and of the 2-D y_pred are taken together
    np.testing.assert_array_equal(result.samples, np.ones(30))

    def worst_group_ece(y_true, y_proba, *, groups, **params):
        return max(
            group_calibration_error(y_true, y_proba, groups=groups, **params).values()
        )

    ece = bootstrap_group_metric(
        worst_group_ece,
        y_true,
        proba,
        groups=groups,
        n_boot=30,
        random_state=0,
        classes=[0, 1, 2],
        n_bins=5,
    )
    assert ece.estimate == pytest.approx(
        worst_group_ece(y_true, proba, groups=groups, classes=[0, 1, 2], n_bins=5)
    )
    assert np.ptp(ece.samples) > 0
    # train_groups reaches train_weighted_accuracy unchanged
    y_pred = np.argmax(proba, axis=1)
    y_pred[:10] = (y_pred[:10] + 1) % 3  # group 0: 30 of 40 right, group 1: all
    weighted = bootstrap_group_metric(
        train_weighted_accuracy,
        y_true,
        y_pred,
        groups=groups,
        n_boot=30,
        random_state=0,
        train_groups=[0, 1, 1, 1],
    )
    assert weighted.estimate == pytest.approx(0.25 * 0.75 + 0.75 * 1.0)


def test_bootstrap_interval_narrows_with_more_rows():
    # group 0: 30 of 40 right, group 1: 12 of 20 right (the worst, 0.6)
    groups = np.repeat([0, 1], [40, 20])
    y_true = np.zeros(60, dtype=int)
    y_pred = np.r_[np.zeros(30), np.ones(10), np.zeros(12), np.ones(8)].astype(int)

    def width(repeat):
        result = bootstrap_group_metric(
            "worst_group",
            np.tile(y_true, repeat),
            np.tile(y_pred, repeat),
            groups=np.tile(groups, repeat),
            n_boot=300,
            random_state=0,
        )
        assert result.estimate == pytest.approx(0.6)
        assert result.low <= 0.6 <= result.high
        return result.high - result.low

    small, large = width(1), width(10)
    # the spread shrinks as 1 / sqrt(n): about 3.2 times narrower
    assert 0 < large < 0.5 * small


def test_bootstrap_errors():
    y_true, y_pred, groups = [0, 1, 0, 1], [0, 1, 1, 1], [0, 0, 1, 1]
    for n_boot, error in [(0, ValueError), (-3, ValueError), (1.5, TypeError)]:
        with pytest.raises(error, match=r"n_boot (==|must be an instance of int)"):
            bootstrap_group_metric(
                "worst_group", y_true, y_pred, groups=groups, n_boot=n_boot
            )
    for level in (0, 1, 1.5, -0.1, 95, True, "0.95", None):
        error = TypeError if isinstance(level, (str, type(None))) else ValueError
        with pytest.raises(error, match=r"confidence_level (==|must be an instance)"):
            bootstrap_group_metric(
                "worst_group", y_true, y_pred, groups=groups, confidence_level=level
            )
    with pytest.raises(ValueError, match=r"metric must be a callable.*'mean_group'"):
        bootstrap_group_metric("best_group", y_true, y_pred, groups=groups)
    with pytest.raises(ValueError, match="metric must be a callable"):
        bootstrap_group_metric(3, y_true, y_pred, groups=groups)
    with pytest.raises(ValueError, match=r"y_pred has shape \(3,\); expected \(4,\)"):
        bootstrap_group_metric("worst_group", y_true, y_pred[:3], groups=groups)
    with pytest.raises(ValueError, match="groups has 3 entries but y_true has 4"):
        bootstrap_group_metric("worst_group", y_true, y_pred, groups=groups[:3])
    with pytest.raises(TypeError, match="groups is required"):
        bootstrap_group_metric("worst_group", y_true, y_pred, groups=None)
    with pytest.raises(ValueError, match="metric must return a single number"):
        bootstrap_group_metric(
            lambda yt, yp, groups: {"a": 1.0}, y_true, y_pred, groups=groups
        )
    one = bootstrap_group_metric(
        "worst_group", y_true, y_pred, groups=groups, n_boot=1, random_state=0
    )
    assert one.samples.shape == (1,)
    assert one.low == one.high == one.samples[0]


# ---------------------------------------------------------------- group inference


def test_infer_groups_labels_probabilities_and_any_rule():
    y = np.array(["cat", "cat", "dog", "dog"])
    labels = ["cat", "dog", "dog", "dog"]
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    np.testing.assert_array_equal(infer_groups(y, labels), [0, 1, 2, 2])
    np.testing.assert_array_equal(
        infer_groups(y, proba, classes=["cat", "dog"]), [0, 0, 2, 3]
    )
    both = infer_groups(y, labels, proba)
    np.testing.assert_array_equal(both, [0, 1, 2, 3])
    assert both.dtype == np.int64
    # a 3-D stack (n_models, n_samples, n_classes) is the same as separate arguments
    stack = np.stack([proba, proba[:, ::-1]])
    np.testing.assert_array_equal(
        infer_groups(y, stack), infer_groups(y, proba, proba[:, ::-1])
    )
    # the encoding: label_index, conflicting = divmod(group, 2)
    label_index, conflicting = divmod(both, 2)
    np.testing.assert_array_equal(label_index, [0, 0, 1, 1])
    np.testing.assert_array_equal(conflicting, [0, 1, 0, 1])


def test_infer_groups_classes_fix_the_ids():
    # Only class 2 in the set: its ids are 4/5 given classes, 0/1 without.
    y, pred = [2, 2], [2, 0]
    np.testing.assert_array_equal(infer_groups(y, pred, classes=[0, 1, 2]), [4, 5])
    proba = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    np.testing.assert_array_equal(infer_groups(y, proba, classes=[0, 1, 2]), [4, 5])


def test_infer_groups_errors():
    y = np.array([0, 1, 1])
    with pytest.raises(ValueError, match=r"y_true contains label\(s\) \[7\]"):
        infer_groups([0, 7, 1], [0, 1, 1], classes=[0, 1])
    with pytest.raises(ValueError, match=r"y_true contains label\(s\) \['c'\]"):
        infer_groups(["a", "c"], ["a", "a"], classes=["a", "b"])
    with pytest.raises(ValueError, match=r"predictions\[1\] contains label\(s\) \[5\]"):
        infer_groups(y, [0, 1, 1], [0, 5, 1])
    with pytest.raises(ValueError, match="pass classes="):
        infer_groups(y, [0, 2, 1])
    with pytest.raises(ValueError, match="3 probability columns but there are 2"):
        infer_groups(y, np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="as separate arguments"):
        infer_groups(y, [[0, 1, 1], [0, 1, 0]])  # a list of label arrays
    with pytest.raises(ValueError, match="at least one held-out prediction"):
        infer_groups(y)
    with pytest.raises(ValueError, match="y_true is empty"):
        infer_groups([], [])
    with pytest.raises(ValueError, match="repeated"):
        infer_groups(y, y, classes=[0, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        infer_groups(y, np.array([[np.nan, 1.0], [0, 1], [0, 1]]))
    with pytest.raises(ValueError, match=r"predictions\[0\] contains .*\['a', 'b'\]"):
        infer_groups(y, ["a", "b", "b"])
    with pytest.raises(ValueError, match=r"y_true contains label\(s\) \[0, 1\]"):
        infer_groups(y, y, classes=["0", "1"])


def test_infer_groups_recovers_the_minority():
    # A held-out model that only sees the shortcut is wrong exactly where the
    # shortcut disagrees with the label, i.e. on the minority groups.
    X, y, groups = make_spurious_classification(
        600, 4, majority_fraction=0.85, random_state=0
    )
    minority = groups // 2 != groups % 2  # groups = 2 * y + attribute
    proba = cross_val_predict(
        LogisticRegression(), X[:, [1]], y, cv=5, method="predict_proba"
    )
    conflicting = infer_groups(y, proba, classes=[0, 1]) % 2 == 1
    precision = (conflicting & minority).sum() / conflicting.sum()
    recall = (conflicting & minority).sum() / minority.sum()
    assert precision >= 0.95
    assert recall >= 0.95
    inferred = infer_groups(y, proba, classes=[0, 1])
    np.testing.assert_array_equal(inferred // 2, y)


# ------------------------------------------------------------------------ scorers


def _take_column(X, column):
    return X[:, [column]]


def _shortcut_problem(n=600, seed=0):
    """Column 0: a noisy core feature (~85% right in every group); column 1: a
    clean shortcut right on the 90% majority and wrong on the minority."""
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    attribute = np.where(rng.uniform(size=n) < 0.9, y, 1 - y)
    core = (2 * y - 1) + rng.normal(scale=0.95, size=n)
    shortcut = (2 * attribute - 1) + rng.normal(scale=0.1, size=n)
    return np.column_stack([core, shortcut]), y, 2 * y + attribute


def _column_search(scoring, **kwargs):
    pipe = Pipeline(
        [
            ("select", FunctionTransformer(_take_column, kw_args={"column": 0})),
            ("clf", LogisticRegression()),
        ]
    )
    grid = {"select__kw_args": [{"column": 0}, {"column": 1}]}
    return GridSearchCV(pipe, grid, scoring=scoring, **kwargs)


def test_group_scorer_in_grid_search_picks_the_robust_model():
    X, y, groups = _shortcut_problem()
    # Plain accuracy prefers the shortcut...
    by_accuracy = _column_search("accuracy", cv=3).fit(X, y)
    assert by_accuracy.best_params_ == {"select__kw_args": {"column": 1}}
    # ...worst-group accuracy, with the true groups routed to the scorer, does not.
    with routing():
        search = _column_search(make_group_scorer("worst_group"), cv=3)
        search.fit(X, y, groups=groups)
    assert search.best_params_ == {"select__kw_args": {"column": 0}}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] > 0.7 and scores[1] < 0.3


def test_group_scorer_with_plain_logistic_regression_and_multimetric():
    X, y, groups = _shortcut_problem()
    with routing():
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.01, 1.0]},
            scoring={
                "worst": make_group_scorer(),
                "mean": make_group_scorer("mean_group"),
                "accuracy": "accuracy",
            },
            refit="worst",
            cv=StratifiedKFold(3),
        )
        search.fit(X, y, groups=groups)
    results = search.cv_results_
    assert np.all(results["mean_test_worst"] <= results["mean_test_mean"])
    assert np.all(np.isfinite(results["mean_test_worst"]))
    assert search.best_index_ == np.argmax(results["mean_test_worst"])


def test_group_scorer_matches_the_metric_in_cross_validate():
    X, y, groups = _shortcut_problem()
    cv = StratifiedKFold(3)
    with routing():
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=cv,
            scoring=make_group_scorer(),
            params={"groups": groups},
            return_estimator=True,
        )
    for (_, test), model, score in zip(
        cv.split(X, y), result["estimator"], result["test_score"]
    ):
        expected = worst_group_accuracy(
            y[test], model.predict(X[test]), groups=groups[test]
        )
        assert score == pytest.approx(expected)


def test_group_scorer_with_group_splitter_needs_an_alias():
    X, y, groups = _shortcut_problem()
    folds = np.arange(len(y)) % 4  # e.g. subjects, for GroupKFold
    with routing():
        scorer = make_group_scorer().set_score_request(groups="eval_groups")
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=GroupKFold(4),
            scoring=scorer,
            params={"groups": folds, "eval_groups": groups},
            return_indices=True,
            return_estimator=True,
        )
    for test, model, score in zip(
        result["indices"]["test"], result["estimator"], result["test_score"]
    ):
        assert len(np.unique(folds[test])) == 1  # split by folds...
        expected = worst_group_accuracy(  # ...scored by the spurious groups
            y[test], model.predict(X[test]), groups=groups[test]
        )
        assert score == pytest.approx(expected)


def test_group_scorer_without_routing_says_what_to_do():
    X, y, groups = _shortcut_problem(n=60)
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [1.0]},
        scoring=make_group_scorer(),
        cv=3,
        error_score="raise",
    )
    with (
        pytest.raises(TypeError, match="metadata routing"),
        pytest.warns(UserWarning, match="groups parameter is ignored"),
    ):
        search.fit(X, y, groups=groups)


def test_group_scorer_expected_groups_flags_a_fold_without_a_group():
    X, y, groups = _shortcut_problem(n=90)
    with routing():
        scorer = make_group_scorer(expected_groups=[0, 1, 2, 3, 4])
        with pytest.raises(ValueError, match=r"of expected_groups has no.*4\]"):
            cross_validate(
                LogisticRegression(),
                X,
                y,
                cv=3,
                scoring=scorer,
                params={"groups": groups},
                error_score="raise",
            )


def test_group_scorer_is_picklable_and_checks_metric():
    scorer = pickle.loads(pickle.dumps(make_group_scorer("mean_group")))
    assert scorer._get_metadata_request().score.requests == {"groups": True}
    with pytest.raises(ValueError, match="metric must be one of"):
        make_group_scorer("best_group")
    with pytest.raises(ValueError, match="metric must be one of"):
        make_inferred_group_scorer("accuracy")


def test_train_weighted_scorer_in_cross_validate():
    X, y, groups = _shortcut_problem()
    balanced = np.repeat([0, 1, 2, 3], 5)  # uniform training proportions
    cv = StratifiedKFold(3)
    with routing():
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=cv,
            scoring={
                "train": make_group_scorer("train_weighted", train_groups=groups),
                "balanced": make_group_scorer("train_weighted", train_groups=balanced),
            },
            params={"groups": groups},
            return_estimator=True,
        )
    for (_, test), model, train, uniform in zip(
        cv.split(X, y),
        result["estimator"],
        result["test_train"],
        result["test_balanced"],
    ):
        y_pred = model.predict(X[test])
        assert train == pytest.approx(
            train_weighted_accuracy(
                y[test], y_pred, groups=groups[test], train_groups=groups
            )
        )
        # uniform weights: the mean group accuracy, far from the plain accuracy
        assert uniform == pytest.approx(
            mean_group_accuracy(y[test], y_pred, groups=groups[test])
        )
        assert uniform < np.mean(y_pred == y[test]) - 0.05
    assert np.all(result["test_train"] > result["test_balanced"])


def test_train_weighted_scorer_errors():
    X, y, groups = _shortcut_problem(n=90)
    with pytest.raises(ValueError, match=r"metric='train_weighted' needs train_groups"):
        make_group_scorer("train_weighted")
    with pytest.raises(
        ValueError, match=r"train_groups applies only to metric='train_weighted'"
    ):
        make_group_scorer("worst_group", train_groups=groups)
    with pytest.raises(ValueError, match=r"train_groups applies only"):
        make_group_scorer("mean_group", train_groups=groups)
    with pytest.raises(ValueError, match="expected_groups does not apply"):
        make_group_scorer(
            "train_weighted", train_groups=groups, expected_groups=[0, 1, 2, 3]
        )
    with pytest.raises(ValueError, match="train_groups is empty"):
        make_group_scorer("train_weighted", train_groups=[])
    with pytest.raises(ValueError, match=r"metric must be one of .*'train_weighted'"):
        make_group_scorer("train_average", train_groups=groups)
    scorer = pickle.loads(
        pickle.dumps(make_group_scorer("train_weighted", train_groups=groups))
    )
    assert scorer._get_metadata_request().score.requests == {"groups": True}
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match="metadata routing"):
        scorer(model, X, y)  # no routing: no groups
    with routing():  # the training proportions are those of X: plain accuracy
        assert scorer(model, X, y, groups=groups) == pytest.approx(
            group_accuracy_report(y, model.predict(X), groups=groups).overall_accuracy
        )
    # a training group that a fold lacks fails loudly
    with routing():
        with pytest.raises(
            ValueError, match=r"of train_groups has no examples in the evaluated.*4\]"
        ):
            cross_validate(
                LogisticRegression(),
                X,
                y,
                cv=3,
                scoring=make_group_scorer(
                    "train_weighted", train_groups=np.r_[groups, 4]
                ),
                params={"groups": groups},
                error_score="raise",
            )


def _imbalanced_problem(n=400, seed=0):
    """10% of class 1, one feature that overlaps between the classes."""
    rng = np.random.RandomState(seed)
    y = (rng.uniform(size=n) < 0.1).astype(int)
    return (1.5 * y + rng.normal(size=n))[:, None], y


def test_worst_class_scorer_in_grid_search():
    X, y = _imbalanced_problem()
    grid = {"class_weight": [None, "balanced"]}
    cv = StratifiedKFold(3)
    # plain accuracy keeps the model that neglects the minority class...
    by_accuracy = GridSearchCV(LogisticRegression(), grid, cv=cv).fit(X, y)
    assert by_accuracy.best_params_ == {"class_weight": None}
    # ...the worst-class accuracy, with no groups at all, reweights
    search = GridSearchCV(
        LogisticRegression(), grid, scoring=worst_class_scorer, cv=cv
    ).fit(X, y)
    assert search.best_params_ == {"class_weight": "balanced"}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < 0.3 < 0.6 < scores[1]
    expected = [
        worst_class_accuracy(
            y[test],
            LogisticRegression(class_weight="balanced")
            .fit(X[train], y[train])
            .predict(X[test]),
        )
        for train, test in cv.split(X, y)
    ]
    assert scores[1] == pytest.approx(np.mean(expected))
    model = search.best_estimator_
    assert worst_class_scorer(model, X, y) == pytest.approx(
        worst_class_accuracy(y, model.predict(X))
    )
    assert pickle.loads(pickle.dumps(worst_class_scorer))(model, X, y) == (
        worst_class_scorer(model, X, y)
    )
    with routing():  # needs no metadata, so routing changes nothing
        routed = GridSearchCV(
            LogisticRegression(), grid, scoring=worst_class_scorer, cv=cv
        ).fit(X, y)
    np.testing.assert_allclose(routed.cv_results_["mean_test_score"], scores)


class ShortcutRuleClassifier(ClassifierMixin, BaseEstimator):
    """Fake MAT: thresholds one column; its "held-out model" is the shortcut rule."""

    def __init__(self, column=0):
        self.column = column

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return (np.asarray(X)[:, self.column] > 0).astype(int)

    def infer_groups(self, X, y):
        held_out = (np.asarray(X)[:, 1] > 0).astype(int)
        return infer_groups(y, held_out, classes=self.classes_)


def test_inferred_scorer_with_a_fake_estimator():
    X, y, groups = _shortcut_problem()
    clf = ShortcutRuleClassifier(column=1).fit(X, y)
    # The shortcut rule infers the true groups, so the scores agree with them.
    inferred = clf.infer_groups(X, y)
    np.testing.assert_array_equal(inferred, 2 * y + (y != groups % 2))
    for column in (0, 1):
        clf = ShortcutRuleClassifier(column=column).fit(X, y)
        pred = clf.predict(X)
        assert inferred_worst_group_scorer(clf, X, y) == pytest.approx(
            worst_group_accuracy(y, pred, groups=groups)
        )
        assert inferred_mean_group_scorer(clf, X, y) == pytest.approx(
            mean_group_accuracy(y, pred, groups=groups)
        )
    assert inferred_worst_group_scorer(ShortcutRuleClassifier(1).fit(X, y), X, y) == 0


def test_inferred_scorer_in_grid_search_needs_only_X_and_y():
    X, y, _ = _shortcut_problem()
    search = GridSearchCV(
        ShortcutRuleClassifier(),
        {"column": [1, 0]},
        scoring=inferred_worst_group_scorer,
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"column": 0}
    with routing():  # works the same with routing enabled
        search = GridSearchCV(
            ShortcutRuleClassifier(),
            {"column": [1, 0]},
            scoring={"worst": inferred_worst_group_scorer, "acc": "accuracy"},
            refit="worst",
            cv=3,
        ).fit(X, y)
    assert search.best_params_ == {"column": 0}


def test_inferred_scorer_through_a_pipeline():
    X, y, groups = _shortcut_problem()
    pipe = make_pipeline(
        FunctionTransformer(lambda Z: 3.0 * Z), ShortcutRuleClassifier(0)
    ).fit(X, y)
    assert inferred_worst_group_scorer(pipe, X, y) == pytest.approx(
        worst_group_accuracy(y, pipe.predict(X), groups=groups)
    )


def test_inferred_scorer_errors():
    X, y, _ = _shortcut_problem(n=40)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match=r"infer_groups\(X, y\).*LogisticRegression"):
        inferred_worst_group_scorer(model, X, y)
    with pytest.raises(TypeError, match="infer_groups"):
        inferred_worst_group_scorer(
            make_pipeline(StandardScaler(), model).fit(X, y), X, y
        )

    class BadLength(ShortcutRuleClassifier):
        def infer_groups(self, X, y):
            return np.zeros(len(y) - 1, dtype=int)

    with pytest.raises(ValueError, match="groups has 39 entries but y_true has 40"):
        inferred_worst_group_scorer(BadLength().fit(X, y), X, y)
    assert repr(inferred_worst_group_scorer) == (
        "make_inferred_group_scorer(metric='worst_group')"
    )
    assert pickle.loads(pickle.dumps(inferred_mean_group_scorer))(
        ShortcutRuleClassifier().fit(X, y), X, y
    ) == pytest.approx(
        inferred_mean_group_scorer(ShortcutRuleClassifier().fit(X, y), X, y)
    )


# --------------------------------------------------------------------- properties

_rows = st.lists(
    st.tuples(
        st.integers(0, 2), st.integers(0, 2), st.sampled_from(["a", "b", "c", "d"])
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, seed=st.integers(0, 2**16))
def test_property_order_and_permutation_invariance(rows, seed):
    y_true, y_pred, groups = (np.array(c) for c in zip(*rows))
    report = group_accuracy_report(y_true, y_pred, groups=groups)
    assert (
        report.worst_group_accuracy
        <= report.mean_group_accuracy + 1e-12
        <= report.accuracy.max() + 2e-12
    )
    assert report.worst_group_accuracy <= report.overall_accuracy + 1e-12
    assert report.count.sum() == len(rows)
    assert report.overall_accuracy == pytest.approx(
        np.average(report.accuracy, weights=report.count)
    )
    assert report.overall_accuracy == pytest.approx(np.mean(y_true == y_pred))

    perm = np.random.RandomState(seed).permutation(len(rows))
    permuted = group_accuracy_report(y_true[perm], y_pred[perm], groups=groups[perm])
    np.testing.assert_array_equal(permuted.groups, report.groups)
    np.testing.assert_allclose(permuted.accuracy, report.accuracy)
    np.testing.assert_array_equal(permuted.count, report.count)

    # Renaming the groups changes nothing but the names.
    renamed = group_accuracy_report(
        y_true, y_pred, groups=np.char.add("g_", groups.astype(str))
    )
    np.testing.assert_allclose(renamed.accuracy, report.accuracy)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
        min_size=1,
        max_size=40,
    )
)
def test_property_infer_groups_encoding(rows):
    y, first, second = (np.array(c) for c in zip(*rows))
    classes = np.arange(3)
    groups = infer_groups(y, first, second, classes=classes)
    label_index, conflicting = divmod(groups, 2)
    np.testing.assert_array_equal(label_index, y)
    np.testing.assert_array_equal(conflicting, (first != y) | (second != y))
    assert np.all((groups >= 0) & (groups < 2 * len(classes)))
    # probabilities whose argmax is the label give the same groups
    onehot = np.eye(3)[first]
    np.testing.assert_array_equal(
        infer_groups(y, onehot, second, classes=classes), groups
    )


# ------------------------------------------- inferred groups of one reference
def test_inferred_group_scorer_with_a_reference_scores_every_candidate_alike():
    import warnings

    from sklearn.linear_model import LogisticRegression

    from skmat import MATClassifier
    from skmat.datasets import make_spurious_splits
    from skmat.exceptions import MATFitWarning
    from skmat.metrics import make_inferred_group_scorer, worst_group_accuracy
    from skmat.mlp import mlp_net

    data = make_spurious_splits(300, 30, random_state=0)
    (X, y, _), (X_val, y_val, _) = data.train, data.valid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MATFitWarning)
        reference = MATClassifier(mlp_net((16,), max_epochs=20), random_state=0)
        reference.fit(X, y)
        candidates = [
            MATClassifier(mlp_net((16,), max_epochs=10), cv=2, random_state=1).fit(
                X, y
            ),
            MATClassifier(holdout_estimator=LogisticRegression(), random_state=2).fit(
                X, y
            ),
        ]
    groups = reference.infer_groups(X_val, y_val)
    alike = make_inferred_group_scorer("worst_group", reference=reference)
    own = make_inferred_group_scorer("worst_group")
    for candidate in candidates:
        y_pred = candidate.predict(X_val)
        assert alike(candidate, X_val, y_val) == worst_group_accuracy(
            y_val, y_pred, groups=groups
        )
        assert own(candidate, X_val, y_val) == worst_group_accuracy(
            y_val, y_pred, groups=candidate.infer_groups(X_val, y_val)
        )
    # The two candidates' own groupings differ, which is why the reference exists.
    assert not np.array_equal(
        candidates[0].infer_groups(X_val, y_val),
        candidates[1].infer_groups(X_val, y_val),
    )
    assert "reference=MATClassifier(...)" in repr(alike)


def test_inferred_group_scorer_refuses_a_reference_without_infer_groups():
    from sklearn.linear_model import LogisticRegression

    from skmat.metrics import make_inferred_group_scorer

    with pytest.raises(TypeError, match="reference to have an infer_groups"):
        make_inferred_group_scorer(reference=LogisticRegression())


def test_mean_inferred_group_does_not_reward_departing_from_the_reference_at_random():
    # On data without a shortcut the inferred conflicting rows are those the
    # reference gets wrong (mislabelled or hard ones). A candidate that departs
    # from the reference on a share of rows regardless of the group (a worse
    # model, not a better one) is right on that share of conflicting rows and
    # wrong on that share of agreeing rows. The worst inferred group rewards the
    # trade; the mean of the groups does not move.
    from skmat.metrics import make_inferred_group_scorer

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    reference_pred = y.copy()
    reference_pred[::10] ^= 1  # the reference is wrong on a tenth of the rows

    class Reference:
        def infer_groups(self, X, y_eval):
            return infer_groups(y_eval, reference_pred)

    class Fixed:
        def __init__(self, pred):
            self.pred = pred

        def predict(self, X):
            return self.pred

    groups = infer_groups(y, reference_pred)
    departing = reference_pred.copy()
    for g in np.unique(groups):  # exactly 30% of every inferred group
        rows = np.flatnonzero(groups == g)
        departing[rows[: int(0.3 * len(rows))]] ^= 1
    X = np.zeros((len(y), 1))
    worst = make_inferred_group_scorer("worst_group", reference=Reference())
    mean = make_inferred_group_scorer("mean_group", reference=Reference())
    assert worst(Fixed(reference_pred), X, y) == 0.0
    assert worst(Fixed(departing), X, y) == pytest.approx(0.3, abs=0.02)
    assert mean(Fixed(reference_pred), X, y) == pytest.approx(0.5)
    assert mean(Fixed(departing), X, y) == pytest.approx(0.5, abs=0.01)
    # A candidate that gets conflicting rows right without losing agreeing ones
    # (what undoing a shortcut does) gains on both criteria.
    learned = reference_pred.copy()
    conflicting = np.flatnonzero(groups % 2 == 1)
    learned[conflicting[: len(conflicting) // 2]] ^= 1
    assert mean(Fixed(learned), X, y) == pytest.approx(0.75, abs=0.01)
    assert worst(Fixed(learned), X, y) == pytest.approx(0.5, abs=0.05)
    # The default metric is the mean of the groups.
    assert make_inferred_group_scorer(reference=Reference())(
        Fixed(departing), X, y
    ) == mean(Fixed(departing), X, y)
