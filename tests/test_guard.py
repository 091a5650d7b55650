"""The guard of MATClassifier (skmat.guard): warnings on fits that likely went wrong,
the plain-loss fallback, and the held-out budget (holdout_epochs, holdout="auto")."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetClassifier

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_spurious_splits
from skmat.exceptions import MATFitWarning
from skmat.guard import accuracy_drop, left_to_learn, overprediction
from skmat.metrics import worst_group_accuracy
from skmat.mlp import mlp_net


def paper_net(n_features=1800, max_epochs=1000):
    """The Figure 1 model: a bias-free linear layer, full-batch SGD."""
    return NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=n_features,
        module__out_features=2,
        module__bias=False,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=1e-2,
        batch_size=-1,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
    )


# ------------------------------------------------------------ the measures
def test_left_to_learn_by_hand():
    y = np.array([0, 0, 0, 1])
    # An uninformative shift is the class prior: all the labels' information is
    # left to learn.
    prior = np.log(np.tile([0.75, 0.25], (4, 1)))
    assert left_to_learn(prior, y) == pytest.approx(1.0)
    # p(y_i) = 0.9 on every row: loss -log(0.9) over the entropy of (3/4, 1/4).
    shift = np.log(np.where(np.eye(2)[y] > 0, 0.9, 0.1))
    entropy = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert left_to_learn(shift, y) == pytest.approx(-np.log(0.9) / entropy)


def test_accuracy_drop_and_overprediction_by_hand():
    y = np.array([0, 0, 0, 0, 1, 2])
    proba = np.eye(3)[[0, 0, 0, 1, 1, 2]]  # held-out right on 5 of 6
    y_pred = np.array([0, 2, 2, 2, 1, 2])  # network right on 3 of 6
    assert accuracy_drop(y, proba, y_pred) == pytest.approx((5 / 6, 3 / 6))
    assert overprediction(y, y_pred, 3) == (2, 4.0)  # class 2: 4 predicted, 1 true


# ------------------------------------------------- the guard in MATClassifier
@pytest.mark.slow
def test_guard_falls_back_on_the_clean_figure1_problem_with_cv():
    # noise_std=0: nothing to memorize. 2-fold CV nets trained for the whole
    # budget learn the core feature, the shift explains every label (0.6% left
    # to learn) and the shifted net would keep its initial weights (worst-group
    # accuracy 0.0); the guard trains it plainly instead and says so.
    data = make_spurious_splits(1000, 1800, noise_std=0.0, random_state=0)
    (X, y, _), (X_test, y_test, groups_test) = data.train, data.test
    clf = MATClassifier(paper_net(), cv=2, holdout_epochs=None, random_state=0)
    with pytest.warns(MATFitWarning, match=r"leaves 0\.6% of the labels' inform"):
        clf.fit(X, y)
    assert clf.fallback_ is True
    assert clf.guard_.left_to_learn == pytest.approx(0.0059, abs=5e-4)
    assert worst_group_accuracy(y_test, clf.predict(X_test), groups=groups_test) == 1
    # The fallback net is the plain training of the same seeded net.
    erm = ERMClassifier(paper_net(), random_state=0).fit(X, y)
    assert np.mean(clf.predict(X_test) == erm.predict(X_test)) == 1.0


@pytest.mark.slow
def test_defaults_keep_the_figure1_result_without_a_warning():
    # The README's quick start with MAT's defaults (XRM twins for a tenth of the
    # net's 1000 epochs): no guard warning, worst-group accuracy 0.897 as the
    # full budget gives (benchmarks/results/controls.md).
    data = make_spurious_splits(1000, 1800, random_state=0)
    (X, y, _), (X_test, y_test, groups_test) = data.train, data.test
    with warnings.catch_warnings():
        warnings.simplefilter("error", MATFitWarning)
        clf = MATClassifier(paper_net(), random_state=0).fit(X, y)
    assert clf.fallback_ is False
    assert len(clf.xrm_.history) == 100  # holdout_epochs=0.1 of 1000
    wga = worst_group_accuracy(y_test, clf.predict(X_test), groups=groups_test)
    assert wga >= 0.85
    assert clf.guard_.train_accuracy == 1.0
    assert clf.guard_.holdout_accuracy == pytest.approx(0.907)


def _imbalanced():
    weights = [0.30, 0.2, 0.14, 0.1, 0.08, 0.06, 0.04, 0.03, 0.02, 0.03]
    X, y = make_classification(
        3000, 20, n_informative=10, n_classes=10, weights=weights, random_state=0
    )
    return X.astype(np.float32), y


def test_guard_warns_on_imbalanced_classes():
    # The shift holds the class prior, so the network learns balanced scores and
    # predicts the rarest classes several times too often: the guard says which.
    X, y = _imbalanced()
    clf = MATClassifier(holdout="cv", cv=5, holdout_epochs=None, random_state=0)
    with pytest.warns(MATFitWarning, match="predicts class 8 for") as record:
        clf.fit(X, y)
    assert clf.fallback_ is False
    assert clf.guard_.overpredicted_class == 8  # the rarest (2%)
    assert clf.guard_.overprediction > 3.0
    message = str(record[0].message)
    assert "ERMClassifier" in message and "temperature" in message


def test_guard_numbers_match_the_fitted_attributes():
    X, y = _imbalanced()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MATFitWarning)
        clf = MATClassifier(mlp_net(max_epochs=5), random_state=0).fit(X, y)
    y_enc = np.searchsorted(clf.classes_, y)
    assert clf.guard_.left_to_learn == pytest.approx(left_to_learn(clf.shift_, y_enc))
    assert clf.guard_.holdout_accuracy == pytest.approx(
        np.mean(clf.holdout_proba_.argmax(1) == y_enc)
    )
    assert clf.guard_.train_accuracy == pytest.approx(np.mean(clf.predict(X) == y))


def test_guard_warning_can_be_raised():
    X, y = _imbalanced()
    clf = MATClassifier(holdout="cv", cv=5, holdout_epochs=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MATFitWarning)
        with pytest.raises(MATFitWarning):
            clf.fit(X, y)
    assert not hasattr(clf, "estimator_")  # all or nothing: nothing half-fitted


# ------------------------------------------------------- the held-out budget
@pytest.fixture(scope="module")
def small():
    data = make_spurious_splits(200, 20, random_state=0)
    return data.train[0], data.train[1]


@pytest.mark.parametrize(
    "budget, epochs", [(None, 20), (0.1, 2), (0.25, 5), (1.0, 20), (3, 3), (1, 1)]
)
def test_holdout_epochs_sets_the_twins_epochs(small, budget, epochs):
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MATFitWarning)
        clf = MATClassifier(
            mlp_net((8,), max_epochs=20), holdout_epochs=budget, random_state=0
        ).fit(X, y)
    assert len(clf.xrm_.history) == epochs
    assert len(clf.estimator_.history) == 20


def test_holdout_epochs_sets_the_fold_nets_epochs(small):
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MATFitWarning)
        clf = MATClassifier(
            mlp_net((8,), max_epochs=20), cv=3, holdout_epochs=0.3, random_state=0
        ).fit(X, y)
    assert [len(m.history) for m in clf.holdout_estimators_] == [6, 6, 6]


@pytest.mark.parametrize(
    "params, kind",
    [
        ({}, "xrm"),
        ({"cv": 3}, "cv"),
        ({"holdout_estimator": LogisticRegression()}, "cv"),
        ({"holdout": "cv"}, "cv"),
        ({"holdout": "xrm", "cv": 3}, "xrm"),
    ],
)
def test_holdout_auto(small, params, kind):
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MATFitWarning)
        clf = MATClassifier(mlp_net((8,), max_epochs=4), random_state=0, **params)
        clf.fit(X, y)
    assert hasattr(clf, "xrm_") == (kind == "xrm")
    assert hasattr(clf, "holdout_estimators_") == (kind == "cv")


@pytest.mark.parametrize("budget", [0, -1, 1.5, 0.0, "all"])
def test_holdout_epochs_refuses_bad_values(small, budget):
    X, y = small
    clf = MATClassifier(mlp_net((8,), max_epochs=4), holdout_epochs=budget)
    with pytest.raises(InvalidParameterError, match="holdout_epochs"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


def test_guard_falls_back_on_given_probabilities_that_explain_every_label(small):
    # Held-out probabilities that are the labels themselves leave nothing to
    # learn: the plain loss trains the net, the same net ERM trains.
    X, y = small
    certain = np.eye(2)[y] * (1 - 2e-6) + 1e-6
    clf = MATClassifier(mlp_net((8,), max_epochs=5), random_state=0)
    with pytest.warns(MATFitWarning, match="the held-out probabilities you passed"):
        clf.fit(X, y, holdout_proba=certain)
    assert clf.fallback_ is True
    assert clf.guard_.left_to_learn < 1e-4
    assert not hasattr(clf, "xrm_")
