"""Tests of skmat.metrics: group accuracies, group inference, scorers."""

import pickle

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
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
    group_accuracy_report,
    infer_groups,
    inferred_mean_group_scorer,
    inferred_worst_group_scorer,
    make_group_scorer,
    make_inferred_group_scorer,
    mean_group_accuracy,
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
