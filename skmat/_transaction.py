"""All-or-nothing fitting: an estimator whose fit failed is left as it was."""

from __future__ import annotations

import contextlib

from ._seeding import torch_rng_preserved

__all__ = ["fit_transaction"]


@contextlib.contextmanager
def fit_transaction(estimator):
    """Restore the fitted state an estimator had if the block raises (even ^C).

    With an int ``random_state``, the block also runs under a copy of torch's
    generators, so a seeded fit leaves the global ones as it found them (the
    nets' predictions inside a fit, through skorch's data loaders, draw from
    them).

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skmat._transaction import fit_transaction
    >>> est = BaseEstimator()
    >>> est.coef_ = 1.0
    >>> try:
    ...     with fit_transaction(est):
    ...         est.coef_ = 2.0
    ...         raise ValueError("bad input")
    ... except ValueError:
    ...     pass
    >>> est.coef_
    1.0
    """
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_")}
    for name in fitted:  # a new fit starts clean: no attribute of the old one stays
        delattr(estimator, name)
    seeded = getattr(estimator, "random_state", None) is not None
    try:
        with torch_rng_preserved(enabled=seeded):
            yield
    except BaseException:
        for name in [k for k in vars(estimator) if k.endswith("_")]:
            delattr(estimator, name)
        for name, value in fitted.items():
            setattr(estimator, name, value)
        raise
