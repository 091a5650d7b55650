"""Held-out probabilities by cross-validation: equivalence, fold models, fold errors."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from skmat.holdout import (
    check_holdout_proba,
    cross_val_holdout_proba,
    proba_in_label_order,
)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_equals_cross_val_predict(data3, n_jobs):
    X, y, _ = data3
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    proba, models = cross_val_holdout_proba(
        LogisticRegression(), X, y, splits=splits, n_classes=3, n_jobs=n_jobs
    )
    expected = cross_val_predict(
        LogisticRegression(), X, y, cv=splits, method="predict_proba"
    )
    np.testing.assert_allclose(proba, expected, rtol=1e-10)
    assert len(models) == 3
    for (_, test), model in zip(splits, models):
        np.testing.assert_allclose(
            model.predict_proba(X[test]), proba[test], rtol=1e-10
        )


def test_splits_must_partition(data3):
    X, y, _ = data3
    splits = list(KFold(3).split(X))[:2]
    with pytest.raises(ValueError, match="partition"):
        cross_val_holdout_proba(LogisticRegression(), X, y, splits=splits, n_classes=3)


class FailsOnFold(ClassifierMixin, BaseEstimator):
    def __init__(self, bad_size=None):
        self.bad_size = bad_size

    def fit(self, X, y):
        if len(X) == self.bad_size:
            raise ArithmeticError("boom")
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


def test_fold_error_names_the_fold(data3):
    X, y = data3[0][:150], data3[1][:150]
    # Fold 0 trains on 60 rows, fold 1 on 90: only fold 1 fails.
    splits = [
        (np.arange(0, 60), np.arange(60, 150)),
        (np.arange(60, 150), np.arange(0, 60)),
    ]
    with pytest.raises(ArithmeticError, match="boom") as info:
        cross_val_holdout_proba(
            FailsOnFold(bad_size=90), X, y, splits=splits, n_classes=3
        )
    assert any("fold 1 (of 2)" in note for note in getattr(info.value, "__notes__", []))


def test_missing_class_columns_are_zero():
    model = LogisticRegression().fit(np.array([[0.0], [1.0]]), np.array([0, 2]))
    with pytest.warns(RuntimeWarning, match="saw only 2 of the 3 classes"):
        full = proba_in_label_order(model, model.predict_proba([[0.5]]), 3)
    assert full.shape == (1, 3) and full[0, 1] == 0.0
    np.testing.assert_allclose(full.sum(), 1.0)


def test_check_holdout_proba_renormalises_within_tolerance():
    proba = check_holdout_proba([[0.50001, 0.5]], 1, 2)
    np.testing.assert_allclose(proba.sum(), 1.0, atol=1e-15)
    with pytest.raises(TypeError, match="numeric"):
        check_holdout_proba([["a", "b"]], 1, 2)


def test_nets_read_fold_rows_in_place(data3):
    # skmat's nets train on views of X (RowSubset): same models as on copies.
    from skmat.mlp import mlp_net

    X, y, _ = data3
    X = X.astype(np.float32)
    net = mlp_net((8,), max_epochs=3, random_state=0, classes=[0, 1, 2])
    net.set_params(module__n_features=X.shape[1], module__n_classes=3)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    proba, _ = cross_val_holdout_proba(net, X, y, splits=splits, n_classes=3)
    for train, test in splits:
        copy = net.__class__(**net.get_params()).fit(X[train], y[train])
        np.testing.assert_allclose(proba[test], copy.predict_proba(X[test]), rtol=1e-6)
