"""The one scikit-learn estimator check skmat's estimators are expected to fail.

Prediction runs the network through skorch in float32. A float32 matrix product
sums in an order that depends on the batch's number of rows, so a row's output
changes in its last bits with the other rows predicted beside it:
``check_methods_subset_invariance`` compares predictions of mini-batches with
those of the whole set at ~1e-7 relative tolerance. Measured on this suite's
estimators: differences of at most 2.4e-7 (absolute, on logits of order 1),
one float32 ulp; predicted labels do not change.
"""

EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 forward passes of different batch sizes differ in the last bit "
        "(measured: at most 2.4e-7 on logits of order 1)"
    ),
}


def expected_failed_checks(estimator):
    """For ``parametrize_with_checks(..., expected_failed_checks=...)``."""
    return EXPECTED_FAILED_CHECKS
