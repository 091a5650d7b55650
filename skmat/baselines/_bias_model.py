"""Methods built on a bias model: LfF and logit correction (LC, uLA)."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._base import NetEstimator, fill_doc
from .._checks import check_trained
from .._inputs import largest_magnitude
from .._outputs import checked_output
from ..bias import GCELossMixin
from ..holdout import check_holdout_proba
from ..lff import LfFMixin
from ..losses import BIAS_PARAM, BatchPriorMixin
from ..mlp import mlp_net
from ..together import StackedNetMixin, unsupported_reason
from ..transition import TEMPERATURE, sharpen

__all__ = ["LfFClassifier", "LogitCorrectionClassifier"]


@fill_doc
class LfFClassifier(NetEstimator):
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
    %(estimator)s
    q : float, default=0.7
        GCE's exponent for the biased copy, in (0, 1] (the paper's 0.7).
    ema_alpha : float, default=0.7
        Weight of the past in the loss averages, in [0, 1) (the paper's 0.7).
    vmap : {"auto", True, False}, default="auto"
        Whether the two copies run in one ``torch.vmap`` call
        (:class:`~skmat.stacked.StackedModule`; ``"auto"``: on accelerators).
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
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

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "q": LfFMixin._parameter_constraints["gce_q"],
        "ema_alpha": LfFMixin._parameter_constraints["ema_alpha"],
        **StackedNetMixin._parameter_constraints,
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
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.q = q
        self.ema_alpha = ema_alpha
        self.vmap = vmap

    def _fit_nets(self, data):
        seed = data.seeds[1]
        template = self._net(data, seed)
        reason = unsupported_reason(template, train_split=True)
        if reason is not None:
            raise ValueError(
                "LfFClassifier trains the biased and the debiased copies of "
                f"estimator as one net: {reason}."
            )
        joint = self._net(
            data,
            seed,
            mixin=LfFMixin,
            gce_q=float(self.q),
            ema_alpha=float(self.ema_alpha),
            vmap=self.vmap,
        )
        self._log(f"training the biased and debiased networks on {data.n_samples} rows")
        joint.fit(data.X_net, data.y, **data.fit_params())
        check_trained(joint, data.X, "the LfF networks")
        self.bias_estimator_, self.estimator_ = joint.member_nets(template)
        self.sample_weights_ = joint.lff_weights_


@fill_doc
class LogitCorrectionClassifier(NetEstimator):
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
    %(estimator)s
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
    %(device)s
    %(random_state)s
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
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

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "prior": BatchPriorMixin._parameter_constraints["bias_prior"],
        "temperature": [TEMPERATURE],
        "bias": [StrOptions({"gce", "xrm"})],
        "bias_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "bias_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "gce_q": GCELossMixin._parameter_constraints["gce_q"],
    }
    _net_params = ("estimator", "bias_estimator")

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
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.prior = prior
        self.temperature = temperature
        self.bias = bias
        self.bias_estimator = bias_estimator
        self.bias_epochs = bias_epochs
        self.gce_q = gce_q

    @fill_doc
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        groups: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        bias_proba: ArrayLike | None = None,
    ) -> LogitCorrectionClassifier:
        """Train the bias model (unless given its probabilities), then the network.

        Parameters
        ----------
        %(X)s
        %(y)s
        %(groups_ignored)s
        %(sample_weight)s
        bias_proba : array-like of shape (n_samples, n_classes), default=None
            Bias probabilities of the training rows, columns in ``classes_``
            order (for example a :class:`~skmat.MATClassifier`'s
            ``holdout_proba_``, or :func:`~skmat.holdout.cross_val_holdout_proba`);
            skips the bias model. Under metadata routing, request it with
            ``set_fit_request(bias_proba=True)``.

        Returns
        -------
        %(returns_self)s
        """
        return self._fit(
            X, y, groups=groups, sample_weight=sample_weight, bias_proba=bias_proba
        )

    def _fit_nets(self, data, bias_proba=None):
        bias_net = None
        if bias_proba is not None:
            proba = check_holdout_proba(
                bias_proba, data.n_samples, data.n_classes, name="bias_proba"
            )
        else:
            proba, bias_net = self._bias_proba(data, data.seeds[0])
        q = sharpen(proba, float(self.temperature)).astype(np.float32)
        net = self._net(
            data, data.seeds[1], mixin=BatchPriorMixin, bias_prior=self.prior
        )
        self._log(f"training the network on {data.n_samples} rows, prior={self.prior}")
        net.fit(data.X_net, data.y, **{BIAS_PARAM: q}, **data.fit_params())
        self.bias_proba_ = proba
        self.bias_estimator_ = bias_net
        self.estimator_ = net

    def _bias_proba(self, data, seed):
        template = self.bias_estimator
        name = "estimator" if template is None else "bias_estimator"
        if template is None:
            template = self.estimator
        epochs = {} if self.bias_epochs is None else {"max_epochs": self.bias_epochs}
        if self.bias == "xrm":
            if epochs:
                template = clone(template if template is not None else mlp_net())
                template.set_params(**epochs)
            self._log("bias model: XRM twins")
            return self._fit_xrm(data, template, seed, device=data.device)
        bias_net = self._net(
            data,
            seed,
            template=template,
            name=name,
            mixin=GCELossMixin,
            gce_q=float(self.gce_q),
            **epochs,
        )
        self._log(f"bias model: GCE (q={self.gce_q}), {bias_net.max_epochs} epochs")
        bias_net.fit(data.X_net, data.y, **data.fit_params())
        check_trained(bias_net, data.X, "the bias network")
        try:
            proba = checked_output(bias_net.predict_proba, data.X_net)
        except ValueError as exc:  # finite weights, overflowing outputs
            largest = largest_magnitude(data.X)
            held = "" if largest is None else f"X holds values up to {largest:.3g}; "
            raise ValueError(
                "training of the bias network diverged: its output on X is NaN or "
                f"infinite. {held}scale X (e.g. with "
                "sklearn.preprocessing.StandardScaler) or lower the learning rate."
            ) from exc
        return proba / proba.sum(axis=1, keepdims=True), bias_net
