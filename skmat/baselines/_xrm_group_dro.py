"""GroupDRO on the groups that XRM infers: no group labels anywhere."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

from .._base import fill_doc
from .._encoding import encode_groups
from .._inputs import check_labelled_X, for_nets
from ..groups import infer_groups, unsplit_classes
from ..xrm import XRMMixin
from ._reweighting import GroupDROClassifier

__all__ = ["XRMGroupDROClassifier"]


@fill_doc
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
    twins' cross-mistakes, so :data:`skmat.metrics.inferred_mean_group_scorer`
    selects models without group labels.

    Parameters
    ----------
    %(estimator)s
    eta : float, default=0.01
        GroupDRO's step size (:class:`GroupDROClassifier`).
    xrm_estimator : skorch classifier, default=None
        The network whose XRM twins infer the groups; ``None`` uses
        ``estimator``.
    flip_mode : {"redraw", "persist"}, default="redraw"
        XRM's label flipping (:mod:`skmat.xrm`).
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds the twins and the network (the twins like MAT's held-out phase).
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
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

    _parameter_constraints: dict = {
        **GroupDROClassifier._parameter_constraints,
        "xrm_estimator": [HasMethods(["fit", "predict_proba"]), None],
        **XRMMixin._parameter_constraints,
    }
    _needs_groups = False
    _net_params = ("estimator", "xrm_estimator")

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

    def _fit_nets(self, data):
        template = self.estimator if self.xrm_estimator is None else self.xrm_estimator
        self._log("stage 1: XRM twins infer the groups")
        proba, twins = self._fit_xrm(
            data, template, data.seeds[0], device=data.device, flip_mode=self.flip_mode
        )
        inferred = infer_groups(data.y, proba, classes=np.arange(data.n_classes))
        unsplit = unsplit_classes(inferred, data.n_classes)
        if len(unsplit):
            self._log(f"XRM did not split class(es) {self.classes_[unsplit].tolist()}")
        self.groups_, index = encode_groups(inferred, data.n_samples)
        net = self._group_dro_net(data, index, len(self.groups_))
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
