"""Fixtures shared by the test modules: the problems they train on, a small net.

The problems are generated once per session: ``data`` (two classes, the paper's
Figure 1 family) and ``data3`` (three classes), each ``(X, y, groups)`` with
float64 ``X`` (the estimators feed networks float32). ``tiny_net`` makes the
small, quick MLP of the cross-cutting modules (:mod:`_estimators`).
"""

import pytest
from _estimators import tiny_net as _tiny_net

from skmat.datasets import make_spurious_classification


@pytest.fixture(scope="session")
def data():
    """300 rows, 20 features, 2 classes, 4 groups (label x spurious sign)."""
    return make_spurious_classification(300, 20, random_state=0)


@pytest.fixture(scope="session")
def data3():
    """300 rows, 12 features, 3 classes."""
    return make_spurious_classification(300, 12, n_classes=3, random_state=1)


@pytest.fixture
def tiny_net():
    """``tiny_net(**params)``: an MLP with one hidden layer of 8, 3 epochs."""
    return _tiny_net


def pytest_collection_modifyitems(config, items):
    """Mark the tests a module lists in ``EXPECTED_TEST_FAILURES``
    (``{"Class::test[id]":
    reason}``) as strict expected failures. A listed test that its module's
    class does not define is an error (a stale entry)."""
    checked = set()
    for item in items:
        failures = getattr(
            getattr(item, "module", None), "EXPECTED_TEST_FAILURES", None
        )
        if not isinstance(failures, dict):
            continue
        if item.module.__name__ not in checked:
            checked.add(item.module.__name__)
            for key in failures:
                cls, _, test = key.partition("::")
                if not hasattr(getattr(item.module, cls, None), test.split("[")[0]):
                    raise pytest.UsageError(
                        f"{item.module.__name__}.EXPECTED_TEST_FAILURES names {key!r}, "
                        "which is not a test of the module"
                    )
        key = item.nodeid.split("::", 1)[-1]
        if key in failures:
            item.add_marker(pytest.mark.xfail(strict=True, reason=failures[key]))
