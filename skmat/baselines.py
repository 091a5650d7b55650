"""Baselines that MAT is compared against, in the same API as MATClassifier.

Five scikit-learn classifiers that train the same kind of skorch network as
:class:`~skmat.MATClassifier` (``estimator=None`` is the same default MLP, any
``NeuralNetClassifier`` spec can be shared between them) and predict the same way,
from the network's logits alone:

- :class:`ERMClassifier`: the plain network (empirical risk minimization);
- :class:`GroupReweightingClassifier`: each example weighted inversely to the
  size of its group (needs group labels);
- :class:`GroupDROClassifier`: GroupDRO's online minimax over groups (Sagawa et
  al., 2020; needs group labels);
- :class:`JTTClassifier`: Just Train Twice (Liu et al., 2021): the errors of a
  briefly trained identification model are upweighted in a second training (no
  group labels);
- :class:`LogitAdjustedClassifier`: logit-adjusted loss by the class prior
  (Menon et al., 2021), which is MAT's loss with the same shift on every row.

All of them take ``fit(X, y, groups=None)``. Group labels are an explicit fit
parameter, like ``sample_weight`` in scikit-learn: required by the two group
methods, ignored by the others (which accept them so that one loop can fit every
baseline). Under metadata routing (``sklearn.set_config(
enable_metadata_routing=True)``) a meta-estimator such as
:class:`~sklearn.model_selection.GridSearchCV` passes ``groups`` to
``GroupReweightingClassifier.fit`` and ``GroupDROClassifier.fit`` once they are
requested with ``set_fit_request(groups=True)``; the three group-free baselines
declare ``groups`` unused, so they never ask for it.

How per-row weights and groups reach the loss
---------------------------------------------
The nets of :mod:`skmat.nets` carry MAT's shift with the rows of the net's own
dataset (``fit(X, y, mat_shift=shift)``; see that module). This module adds two
more per-row fit parameters on the same channel, without changing
:mod:`skmat.nets`: ``_ReweightedLossMixin``, put in front of a MAT-enabled
skorch net (the classes :func:`skmat.factory.make_net` makes), takes
``fit(X, y, mat_weight=w)`` (a per-row weight) and ``fit(X, y, mat_group=g)``
(an integer group index). In ``get_loss`` it asks the MAT net for the
per-example losses (the criterion's ``reduction`` set to ``"none"`` for that
call, so the shift and the ``NLLLoss``/``CrossEntropyLoss``/binary cases are
handled in one place) and reduces them: by the weighted mean
``sum_i w_i l_i / sum_i w_i`` when the batch carries weights (group
reweighting, JTT), or by GroupDRO's ``sum_g q_g * mean_{i in g} l_i`` when the
net's ``group_dro_eta`` is set, with ``q`` updated on every training batch and
kept as the net's ``group_weights_``.

Batches without these entries (prediction, validation rows of a plain fit) get
the MAT net's own behaviour, so a fitted network predicts exactly like any
other skmat network. ERM and logit adjustment need no new loss: they train the
MAT-enabled net itself, without a shift or with a constant per-class shift.

Seeding: with an int ``random_state`` every baseline seeds its final network with
the same value as :class:`~skmat.MATClassifier` seeds its own final network (and
JTT seeds its identification network like MAT's held-out network), so with the
same ``random_state`` and data the methods start from identical weights and
batch orders: differences in the results come from the methods alone.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import HasMethods, Interval

from ._checks import check_trained
from ._devices import check_device
from ._encoding import encode_groups
from ._inputs import check_fit_data, for_nets, n_rows
from ._outputs import per_example_losses
from ._prediction import NetClassifierMixin
from ._seeding import seed_estimator, spawn_seeds
from ._transaction import fit_transaction
from .factory import SKORCH_CLASSIFIERS, make_net, reject_torch_module
from .nets import SHIFT_PARAM, ShiftedLossMixin

__all__ = [
    "ERMClassifier",
    "GroupReweightingClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "LogitAdjustedClassifier",
]

# ---------------------------------------------------------------------------
# skorch side: a net whose loss uses per-row weights or groups
# ---------------------------------------------------------------------------
#: Fit parameters of the per-row weight and group index.
WEIGHT_PARAM = "mat_weight"
GROUP_PARAM = "mat_group"


class _ReweightedLossMixin:
    """Reduces a batch's per-example losses by row weights or by GroupDRO.

    Put in front of a MAT-enabled skorch classifier (one with
    :class:`~skmat.nets.ShiftedLossMixin`). ``fit(X, y, mat_weight=w)`` reduces
    each batch by the weighted mean; with ``group_dro_eta`` set,
    ``fit(X, y, mat_group=g)`` reduces it by GroupDRO's robust loss. Other
    batches get the MAT net's loss unchanged.

    It adds two parameters to the skorch net's: ``group_dro_eta`` (float or
    None, default None), GroupDRO's step size, ``None`` turning GroupDRO off; and
    ``n_groups`` (int), the number of groups, whose indices are
    ``0 .. n_groups - 1``. With GroupDRO, the net's ``group_weights_`` (a tensor
    of shape ``(n_groups,)``) is the current distribution over groups: uniform at
    ``initialize``, so ``warm_start`` continues from the last one.
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, WEIGHT_PARAM, GROUP_PARAM)
    _class_prefix = "Reweighted"

    def __init__(self, *args, group_dro_eta=None, n_groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_dro_eta = group_dro_eta
        self.n_groups = n_groups

    def initialize(self):
        """Initialize the net, and GroupDRO's group weights to uniform."""
        super().initialize()
        if self.group_dro_eta is not None:
            n_groups = self.n_groups
            if not isinstance(n_groups, numbers.Integral) or n_groups < 1:
                raise ValueError(
                    "n_groups must be a positive int when group_dro_eta is set; "
                    f"got {n_groups!r}."
                )
            self.group_weights_ = torch.full((int(n_groups),), 1.0 / int(n_groups))
        return self

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Keep GroupDRO's weights on the CPU between fits (pickling, inspection)."""
        if getattr(self, "group_weights_", None) is not None:
            self.group_weights_ = self.group_weights_.detach().cpu()
        return super().on_train_end(net, X=X, y=y, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Weighted-mean or GroupDRO loss when the batch carries weights or groups."""
        row_data = self.batch_row_data()
        weight, group = row_data.get(WEIGHT_PARAM), row_data.get(GROUP_PARAM)
        use_dro = self.group_dro_eta is not None and group is not None
        if weight is None and not use_dro:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        losses = per_example_losses(
            super().get_loss, self, y_pred, y_true, X=X, training=training
        )
        if use_dro:
            return self._group_dro_loss(losses, group.to(losses.device), training)
        weight = weight.to(device=losses.device, dtype=losses.dtype)
        return (weight * losses).sum() / weight.sum()

    def _group_dro_loss(self, losses, group, training):
        # Sagawa et al. (2020), Algorithm 1: q <- q * exp(eta * loss_g), normalised
        # (done in log space); the loss is sum_g q_g * (mean loss of group g in the
        # batch). Groups absent from the batch have loss 0 there.
        n_groups = self.group_weights_.shape[0]
        counts = torch.bincount(group, minlength=n_groups).to(losses.dtype)
        sums = torch.zeros(n_groups, dtype=losses.dtype, device=losses.device)
        group_loss = sums.index_add(0, group, losses) / counts.clamp(min=1)
        q = self.group_weights_.to(device=losses.device, dtype=losses.dtype)
        if training:
            step = float(self.group_dro_eta) * group_loss.detach()
            q = torch.softmax(torch.log(q) + step, dim=0)
            self.group_weights_ = q
        return (q * group_loss).sum()


# ---------------------------------------------------------------------------
# The estimators
# ---------------------------------------------------------------------------
class _BaseNetBaseline(
    NetClassifierMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """Validation, seeding and fit transaction shared by the baselines.

    Subclasses implement ``_fit_nets(X, X_net, y, groups, device, seeds)``
    (``X`` validated by :mod:`skmat._inputs`, ``X_net`` the networks' copy of
    it, :func:`skmat._inputs.for_nets`; ``y`` and
    ``groups`` encoded as ``0 ..``, ``groups`` None for the group-free methods,
    ``seeds`` the pair from ``_seeds``) and set ``estimator_``.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    # Whether fit needs group labels.
    _needs_groups = False

    def fit(
        self, X: ArrayLike, y: ArrayLike, groups: ArrayLike | None = None
    ) -> _BaseNetBaseline:
        """Train the network.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Training input: a numeric table or anything the network takes
            (:ref:`user_guide_inputs`).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        groups : array-like of shape (n_samples,), default=None
            Group label of each example (e.g. label x spurious attribute): required
            by GroupReweightingClassifier and GroupDROClassifier, ignored by the
            other baselines.

        Returns
        -------
        self : object
            Fitted. If fit raises (or is interrupted), the estimator keeps the
            fitted state it had before the call, or stays unfitted.
        """
        with fit_transaction(self):
            for name in ("estimator", "identification_estimator"):
                reject_torch_module(getattr(self, name, None), name)
            self._validate_params()
            X, y_enc, classes = check_fit_data(self, X, y)
            group_index = None
            if self._needs_groups:
                group_index = self._encode_groups(groups, n_rows(X))
            device = check_device(self.device)
            self.classes_ = classes
            # The networks' copy of X: floats as float32, converted once.
            self._fit_nets(X, for_nets(X), y_enc, group_index, device, self._seeds())
            check_trained(self.estimator_, X)
        return self

    def _seeds(self):
        # The same two draws as MATClassifier (held-out net, final net), so equal
        # random_state values give the same initial weights across methods.
        return spawn_seeds(self.random_state, 2)

    def _encode_groups(self, groups, n_samples):
        name = type(self).__name__
        if groups is None:
            raise ValueError(
                f"{name} needs group labels: call fit(X, y, groups=groups). Under "
                "metadata routing (GridSearchCV, cross_validate...), request them "
                f"with {name}(...).set_fit_request(groups=True)."
            )
        keys, index = encode_groups(groups, n_samples, against="X")
        self.groups_ = keys
        return index

    def _net(self, X, device, seed, **net_params):
        return make_net(
            self.estimator,
            X=X,
            n_classes=len(self.classes_),
            device=device,
            seed=seed,
            verbose=self.verbose,
            **net_params,
        )

    def _log(self, message):
        if self.verbose:
            print(f"[{type(self).__name__}] {message}")


class ERMClassifier(_BaseNetBaseline):
    """Empirical risk minimization: the network trained with the plain loss.

    The reference point of every robustness method: the network of
    :class:`~skmat.MATClassifier` trained on ``mean_i CE(f(x_i), y_i)``, with the
    same defaults, seeding and prediction API.

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network(s): an int gives identical fits, and the same initial
        weights as :class:`~skmat.MATClassifier` with that ``random_state``.
    verbose : int, default=0
        ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
        phases and the nets' epoch tables.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
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

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}

    def __init__(self, estimator=None, *, device=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        net = self._net(X, device, seeds[1])
        self._log(f"training the network on {n_rows(X)} rows")
        self.estimator_ = net.fit(X_net, y)


class GroupReweightingClassifier(_BaseNetBaseline):
    """The network trained with each example weighted inversely to its group's size.

    Example ``i`` of group ``g`` gets the weight ``n / (n_groups * n_g)``, so every
    group carries the same total weight; each batch's loss is the weighted mean
    ``sum_i w_i l_i / sum_i w_i``, what a batch drawn from group-balanced data
    gives on average. Needs the group label of every training example
    (``fit(X, y, groups=groups)``).

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network(s): an int gives identical fits, and the same initial
        weights as :class:`~skmat.MATClassifier` with that ``random_state``.
    verbose : int, default=0
        ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
        phases and the nets' epoch tables.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
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

    def __init__(self, estimator=None, *, device=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        counts = np.bincount(groups, minlength=len(self.groups_))
        group_weights = n_rows(X) / (len(counts) * counts)
        net = self._net(X, device, seeds[1], mixin=_ReweightedLossMixin)
        self._log(f"training the network on {n_rows(X)} rows, {len(counts)} groups")
        net.fit(X_net, y, **{WEIGHT_PARAM: group_weights[groups]})
        self.group_counts_ = counts
        self.group_weights_ = group_weights
        self.estimator_ = net


class GroupDROClassifier(_BaseNetBaseline):
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
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    eta : float, default=0.01
        Step size of the group weights (``eta_q`` in the paper, which uses 0.01);
        ``0`` keeps ``q`` uniform (the mean over groups of the group losses).
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network(s): an int gives identical fits, and the same initial
        weights as :class:`~skmat.MATClassifier` with that ``random_state``.
    verbose : int, default=0
        ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
        phases and the nets' epoch tables.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
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
        **_BaseNetBaseline._parameter_constraints,
        "eta": [Interval(numbers.Real, 0, None, closed="left")],
    }
    _needs_groups = True

    def __init__(
        self, estimator=None, *, eta=0.01, device=None, random_state=None, verbose=0
    ):
        self.estimator = estimator
        self.eta = eta
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        n_groups = len(self.groups_)
        net = self._net(
            X,
            device,
            seeds[1],
            mixin=_ReweightedLossMixin,
            group_dro_eta=float(self.eta),
            n_groups=n_groups,
        )
        self._log(f"training the network on {n_rows(X)} rows, {n_groups} groups")
        net.fit(X_net, y, **{GROUP_PARAM: groups})
        self.group_weights_ = net.group_weights_.detach().cpu().double().numpy()
        self.estimator_ = net


class JTTClassifier(_BaseNetBaseline):
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
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
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
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network(s): an int gives identical fits, and the same initial
        weights as :class:`~skmat.MATClassifier` with that ``random_state``.
    verbose : int, default=0
        ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
        phases and the nets' epoch tables.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
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

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **_BaseNetBaseline._parameter_constraints,
        "identification_estimator": [HasMethods(["fit", "predict"]), None],
        "first_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "upweight": [Interval(numbers.Real, 1, None, closed="left")],
    }

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
        self.estimator = estimator
        self.identification_estimator = identification_estimator
        self.first_epochs = first_epochs
        self.upweight = upweight
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        first_seed, final_seed = seeds
        ident = self.identification_estimator
        if ident is None or isinstance(ident, SKORCH_CLASSIFIERS):
            params = {}
            if self.first_epochs is not None:
                params["max_epochs"] = self.first_epochs
            model = make_net(
                self.estimator if ident is None else ident,
                X=X,
                n_classes=len(self.classes_),
                device=device,
                seed=first_seed,
                verbose=self.verbose,
                name="estimator" if ident is None else "identification_estimator",
                **params,
            )
            self._log(f"stage 1: identification network, {model.max_epochs} epochs")
            model.fit(X_net, y)
            check_trained(model, X, "the identification network")
            y_pred = np.asarray(model.predict(X_net)).reshape(-1)
        else:
            model = seed_estimator(clone(ident), first_seed)
            self._log(f"stage 1: identification model {type(model).__name__}")
            model.fit(X, y)
            y_pred = np.asarray(model.predict(X))
        error_set = y_pred != y
        weight = np.where(error_set, float(self.upweight), 1.0)
        net = self._net(X, device, final_seed, mixin=_ReweightedLossMixin)
        self._log(
            f"stage 2: {int(error_set.sum())} errors of {n_rows(X)} rows weighted "
            f"by {self.upweight}"
        )
        net.fit(X_net, y, **{WEIGHT_PARAM: weight})
        self.identification_estimator_ = model
        self.error_set_ = error_set
        self.estimator_ = net


class LogitAdjustedClassifier(_BaseNetBaseline):
    """The network trained with the logit-adjusted loss of the class prior.

    Menon et al. (2021): the loss is ``CE(softmax(f(x) + tau * log(pi)), y)`` with
    ``pi`` the training class prior; prediction uses ``f(x)`` alone. Rare classes
    need a larger margin to be predicted in training, which balances the error
    across classes at test time. This is exactly MAT's loss with the same shift
    ``tau * log(pi)`` on every row, what :class:`~skmat.MATClassifier` reduces to
    with an uninformative held-out model (``tau=1``).

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    tau : float, default=1.0
        Non-negative scale of the adjustment; ``0`` is ERM.
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network(s): an int gives identical fits, and the same initial
        weights as :class:`~skmat.MATClassifier` with that ``random_state``.
    verbose : int, default=0
        ``0`` is silent (the nets' own ``verbose`` is overridden); ``1`` prints the
        phases and the nets' epoch tables.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` has string column names.
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

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **_BaseNetBaseline._parameter_constraints,
        "tau": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self, estimator=None, *, tau=1.0, device=None, random_state=None, verbose=0
    ):
        self.estimator = estimator
        self.tau = tau
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        prior = np.bincount(y, minlength=len(self.classes_)) / y.shape[0]
        adjustment = float(self.tau) * np.log(prior)
        shift = np.tile(adjustment.astype(np.float32), (n_rows(X), 1))
        net = self._net(X, device, seeds[1])
        self._log(f"training the network on {n_rows(X)} rows, tau={self.tau}")
        net.fit(X_net, y, **{SHIFT_PARAM: shift})
        self.class_prior_ = prior
        self.logit_adjustment_ = adjustment
        self.estimator_ = net
