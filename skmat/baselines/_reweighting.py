"""Methods that reweigh the loss: group reweighting, GroupDRO, JTT."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval

from .._base import NetEstimator, fill_doc, sklearn_fit_params
from .._checks import check_trained
from .._seeding import seed_estimator
from ..factory import SKORCH_CLASSIFIERS
from ..losses import GROUP_PARAM, GroupDROLossMixin, WeightedLossMixin

__all__ = ["GroupReweightingClassifier", "GroupDROClassifier", "JTTClassifier"]


@fill_doc
class GroupReweightingClassifier(NetEstimator):
    """The network trained with each example weighted inversely to its group's size.

    Example ``i`` of group ``g`` gets the weight ``n / (n_groups * n_g)``, so every
    group carries the same total weight; each batch's loss is the weighted mean
    ``sum_i w_i l_i / sum_i w_i``, what a batch drawn from group-balanced data
    gives on average. Needs the group label of every training example
    (``fit(X, y, groups=groups)``).

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
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in ``fit``, sorted.
    group_counts_ : ndarray of shape (n_groups,)
        Number of training examples of each group.
    group_weights_ : ndarray of shape (n_groups,)
        Weight of an example of each group, ``n / (n_groups * group_counts_)``.

    References
    ----------
    B. Idrissi, M. Arjovsky, M. Pezeshki, D. Lopez-Paz. "Simple data balancing
    achieves competitive worst-group-accuracy", CLeaR 2022 (reweighting, "RWG").
    J. Byrd, Z. Lipton. "What is the Effect of Importance Weighting in Deep
    Learning?", ICML 2019.

    Examples
    --------
    >>> from skmat.baselines import GroupReweightingClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = GroupReweightingClassifier(mlp_net((16,), max_epochs=5), random_state=0)
    >>> clf.fit(X, y, groups=groups).groups_
    array([0, 1, 2, 3])
    """

    _needs_groups = True

    def _fit_nets(self, data):
        groups = data.groups
        counts = np.bincount(groups, minlength=len(self.groups_))
        sizes = counts
        if data.sample_weight is not None:
            sizes = np.bincount(
                groups, weights=data.sample_weight, minlength=len(counts)
            )
        with np.errstate(divide="ignore"):
            group_weights = np.where(
                sizes > 0, sizes.sum() / (len(counts) * sizes), 0.0
            )
        net = self._net(data, data.seeds[1], mixin=WeightedLossMixin)
        self._log(
            f"training the network on {data.n_samples} rows, {len(counts)} groups"
        )
        net.fit(data.X_net, data.y, **data.fit_params(weight=group_weights[groups]))
        self.group_counts_ = counts
        self.group_weights_ = group_weights
        self.estimator_ = net


@fill_doc
class GroupDROClassifier(NetEstimator):
    """Group distributionally robust optimization (GroupDRO) of the network.

    The online algorithm of Sagawa et al. (2020): a distribution ``q`` over groups,
    uniform at first, is updated after every training batch by exponentiated
    gradient, ``q_g <- q_g * exp(eta * L_g)`` then normalised, where ``L_g`` is the
    mean loss of the batch's examples of group ``g`` (0 for a group absent from the
    batch); the network minimises ``sum_g q_g * L_g``. Groups whose loss stays high
    gain weight, so training approaches the worst group's risk. Needs the group
    label of every training example (``fit(X, y, groups=groups)``).

    Sagawa et al. find that GroupDRO helps the worst group on test data only with
    strong regularization (large weight decay, early stopping): set them on the
    network, e.g. ``mlp_net(optimizer__weight_decay=1e-2)``.

    Parameters
    ----------
    %(estimator)s
    eta : float, default=0.01
        Step size of the group weights (``eta_q`` in the paper, which uses 0.01);
        ``0`` keeps ``q`` uniform (the mean over groups of the group losses).
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
    estimator_ : skorch net
        The fitted network.
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in ``fit``, sorted.
    group_weights_ : ndarray of shape (n_groups,)
        ``q`` at the end of training, in ``groups_`` order (sums to 1).

    References
    ----------
    S. Sagawa, P. W. Koh, T. B. Hashimoto, P. Liang. "Distributionally Robust
    Neural Networks for Group Shifts: On the Importance of Regularization for
    Worst-Case Generalization", ICLR 2020.

    Examples
    --------
    >>> from skmat.baselines import GroupDROClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = GroupDROClassifier(mlp_net((16,), max_epochs=5), random_state=0)
    >>> round(float(clf.fit(X, y, groups=groups).group_weights_.sum()), 6)
    1.0
    """

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "eta": GroupDROLossMixin._parameter_constraints["group_dro_eta"],
    }
    _needs_groups = True

    def __init__(
        self, estimator=None, *, eta=0.01, device=None, random_state=None, verbose=0
    ):
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.eta = eta

    def _fit_nets(self, data):
        self.estimator_ = self._group_dro_net(data, data.groups, len(self.groups_))
        self.group_weights_ = (
            self.estimator_.group_weights_.detach().cpu().double().numpy()
        )

    def _group_dro_net(self, data, groups, n_groups):
        """The network trained by GroupDRO on groups ``0 .. n_groups - 1``."""
        net = self._net(
            data,
            data.seeds[1],
            mixin=GroupDROLossMixin,
            group_dro_eta=float(self.eta),
            n_groups=n_groups,
        )
        self._log(f"training the network on {data.n_samples} rows, {n_groups} groups")
        return net.fit(data.X_net, data.y, **{GROUP_PARAM: groups}, **data.fit_params())


@fill_doc
class JTTClassifier(NetEstimator):
    """Just Train Twice (JTT): upweight the errors of a briefly trained model.

    The two stages of Liu et al. (2021), with no group labels:

    1. an identification model is trained with the plain loss (by default a copy
       of the network trained for ``first_epochs`` epochs: JTT relies on it being
       stopped early, before it memorizes the minority); its training errors form
       the error set ``error_set_``;
    2. the final network is trained from scratch with the examples of the error set
       weighted by ``upweight`` (``lambda_up``) and the others by 1; each batch's
       loss is the weighted mean ``sum_i w_i l_i / sum_i w_i``, what a batch
       drawn from the paper's upsampled data gives on average.

    Parameters
    ----------
    %(estimator)s
    identification_estimator : classifier, default=None
        The stage-1 model: a skorch net (made MAT-enabled, sized and seeded like
        ``estimator``) or any scikit-learn classifier with ``predict`` (cloned;
        its ``random_state``, when ``None``, is seeded). ``None`` uses
        ``estimator``.
    first_epochs : int or None, default=5
        ``max_epochs`` of a skorch identification model (``T`` in the paper, which
        tunes it per data set); ``None`` keeps the net's own ``max_epochs``.
        Ignored for a scikit-learn identification model.
    upweight : float, default=20.0
        Weight of the error set in stage 2 (``lambda_up``, at least 1; the paper
        tunes it in about [5, 100]).
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
    estimator_ : skorch net
        The fitted network.
    identification_estimator_ : fitted classifier
        The stage-1 model.
    error_set_ : ndarray of shape (n_samples,), dtype=bool
        Which training examples the stage-1 model got wrong.

    References
    ----------
    E. Z. Liu, B. Haghgoo, A. S. Chen, A. Raghunathan, P. W. Koh, S. Sagawa,
    P. Liang, C. Finn. "Just Train Twice: Improving Group Robustness without
    Training Group Information", ICML 2021.

    Examples
    --------
    >>> from skmat.baselines import JTTClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = JTTClassifier(mlp_net((16,), max_epochs=5), random_state=0).fit(X, y)
    >>> clf.error_set_.shape
    (200,)
    """

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "identification_estimator": [HasMethods(["fit", "predict"]), None],
        "first_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "upweight": [Interval(numbers.Real, 1, None, closed="left")],
    }
    _net_params = ("estimator", "identification_estimator")

    def __init__(
        self,
        estimator=None,
        *,
        identification_estimator=None,
        first_epochs=5,
        upweight=20.0,
        device=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.identification_estimator = identification_estimator
        self.first_epochs = first_epochs
        self.upweight = upweight

    def _fit_nets(self, data):
        first_seed, final_seed = data.seeds
        ident = self.identification_estimator
        if ident is None or isinstance(ident, SKORCH_CLASSIFIERS):
            epochs = (
                {} if self.first_epochs is None else {"max_epochs": self.first_epochs}
            )
            model = self._net(
                data,
                first_seed,
                template=ident,
                name="estimator" if ident is None else "identification_estimator",
                **epochs,
            )
            self._log(f"stage 1: identification network, {model.max_epochs} epochs")
            model.fit(data.X_net, data.y, **data.fit_params())
            check_trained(model, data.X, "the identification network")
            y_pred = np.asarray(model.predict(data.X_net)).reshape(-1)
        else:
            model = seed_estimator(clone(ident), first_seed)
            self._log(f"stage 1: identification model {type(model).__name__}")
            params = sklearn_fit_params(
                model, "identification_estimator", data.sample_weight
            )
            model.fit(data.X, data.y, **params)
            y_pred = np.asarray(model.predict(data.X))
        error_set = y_pred != data.y
        weight = np.where(error_set, float(self.upweight), 1.0)
        net = self._net(data, final_seed, mixin=WeightedLossMixin)
        self._log(
            f"stage 2: {int(error_set.sum())} errors of {data.n_samples} rows "
            f"weighted by {self.upweight}"
        )
        net.fit(data.X_net, data.y, **data.fit_params(weight=weight))
        self.identification_estimator_ = model
        self.error_set_ = error_set
        self.estimator_ = net
