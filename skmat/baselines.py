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
  (Menon et al., 2021), which is MAT's loss with the same shift on every row;

and the other rivals of the paper's Table 1:

- :class:`LfFClassifier`: Learning from Failure (Nam et al., 2020), a debiased
  copy weighted by relative difficulty beside a GCE-trained biased copy;
- :class:`LogitCorrectionClassifier`: logit correction (LC, Liu et al., 2023)
  and uLA (Tsirigotis et al., 2023), logits shifted by a bias model's per-batch
  prior;
- :class:`AFRClassifier`: Automatic Feature Reweighting (Qiu et al., 2023), the
  last layer retrained on reweighted held-out rows;
- :class:`DFRClassifier`: Deep Feature Reweighting (Kirichenko et al., 2023),
  the last layer refitted on group-balanced held-out rows (group labels there);
- :class:`XRMGroupDROClassifier`: GroupDRO on the groups XRM infers.

:ref:`choosing_a_method` says what each needs and costs. All of them take
``fit(X, y, groups=None)``; DFR and AFR also ``last_layer_rows``, LC/uLA
``bias_proba``. Group labels are an explicit fit
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

import copy
import numbers

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from ._checks import check_trained
from ._devices import check_device
from ._encoding import encode_groups
from ._inputs import (
    check_fit_data,
    check_labelled_X,
    for_nets,
    largest_magnitude,
    n_rows,
    take_rows,
)
from ._outputs import checked_output, per_example_losses
from ._prediction import NetClassifierMixin
from ._seeding import SEED_SPACE, seed_estimator, spawn_seeds
from ._transaction import fit_transaction
from .bias import GCELossMixin
from .factory import SKORCH_CLASSIFIERS, make_net, reject_torch_module
from .holdout import check_holdout_proba
from .last_layer import check_last_layer, find_last_layer, layer_inputs
from .lff import LfFMixin
from .metrics import infer_groups, worst_group_accuracy
from .mlp import mlp_net
from .nets import SHIFT_PARAM, ShiftedLossMixin
from .together import unsupported_reason
from .transition import sharpen
from .xrm import fit_xrm

__all__ = [
    "ERMClassifier",
    "GroupReweightingClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "LogitAdjustedClassifier",
    "LfFClassifier",
    "LogitCorrectionClassifier",
    "DFRClassifier",
    "AFRClassifier",
    "XRMGroupDROClassifier",
    "afr_weights",
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
    # Whether fit needs group labels, and whether it uses them when given.
    _needs_groups = False
    _reads_groups = False
    # Parameters that take a net (a bare torch module there gets a clear error).
    _net_params = ("estimator", "identification_estimator", "bias_estimator")

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
        return self._fit(X, y, groups)

    def _fit(self, X, y, groups, **extra):
        """Validate, then ``_fit_nets`` with ``extra`` (a method's own fit
        parameters, validated by it), all or nothing."""
        with fit_transaction(self):
            for name in self._net_params:
                reject_torch_module(getattr(self, name, None), name)
            self._validate_params()
            X, y_enc, classes = check_fit_data(self, X, y)
            group_index = None
            if self._needs_groups or (groups is not None and self._reads_groups):
                group_index = self._encode_groups(groups, n_rows(X))
            device = check_device(self.device)
            self.classes_ = classes
            # The networks' copy of X: floats as float32, converted once.
            X_net = for_nets(X)
            self._fit_nets(X, X_net, y_enc, group_index, device, self._seeds(), **extra)
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
        net = self._group_dro_net(X, X_net, y, groups, len(self.groups_), device, seeds)
        self.group_weights_ = net.group_weights_.detach().cpu().double().numpy()
        self.estimator_ = net

    def _group_dro_net(self, X, X_net, y, groups, n_groups, device, seeds):
        """The network trained by GroupDRO on groups ``0 .. n_groups - 1``."""
        net = self._net(
            X,
            device,
            seeds[1],
            mixin=_ReweightedLossMixin,
            group_dro_eta=float(self.eta),
            n_groups=n_groups,
        )
        self._log(f"training the network on {n_rows(X)} rows, {n_groups} groups")
        return net.fit(X_net, y, **{GROUP_PARAM: groups})


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


# ---------------------------------------------------------------------------
# The rivals of the paper's Table 1
# ---------------------------------------------------------------------------
#: Fit parameter carrying each row's sharpened bias-model probabilities.
BIAS_PARAM = "mat_bias"
#: Added inside the log of a per-batch prior, as the authors' code of MAT does.
_PRIOR_EPS = 1e-6


class _BatchPriorMixin:
    """Shifts each batch's logits by a prior computed from the batch itself.

    Put in front of a MAT-enabled skorch classifier. ``fit(X, y, mat_bias=q)``
    (each row's bias-model probabilities, already sharpened) shifts the logits
    of a batch of ``B`` rows by ``log(q_i @ P + 1e-6)``, where ``J[k, c] =
    (1/B) sum_{i: y_i = c} q_i[k]`` is the batch's joint of the bias
    prediction and the label and ``P`` is ``J`` itself (``bias_prior="joint"``,
    logit correction) or ``J`` with each row normalised over the labels
    (``"conditional"``, uLA: ``p(y | m_hat)``). The shift reaches the loss as
    MAT's does (:meth:`skmat.nets.ShiftedLossMixin.batch_shift`).
    """

    row_data_params = (*ShiftedLossMixin.row_data_params, BIAS_PARAM)
    _class_prefix = "BatchPrior"

    def __init__(self, *args, bias_prior="joint", **kwargs):
        super().__init__(*args, **kwargs)
        self.bias_prior = bias_prior

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, after checking ``bias_prior``."""
        if self.bias_prior not in ("joint", "conditional"):
            raise ValueError(
                "bias_prior must be 'joint' or 'conditional'; got "
                f"{self.bias_prior!r}."
            )
        return super().fit_loop(X, y, epochs, **fit_params)

    def batch_shift(self, y_true):
        """``log(q_i @ P + 1e-6)`` of the batch's rows (see the class)."""
        q = self.batch_row_data().get(BIAS_PARAM)
        if q is None:
            return super().batch_shift(y_true)
        y = torch.as_tensor(y_true).to(device=q.device).long()
        onehot = torch.nn.functional.one_hot(y, q.shape[1]).to(q.dtype)
        joint = q.T @ onehot / max(len(y), 1)  # J[k, c]
        if self.bias_prior == "conditional":
            joint = joint / joint.sum(dim=1, keepdim=True).clamp_min(1e-12)
        return torch.log(q @ joint + _PRIOR_EPS)


class _AnchoredLossMixin(_ReweightedLossMixin):
    """Adds ``anchor_penalty * ||theta - theta_0||^2`` to the (weighted) loss,
    ``theta_0`` the module's parameters when the net is initialised."""

    _class_prefix = "Anchored"

    def __init__(self, *args, anchor_penalty=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.anchor_penalty = anchor_penalty

    def initialize_module(self):
        """The module, and a detached copy of its starting parameters."""
        super().initialize_module()
        self.anchor_ = [p.detach().clone() for p in self.module_.parameters()]
        return self

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The net's loss plus the squared distance to the starting parameters."""
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if not self.anchor_penalty:
            return loss
        distance = sum(
            ((p - a.to(p.device)) ** 2).sum()
            for p, a in zip(self.module_.parameters(), self.anchor_)
        )
        return loss + float(self.anchor_penalty) * distance


class LfFClassifier(_BaseNetBaseline):
    """Learning from Failure (LfF): a debiased network trained beside a biased one.

    The method of Nam et al. (2020), with no group labels (:mod:`skmat.lff`):
    two copies of the network train on the same batches, the biased one with
    generalized cross-entropy (which makes it fit the shortcut), the debiased
    one with each example's loss weighted by its relative difficulty
    ``w = L_b / (L_b + L_d)``, from moving averages of both copies'
    per-example losses, each divided by its class's largest. The debiased copy
    predicts.

    The copies are one skorch net of the user's class (their parameters
    stacked, :mod:`skmat.together`), so the network's optimizer must be
    elementwise (SGD, Adam, AdamW...) and no callback may act on gradients; an
    internal validation split (``train_split``) is kept.

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    q : float, default=0.7
        GCE's exponent for the biased copy, in (0, 1] (the paper's 0.7).
    ema_alpha : float, default=0.7
        Weight of the past in the loss averages, in [0, 1) (the paper's 0.7).
    vmap : {"auto", True, False}, default="auto"
        Whether the two copies run in one ``torch.vmap`` call
        (:class:`~skmat.together.StackedModule`; ``"auto"``: on accelerators).
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
        The debiased network (a standalone net of the estimator's class; its
        history is the joint training's).
    bias_estimator_ : skorch net
        The biased network.
    sample_weights_ : ndarray of shape (n_samples,)
        Each training example's relative-difficulty weight at the end of
        training.

    References
    ----------
    J. Nam, H. Cha, S. Ahn, J. Lee, J. Shin. "Learning from Failure: Training
    Debiased Classifier from Biased Classifier", NeurIPS 2020.

    Examples
    --------
    >>> from skmat.baselines import LfFClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = LfFClassifier(mlp_net((16,), max_epochs=5), random_state=0).fit(X, y)
    >>> clf.sample_weights_.shape, clf.predict(X[:3]).shape
    ((200,), (3,))
    """

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **_BaseNetBaseline._parameter_constraints,
        "q": [Interval(numbers.Real, 0, 1, closed="right")],
        "ema_alpha": [Interval(numbers.Real, 0, 1, closed="left")],
        "vmap": [StrOptions({"auto"}), "boolean"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        q=0.7,
        ema_alpha=0.7,
        vmap="auto",
        device=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.q = q
        self.ema_alpha = ema_alpha
        self.vmap = vmap
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        template = self._net(X, device, seeds[1])
        reason = unsupported_reason(template, train_split=True)
        if reason is not None:
            raise ValueError(
                "LfFClassifier trains the biased and the debiased copies of "
                f"estimator as one net: {reason}."
            )
        joint = self._net(
            X,
            device,
            seeds[1],
            mixin=LfFMixin,
            gce_q=float(self.q),
            ema_alpha=float(self.ema_alpha),
            vmap=self.vmap,
        )
        self._log(f"training the biased and debiased networks on {n_rows(X)} rows")
        joint.fit(X_net, y)
        check_trained(joint, X, "the LfF networks")
        self.bias_estimator_, self.estimator_ = joint.member_nets(template)
        self.sample_weights_ = joint.lff_weights_


class LogitCorrectionClassifier(_BaseNetBaseline):
    """Logit correction (LC) and uLA: logits shifted by a bias model's per-batch prior.

    The network trains on ``CE(f(x_i) + log(q_i @ P + 1e-6), y_i)`` and
    predicts with ``f(x)`` alone, where ``q_i`` is a bias model's probabilities
    for example ``i`` sharpened by ``temperature`` (``softmax(log p / T)``)
    and ``P`` is computed **per mini-batch** from the batch's rows:
    ``J[k, c] = (1/B) sum_{i in batch, y_i = c} q_i[k]``, the joint of the bias
    prediction and the label, used as it is (``prior="joint"``: logit
    correction, Liu et al., 2023, ``log p(m_hat, y)``) or with each row
    normalised over the labels (``prior="conditional"``: uLA, Tsirigotis et
    al., 2023, ``log p(y | m_hat)``).

    How they differ from :class:`~skmat.MATClassifier`: MAT's matrix is the
    conditional one, computed once over the whole training set (a fitted
    ``transition_matrix_``) from *held-out* probabilities; here it is
    recomputed from each batch, and the bias model is by default trained on
    the same rows with generalized cross-entropy (``bias="gce"``), as in the
    originals. The joint prior also weighs each bias prediction by how often
    it occurs, which the conditional one (and MAT) factors out.

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    prior : {"joint", "conditional"}, default="joint"
        ``"joint"`` is LC, ``"conditional"`` uLA.
    temperature : float, default=1.0
        Sharpening of the bias probabilities (the originals search 0.01, 0.1
        and 1).
    bias : {"gce", "xrm"}, default="gce"
        Where the bias probabilities come from, unless ``fit`` is given
        ``bias_proba``: ``"gce"``, a copy of ``bias_estimator`` trained on the
        training set with generalized cross-entropy (:mod:`skmat.bias`), its
        probabilities on the same rows; ``"xrm"``, the held-out probabilities
        of XRM twins of ``bias_estimator`` (:func:`skmat.xrm.fit_xrm`).
    bias_estimator : skorch classifier, default=None
        The bias network (made MAT-enabled, sized and seeded like
        ``estimator``); ``None`` uses ``estimator``.
    bias_epochs : int or None, default=None
        ``max_epochs`` of the bias network; ``None`` keeps its own.
    gce_q : float, default=0.8
        GCE's exponent for ``bias="gce"``, in (0, 1] (LC's 0.8).
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
    bias_proba_ : ndarray of shape (n_samples, n_classes)
        The bias probabilities of the training rows, before sharpening.
    bias_estimator_ : skorch net or None
        The fitted bias network (the XRM twin net for ``bias="xrm"``); None
        when ``bias_proba`` was given.

    References
    ----------
    S. Liu, X. Zhang, N. Sekhar, Y. Wu, P. Singhal, C. Fernandez-Granda.
    "Avoiding spurious correlations via logit correction", ICLR 2023.
    C. Tsirigotis, J. Monteiro, P. Rodriguez, D. Vazquez, A. Courville. "Group
    Robust Classification Without Any Group Information", NeurIPS 2023.

    Examples
    --------
    >>> from skmat.baselines import LogitCorrectionClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = LogitCorrectionClassifier(mlp_net((16,), max_epochs=5),
    ...                                 prior="conditional", random_state=0)
    >>> clf.fit(X, y).bias_proba_.shape
    (200, 2)
    """

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **_BaseNetBaseline._parameter_constraints,
        "prior": [StrOptions({"joint", "conditional"})],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "bias": [StrOptions({"gce", "xrm"})],
        "bias_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "bias_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "gce_q": [Interval(numbers.Real, 0, 1, closed="right")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        prior="joint",
        temperature=1.0,
        bias="gce",
        bias_estimator=None,
        bias_epochs=None,
        gce_q=0.8,
        device=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.prior = prior
        self.temperature = temperature
        self.bias = bias
        self.bias_estimator = bias_estimator
        self.bias_epochs = bias_epochs
        self.gce_q = gce_q
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        groups: ArrayLike | None = None,
        bias_proba: ArrayLike | None = None,
    ) -> LogitCorrectionClassifier:
        """Train the bias model (unless given its probabilities), then the network.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Training input: a numeric table or anything the network takes
            (:ref:`user_guide_inputs`).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        groups : array-like of shape (n_samples,), default=None
            Ignored (no group labels needed); accepted so that one loop can fit
            every baseline.
        bias_proba : array-like of shape (n_samples, n_classes), default=None
            Bias probabilities of the training rows, columns in ``classes_``
            order (for example a :class:`~skmat.MATClassifier`'s
            ``holdout_proba_``, or :func:`~skmat.holdout.cross_val_holdout_proba`);
            skips the bias model. Under metadata routing, request it with
            ``set_fit_request(bias_proba=True)``.

        Returns
        -------
        self : object
            Fitted; a failed fit leaves the estimator as it was.
        """
        return self._fit(X, y, groups, bias_proba=bias_proba)

    def _fit_nets(self, X, X_net, y, groups, device, seeds, bias_proba=None):
        n_classes = len(self.classes_)
        bias_net = None
        if bias_proba is not None:
            proba = check_holdout_proba(
                bias_proba, n_rows(X), n_classes, name="bias_proba"
            )
        else:
            proba, bias_net = self._bias_proba(X, X_net, y, device, seeds[0])
        q = sharpen(proba, float(self.temperature)).astype(np.float32)
        net = self._net(
            X, device, seeds[1], mixin=_BatchPriorMixin, bias_prior=self.prior
        )
        self._log(f"training the network on {n_rows(X)} rows, prior={self.prior}")
        net.fit(X_net, y, **{BIAS_PARAM: q})
        self.bias_proba_ = proba
        self.bias_estimator_ = bias_net
        self.estimator_ = net

    def _bias_proba(self, X, X_net, y, device, seed):
        template = self.bias_estimator
        if template is None:
            template = self.estimator
        name = "estimator" if self.bias_estimator is None else "bias_estimator"
        params = {} if self.bias_epochs is None else {"max_epochs": self.bias_epochs}
        if self.bias == "xrm":
            if params:
                template = clone(template if template is not None else mlp_net())
                template.set_params(**params)
            self._log("bias model: XRM twins")
            proba, twins = fit_xrm(
                template,
                X_net,
                y,
                n_classes=len(self.classes_),
                device=device,
                random_state=seed,
                verbose=self.verbose,
            )
            return proba, twins
        bias_net = make_net(
            template,
            X=X,
            n_classes=len(self.classes_),
            device=device,
            seed=seed,
            verbose=self.verbose,
            name=name,
            mixin=GCELossMixin,
            gce_q=float(self.gce_q),
            **params,
        )
        self._log(f"bias model: GCE (q={self.gce_q}), {bias_net.max_epochs} epochs")
        bias_net.fit(X_net, y)
        check_trained(bias_net, X, "the bias network")
        try:
            proba = checked_output(bias_net.predict_proba, X_net)
        except ValueError as exc:  # finite weights, overflowing outputs
            largest = largest_magnitude(X)
            held = "" if largest is None else f"X holds values up to {largest:.3g}; "
            raise ValueError(
                "training of the bias network diverged: its output on X is NaN or "
                f"infinite. {held}scale X (e.g. with "
                "sklearn.preprocessing.StandardScaler) or lower the learning rate."
            ) from exc
        return proba / proba.sum(axis=1, keepdims=True), bias_net


class _LastLayerBaseline(_BaseNetBaseline):
    """Two stages shared by DFR and AFR: the network trained on one part of
    the rows, then its last layer refitted on the other part's features."""

    _parameter_constraints: dict = {
        **_BaseNetBaseline._parameter_constraints,
        "last_layer": [str, None],
        "holdout_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        groups: ArrayLike | None = None,
        last_layer_rows: ArrayLike | None = None,
    ):
        """Train the network on one part of the rows, then refit its last layer.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Training input: a numeric table or anything the network takes
            (:ref:`user_guide_inputs`).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        groups : array-like of shape (n_samples,), default=None
            Group labels: required by DFR (only the rows of the last-layer part
            are read), ignored by AFR.
        last_layer_rows : array-like of bool of shape (n_samples,), default=None
            Which rows refit the last layer (for example the validation rows,
            appended to the training rows, as DFR and AFR use them); the other
            rows train the network. ``None`` holds out ``holdout_fraction`` of
            the rows, stratified. Under metadata routing, request it with
            ``set_fit_request(last_layer_rows=True)``: a search then splits it
            with the rows.

        Returns
        -------
        self : object
            Fitted; a failed fit leaves the estimator as it was.
        """
        return self._fit(X, y, groups, last_layer_rows=last_layer_rows)

    def _stage_rows(self, n, strata, last_layer_rows, seed):
        """(network rows, last-layer rows) as sorted index arrays."""
        if last_layer_rows is not None:
            mask = np.asarray(last_layer_rows)
            if mask.dtype != bool or mask.shape != (n,):
                raise ValueError(
                    "last_layer_rows must be a boolean array with one entry per row "
                    f"of X, shape ({n},); got dtype {mask.dtype}, shape {mask.shape}."
                )
            if mask.all() or not mask.any():
                raise ValueError(
                    "last_layer_rows must leave rows for both stages: some True "
                    "(they refit the last layer) and some False (they train the "
                    "network)."
                )
            return np.flatnonzero(~mask), np.flatnonzero(mask)
        parts = _split(strata, self.holdout_fraction, seed)
        # In the data's order: the stages see their rows as the user gave them.
        return tuple(np.sort(part) for part in parts)

    def _network_and_features(self, X, X_net, y, first, second, device, seed):
        """The network trained on rows ``first``, its last layer, and the
        layer's inputs on rows ``second``."""
        net = self._net(X, device, seed)
        self._log(f"stage 1: the network on {len(first)} rows")
        net.fit(take_rows(X_net, first), y[first])
        check_trained(net, X, "the stage-1 network")
        layer = find_last_layer(net.module_, self.last_layer)
        X_second = take_rows(X_net, second)
        check_last_layer(net, X_second, layer, "last_layer")
        return net, layer, X_second, layer_inputs(net, X_second, layer)


class DFRClassifier(_LastLayerBaseline):
    """Deep Feature Reweighting (DFR): the last layer refitted on group-balanced data.

    The method of Kirichenko et al. (2023): the network is trained on one part
    of the rows (ERM); its penultimate features (the inputs of
    ``last_layer``) are computed once on the other part, standardised, and an
    L1-penalised logistic regression on **group-balanced** subsets of them
    (each group subsampled to the smallest group's size) replaces the last
    layer. Its ``C`` is chosen from ``Cs`` by the worst-group accuracy on one
    half of that part of a model fitted on the other (balanced) half; then
    ``n_refits`` models fitted on balanced subsets of the whole part are
    averaged. It uses the group labels of the last-layer rows
    (``fit(X, y, groups=groups)``; in the paper, the validation set's);
    without them the classes play the groups' part (class-balanced
    retraining, what DFR can do with no group labels).

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    last_layer : str or None, default=None
        The ``torch.nn.Linear`` submodule that maps the features to the class
        logits, by its dotted name (``"classifier"``, ``"head.fc"``); ``None``
        is the module's last ``torch.nn.Linear`` (:mod:`skmat.last_layer`).
    holdout_fraction : float, default=0.2
        Without ``last_layer_rows``: the fraction of rows, stratified by
        group, held out of stage 1 to refit the last layer.
    Cs : sequence of float, default=(1.0, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01)
        Inverse L1 penalties tried (the paper's grid).
    n_refits : int, default=20
        Logistic regressions averaged (the paper's 20).
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network, the split and the balanced subsets.
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
        The network, its last layer replaced by the averaged regression.
    groups_ : ndarray of shape (n_groups,)
        Group labels seen in ``fit``, sorted (absent when fitted without).
    last_layer_rows_ : ndarray of shape (n_samples,), bool
        The rows that refitted the last layer.
    C_ : float
        The chosen inverse penalty.
    cv_scores_ : ndarray of shape (len(Cs),)
        Worst-group accuracy of each ``C`` on the held half.

    References
    ----------
    P. Kirichenko, P. Izmailov, A. G. Wilson. "Last Layer Re-Training is
    Sufficient for Robustness to Spurious Correlations", ICLR 2023.

    Examples
    --------
    >>> from skmat.baselines import DFRClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(300, 10, random_state=0)
    >>> clf = DFRClassifier(mlp_net((16,), max_epochs=5), n_refits=3,
    ...                     random_state=0).fit(X, y, groups=groups)
    >>> int(clf.last_layer_rows_.sum()), clf.C_ in clf.Cs
    (60, True)
    """

    _parameter_constraints: dict = {
        **_LastLayerBaseline._parameter_constraints,
        "Cs": ["array-like"],
        "n_refits": [Interval(numbers.Integral, 1, None, closed="left")],
    }
    _reads_groups = True

    def __init__(
        self,
        estimator=None,
        *,
        last_layer=None,
        holdout_fraction=0.2,
        Cs=(1.0, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01),
        n_refits=20,
        device=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.last_layer = last_layer
        self.holdout_fraction = holdout_fraction
        self.Cs = Cs
        self.n_refits = n_refits
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds, last_layer_rows=None):
        Cs = np.asarray(self.Cs, dtype=np.float64).reshape(-1)
        if not len(Cs) or not np.all(np.isfinite(Cs)) or np.any(Cs <= 0):
            raise ValueError(f"Cs must hold positive finite floats; got {self.Cs!r}.")
        rng = np.random.RandomState(seeds[0])
        strata = y if groups is None else groups
        first, second = self._stage_rows(
            len(y), strata, last_layer_rows, rng.randint(SEED_SPACE)
        )
        net, layer, _, features = self._network_and_features(
            X, X_net, y, first, second, device, seeds[1]
        )
        y2 = y[second]
        # Without group labels the classes are the groups (class balancing).
        _, g2 = np.unique(strata[second], return_inverse=True)
        if len(np.unique(y2)) != len(self.classes_):
            raise ValueError(
                "DFR refits the last layer on the last-layer rows, which must hold "
                f"every class; they hold {len(np.unique(y2))} of "
                f"{len(self.classes_)}."
            )
        intercept = layer.bias is not None
        scaler = StandardScaler(with_mean=intercept).fit(features)
        Z = scaler.transform(features)
        self._log(f"stage 2: L1 logistic regression on {len(second)} rows")
        half_a, half_b = _split(g2, 0.5, rng.randint(SEED_SPACE))
        if len(np.unique(y2[half_a])) < len(self.classes_):
            raise ValueError(
                "DFR chooses C on two halves of the last-layer rows, each of which "
                f"must hold every class; {len(second)} rows are too few. Hold out "
                "more rows (holdout_fraction) or pass last_layer_rows."
            )
        scores = []
        for C in Cs:
            model = self._regression(C, intercept, rng)
            fit_rows = _balanced(half_a, g2, rng)
            model.fit(Z[fit_rows], y2[fit_rows])
            y_pred = model.predict(Z[half_b])
            scores.append(worst_group_accuracy(y2[half_b], y_pred, groups=g2[half_b]))
        best = float(Cs[int(np.argmax(scores))])
        coefs, intercepts = [], []
        for _ in range(int(self.n_refits)):
            model = self._regression(best, intercept, rng)
            fit_rows = _balanced(np.arange(len(y2)), g2, rng)
            model.fit(Z[fit_rows], y2[fit_rows])
            coefs.append(model.coef_)
            intercepts.append(np.broadcast_to(model.intercept_, (len(model.coef_),)))
        coef, bias = np.mean(coefs, axis=0), np.mean(intercepts, axis=0)
        # Standardisation folded into the weights: z = (h - mean) / scale.
        coef = coef / scaler.scale_
        if intercept:
            bias = bias - coef @ scaler.mean_
        _load_linear(net, layer, coef, bias if intercept else None)
        mask = np.zeros(len(y), dtype=bool)
        mask[second] = True
        self.last_layer_rows_ = mask
        self.C_ = best
        self.cv_scores_ = np.asarray(scores)
        self.estimator_ = net

    def _regression(self, C, intercept, rng):
        # liblinear for two classes (DFR's choice), saga (multinomial) beyond.
        solver = "liblinear" if len(self.classes_) == 2 else "saga"
        return LogisticRegression(
            C=C,
            l1_ratio=1.0,
            solver=solver,
            fit_intercept=intercept,
            max_iter=5000,
            random_state=rng.randint(SEED_SPACE),
        )


class AFRClassifier(_LastLayerBaseline):
    """Automatic Feature Reweighting (AFR): the last layer retrained on reweighted rows.

    The method of Qiu et al. (2023), with no group labels: the network is
    trained on one part of the rows (ERM); on the other part, each example
    gets the weight ``exp(-gamma * p_true(x))`` (``p_true`` the network's
    probability of the true label: examples it gets wrong weigh most), the
    weights of each class scaled to the same total and all of them to sum 1;
    then only the last layer is retrained, starting from the ERM weights
    ``W0``, with full batches on ``sum_i w_i CE_i + reg * ||W - W0||^2`` (``W``
    every parameter of the layer), on the layer's inputs computed once.
    The retraining is a skorch net of the layer alone (``torch.optim.Adam``).

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    gamma : float, default=4.0
        Sharpness of the weights (the paper tunes it per data set).
    reg : float, default=0.1
        Weight of the penalty ``||W - W0||^2``.
    last_layer : str or None, default=None
        The ``torch.nn.Linear`` submodule that maps the features to the class
        logits, by its dotted name; ``None`` is the module's last
        ``torch.nn.Linear`` (:mod:`skmat.last_layer`).
    holdout_fraction : float, default=0.2
        Without ``last_layer_rows``: the fraction of rows, stratified by class,
        held out of stage 1 to retrain the last layer (the paper's 20%).
    last_layer_epochs : int, default=500
        Full-batch steps of the retraining.
    last_layer_lr : float, default=0.01
        Its learning rate.
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the network, the split and the retraining.
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
        The network, its last layer replaced by the retrained one.
    last_layer_rows_ : ndarray of shape (n_samples,), bool
        The rows that retrained the last layer.
    sample_weights_ : ndarray of shape (n_last_layer_rows,)
        Their weights, in row order (sum 1, each class ``1 / n_classes``).
    last_layer_estimator_ : skorch net
        The retraining net (its module the retrained layer, its history the
        steps).

    References
    ----------
    S. Qiu, A. Potapczynski, P. Izmailov, A. G. Wilson. "Simple and Fast Group
    Robustness by Automatic Feature Reweighting", ICML 2023.

    Examples
    --------
    >>> from skmat.baselines import AFRClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = AFRClassifier(mlp_net((16,), max_epochs=5), last_layer_epochs=20,
    ...                     random_state=0).fit(X, y)
    >>> round(float(clf.sample_weights_.sum()), 6)
    1.0
    """

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **_LastLayerBaseline._parameter_constraints,
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "last_layer_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "last_layer_lr": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        gamma=4.0,
        reg=0.1,
        last_layer=None,
        holdout_fraction=0.2,
        last_layer_epochs=500,
        last_layer_lr=0.01,
        device=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.gamma = gamma
        self.reg = reg
        self.last_layer = last_layer
        self.holdout_fraction = holdout_fraction
        self.last_layer_epochs = last_layer_epochs
        self.last_layer_lr = last_layer_lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _fit_nets(self, X, X_net, y, groups, device, seeds, last_layer_rows=None):
        rng = np.random.RandomState(seeds[0])
        first, second = self._stage_rows(
            len(y), y, last_layer_rows, rng.randint(SEED_SPACE)
        )
        net, layer, X_second, features = self._network_and_features(
            X, X_net, y, first, second, device, seeds[1]
        )
        y2 = y[second]
        proba = checked_output(net.predict_proba, X_second)
        weights = afr_weights(proba[np.arange(len(y2)), y2], y2, float(self.gamma))
        binary = isinstance(net, NeuralNetBinaryClassifier)
        criterion = torch.nn.BCEWithLogitsLoss if binary else torch.nn.CrossEntropyLoss
        head = (NeuralNetBinaryClassifier if binary else NeuralNetClassifier)(
            module=copy.deepcopy(layer),
            criterion=criterion,
            optimizer=torch.optim.Adam,
            lr=float(self.last_layer_lr),
            batch_size=-1,
            max_epochs=int(self.last_layer_epochs),
            train_split=None,
            device=net.device,
        )
        head = make_net(
            head,
            X=features,
            n_classes=len(self.classes_),
            seed=rng.randint(SEED_SPACE),
            verbose=self.verbose,
            name="last_layer",
            mixin=_AnchoredLossMixin,
            anchor_penalty=float(self.reg),
        )
        self._log(f"stage 2: the last layer on {len(second)} reweighted rows")
        head.fit(features, y2, **{WEIGHT_PARAM: weights})
        layer.load_state_dict(head.module_.state_dict())
        mask = np.zeros(len(y), dtype=bool)
        mask[second] = True
        self.last_layer_rows_ = mask
        self.sample_weights_ = weights
        self.last_layer_estimator_ = head
        self.estimator_ = net


class XRMGroupDROClassifier(GroupDROClassifier):
    """GroupDRO on the groups that XRM infers: no group labels anywhere.

    Two stages (Pezeshki et al., 2024): XRM twins of the network
    (:func:`skmat.xrm.fit_xrm`) give each training example a held-out
    prediction; the example's inferred group is ``(label, conflicting)``,
    conflicting when that prediction is wrong (:func:`skmat.metrics.infer_groups`);
    then :class:`GroupDROClassifier`'s online GroupDRO trains the network on
    those groups. A run where XRM does not split some class into an agreeing
    and a conflicting group is degenerate (the authors discard it in model
    selection): ``unsplit_classes_`` names those classes, empty otherwise (on a
    problem without a shortcut that is expected: there is nothing to split).
    :meth:`infer_groups` infers the groups of new labelled data from the
    twins' cross-mistakes, so :data:`skmat.metrics.inferred_worst_group_scorer`
    selects models without group labels.

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The network, as for :class:`~skmat.MATClassifier` (copied, never
        modified; ``CrossEntropyLoss``, ``NLLLoss`` or, binary,
        ``BCEWithLogitsLoss``). ``None`` uses :func:`skmat.mlp.mlp_net`, sized
        from the data.
    eta : float, default=0.01
        GroupDRO's step size (:class:`GroupDROClassifier`).
    xrm_estimator : skorch classifier, default=None
        The network whose XRM twins infer the groups; ``None`` uses
        ``estimator``.
    flip_mode : {"redraw", "persist"}, default="redraw"
        XRM's label flipping (:mod:`skmat.xrm`).
    device : str or torch.device, default=None
        Torch device of the network(s); ``None`` keeps the net's own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds the twins and the network (the twins like MAT's held-out phase).
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
    xrm_ : skorch net
        The fitted twin net.
    inferred_groups_ : ndarray of shape (n_samples,)
        Each training example's inferred group, ``2 * label_index +
        conflicting``.
    groups_ : ndarray of shape (n_groups,)
        The inferred groups that occur, sorted.
    unsplit_classes_ : ndarray
        Classes whose examples are all agreeing or all conflicting (a
        degenerate run when not empty).
    group_weights_ : ndarray of shape (n_groups,)
        GroupDRO's ``q`` at the end of training, in ``groups_`` order.

    References
    ----------
    M. Pezeshki, D. Bouchacourt, M. Ibrahim, N. Ballas, P. Vincent, D. Lopez-Paz.
    "Discovering environments with XRM", ICML 2024.

    Examples
    --------
    >>> from skmat.baselines import XRMGroupDROClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> from skmat.mlp import mlp_net
    >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
    >>> clf = XRMGroupDROClassifier(mlp_net((16,), max_epochs=10), random_state=0)
    >>> clf.fit(X, y).inferred_groups_.shape
    (200,)
    """

    __metadata_request__fit = {"groups": metadata_routing.UNUSED}
    _parameter_constraints: dict = {
        **GroupDROClassifier._parameter_constraints,
        "xrm_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "flip_mode": [StrOptions({"redraw", "persist"})],
    }
    _needs_groups = False
    _net_params = (*_BaseNetBaseline._net_params, "xrm_estimator")

    def __init__(
        self,
        estimator=None,
        *,
        eta=0.01,
        xrm_estimator=None,
        flip_mode="redraw",
        device=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            estimator,
            eta=eta,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.xrm_estimator = xrm_estimator
        self.flip_mode = flip_mode

    def _fit_nets(self, X, X_net, y, groups, device, seeds):
        n_classes = len(self.classes_)
        template = self.estimator if self.xrm_estimator is None else self.xrm_estimator
        self._log("stage 1: XRM twins infer the groups")
        proba, twins = fit_xrm(
            template,
            X_net,
            y,
            n_classes=n_classes,
            device=device,
            random_state=seeds[0],
            flip_mode=self.flip_mode,
            verbose=self.verbose,
        )
        inferred = infer_groups(y, proba, classes=np.arange(n_classes))
        counts = np.bincount(inferred, minlength=2 * n_classes).reshape(-1, 2)
        unsplit = np.flatnonzero(counts.min(axis=1) == 0)
        if len(unsplit):
            self._log(f"XRM did not split class(es) {self.classes_[unsplit].tolist()}")
        keys, index = np.unique(inferred, return_inverse=True)
        self.groups_ = keys
        net = self._group_dro_net(X, X_net, y, index, len(keys), device, seeds)
        self.group_weights_ = net.group_weights_.detach().cpu().double().numpy()
        self.xrm_ = twins
        self.inferred_groups_ = inferred
        self.unsplit_classes_ = self.classes_[unsplit]
        self.estimator_ = net

    def infer_groups(self, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Infer the groups of a labelled set by the XRM twins' cross-mistakes.

        An example is conflicting when either twin's argmax is wrong (the XRM
        rule), as :meth:`skmat.MATClassifier.infer_groups` with
        ``holdout="xrm"``.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input of a labelled set (for example a validation split).
        y : array-like of shape (n_samples,)
            Its labels, all among ``classes_``.

        Returns
        -------
        groups : ndarray of shape (n_samples,)
            ``2 * label_index + conflicting``.

        Examples
        --------
        >>> from skmat.baselines import XRMGroupDROClassifier
        >>> from skmat.datasets import make_spurious_splits
        >>> from skmat.mlp import mlp_net
        >>> data = make_spurious_splits(200, 10, random_state=0)
        >>> (X, y, _), (X_val, y_val, _) = data.train, data.valid
        >>> clf = XRMGroupDROClassifier(mlp_net((16,), max_epochs=10),
        ...                             random_state=0).fit(X, y)
        >>> clf.infer_groups(X_val, y_val).shape
        (200,)
        """
        check_is_fitted(self)
        X = check_labelled_X(self, X, y)
        twins = self.xrm_.predict_proba_twins(for_nets(X))
        return infer_groups(y, twins, classes=self.classes_)


def afr_weights(p_true: ArrayLike, y: ArrayLike, gamma: float) -> np.ndarray:
    """AFR's example weights: ``exp(-gamma * p_true)``, class-balanced, summing to 1.

    Parameters
    ----------
    p_true : array-like of shape (n,)
        Each example's predicted probability of its true label.
    y : array-like of shape (n,)
        Class indices.
    gamma : float
        Sharpness.

    Returns
    -------
    weights : ndarray of shape (n,)
        Each class's weights sum to ``1 / n_classes_present``.

    Examples
    --------
    >>> from skmat.baselines import afr_weights
    >>> afr_weights([0.9, 0.1, 0.5], [0, 0, 1], gamma=0.0).tolist()
    [0.25, 0.25, 0.5]
    """
    p_true = np.asarray(p_true, dtype=np.float64)
    y = np.asarray(y)
    weights = np.exp(-float(gamma) * p_true)
    present = np.unique(y)
    for c in present:
        weights[y == c] /= weights[y == c].sum()
    return weights / len(present)


def _split(strata, test_size, seed):
    """Row indices in two parts, stratified by ``strata`` where every stratum
    allows it (a stratum too small to split: at random)."""
    rows = np.arange(len(strata))
    try:
        return train_test_split(
            rows, test_size=test_size, stratify=strata, random_state=seed
        )
    except ValueError:
        return train_test_split(rows, test_size=test_size, random_state=seed)


def _balanced(rows, groups, rng):
    """``rows`` subsampled (without replacement) to the smallest group's size."""
    by_group = [rows[groups[rows] == g] for g in np.unique(groups[rows])]
    size = min(len(part) for part in by_group)
    return np.concatenate([rng.choice(part, size, replace=False) for part in by_group])


def _load_linear(net, layer, coef, bias):
    """Set ``layer`` to give the logits of a logistic regression (``coef``,
    ``bias``; one row for two classes, which a two-column layer splits
    symmetrically)."""
    coef = np.asarray(coef, dtype=np.float64)
    out = layer.out_features
    if coef.shape[0] == 1 and out == 2:
        coef = np.vstack([-coef, coef]) / 2
        bias = None if bias is None else np.concatenate([-bias, bias]) / 2
    if coef.shape != tuple(layer.weight.shape):
        raise ValueError(
            f"last_layer {layer} cannot hold a regression over {coef.shape[0]} "
            f"output(s) of {coef.shape[1]} features."
        )
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(coef, dtype=layer.weight.dtype))
        if layer.bias is not None and bias is not None:
            layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))
