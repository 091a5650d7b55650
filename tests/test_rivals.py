"""The update rules of the paper's Table 1 rivals, against small hand-computed cases.

LfF's loss averages and weights, GCE's gradient, the per-batch priors of logit
correction and uLA, AFR's weights and penalty, DFR's regression folded into the
last layer, XRM + GroupDRO's inferred groups, and the last-layer naming.
"""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from skmat import MATClassifier
from skmat.baselines import (
    AFRClassifier,
    DFRClassifier,
    LfFClassifier,
    LogitCorrectionClassifier,
    XRMGroupDROClassifier,
    afr_weights,
)
from skmat.bias import GCELossMixin
from skmat.factory import make_net
from skmat.groups import infer_groups
from skmat.last_layer import find_last_layer, layer_inputs
from skmat.lff import BIASED, DEBIASED, LfFMixin
from skmat.losses import BIAS_PARAM, WEIGHT_PARAM, AnchoredLossMixin, BatchPriorMixin
from skmat.mlp import MLPModule, mlp_net


def _sgd_net(lr, max_epochs=1, **params):
    """A linear net on 2 features, one full batch per epoch, plain SGD."""
    return mlp_net(
        (),
        optimizer=torch.optim.SGD,
        lr=lr,
        batch_size=-1,
        max_epochs=max_epochs,
        module__n_features=2,
        module__n_classes=2,
        **params,
    )


def _ce(logits, y):
    logits = np.asarray(logits, dtype=np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y]


# --------------------------------------------------------------------- LfF
class _MemberOutputs(Callback):
    """Both copies' logits on X at the start of each epoch: with one full batch,
    the outputs the epoch's training step computes its losses from."""

    def __init__(self, X):
        self.X = X

    def initialize(self):
        self.outputs_ = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        with torch.no_grad():
            out = net.module_(torch.as_tensor(self.X))
        self.outputs_.append(out.reshape(2, len(self.X), -1).numpy().astype(float))


def test_lff_weights_and_moving_averages_by_hand():
    rng = np.random.RandomState(0)
    X = rng.randn(5, 2).astype(np.float32)
    y = np.array([0, 1, 1, 0, 1])
    net = make_net(
        _sgd_net(0.5, max_epochs=2, callbacks=[("outputs", _MemberOutputs(X))]),
        X=X,
        n_classes=2,
        seed=0,
        mixin=LfFMixin,
        gce_q=0.5,
        ema_alpha=0.7,
    ).fit(X, y)
    first, second = dict(net.callbacks_)["outputs"].outputs_
    L1 = np.array([_ce(first[k], y) for k in (BIASED, DEBIASED)])
    L2 = np.array([_ce(second[k], y) for k in (BIASED, DEBIASED)])
    # A row's first loss starts its average; the next moves it by alpha.
    ema = 0.7 * L1 + 0.3 * L2
    np.testing.assert_allclose(net.lff_loss_ema_, ema, rtol=1e-5)

    def relative_difficulty(ema):
        # Each copy's averages divided by their class's largest; w = b / (b + d).
        peak = np.array([[ema[k][y == c].max() for c in y] for k in range(2)])
        b, d = ema / peak
        return b / (b + d + 1e-8)

    np.testing.assert_allclose(net.lff_weights_, relative_difficulty(ema), rtol=1e-5)
    # The first epoch's loss: GCE for the biased copy, plus the debiased copy's
    # loss weighted by the difficulty from the averages after that step.
    p_true_b = np.exp(-L1[BIASED])
    expected = np.mean(p_true_b**0.5 * L1[BIASED]) + np.mean(
        relative_difficulty(L1) * L1[DEBIASED]
    )
    assert net.history[0, "train_loss"] == pytest.approx(expected, rel=1e-5)


def test_lff_validation_loss_is_the_debiased_copys(data):
    X, y, _ = data
    X = X[:, :2].astype(np.float32)
    split = ValidSplit(PredefinedSplit(np.where(np.arange(len(y)) < 250, -1, 0)))
    net = make_net(
        _sgd_net(0.1, train_split=split), X=X, n_classes=2, seed=0, mixin=LfFMixin
    ).fit(X, y)
    logits = net.forward(X[250:]).numpy().reshape(2, 50, 2)[DEBIASED]
    assert net.history[-1, "valid_loss"] == pytest.approx(
        _ce(logits, y[250:]).mean(), rel=1e-5
    )
    assert np.all(net.lff_loss_ema_[:, 250:] == 0)  # validation rows train neither


def test_lff_predicts_with_the_debiased_copy(data):
    X, y, _ = data
    clf = LfFClassifier(mlp_net((8,), max_epochs=3), random_state=0).fit(X, y)
    debiased = clf.estimator_.predict_proba(X)
    biased = clf.bias_estimator_.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(X), debiased, rtol=1e-6)
    assert not np.allclose(biased, debiased)
    assert clf.sample_weights_.shape == (len(y),)
    assert np.all((clf.sample_weights_ >= 0) & (clf.sample_weights_ <= 1))


def test_lff_refuses_a_non_elementwise_optimizer(data):
    X, y, _ = data
    clf = LfFClassifier(mlp_net((8,), optimizer=torch.optim.LBFGS, max_epochs=1))
    with pytest.raises(ValueError, match="LfFClassifier trains .* elementwise"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


# --------------------------------------------------------------------- GCE
def test_gce_mixin_has_the_gradient_of_gce():
    torch.manual_seed(0)
    X = torch.randn(6, 3)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    net = make_net(
        mlp_net((), max_epochs=1),
        X=X.numpy(),
        n_classes=2,
        seed=0,
        mixin=GCELossMixin,
        gce_q=0.8,
    ).initialize()
    out = net.module_(X)
    net.get_loss(out, y, training=True).backward()
    ours = [p.grad.clone() for p in net.module_.parameters()]
    net.module_.zero_grad()
    p_true = torch.softmax(net.module_(X), dim=1).gather(1, y[:, None]).squeeze(1)
    ((1 - p_true**0.8) / 0.8).mean().backward()
    for mine, theirs in zip(ours, [p.grad for p in net.module_.parameters()]):
        torch.testing.assert_close(mine, theirs)


# ------------------------------------------------------------- LC and uLA
Q = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
Y3 = np.array([0, 1, 1])
# J[k, c] = (1/3) sum_{i: y_i = c} q_i[k]: column 0 from row 0, column 1 from
# rows 1 and 2: [[0.8, 0.3 + 0.6], [0.2, 0.7 + 0.4]] / 3.
JOINT = np.array([[0.8, 0.9], [0.2, 1.1]]) / 3
CONDITIONAL = np.array([[0.8 / 1.7, 0.9 / 1.7], [0.2 / 1.3, 1.1 / 1.3]])


@pytest.mark.parametrize(
    ("prior", "matrix"), [("joint", JOINT), ("conditional", CONDITIONAL)]
)
def test_batch_prior_by_hand(prior, matrix):
    # One full batch, no learning: the loss is that of the initial logits
    # shifted by log(q_i @ P + 1e-6), P the batch's prior.
    X = np.random.RandomState(0).randn(3, 2).astype(np.float32)
    net = make_net(
        _sgd_net(0.0), X=X, n_classes=2, seed=0, mixin=BatchPriorMixin, bias_prior=prior
    )
    net.fit(X, Y3, **{BIAS_PARAM: Q})
    shift = np.log(np.array([Q[i] @ matrix for i in range(3)]) + 1e-6)
    logits = net.forward(X).numpy() + shift
    assert net.history[-1, "train_loss"] == pytest.approx(
        _ce(logits, Y3).mean(), rel=1e-5
    )


def test_ula_on_one_full_batch_is_mat_with_the_same_probabilities(data):
    # One batch = the whole training set: uLA's conditional matrix is MAT's.
    X, y, _ = data
    proba = np.random.RandomState(0).dirichlet([1.0, 1.0], size=len(y))
    net = mlp_net((8,), max_epochs=5, batch_size=-1)
    ula = LogitCorrectionClassifier(net, prior="conditional", random_state=0)
    ula.fit(X, y, bias_proba=proba)
    mat = MATClassifier(net, temperature=1.0, random_state=0)
    mat.fit(X, y, holdout_proba=proba)
    # Up to MAT's log without uLA's + 1e-6.
    np.testing.assert_allclose(ula.predict_proba(X), mat.predict_proba(X), atol=1e-4)
    # The joint prior differs from the conditional one (MAT's) by more than a
    # constant per row once the bias predictions are unbalanced.
    skewed = np.random.RandomState(0).dirichlet([4.0, 1.0], size=len(y))
    mat.fit(X, y, holdout_proba=skewed)
    # LC's joint prior over the same full batch, J[k, c] = mean_i q_i[k] [y_i = c].
    joint = skewed.T @ np.eye(2)[y] / len(y)
    joint_shift = np.log(skewed @ joint + 1e-6)
    gap = (joint_shift - mat.shift_) @ np.array([-1.0, 1.0])  # 0 if constant per row
    assert np.abs(gap).max() > 0.01  # measured 0.033; 1e-6 if it were MAT's


def test_logit_correction_bias_models(data):
    X, y, _ = data
    net = mlp_net((8,), max_epochs=3)
    gce = LogitCorrectionClassifier(net, bias_epochs=2, random_state=0).fit(X, y)
    assert type(gce.bias_estimator_).__name__.startswith("GCE")
    assert gce.bias_estimator_.max_epochs == 2
    np.testing.assert_allclose(
        gce.bias_proba_, gce.bias_estimator_.predict_proba(X), rtol=1e-6
    )
    xrm = LogitCorrectionClassifier(net, bias="xrm", random_state=0).fit(X, y)
    np.testing.assert_allclose(
        xrm.bias_proba_,
        xrm.bias_estimator_.held_out_proba(X.astype(np.float32)),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="bias_proba must have shape"):
        LogitCorrectionClassifier(net).fit(X, y, bias_proba=np.ones((3, 2)) / 2)


# --------------------------------------------------------------------- AFR
def test_afr_weights_by_hand():
    # exp(-2 * [0.9, 0.1]) = [0.1653, 0.8187] -> class 0 shares [0.168, 0.832];
    # class 1's two equal weights share 1/2 each; each class then weighs 1/2.
    w = afr_weights([0.9, 0.1, 0.5, 0.5], [0, 0, 1, 1], gamma=2.0)
    e = np.exp([-1.8, -0.2])
    np.testing.assert_allclose(w, [*(e / e.sum() / 2), 0.25, 0.25])
    np.testing.assert_allclose(w, [0.08399, 0.41601, 0.25, 0.25], atol=1e-5)


def test_anchored_loss_by_hand():
    # One step of SGD moves the layer away from its start theta_0; the next
    # epoch's loss is the weighted cross-entropy plus 0.5 * ||theta - theta_0||^2.
    X = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([0, 0])
    w = np.array([0.75, 0.25])
    net = make_net(
        _sgd_net(1.0),
        X=X,
        n_classes=2,
        seed=0,
        mixin=AnchoredLossMixin,
        anchor_penalty=0.5,
    ).fit(X, y, **{WEIGHT_PARAM: w})
    moved = sum(
        float(((p.detach() - a) ** 2).sum())
        for p, a in zip(net.module_.parameters(), net.anchor_)
    )
    assert moved > 0.01
    logits = net.forward(X).numpy()
    net.partial_fit(X, y, **{WEIGHT_PARAM: w})  # one more epoch, same anchor
    expected = w @ _ce(logits, y) + 0.5 * moved
    assert net.history[-1, "train_loss"] == pytest.approx(expected, rel=1e-5)


def test_afr_retrains_only_the_last_layer(data):
    X, y, _ = data
    clf = AFRClassifier(
        mlp_net((8,), max_epochs=3), last_layer_epochs=30, random_state=0
    )
    clf.fit(X, y)
    rows = clf.last_layer_rows_
    assert rows.sum() == 60  # 20% of 300, stratified by class
    erm = mlp_net((8,), max_epochs=3, random_state=clf.estimator_.random_state)
    erm = make_net(erm, X=X, n_classes=2, seed=clf.estimator_.random_state)
    erm.fit(X[~rows].astype(np.float32), y[~rows])
    for name, param in clf.estimator_.module_.named_parameters():
        same = torch.equal(param, dict(erm.module_.named_parameters())[name])
        assert same == (not name.startswith("layers.2")), name
    # The weights are AFR's rule on the stage-1 network's p_true.
    p = erm.predict_proba(X[rows].astype(np.float32))[np.arange(60), y[rows]]
    np.testing.assert_allclose(
        clf.sample_weights_, afr_weights(p, y[rows], 4.0), rtol=1e-5
    )


def test_afr_penalty_holds_the_layer_at_its_erm_weights(data):
    X, y, _ = data
    net = mlp_net((8,), max_epochs=3)
    held = AFRClassifier(net, reg=1e4, last_layer_epochs=30, random_state=0).fit(X, y)
    free = AFRClassifier(net, reg=0.0, last_layer_epochs=30, random_state=0).fit(X, y)
    start = held.last_layer_estimator_.anchor_
    moved = [
        float(
            sum(
                ((p.detach() - a) ** 2).sum()
                for p, a in zip(m.last_layer_estimator_.module_.parameters(), start)
            )
        )
        for m in (held, free)
    ]
    assert moved[0] < 1e-4 < moved[1]


# --------------------------------------------------------------------- DFR
def test_dfr_last_layer_is_the_averaged_regression(data):
    X, y, groups = data
    # Groups of equal size on the last-layer rows: the balanced subset is all
    # of them, so one refit is a plain L1 logistic regression on them.
    rows = np.zeros(len(y), dtype=bool)
    for g in range(4):
        rows[np.flatnonzero(groups == g)[:10]] = True
    clf = DFRClassifier(
        mlp_net((8,), max_epochs=3), Cs=(0.5,), n_refits=1, random_state=0
    )
    clf.fit(X, y, groups=groups, last_layer_rows=rows)
    np.testing.assert_array_equal(clf.last_layer_rows_, rows)
    layer = find_last_layer(clf.estimator_.module_, None)
    H = layer_inputs(clf.estimator_, X[rows].astype(np.float32), layer)
    scaler = StandardScaler().fit(H)
    reference = LogisticRegression(C=0.5, l1_ratio=1.0, solver="liblinear", tol=1e-8)
    reference.fit(scaler.transform(H), y[rows])
    logits = clf.estimator_.forward(X[rows].astype(np.float32)).numpy()
    np.testing.assert_allclose(
        logits[:, 1] - logits[:, 0],
        reference.decision_function(scaler.transform(H)),
        atol=2e-2,
    )
    assert clf.C_ == 0.5 and clf.cv_scores_.shape == (1,)


def test_dfr_chooses_c_by_worst_group_accuracy(data):
    X, y, groups = data
    Cs = (1.0, 0.1, 0.01)
    clf = DFRClassifier(mlp_net((8,), max_epochs=3), Cs=Cs, n_refits=2, random_state=0)
    clf.fit(X, y, groups=groups)
    assert clf.C_ == Cs[int(np.argmax(clf.cv_scores_))]
    assert np.all((clf.cv_scores_ >= 0) & (clf.cv_scores_ <= 1))


def test_last_layer_rows_are_routed_and_split_by_a_search(data):
    X, y, groups = data
    rows = np.arange(len(y)) % 4 == 0
    clf = DFRClassifier(
        mlp_net((8,), max_epochs=2), Cs=(0.5,), n_refits=1, random_state=0
    )
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(groups=True, last_layer_rows=True)
        search = GridSearchCV(clf, {"n_refits": [1, 2]}, cv=2)
        search.fit(X, y, groups=groups, last_layer_rows=rows)
    assert search.best_estimator_.last_layer_rows_.sum() == rows.sum()


@pytest.mark.parametrize(
    ("last_layer", "error", "match"),
    [
        (
            "nope",
            ValueError,
            r"last_layer='nope' is not a submodule .* 'layers.0', 'layers.2'",
        ),
        (
            "layers.1",
            ValueError,
            r"last_layer='layers.1' is a ReLU; it must be a torch.nn.Linear",
        ),
        (
            "layers.0",
            ValueError,
            "last_layer must name the layer whose output is the class logits",
        ),
    ],
)
def test_last_layer_errors_name_the_parameter(data, last_layer, error, match):
    X, y, groups = data
    clf = AFRClassifier(mlp_net((8,), max_epochs=1), last_layer=last_layer)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


def test_a_module_without_linear_layer_is_named():
    class NoLinear(torch.nn.Module):
        def forward(self, X):
            return X[:, :2]

    with pytest.raises(ValueError, match="last_layer=None takes the module's last"):
        find_last_layer(NoLinear(), None)
    assert isinstance(
        find_last_layer(MLPModule(3, 2, (4,)), "layers.2"), torch.nn.Linear
    )


# --------------------------------------------------------- XRM + GroupDRO
def test_xrm_group_dro_trains_on_the_held_out_mistakes(data):
    X, y, _ = data
    clf = XRMGroupDROClassifier(mlp_net((8,), max_epochs=10), eta=0.1, random_state=0)
    clf.fit(X, y)
    proba = clf.xrm_.held_out_proba(X.astype(np.float32))
    np.testing.assert_array_equal(clf.inferred_groups_, infer_groups(y, proba))
    np.testing.assert_array_equal(clf.groups_, np.unique(clf.inferred_groups_))
    assert clf.group_weights_.shape == (len(clf.groups_),)
    twins = clf.xrm_.predict_proba_twins(X[:50].astype(np.float32))
    np.testing.assert_array_equal(
        clf.infer_groups(X[:50], y[:50]), infer_groups(y[:50], twins)
    )


def test_xrm_group_dro_names_the_classes_of_a_degenerate_run():
    # Separable by the first feature and nothing to memorise: the twins make no
    # held-out mistake on class 0, which stays unsplit.
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] *= 20
    clf = XRMGroupDROClassifier(mlp_net((8,), max_epochs=5, lr=0.1), random_state=0)
    clf.fit(X, y)
    assert 0 in clf.groups_ and 1 not in clf.groups_  # class 0 has no conflicting
    np.testing.assert_array_equal(clf.unsplit_classes_, [0])


def test_xrm_group_dro_splits_every_class_of_a_shortcut_problem(data):
    X, y, _ = data
    clf = XRMGroupDROClassifier(mlp_net((16,), max_epochs=20), random_state=0)
    clf.fit(X, y)
    assert clf.unsplit_classes_.size == 0
    np.testing.assert_array_equal(clf.groups_, [0, 1, 2, 3])
