"""scikit-learn's own estimator checks on MATClassifier."""

from _sklearn_checks import expected_failed_checks
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmat import MATClassifier
from skmat.mlp import mlp_net


def _fast_mat(**params):
    # Small and quick, but trained enough to pass sklearn's accuracy checks.
    return MATClassifier(
        mlp_net((32,), max_epochs=40, lr=1e-2, batch_size=64),
        holdout_estimator=LogisticRegression(),
        cv=2,
        **params,
    )


@parametrize_with_checks(
    [
        _fast_mat(),
        MATClassifier(mlp_net((16,), max_epochs=40, lr=1e-2), cv=2),
        # held-out fold nets trained together (skmat.together)
        MATClassifier(mlp_net((16,), max_epochs=40, lr=1e-2), cv=2, folds_together=True),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
