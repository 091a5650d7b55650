"""Methods that refit the network's last layer: DFR and AFR."""

from __future__ import annotations

import copy
import numbers

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from .._base import NetEstimator, fill_doc
from .._checks import check_trained
from .._encoding import encode_groups
from .._inputs import take_rows
from .._outputs import checked_output
from .._seeding import StepDraws
from ..last_layer import check_last_layer, find_last_layer, layer_inputs
from ..losses import WEIGHT_PARAM, AnchoredLossMixin
from ..metrics import worst_group_accuracy

__all__ = ["DFRClassifier", "AFRClassifier", "afr_weights"]


class _LastLayerBaseline(NetEstimator):
    """Two stages shared by DFR and AFR: the network trained on one part of
    the rows, then its last layer refitted on the other part's features."""

    _parameter_constraints: dict = {
        **NetEstimator._parameter_constraints,
        "last_layer": [str, None],
        "holdout_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    @fill_doc
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        groups: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
        last_layer_rows: ArrayLike | None = None,
    ):
        """Train the network on one part of the rows, then refit its last layer.

        Parameters
        ----------
        %(X)s
        %(y)s
        groups : array-like of shape (n_samples,), default=None
            Group labels: read by DFR (only those of the last-layer rows),
            ignored by AFR.
        %(sample_weight)s
        last_layer_rows : array-like of bool of shape (n_samples,), default=None
            Which rows refit the last layer (for example the validation rows,
            appended to the training rows, as DFR and AFR use them); the other
            rows train the network. ``None`` holds out ``holdout_fraction`` of
            the rows, stratified. Under metadata routing, request it with
            ``set_fit_request(last_layer_rows=True)``: a search then splits it
            with the rows.

        Returns
        -------
        %(returns_self)s
        """
        return self._fit(
            X,
            y,
            groups=groups,
            sample_weight=sample_weight,
            last_layer_rows=last_layer_rows,
        )

    def _stage_rows(self, strata, last_layer_rows, seed):
        """(network rows, last-layer rows) as sorted index arrays."""
        n = len(strata)
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

    def _network_and_features(self, data, first, second, seed):
        """The network trained on rows ``first``, its last layer, and the
        layer's inputs on rows ``second``."""
        net = self._net(data, seed)
        self._log(f"stage 1: the network on {len(first)} rows")
        net.fit(
            take_rows(data.X_net, first), data.y[first], **data.fit_params(rows=first)
        )
        check_trained(net, data.X, "the stage-1 network")
        layer = find_last_layer(net.module_, self.last_layer)
        X_second = take_rows(data.X_net, second)
        check_last_layer(net, X_second, layer, "last_layer")
        return net, layer, X_second, layer_inputs(net, X_second, layer)

    def _set_last_layer_rows(self, n_samples, second):
        mask = np.zeros(n_samples, dtype=bool)
        mask[second] = True
        self.last_layer_rows_ = mask


@fill_doc
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
    %(estimator)s
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
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds the network, the split and the balanced subsets.
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
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
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.last_layer = last_layer
        self.holdout_fraction = holdout_fraction
        self.Cs = Cs
        self.n_refits = n_refits

    def _fit_nets(self, data, last_layer_rows=None):
        Cs = np.asarray(self.Cs, dtype=np.float64).reshape(-1)
        if not len(Cs) or not np.all(np.isfinite(Cs)) or np.any(Cs <= 0):
            raise ValueError(f"Cs must hold positive finite floats; got {self.Cs!r}.")
        draws = StepDraws(data.seeds[0])
        y = data.y
        strata = y if data.groups is None else data.groups
        first, second = self._stage_rows(strata, last_layer_rows, draws.seed())
        if data.sample_weight is not None:  # a row of weight 0 takes no part
            second = second[data.sample_weight[second] > 0]
        net, layer, _, features = self._network_and_features(
            data, first, second, data.seeds[1]
        )
        y2 = y[second]
        # Without group labels the classes are the groups (class balancing).
        _, g2 = encode_groups(strata[second], len(second))
        if len(np.unique(y2)) != data.n_classes:
            raise ValueError(
                "DFR refits the last layer on the last-layer rows, which must hold "
                f"every class; they hold {len(np.unique(y2))} of "
                f"{data.n_classes}."
            )
        weight = data.weights(rows=second)
        intercept = layer.bias is not None
        scaler = StandardScaler(with_mean=intercept).fit(features)
        Z = scaler.transform(features)
        self._log(f"stage 2: L1 logistic regression on {len(second)} rows")
        half_a, half_b = _split(g2, 0.5, draws.seed())
        if len(np.unique(y2[half_a])) < data.n_classes:
            raise ValueError(
                "DFR chooses C on two halves of the last-layer rows, each of which "
                f"must hold every class; {len(second)} rows are too few. Hold out "
                "more rows (holdout_fraction) or pass last_layer_rows."
            )
        scores = []
        for C in Cs:
            model = self._regression(C, intercept, draws, data.n_classes)
            fit_rows = _balanced(half_a, g2, draws.rng)
            _fit_rows(model, Z, y2, fit_rows, weight)
            y_pred = model.predict(Z[half_b])
            scores.append(worst_group_accuracy(y2[half_b], y_pred, groups=g2[half_b]))
        best = float(Cs[int(np.argmax(scores))])
        coefs, intercepts = [], []
        for _ in range(int(self.n_refits)):
            model = self._regression(best, intercept, draws, data.n_classes)
            _fit_rows(
                model, Z, y2, _balanced(np.arange(len(y2)), g2, draws.rng), weight
            )
            coefs.append(model.coef_)
            intercepts.append(np.broadcast_to(model.intercept_, (len(model.coef_),)))
        coef, bias = np.mean(coefs, axis=0), np.mean(intercepts, axis=0)
        # Standardisation folded into the weights: z = (h - mean) / scale.
        coef = coef / scaler.scale_
        if intercept:
            bias = bias - coef @ scaler.mean_
        _load_linear(layer, coef, bias if intercept else None)
        self._set_last_layer_rows(data.n_samples, second)
        self.C_ = best
        self.cv_scores_ = np.asarray(scores)
        self.estimator_ = net

    @staticmethod
    def _regression(C, intercept, draws, n_classes):
        # liblinear for two classes (DFR's choice), saga (multinomial) beyond.
        return LogisticRegression(
            C=C,
            l1_ratio=1.0,
            solver="liblinear" if n_classes == 2 else "saga",
            fit_intercept=intercept,
            max_iter=5000,
            random_state=draws.seed(),
        )


@fill_doc
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
    %(estimator)s
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
    %(device)s
    random_state : int, RandomState instance or None, default=None
        Seeds the network, the split and the retraining.
    %(verbose)s

    Attributes
    ----------
    %(fitted)s
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

    _parameter_constraints: dict = {
        **_LastLayerBaseline._parameter_constraints,
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "reg": AnchoredLossMixin._parameter_constraints["anchor_penalty"],
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
        super().__init__(
            estimator, device=device, random_state=random_state, verbose=verbose
        )
        self.gamma = gamma
        self.reg = reg
        self.last_layer = last_layer
        self.holdout_fraction = holdout_fraction
        self.last_layer_epochs = last_layer_epochs
        self.last_layer_lr = last_layer_lr

    def _fit_nets(self, data, last_layer_rows=None):
        draws = StepDraws(data.seeds[0])
        y = data.y
        first, second = self._stage_rows(y, last_layer_rows, draws.seed())
        net, layer, X_second, features = self._network_and_features(
            data, first, second, data.seeds[1]
        )
        y2 = y[second]
        proba = checked_output(net.predict_proba, X_second)
        weights = afr_weights(
            proba[np.arange(len(y2)), y2],
            y2,
            float(self.gamma),
            sample_weight=data.weights(rows=second),
        )
        binary = isinstance(net, NeuralNetBinaryClassifier)
        head = (NeuralNetBinaryClassifier if binary else NeuralNetClassifier)(
            module=copy.deepcopy(layer),
            criterion=torch.nn.BCEWithLogitsLoss
            if binary
            else torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=float(self.last_layer_lr),
            batch_size=-1,
            max_epochs=int(self.last_layer_epochs),
            train_split=None,
            device=net.device,
        )
        head = self._net(
            data,
            draws.seed(),
            template=head,
            name="last_layer",
            device=None,
            X=features,
            mixin=AnchoredLossMixin,
            anchor_penalty=float(self.reg),
        )
        self._log(f"stage 2: the last layer on {len(second)} reweighted rows")
        head.fit(features, y2, **{WEIGHT_PARAM: weights})
        layer.load_state_dict(head.module_.state_dict())
        self._set_last_layer_rows(data.n_samples, second)
        self.sample_weights_ = weights
        self.last_layer_estimator_ = head
        self.estimator_ = net


def afr_weights(
    p_true: ArrayLike,
    y: ArrayLike,
    gamma: float,
    sample_weight: ArrayLike | None = None,
) -> np.ndarray:
    """AFR's example weights: ``exp(-gamma * p_true)``, class-balanced, summing to 1.

    Parameters
    ----------
    p_true : array-like of shape (n,)
        Each example's predicted probability of its true label.
    y : array-like of shape (n,)
        Class indices.
    gamma : float
        Sharpness.
    sample_weight : array-like of shape (n,), default=None
        Weights of the examples, multiplied in before the normalisation.

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
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype=np.float64)
    present = np.unique(y)
    for c in present:
        total = weights[y == c].sum()
        if total > 0:
            weights[y == c] /= total
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


def _fit_rows(model, Z, y, rows, sample_weight):
    """``model`` fitted on the rows ``rows`` (with their weights, when given)."""
    weight = None if sample_weight is None else sample_weight[rows]
    model.fit(Z[rows], y[rows], sample_weight=weight)


def _load_linear(layer, coef, bias):
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
