"""MATClassifier: Memorization-Aware Training as a scikit-learn meta-estimator."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from ._base import NetEstimator, fill_doc, sklearn_fit_params
from ._checks import check_trained
from ._devices import is_accelerator
from ._encoding import python_value
from ._inputs import check_labelled_X, n_rows, splitter_X
from ._seeding import seed_estimator
from .exceptions import MATFitWarning
from .factory import SKORCH_CLASSIFIERS
from .groups import infer_groups
from .guard import (
    ACCURACY_DROP_MAX,
    LEFT_TO_LEARN_MIN,
    OVERPREDICTION_MAX,
    accuracy_drop,
    left_to_learn,
    overprediction,
)
from .holdout import check_holdout_proba, cross_val_holdout_proba, proba_in_label_order
from .mlp import mlp_net
from .nets import SHIFT_PARAM
from .together import StackedNetMixin, unsupported_reason
from .transition import TEMPERATURE, mat_shift

__all__ = ["MATClassifier"]


@fill_doc
class MATClassifier(NetEstimator):
    """Memorization-Aware Training (MAT) of a skorch network.

    MAT (Bayat et al., 2024) trains a network whose logits are shifted, in the
    loss only, by what a *held-out* model already predicts for each training
    example. A network that fits most examples with a spurious shortcut and
    memorizes the rest can no longer drive the loss to zero that way, so it has to
    learn the feature that holds for every group. Prediction uses the network
    alone, with no shift.

    ``fit`` runs three steps:

    1. held-out probabilities ``holdout_proba_`` of every training example: by
       cross-validation over ``holdout_estimator`` and ``cv`` (``holdout="cv"``,
       computed as :func:`~sklearn.model_selection.cross_val_predict` does, the
       fold models kept), by two XRM twin networks (``holdout="xrm"``), or given
       directly as ``fit(X, y, holdout_proba=P)``;
    2. the joint and transition matrices and the per-example shift, in plain NumPy
       (:mod:`skmat.transition`): ``q = softmax(log p_ho / temperature)``,
       ``transition_matrix_[k, c] = p(y = c | y_ho = k)``,
       ``shift_ = log(q @ transition_matrix_)``;
    3. the final network ``estimator_`` trained on
       ``CE(softmax(f(x) + shift_), y)``;
    4. a guard (:mod:`skmat.guard`): where the shift leaves almost nothing to
       learn, the final network is trained with the plain loss instead
       (``fallback_``); where the trained network ends far below the held-out
       models on its own training rows, or predicts a class many times more
       often than it occurs, a :class:`~skmat.exceptions.MATFitWarning` names
       the cause and the remedy (``guard_`` keeps the numbers).

    With the defaults, the held-out probabilities come from XRM twins trained
    for a tenth of the network's epochs (``holdout="auto"``,
    ``holdout_epochs=0.1``), and a fit costs little more than one plain training
    (:doc:`/generated/results/controls`).

    Parameters
    ----------
    estimator : skorch NeuralNetClassifier or NeuralNetBinaryClassifier, default=None
        The final network, with your own module, optimizer, callbacks...; it is
        copied, never modified. Its criterion must be ``CrossEntropyLoss`` (the
        module outputs logits) or ``NLLLoss`` (skorch's default: the module outputs
        probabilities and their log serves as logits); a binary net needs
        ``BCEWithLogitsLoss``. ``None`` uses :func:`skmat.mlp.mlp_net`, an MLP
        with one hidden layer of 100 units whose input and output sizes are set
        from the data. Labels reach the net encoded as ``0 .. n_classes - 1``.
    holdout_estimator : classifier with ``predict_proba``, default=None
        Model that gives the held-out probabilities (LogisticRegression,
        HistGradientBoostingClassifier, another skorch net...). ``None`` uses a
        copy of ``estimator``, trained with the plain loss.
    holdout : {"auto", "cv", "xrm"}, default="auto"
        Where the held-out probabilities come from. ``"xrm"``: XRM (Pezeshki et
        al., 2024), as in the paper: two twin copies of the network
        (``holdout_estimator`` if it is a skorch net, else ``estimator``) each
        trained on a random half with class-balanced loss on labels that flip to
        the other twin's prediction; each example is predicted by the twin that
        did not train on it (:func:`skmat.xrm.fit_xrm`). ``"cv"``:
        cross-validation, each example predicted by the fold model that did not
        train on it; works with any ``holdout_estimator``. ``"auto"`` is
        ``"xrm"`` when the held-out model is a skorch net (the default copy of
        ``estimator`` included) and ``cv`` is None, ``"cv"`` otherwise (a
        scikit-learn ``holdout_estimator``, or ``cv`` given).
    cv : int, cross-validation generator, iterable or None, default=None
        Splitting of the held-out phase when it is cross-validation, as in
        :func:`~sklearn.model_selection.cross_val_predict`: an int is a
        :class:`~sklearn.model_selection.StratifiedKFold`, None 5 folds. Every
        class needs at least as many examples as folds. With metadata routing
        enabled, ``groups`` passed to ``fit`` reach the splitter (e.g.
        ``GroupKFold``). Ignored with ``holdout="xrm"``.
    temperature : float, default=0.1
        Positive temperature that sharpens the held-out probabilities,
        ``softmax(log p / temperature)``, before the transition matrix. Small
        values trust the held-out argmax; large ones flatten towards class-prior
        logit adjustment. The paper searches {0.001, 0.01, 0.1}; 0.1 is the default
        because it was best or tied with 0.001 and 0.01 on the Figure 1 problem
        (:doc:`/generated/results/temperature`) and held-out nets trained for a
        short budget need a sharp temperature; 1.0 was clearly worse there.
    holdout_epochs : int, float or None, default=0.1
        Training budget of the held-out networks (CV fold nets, trained one by
        one or together, and XRM twins): an int is their ``max_epochs``; a
        float in (0, 1] that fraction of the held-out net's own ``max_epochs``,
        rounded up; None their own ``max_epochs``. A shortcut is what networks
        learn first, so held-out nets trained for a tenth of the epochs already
        reveal it (the same transition matrix on the Figure 1 problem and the
        coloured digits as with the full budget) and the whole fit costs little
        more than one plain training; held-out nets trained to fit the labels
        leave the final net only label noise and hard examples to learn where
        the data have no shortcut (:doc:`/generated/results/controls`). A
        shortcut that the net learns slowly (the keyword text there) needs a
        larger budget. Applies to skorch held-out nets only; a scikit-learn
        ``holdout_estimator`` is fitted as it is.
    folds_together : {"auto", True, False}, default="auto"
        With ``holdout="cv"`` and a skorch held-out net: whether the K fold
        nets train together as one skorch net
        (:func:`skmat.together.fit_folds_together`: the user's net class around
        a module holding the K copies, each copy's loss over its own training
        rows only, one optimizer step for all). ``False`` fits them one by one
        (in parallel with ``n_jobs``); ``"auto"`` trains them together on a GPU
        (or MPS) when the net allows it
        (:func:`skmat.together.unsupported_reason`: ``train_split=None``, an
        elementwise optimizer, no callback acting on gradients), one by one
        otherwise; ``True`` trains them together or raises, saying why not.
        Ignored with ``holdout="xrm"`` (the twins are always one net).
    vmap : {"auto", True, False}, default="auto"
        Whether copies trained together (the fold nets above, or the XRM
        twins) run their forwards in one :func:`torch.vmap` call
        (:class:`skmat.stacked.StackedModule`): ``"auto"`` does so on
        accelerators unless the module has BatchNorm; ``False`` runs the copies
        one after the other.
    device : str or torch.device, default=None
        Torch device of the final network and of the default held-out network
        (``"cpu"``, ``"cuda"``, ``"cuda:1"``); ``None`` keeps the net's own
        ``device``. An absent device is a ``ValueError`` at ``fit``.
    n_jobs : int, default=None
        Number of held-out folds fitted in parallel (joblib). Results with
        another ``n_jobs`` differ by float rounding only (joblib's workers run
        torch on one thread each; see :doc:`/reliability`).
    random_state : int, RandomState instance or None, default=None
        Seeds the networks (weights, shuffling, dropout: torch's generators are
        seeded per fit and restored afterwards) and any ``random_state`` left at
        ``None`` on ``holdout_estimator``. The same value and data give identical
        predictions. As in scikit-learn, it does not seed a splitter you pass as
        ``cv``: give a shuffling splitter its own ``random_state`` (an int
        ``cv`` is a ``StratifiedKFold`` without shuffling, deterministic).
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
    holdout_proba_ : ndarray of shape (n_samples, n_classes)
        Held-out probabilities of the training examples, *before* the
        temperature, columns in ``classes_`` order.
    joint_ : ndarray of shape (n_classes, n_classes)
        ``joint_[k, c]`` = p(y_ho = k, y = c) over the training set.
    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        ``transition_matrix_[k, c]`` = p(y = c | y_ho = k); every row sums to 1. A
        held-out class that is never predicted (an all-zero row of ``joint_``)
        gets the class prior as its row.
    shift_ : ndarray of shape (n_samples, n_classes)
        Log of the calibrated held-out prior of each training example, the shift
        added to the logits in training; rows of ``exp(shift_)`` sum to 1 (entries
        are floored at ``skmat.transition.PROBA_FLOOR``).
    estimator_ : skorch net
        The fitted final network (a MAT-enabled copy of ``estimator``). Its
        ``history`` records the *shifted* ``train_loss``/``valid_loss``;
        ``valid_acc`` is the accuracy of the unshifted network.
    fallback_ : bool
        True when the shift left (almost) nothing to learn
        (``guard_.left_to_learn`` below
        :data:`skmat.guard.LEFT_TO_LEARN_MIN`) and ``estimator_`` was trained
        with the plain loss instead, with a
        :class:`~skmat.exceptions.MATFitWarning` saying so.
    guard_ : Bunch
        What the guard measured (:mod:`skmat.guard`): ``left_to_learn``, the
        share of the labels' information the shift leaves to learn; unless
        ``fallback_``, ``holdout_accuracy`` and ``train_accuracy`` (the
        held-out models' and the final network's accuracy on the training
        rows), ``overpredicted_class`` and ``overprediction`` (the class the
        network predicts most often relative to its frequency, and the
        factor). A :class:`~skmat.exceptions.MATFitWarning` names any that
        crossed its threshold.
    holdout_estimators_ : list of fitted classifiers
        With ``holdout="cv"``: the fold models, in split order; used again by
        :meth:`infer_groups`. Fold nets trained together each carry a copy of
        the joint training's ``history``
        (:meth:`skmat.together.StackedNetMixin.member_nets`).
    xrm_ : skorch net with :class:`skmat.xrm.XRMMixin`
        With ``holdout="xrm"``: the fitted twin net (its history records the
        flip rate of each epoch).
    xrm_assignment_ : ndarray of shape (n_samples,)
        With ``holdout="xrm"``: the twin (0 or 1) that trained on each example.
    xrm_flip_rate_ : float
        With ``holdout="xrm"``: final fraction of dynamic labels that differ from
        the true labels (the authors select XRM runs by it).

    See Also
    --------
    skmat.transition.mat_shift : The math of step 2 on its own.
    skmat.nets.MATNeuralNetClassifier : The skorch net trained in step 3.

    References
    ----------
    R. Bayat, M. Pezeshki, E. Dohmatob, D. Lopez-Paz, P. Vincent. "The Pitfalls of
    Memorization: When Memorization Hurts Generalization", arXiv:2412.07684, 2024.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmat import MATClassifier
    >>> from skmat.datasets import make_spurious_classification
    >>> X, y, groups = make_spurious_classification(300, 20, random_state=0)
    >>> # A strongly regularised held-out model learns the shortcut, not the rest.
    >>> clf = MATClassifier(holdout_estimator=LogisticRegression(C=0.01), cv=3,
    ...                     random_state=0).fit(X, y)
    >>> clf.transition_matrix_.round(2)
    array([[0.86, 0.14],
           [0.1 , 0.9 ]])
    >>> clf.fallback_, clf.predict(X[:5]).shape
    (False, (5,))
    """

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "holdout_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "holdout": [StrOptions({"auto", "cv", "xrm"})],
        "cv": ["cv_object", None],
        "temperature": [TEMPERATURE],
        "holdout_epochs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(numbers.Real, 0, 1, closed="right"),
            None,
        ],
        "folds_together": ["boolean", StrOptions({"auto"})],
        **StackedNetMixin._parameter_constraints,
        "n_jobs": [numbers.Integral, None],
    }
    _net_params = ("estimator", "holdout_estimator")

    def __init__(
        self,
        estimator: NeuralNet | None = None,
        *,
        holdout_estimator: BaseEstimator | NeuralNet | None = None,
        holdout: Literal["auto", "cv", "xrm"] = "auto",
        cv: int | BaseCrossValidator | Iterable | None = None,
        temperature: float = 0.1,
        holdout_epochs: int | float | None = 0.1,
        folds_together: bool | Literal["auto"] = "auto",
        vmap: bool | Literal["auto"] = "auto",
        device: str | torch.device | None = None,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.holdout_estimator = holdout_estimator
        self.holdout = holdout
        self.cv = cv
        self.temperature = temperature
        self.holdout_epochs = holdout_epochs
        self.folds_together = folds_together
        self.vmap = vmap
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    @fill_doc
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        holdout_proba: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        **fit_params: Any,
    ) -> MATClassifier:
        """Compute held-out probabilities, the shift, and train the final network.

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Training input: a numeric table (2-D array, DataFrame, sparse
            matrix) or anything the network takes: N-D arrays (images), torch
            tensors, dicts or ``SliceDict`` of arrays (token ids),
            ``SliceDataset`` (:ref:`user_guide_inputs`). Floats are fed to the
            network as float32.
        %(y)s
        holdout_proba : array-like of shape (n_samples, n_classes), default=None
            Precomputed held-out probabilities, columns in sorted label order; when
            given, no held-out model is fitted.
        %(sample_weight)s
            Here: the held-out nets, the XRM twins and the final network weigh
            the losses, and the joint matrix is the weighted one.
        **fit_params : dict
            Only with metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``): ``groups`` for
            the splitter, and parameters requested by ``estimator`` or
            ``holdout_estimator`` with ``set_fit_request``.

        Returns
        -------
        %(returns_self)s
        """
        _raise_for_params(fit_params, self, "fit")
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            holdout_proba=holdout_proba,
            fit_params=fit_params,
        )

    def _fit_nets(self, data, holdout_proba, fit_params):
        holdout_seed, final_seed = data.seeds
        net = self._net(data, final_seed)
        routed = self._route(data.sample_weight, fit_params)
        held_out = {}
        if holdout_proba is not None:
            proba = check_holdout_proba(holdout_proba, data.n_samples, data.n_classes)
        elif self._holdout_kind() == "xrm":
            proba, held_out = self._xrm_holdout(data, net, holdout_seed)
        else:
            proba, held_out = self._cv_holdout(data, net, holdout_seed, routed)
        joint, transition, shift = mat_shift(
            proba, data.y, self.temperature, sample_weight=data.sample_weight
        )
        guard = Bunch(left_to_learn=left_to_learn(shift, data.y))
        fallback = guard.left_to_learn < LEFT_TO_LEARN_MIN
        if fallback:
            self._warn_nothing_left(
                guard.left_to_learn, data.y, proba, holdout_proba is not None
            )
        how = "the plain loss" if fallback else "the shifted loss"
        self._log(f"training the final network on {data.n_samples} rows with {how}")
        shifted = {} if fallback else {SHIFT_PARAM: shift}
        net.fit(
            data.X_net, data.y, **shifted, **data.fit_params(), **routed.estimator.fit
        )
        check_trained(net, data.X)
        if not fallback:
            guard.update(self._check_final(net, data.X_net, data.y, proba))
        self.holdout_proba_ = proba
        self.joint_ = joint
        self.transition_matrix_ = transition
        self.shift_ = shift
        self.estimator_ = net
        self.fallback_ = fallback
        self.guard_ = guard
        for name, value in held_out.items():
            setattr(self, name, value)

    # -------------------------------------------------------------- guard
    def _settings_text(self):
        """The parameters a guard warning suggests changing, as they are now."""
        return (
            f"holdout={self._holdout_kind()!r}, "
            f"holdout_epochs={self.holdout_epochs!r}, "
            f"temperature={self.temperature!r}"
        )

    def _warn_nothing_left(self, share, y, proba, given):
        accuracy = float(np.mean(proba.argmax(axis=1) == y))
        if given:
            remedy = (
                "If you expect a shortcut, the held-out probabilities you passed "
                "come from a model that learned the labels rather than revealing "
                f"it; a larger temperature (now {self.temperature!r}) also leaves "
                "more to learn."
            )
        else:
            xrm = "" if self._holdout_kind() == "xrm" else " or use holdout='xrm'"
            remedy = (
                "If you expect a shortcut, the held-out models learned the labels "
                f"rather than revealing it: give them fewer epochs (holdout_epochs)"
                f"{xrm}; a larger temperature also leaves more to learn "
                f"({self._settings_text()})."
            )
        warnings.warn(
            f"MAT's shift leaves {share:.1%} of the labels' information to learn "
            f"(below {LEFT_TO_LEARN_MIN:.0%}): the held-out models already predict "
            f"the training labels with near certainty (held-out accuracy "
            f"{accuracy:.3f}), so the shifted loss is about zero before the final "
            "network learns anything and it would keep its initial weights. The "
            "final network was trained with the plain loss instead (fallback_ is "
            f"True). {remedy}",
            MATFitWarning,
            stacklevel=5,
        )

    def _check_final(self, net, X_net, y, proba):
        """The final network's training predictions against the held-out models'."""
        y_pred = np.asarray(net.predict(X_net))
        holdout_acc, train_acc = accuracy_drop(y, proba, y_pred)
        classes = self.classes_
        label, factor = overprediction(y, y_pred, len(classes))
        if holdout_acc - train_acc > ACCURACY_DROP_MAX:
            warnings.warn(
                f"The final network's accuracy on its own training rows "
                f"({train_acc:.3f}) is {holdout_acc - train_acc:.3f} below the "
                f"held-out models' ({holdout_acc:.3f}): it learned mainly what the "
                "shift leaves unexplained (label noise, hard examples), which is "
                "what MAT does where there is no shortcut to undo, and it may be "
                "worse than plain training. Compare it with "
                "skmat.ERMClassifier on validation data; to weaken the shift, give "
                "the held-out models fewer epochs (holdout_epochs) or raise the "
                f"temperature ({self._settings_text()}).",
                MATFitWarning,
                stacklevel=5,
            )
        if factor > OVERPREDICTION_MAX:
            warnings.warn(
                f"The final network predicts class "
                f"{python_value(classes[label])!r} for {factor:.1f} times as many "
                "training rows as carry that label: MAT's shift holds the class "
                "prior, so like logit adjustment it trades accuracy for balanced "
                "accuracy on rare classes. If accuracy matters more, compare with "
                "skmat.ERMClassifier on validation data, or raise the temperature "
                f"({self._settings_text()}).",
                MATFitWarning,
                stacklevel=5,
            )
        return {
            "holdout_accuracy": holdout_acc,
            "train_accuracy": train_acc,
            "overpredicted_class": classes[label],
            "overprediction": factor,
        }

    def _holdout_kind(self):
        """``holdout`` resolved: "auto" is XRM for a skorch held-out net (the
        default copy of ``estimator`` included), CV for anything else."""
        if self.holdout != "auto":
            return self.holdout
        if self.cv is None and (
            self.holdout_estimator is None
            or isinstance(self.holdout_estimator, SKORCH_CLASSIFIERS)
        ):
            return "xrm"
        return "cv"

    def _holdout_net(self, net, data, seed):
        """The held-out network: a copy of the final one (same device) when
        ``holdout_estimator`` is None, a MAT-enabled copy of a skorch
        ``holdout_estimator`` (its own device), None for anything else."""
        if self.holdout_estimator is None:
            holdout = clone(net)  # trained without a shift
        elif isinstance(self.holdout_estimator, SKORCH_CLASSIFIERS):
            holdout = self._net(
                data,
                seed,
                template=self.holdout_estimator,
                name="holdout_estimator",
                device=None,
            )
        else:
            return None
        return holdout.set_params(max_epochs=self._holdout_budget(holdout.max_epochs))

    def _holdout_budget(self, max_epochs):
        """The held-out nets' epochs: ``holdout_epochs`` applied to a net's own."""
        budget = self.holdout_epochs
        if budget is None:
            return max_epochs
        if isinstance(budget, numbers.Integral):
            return int(budget)
        return max(1, int(np.ceil(budget * max_epochs)))

    def _cv_holdout(self, data, net, seed, routed):
        X, y, n_classes = data.X, data.y, data.n_classes
        groups = routed.splitter.split.get("groups")
        if groups is not None and len(groups) != n_rows(X):
            raise ValueError(
                f"groups has {len(groups)} entries but X has {n_rows(X)} rows; they "
                "must have the same length."
            )
        cv = check_cv(self.cv, y, classifier=True)
        X_split = splitter_X(X)
        n_splits = cv.get_n_splits(X_split, y, **routed.splitter.split)
        counts = np.bincount(y, minlength=n_classes)
        if hasattr(cv, "n_splits") and counts.min() < n_splits:
            smallest = self.classes_[np.argmin(counts)]
            raise ValueError(
                f"cv={self.cv!r} asks for {n_splits} folds, but class "
                f"{python_value(smallest)!r} "
                f"has only {counts.min()} example(s): every class needs at least as "
                "many examples as folds. Lower cv or add examples."
            )
        holdout = self._holdout_net(net, data, seed)
        is_net = holdout is not None
        if is_net:
            params = {**routed.holdout_estimator.fit, **data.fit_params()}
        else:
            holdout = seed_estimator(clone(self.holdout_estimator), seed)
            params = routed.holdout_estimator.fit
            if not _routing_enabled():
                params = sklearn_fit_params(
                    holdout, "holdout_estimator", data.sample_weight
                )
        splits = list(cv.split(X_split, y, **routed.splitter.split))
        self._log(
            f"held-out probabilities from {len(splits)} folds of "
            f"{type(holdout).__name__}"
        )
        together = self._folds_together(holdout, is_net, routed)
        proba, models = cross_val_holdout_proba(
            holdout,
            data.X_net if is_net else X,
            y,
            splits=splits,
            n_classes=n_classes,
            n_jobs=self.n_jobs,
            params=params,
            verbose=self.verbose,
            together=together,
            vmap=self.vmap,
        )
        return proba, {"holdout_estimators_": models}

    def _folds_together(self, holdout, is_net, routed):
        """Whether the CV fold nets train together (see ``folds_together``)."""
        together = self.folds_together
        if together is False:
            return False
        if not is_net:
            reason = (
                "holdout_estimator is not a skorch net "
                f"({type(self.holdout_estimator).__name__})"
            )
        elif routed.holdout_estimator.fit:
            reason = "fit parameters are routed to the held-out nets"
        else:
            reason = unsupported_reason(holdout)
        if together is True:
            if reason is not None:
                raise ValueError(
                    "folds_together=True trains the held-out fold nets together, "
                    f"but {reason}; use folds_together=False or 'auto'."
                )
            return True
        if reason is not None:
            return False
        return is_accelerator(holdout.device)

    def _xrm_holdout(self, data, net, seed):
        template = self._holdout_net(net, data, seed)
        if template is None:
            raise TypeError(
                "holdout='xrm' trains two twin networks, so holdout_estimator must be "
                "a skorch NeuralNetClassifier or None (a copy of estimator); got "
                f"{type(self.holdout_estimator).__name__}. Use holdout='cv' for a "
                "scikit-learn classifier."
            )
        self._log(
            f"held-out probabilities from XRM twins ({template.max_epochs} epochs)"
        )
        proba, twins = self._fit_xrm(data, template, seed, vmap=self.vmap)
        return proba, {
            "xrm_": twins,
            "xrm_assignment_": twins.xrm_assignment_,
            "xrm_flip_rate_": twins.xrm_flip_rate_,
        }

    # ------------------------------------------------------------ routing
    def _route(self, sample_weight, fit_params):
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            return process_routing(self, "fit", **fit_params)
        return Bunch(
            estimator=Bunch(fit={}),
            holdout_estimator=Bunch(fit={}),
            splitter=Bunch(split={}),
        )

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``fit`` consumes ``sample_weight`` itself and routes to the final
        ``estimator``'s ``fit``, the held-out estimator's ``fit`` (``estimator``
        when ``holdout_estimator`` is None) and the splitter's ``split``
        (``groups``).

        Returns
        -------
        routing : MetadataRouter
            Routing information.

        Examples
        --------
        >>> from skmat import MATClassifier
        >>> router = MATClassifier(cv=3).get_metadata_routing()
        """
        estimator = self.estimator if self.estimator is not None else mlp_net()
        holdout = (
            self.holdout_estimator if self.holdout_estimator is not None else estimator
        )
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                holdout_estimator=holdout,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                splitter=check_cv(self.cv, classifier=True),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    # ---------------------------------------------------- group inference
    def infer_groups(self, X: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Infer groups of a labelled set by the held-out models' cross-mistakes.

        No group annotation is needed: an example is *conflicting* when the
        held-out models, which learned whatever shortcut the data offer, get its
        label wrong. With ``holdout="xrm"`` an example is conflicting when either
        twin's argmax is wrong (the XRM rule). With ``holdout="cv"`` the fold
        models fitted during ``fit`` are kept (``holdout_estimators_``) and their
        averaged probabilities vote: each of them saw only part of the training
        set, and on new data their average is the held-out model that
        ``cross_val_predict`` approximates; a single "any fold wrong" rule would
        grow the conflicting set with every extra fold.

        Use it on validation data for model selection with no group labels
        (:data:`skmat.metrics.inferred_mean_group_scorer`).

        Parameters
        ----------
        X : array-like, sparse matrix, dict or SliceDataset
            Input of a labelled set (for example a validation split), of the
            kind the estimator was fitted on.
        y : array-like of shape (n_samples,)
            Its labels, all among ``classes_``.

        Returns
        -------
        groups : ndarray of shape (n_samples,)
            ``2 * label_index + conflicting``: for two classes, 0 and 2 are the
            examples of ``classes_[0]`` and ``classes_[1]`` where the held-out
            models agree with the label, 1 and 3 those where they do not.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat import MATClassifier
        >>> from skmat.datasets import make_spurious_splits
        >>> data = make_spurious_splits(300, 20, random_state=0)
        >>> (X, y, _), (X_val, y_val, _) = data.train, data.valid
        >>> clf = MATClassifier(holdout_estimator=LogisticRegression(C=0.01), cv=2,
        ...                     random_state=0).fit(X, y)
        >>> clf.infer_groups(X_val, y_val).shape
        (300,)
        """
        check_is_fitted(self)
        X = check_labelled_X(self, X, y)
        if hasattr(self, "xrm_"):
            predictions = self.xrm_.predict_proba_twins(X)
        elif hasattr(self, "holdout_estimators_"):
            n_classes = len(self.classes_)
            probas = [
                proba_in_label_order(model, model.predict_proba(X), n_classes)
                for model in self.holdout_estimators_
            ]
            predictions = np.mean(probas, axis=0)
        else:
            raise AttributeError(
                "infer_groups needs the held-out models, but this MATClassifier was "
                "fitted with precomputed holdout_proba; fit it without holdout_proba."
            )
        return infer_groups(y, predictions, classes=self.classes_)
