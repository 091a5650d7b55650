"""The plain loss and the class-prior-shifted loss: ERM and logit adjustment."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval

from .._base import NetEstimator, fill_doc
from ..nets import SHIFT_PARAM

__all__ = ["ERMClassifier", "LogitAdjustedClassifier"]


@fill_doc
class ERMClassifier(NetEstimator):
    """Empirical risk minimization: the network trained with the plain loss.

    The reference point of every robustness method: the network of
    :class:`~skmat.MATClassifier` trained on ``mean_i CE(f(x_i), y_i)``, with the
    same defaults, seeding and prediction API.

    Parameters
    ----------
    %(estimator)s
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
    estimator_ : skorch net
        The fitted network.

    References
    ----------
    V. Vapnik. "Principles of Risk Minimization for Learning Theory", NeurIPS 1991.

    Examples
    --------
    >>> from skmat.baselines import ERMClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = ERMClassifier(mlp_net((16,), max_epochs=5), random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    def _fit_nets(self, data):
        net = self._net(data, data.seeds[1])
        self._log(f"training the network on {data.n_samples} rows")
        self.estimator_ = net.fit(data.X_net, data.y, **data.fit_params())


@fill_doc
class LogitAdjustedClassifier(NetEstimator):
    """The network trained with the logit-adjusted loss of the class prior.

    Menon et al. (2021): the loss is ``CE(softmax(f(x) + tau * log(pi)), y)`` with
    ``pi`` the training class prior; prediction uses ``f(x)`` alone. Rare classes
    need a larger margin to be predicted in training, which balances the error
    across classes at test time. This is exactly MAT's loss with the same shift
    ``tau * log(pi)`` on every row, what :class:`~skmat.MATClassifier` reduces to
    with an uninformative held-out model (``tau=1``).

    Parameters
    ----------
    %(estimator)s
    tau : float, default=1.0
        Non-negative scale of the adjustment; ``0`` is ERM.
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
    estimator_ : skorch net
        The fitted network.
    class_prior_ : ndarray of shape (n_classes,)
        Frequency of each class in the training set.
    logit_adjustment_ : ndarray of shape (n_classes,)
        ``tau * log(class_prior_)``, the shift added to the logits in training.

    References
    ----------
    A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar.
    "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> from skmat.baselines import LogitAdjustedClassifier
    >>> from skmat.mlp import mlp_net
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 0, 1]
    >>> clf = LogitAdjustedClassifier(mlp_net((4,), max_epochs=2), random_state=0)
    >>> clf.fit(X, y).class_prior_
    array([0.75, 0.25])
    """

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "tau": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self, estimator=None, *, tau=1.0, device=None, random_state=None, verbose=0
    ):
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.tau = tau

    def _fit_nets(self, data):
        counts = np.bincount(
            data.y, weights=data.sample_weight, minlength=data.n_classes
        )
        prior = counts / counts.sum()
        adjustment = float(self.tau) * np.log(prior)
        shift = np.tile(adjustment.astype(np.float32), (data.n_samples, 1))
        net = self._net(data, data.seeds[1])
        self._log(f"training the network on {data.n_samples} rows, tau={self.tau}")
        net.fit(data.X_net, data.y, **{SHIFT_PARAM: shift}, **data.fit_params())
        self.class_prior_ = prior
        self.logit_adjustment_ = adjustment
        self.estimator_ = net
