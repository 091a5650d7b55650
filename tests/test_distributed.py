"""Held-out folds and GridSearchCV fan out over a Dask cluster through joblib."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.mlp import mlp_net

# Fits on tiny or random data, where MAT's guard often finds that the shift
# leaves nothing to learn; that warning is asserted in tests/test_guard.py, and
# only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


distributed = pytest.importorskip("dask.distributed", reason="needs skmat[distributed]")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def make_clf(**params):
    return MATClassifier(
        mlp_net((16,), max_epochs=10, lr=1e-2),
        cv=3,
        n_jobs=-1,
        random_state=0,
        **params,
    )


@pytest.mark.slow
def test_dask_backend_equals_local_run(client):
    X, y, _ = make_spurious_classification(200, 10, random_state=0)
    local = make_clf().set_params(n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as tasks:
        remote = make_clf().fit(X, y)
    np.testing.assert_allclose(remote.holdout_proba_, local.holdout_proba_, rtol=1e-6)
    np.testing.assert_allclose(
        remote.predict_proba(X), local.predict_proba(X), rtol=1e-6
    )
    # The folds really ran as tasks on the cluster.
    assert len(tasks.data) >= 3


def test_grid_search_on_dask(client):
    X, y, _ = make_spurious_classification(200, 10, random_state=1)
    grid = {"temperature": [0.01, 1.0]}
    base = make_clf(holdout_estimator=LogisticRegression()).set_params(n_jobs=1)
    local = GridSearchCV(base, grid, cv=2).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(base, grid, cv=2, n_jobs=-1).fit(X, y)
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
