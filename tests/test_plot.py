"""Tests of skmat.plot (display objects) and skmat.callbacks (per-group history).

Everything draws with the Agg backend; the tests check the artists (image data,
texts, bar heights, lines), that ``ax=`` is honoured, the errors on bad input, and
the ImportError without matplotlib.
"""

import importlib
import pickle
import pkgutil
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNetClassifier

import skmat.plot
from skmat import MATClassifier
from skmat.callbacks import GroupAccuracyCallback
from skmat.datasets import make_spurious_classification
from skmat.metrics import group_accuracy_report
from skmat.mlp import mlp_net
from skmat.nets import MATNeuralNetClassifier
from skmat.transition import joint_matrix, sharpen, transition_matrix

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from skmat.plot import (  # noqa: E402
    GroupAccuracyDisplay,
    GroupTrainingCurvesDisplay,
    TransitionMatrixDisplay,
)

# Fits on tiny or random data, where MAT's guard often finds that the shift
# leaves nothing to learn; that warning is asserted in tests/test_guard.py, and
# only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tiny_data(n=120, seed=0):
    X, y, groups = make_spurious_classification(n, 8, random_state=seed)
    return X.astype(np.float32), y, groups


def linear_net(n_features=8, **params):
    defaults = dict(
        module__in_features=n_features,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        lr=0.1,
        max_epochs=4,
        train_split=None,
        verbose=0,
    )
    defaults.update(params)
    return NeuralNetClassifier(torch.nn.Linear, **defaults)


def boxes_overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# ------------------------------------------------------------------- package


def test_public_names():
    assert skmat.plot.__all__ == [
        "TransitionMatrixDisplay",
        "GroupAccuracyDisplay",
        "GroupTrainingCurvesDisplay",
        "MemorizationDisplay",
    ]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skmat.plot.nothing  # noqa: B018


def test_each_module_states_its_job():
    for info in pkgutil.iter_modules(skmat.plot.__path__):
        module = importlib.import_module(f"skmat.plot.{info.name}")
        first_line = module.__doc__.splitlines()[0]
        assert first_line and " and " not in first_line, (info.name, first_line)


# ------------------------------------------------------------- transition matrix


MATRIX = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.0, 0.25, 0.75]])


def test_transition_display_draws_the_matrix():
    disp = TransitionMatrixDisplay(MATRIX, display_labels=["a", "b", "c"]).plot()
    assert disp.plot() is disp
    np.testing.assert_array_equal(disp.im_.get_array(), MATRIX)
    assert disp.text_.shape == (3, 3)
    assert len(disp.ax_.texts) == 9
    texts = [[t.get_text() for t in row] for row in disp.text_]
    assert texts == [[format(v, ".2f") for v in row] for row in MATRIX]
    # Cell (k, c) is drawn at x = c, y = k: rows are held-out predictions.
    assert disp.text_[1, 2].get_position() == (2, 1)
    assert "held-out" in disp.ax_.get_ylabel().lower()
    assert "label" in disp.ax_.get_xlabel().lower()
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["a", "b", "c"]
    assert disp.colorbar_ is not None
    assert disp.figure_ is disp.ax_.figure


def test_transition_display_text_contrasts_with_cell():
    disp = TransitionMatrixDisplay(np.array([[1.0, 0.0], [0.0, 1.0]])).plot()
    dark, light = disp.im_.cmap(0.0), disp.im_.cmap(1.0)
    assert to_rgba(disp.text_[0, 0].get_color()) == to_rgba(dark)  # on a dark cell
    assert to_rgba(disp.text_[0, 1].get_color()) == to_rgba(light)


def test_transition_display_options():
    disp = TransitionMatrixDisplay(MATRIX).plot(
        values_format=".1%", colorbar=False, cmap="viridis"
    )
    assert disp.text_[0, 0].get_text() == "90.0%"
    assert disp.colorbar_ is None
    assert disp.im_.cmap.name == "viridis"
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["0", "1", "2"]
    disp = TransitionMatrixDisplay(MATRIX).plot(include_values=False)
    assert disp.text_ is None
    assert len(disp.ax_.texts) == 0


def test_transition_display_honours_ax():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    disp = TransitionMatrixDisplay(MATRIX).plot(ax=ax2, colorbar=False)
    assert disp.ax_ is ax2 and disp.figure_ is fig
    assert len(ax1.images) == 0 and len(ax2.images) == 1


@pytest.mark.parametrize(
    "matrix, match",
    [
        (np.ones((2, 3)), r"transition_matrix must be a square .* \(2, 3\)"),
        (np.ones(3), "transition_matrix must be a square"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), "transition_matrix must not"),
    ],
)
def test_transition_display_rejects_bad_matrix(matrix, match):
    with pytest.raises(ValueError, match=match):
        TransitionMatrixDisplay(matrix)


def test_transition_display_rejects_bad_labels():
    with pytest.raises(ValueError, match="display_labels must have one entry"):
        TransitionMatrixDisplay(MATRIX, display_labels=["a", "b"])


def test_transition_from_predictions_matches_transition_module():
    rng = np.random.RandomState(0)
    y = rng.choice(["cat", "dog", "emu"], size=50)
    proba = rng.dirichlet(np.ones(3), size=50)
    disp = TransitionMatrixDisplay.from_predictions(y, proba, temperature=0.5)
    y_index = np.searchsorted(["cat", "dog", "emu"], y)
    expected = transition_matrix(joint_matrix(sharpen(proba, 0.5), y_index))
    np.testing.assert_allclose(disp.transition_matrix, expected)
    np.testing.assert_allclose(disp.im_.get_array(), expected)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["cat", "dog", "emu"]
    # The temperature reaches the computation.
    other = TransitionMatrixDisplay.from_predictions(y, proba, temperature=5.0)
    assert not np.allclose(other.transition_matrix, expected)


def test_transition_from_predictions_with_labels_order():
    y = np.array(["b", "b", "a", "a"])
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.3, 0.7]])
    disp = TransitionMatrixDisplay.from_predictions(y, proba, labels=["b", "a"])
    # Column 0 of proba is "b": the held-out model is always right here.
    np.testing.assert_allclose(disp.transition_matrix, np.eye(2), atol=1e-3)
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["b", "a"]


@pytest.mark.parametrize(
    "y, proba, kwargs, match",
    [
        ([0, 1, 1], np.full((2, 2), 0.5), {}, r"holdout_proba must have shape \(3,"),
        ([0, 1, 1], np.full((3, 3), 0.3), {}, "pass labels="),
        ([0, 1], np.full((2, 2), 0.5), {"labels": [0, 1, 2]}, "labels must have one"),
        ([0, 5], np.full((2, 2), 0.5), {"labels": [0, 1]}, "y_true contains label 5"),
        ([], np.zeros((0, 2)), {}, "y_true must be a non-empty"),
        ([0, 1], np.full((2, 2), 0.5), {"temperature": 0}, "temperature"),
    ],
)
def test_transition_from_predictions_errors(y, proba, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransitionMatrixDisplay.from_predictions(y, proba, **kwargs)


@pytest.fixture(scope="module")
def fitted_mat():
    X, y, _ = tiny_data()
    labels = np.array(["cat", "dog"])[y]
    clf = MATClassifier(
        mlp_net((8,), max_epochs=2),
        holdout_estimator=LogisticRegression(),
        cv=2,
        random_state=0,
    )
    return clf.fit(X, labels)


def test_transition_from_estimator(fitted_mat):
    disp = TransitionMatrixDisplay.from_estimator(fitted_mat, values_format=".3f")
    np.testing.assert_array_equal(disp.im_.get_array(), fitted_mat.transition_matrix_)
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["cat", "dog"]
    assert disp.text_[0, 1].get_text() == format(
        fitted_mat.transition_matrix_[0, 1], ".3f"
    )
    _, ax = plt.subplots()
    disp = TransitionMatrixDisplay.from_estimator(
        fitted_mat, ax=ax, display_labels=["c", "d"]
    )
    assert disp.ax_ is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["c", "d"]


def test_transition_from_estimator_needs_fitted_mat():
    with pytest.raises(NotFittedError):
        TransitionMatrixDisplay.from_estimator(MATClassifier())
    X, y, _ = tiny_data()
    with pytest.raises(TypeError, match="transition_matrix_"):
        TransitionMatrixDisplay.from_estimator(LogisticRegression().fit(X, y))


def test_transition_display_many_classes_is_readable(tmp_path):
    rng = np.random.RandomState(0)
    matrix = rng.dirichlet(np.ones(12), size=12)
    disp = TransitionMatrixDisplay(matrix).plot()  # labels 0 .. 11 fit flat
    disp.figure_.savefig(tmp_path / "digits.png")
    renderer = disp.figure_.canvas.get_renderer()
    ticks = [t.get_window_extent(renderer) for t in disp.ax_.get_xticklabels()]
    assert not any(boxes_overlap(a, b) for a, b in zip(ticks, ticks[1:]))
    assert disp.ax_.get_xticklabels()[0].get_rotation() == 0
    # Cell annotations do not spill into their neighbours.
    row = [t.get_window_extent(renderer) for t in disp.text_[0]]
    assert not any(boxes_overlap(a, b) for a, b in zip(row, row[1:]))
    labels = [f"class {i}" for i in range(12)]
    disp = TransitionMatrixDisplay(matrix, display_labels=labels).plot()
    assert disp.ax_.get_xticklabels()[0].get_rotation() == 45  # too wide: turned
    disp = TransitionMatrixDisplay(matrix, display_labels=labels).plot(
        xticks_rotation="vertical"
    )
    disp.figure_.savefig(tmp_path / "vertical.png")
    ticks = [t.get_window_extent(renderer) for t in disp.ax_.get_xticklabels()]
    assert not any(boxes_overlap(a, b) for a, b in zip(ticks, ticks[1:]))
    short = TransitionMatrixDisplay(MATRIX, display_labels=["cat", "dog", "emu"])
    assert short.plot().ax_.get_xticklabels()[0].get_rotation() == 0


# ------------------------------------------------------------- group accuracies


Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
GROUPS = np.array(["a", "a", "a", "b", "c", "c", "c", "c", "d", "d"])
PREDS = {
    "ERM": np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0]),
    "MAT": np.array([0, 0, 1, 0, 1, 1, 1, 0, 1, 0]),
    "dummy": np.ones(10, dtype=int),
}


def test_group_accuracy_display_bars_and_texts():
    disp = GroupAccuracyDisplay.from_predictions(Y_TRUE, PREDS, groups=GROUPS)
    assert list(disp.bars_) == ["ERM", "MAT", "dummy"]
    assert disp.groups_ == ["a", "b", "c", "d"]
    for i, (name, y_pred) in enumerate(PREDS.items()):
        report = group_accuracy_report(Y_TRUE, y_pred, groups=GROUPS)
        heights = [bar.get_height() for bar in disp.bars_[name]]
        np.testing.assert_allclose(heights, report.accuracy)
        np.testing.assert_allclose(disp.accuracies_[i], report.accuracy)
        # The worst group (first on ties) is outlined, the others are not.
        worst = int(np.argmin(report.accuracy))
        widths = [bar.get_linewidth() for bar in disp.bars_[name]]
        assert widths[worst] == 2.0
        assert all(w < 2.0 for j, w in enumerate(widths) if j != worst)
        assert to_rgba(disp.bars_[name][worst].get_edgecolor()) == to_rgba("black")
        texts = [t.get_text() for t in disp.text_[i]]
        assert texts == [format(a, ".2f") for a in report.accuracy]
        assert disp.text_[i, worst].get_fontweight() == "bold"
    assert len(disp.ax_.patches) == 12
    assert len(disp.ax_.texts) == 12
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == [
        "ERM (worst group 0.00)",
        "MAT (worst group 0.50)",
        "dummy (worst group 0.00)",
        "worst group",
    ]
    ticks = [t.get_text() for t in disp.ax_.get_xticklabels()]
    assert ticks == ["a\nn=3", "b\nn=1", "c\nn=4", "d\nn=2"]
    assert disp.ax_.get_ylabel() == "Accuracy"


def test_group_accuracy_display_single_prediction_and_options():
    disp = GroupAccuracyDisplay.from_predictions(
        Y_TRUE, PREDS["MAT"], groups=GROUPS, include_values=False
    )
    assert list(disp.bars_) == ["model"]
    assert len(disp.ax_.texts) == 0
    disp = GroupAccuracyDisplay(
        group_accuracy_report(Y_TRUE, PREDS["MAT"], groups=GROUPS)
    ).plot(values_format=".0%", bar_kw={"color": "grey"})
    assert disp.text_[0, 0].get_text() == "67%"
    assert to_rgba(disp.bars_["model"][0].get_facecolor()) == to_rgba("grey")


def test_group_accuracy_display_honours_ax():
    fig, (ax1, ax2) = plt.subplots(2)
    disp = GroupAccuracyDisplay.from_predictions(Y_TRUE, PREDS, groups=GROUPS, ax=ax1)
    assert disp.ax_ is ax1 and disp.figure_ is fig
    assert len(ax1.patches) == 12 and len(ax2.patches) == 0


def test_group_accuracy_display_reports_with_different_groups():
    reports = {
        "full": group_accuracy_report(Y_TRUE, PREDS["ERM"], groups=GROUPS),
        "part": group_accuracy_report(Y_TRUE[:4], PREDS["ERM"][:4], groups=GROUPS[:4]),
    }
    disp = GroupAccuracyDisplay(reports).plot()
    assert disp.groups_ == ["a", "b", "c", "d"]
    assert np.isnan(disp.accuracies_[1, 2:]).all()
    assert [bar.get_visible() for bar in disp.bars_["part"]] == [
        True,
        True,
        False,
        False,
    ]
    assert disp.text_[1, 2] is None and disp.text_[1, 3] is None
    # Counts differ between the reports for no group here, so n= is shown;
    # a group with different counts would show none.
    assert disp.ax_.get_xticklabels()[0].get_text() == "a\nn=3"


def test_group_accuracy_display_two_dimensional_groups():
    groups = np.column_stack([Y_TRUE, GROUPS])
    disp = GroupAccuracyDisplay.from_predictions(Y_TRUE, PREDS, groups=groups)
    assert disp.groups_[0] == ("0", "a")
    assert disp.ax_.get_xticklabels()[0].get_text() == "0, a\nn=3"


def test_group_accuracy_from_estimators_names():
    X, y, groups = tiny_data()
    lr1 = LogisticRegression().fit(X, y)
    lr2 = LogisticRegression(C=0.01).fit(X, y)
    dummy = DummyClassifier().fit(X, y)
    disp = GroupAccuracyDisplay.from_estimators([lr1, dummy, lr2], X, y, groups=groups)
    assert list(disp.bars_) == [
        "LogisticRegression",
        "DummyClassifier",
        "LogisticRegression (2)",
    ]
    report = group_accuracy_report(y, lr2.predict(X), groups=groups)
    np.testing.assert_allclose(disp.accuracies_[2], report.accuracy)
    disp = GroupAccuracyDisplay.from_estimators({"LR": lr1}, X, y, groups=groups)
    assert list(disp.bars_) == ["LR"]


def test_group_accuracy_from_estimators_with_mat(fitted_mat):
    X, y, groups = tiny_data()
    labels = np.array(["cat", "dog"])[y]
    disp = GroupAccuracyDisplay.from_estimators(
        {"MAT": fitted_mat}, X, labels, groups=groups
    )
    report = group_accuracy_report(labels, fitted_mat.predict(X), groups=groups)
    np.testing.assert_allclose(disp.accuracies_[0], report.accuracy)


def test_group_accuracy_display_layout_is_readable(tmp_path):
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=400)
    groups = np.array([f"long group name {i}" for i in range(8)])[
        rng.randint(8, size=400)
    ]
    preds = {
        f"estimator {i}": np.where(rng.rand(400) < 0.1 * i, 1 - y, y) for i in range(5)
    }
    disp = GroupAccuracyDisplay.from_predictions(y, preds, groups=groups)
    disp.figure_.savefig(tmp_path / "groups.png")
    renderer = disp.figure_.canvas.get_renderer()
    ticks = [t.get_window_extent(renderer) for t in disp.ax_.get_xticklabels()]
    assert not any(boxes_overlap(a, b) for a, b in zip(ticks, ticks[1:]))
    axes_box = disp.ax_.get_window_extent(renderer)
    legend_box = disp.ax_.get_legend().get_window_extent(renderer)
    assert legend_box.y0 >= axes_box.y1 - 1  # the legend sits above the bars
    for text in disp.ax_.texts:  # every annotation inside the axes
        box = text.get_window_extent(renderer)
        assert box.y1 <= axes_box.y1 + 1 and box.x0 >= axes_box.x0 - 1
    # Annotations of neighbouring bars do not overlap.
    row = [t.get_window_extent(renderer) for t in disp.text_[:, 0]]
    assert not any(boxes_overlap(a, b) for a, b in zip(row, row[1:]))


def test_group_accuracy_display_legend_fits_a_small_axes(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    disp = GroupAccuracyDisplay.from_predictions(Y_TRUE, PREDS, groups=GROUPS, ax=ax)
    fig.savefig(tmp_path / "small.png")
    renderer = fig.canvas.get_renderer()
    legend_box = disp.ax_.get_legend().get_window_extent(renderer)
    fig_box = fig.bbox
    assert legend_box.x0 >= fig_box.x0 and legend_box.x1 <= fig_box.x1


# Test accuracies of the baselines gallery figure: six estimators side by side,
# several with equal values in a group ("1.00" four times, "0.08" twice).
BASELINES_ACCURACIES = {
    "ERM": [1.0, 0.08, 0.08, 1.0],
    "logit adjustment": [1.0, 0.08, 0.09, 1.0],
    "JTT": [0.9, 0.6, 0.55, 0.9],
    "group reweighting": [0.8, 0.5, 0.52, 0.8],
    "GroupDRO": [0.8, 0.5, 0.5, 0.8],
    "MAT": [0.95, 0.89, 0.9, 0.95],
}


def baselines_like_predictions(n_per_group=500):
    groups = np.repeat(np.arange(4), n_per_group)
    y = (groups >= 2).astype(int)
    preds = {}
    for name, accuracies in BASELINES_ACCURACIES.items():
        y_pred = y.copy()
        for g, acc in enumerate(accuracies):
            wrong = int(round((1 - acc) * n_per_group))
            y_pred[g * n_per_group : g * n_per_group + wrong] ^= 1
        preds[name] = y_pred
    return y, preds, groups


def drawn_label_boxes(disp, renderer):
    """Window extents of the value labels that are drawn (an empty box: not drawn)."""
    boxes = [t.get_window_extent(renderer) for t in disp.text_.ravel() if t]
    return [b for b in boxes if b.width > 0 and b.height > 0]


@pytest.mark.parametrize(
    "size", [None, (10, 4.5), (8, 4), (6, 4)], ids=lambda s: str(s)
)
def test_group_accuracy_display_bar_labels_never_collide(tmp_path, size):
    # The values are sized for the figure they are drawn on (Axes.bar_label,
    # upright or turned): at any figure size chosen before plot(), neighbouring
    # values keep a visible gap and stay below the legend.
    y, preds, groups = baselines_like_predictions()
    ax = None if size is None else plt.subplots(figsize=size, layout="constrained")[1]
    disp = GroupAccuracyDisplay.from_predictions(y, preds, groups=groups, ax=ax)
    np.testing.assert_allclose(
        disp.accuracies_, list(BASELINES_ACCURACIES.values()), atol=1e-12
    )
    disp.figure_.savefig(tmp_path / "baselines.png")
    renderer = disp.figure_.canvas.get_renderer()
    boxes = drawn_label_boxes(disp, renderer)
    assert len(boxes) == disp.text_.size  # every value is written
    gap = renderer.points_to_pixels(1.0)  # a visible gap, not only no overlap
    padded = [b.padded(gap / 2) for b in boxes]
    for i, a in enumerate(padded):
        assert not any(boxes_overlap(a, b) for b in padded[i + 1 :]), size
    axes_box = disp.ax_.get_window_extent(renderer)
    assert all(b.y1 <= axes_box.y1 + 1 for b in boxes)  # below the legend


def test_group_accuracy_display_bar_labels_pickle(tmp_path):
    y, preds, groups = baselines_like_predictions()
    disp = GroupAccuracyDisplay.from_predictions(y, preds, groups=groups)
    fig = disp.figure_
    fig.savefig(tmp_path / "before.png")
    # The labels are matplotlib's own (Axes.bar_label): the figure pickles and
    # draws again with every value.
    again = pickle.loads(pickle.dumps(fig))
    assert len(again.axes[0].texts) == disp.text_.size
    again.savefig(tmp_path / "after.png")


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: GroupAccuracyDisplay.from_predictions(
                Y_TRUE, {"short": Y_TRUE[:5]}, groups=GROUPS
            ),
            ValueError,
            r"predictions\['short'\].*same length",
        ),
        (
            lambda: GroupAccuracyDisplay.from_predictions(
                Y_TRUE, PREDS, groups=GROUPS[:3]
            ),
            ValueError,
            "groups has 3 entries",
        ),
        (
            lambda: GroupAccuracyDisplay.from_predictions(Y_TRUE, {}, groups=GROUPS),
            ValueError,
            "predictions is empty",
        ),
        (lambda: GroupAccuracyDisplay([1, 2]), TypeError, "reports must be"),
        (lambda: GroupAccuracyDisplay({}), TypeError, "reports must be"),
        (
            lambda: GroupAccuracyDisplay({"x": [0.5, 0.5]}),
            TypeError,
            r"reports\['x'\] must be a GroupAccuracyReport",
        ),
        (
            lambda: GroupAccuracyDisplay.from_estimators(
                {"nope": object()}, np.zeros((10, 2)), Y_TRUE, groups=GROUPS
            ),
            TypeError,
            r"estimators\['nope'\] has no predict",
        ),
        (
            lambda: GroupAccuracyDisplay.from_estimators(
                [], np.zeros((10, 2)), Y_TRUE, groups=GROUPS
            ),
            ValueError,
            "estimators is empty",
        ),
    ],
)
def test_group_accuracy_display_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ callbacks


def test_callback_records_group_accuracies_every_epoch():
    X, y, groups = tiny_data()
    net = linear_net(
        max_epochs=3,
        callbacks=[GroupAccuracyCallback(X, y, groups, name="train")],
    ).fit(X, y)
    assert len(net.history) == 3
    records = net.history[:, "train_group_acc"]
    assert all(sorted(r) == [0, 1, 2, 3] for r in records)
    assert all(type(g) is int for g in records[0])
    report = group_accuracy_report(y, net.predict(X), groups=groups)
    assert records[-1] == pytest.approx(
        dict(zip(report.groups.tolist(), report.accuracy))
    )
    worst = net.history[:, "train_worst_group_acc"]
    assert worst == pytest.approx([min(r.values()) for r in records])


def test_callback_best_flag_is_the_last_peak_of_worst_then_overall_accuracy():
    X, y, groups = tiny_data()
    net = linear_net(
        max_epochs=12,
        lr=0.5,
        callbacks=[GroupAccuracyCallback(X, y, groups, name="valid")],
    ).fit(X, y)
    pairs = list(
        zip(net.history[:, "valid_worst_group_acc"], net.history[:, "valid_acc"])
    )
    assert net.history[:, "valid_acc"][-1] == pytest.approx(
        np.mean(net.predict(X) == y)
    )
    expected = [pair >= max(pairs[: i + 1]) for i, pair in enumerate(pairs)]
    assert net.history[:, "valid_worst_group_acc_best"] == expected
    assert expected[0] is True


def test_callback_drives_skorch_checkpoint_to_the_best_epoch(tmp_path):
    from skorch.callbacks import Checkpoint

    X, y, groups = tiny_data()
    # Scored on flipped labels, the net is best before it learns: the peak is
    # early, so restoring it is visible.
    flipped = 1 - y
    checkpoint = Checkpoint(
        monitor="valid_worst_group_acc_best",
        dirname=str(tmp_path),
        f_optimizer=None,
        f_criterion=None,
        f_history=None,
        load_best=True,
    )
    callbacks = [GroupAccuracyCallback(X, flipped, groups, name="valid"), checkpoint]
    net = linear_net(max_epochs=12, lr=2.0, callbacks=callbacks).fit(X, y)
    flags = net.history[:, "valid_worst_group_acc_best"]
    best_epoch = max(i for i, flag in enumerate(flags) if flag)
    assert best_epoch < len(flags) - 1
    # The restored weights predict what the best epoch recorded.
    record = net.history[best_epoch, "valid_group_acc"]
    report = group_accuracy_report(flipped, net.predict(X), groups=groups)
    assert record == pytest.approx(dict(zip(report.groups.tolist(), report.accuracy)))


def test_callback_does_not_change_training():
    X, y, groups = tiny_data()

    def fit(callbacks):
        net = MATNeuralNetClassifier(
            torch.nn.Linear,
            module__in_features=8,
            module__out_features=2,
            criterion=torch.nn.CrossEntropyLoss,
            max_epochs=3,
            batch_size=16,
            iterator_train__shuffle=True,  # the training draws random numbers
            train_split=None,
            verbose=0,
            random_state=0,
            callbacks=callbacks,
        )
        return net.fit(X, y)

    plain = fit(None)
    watched = fit([GroupAccuracyCallback(X, y, groups)])
    for a, b in zip(plain.module_.parameters(), watched.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert "test_group_acc" in watched.history[-1]


def test_callback_casts_float64_input_and_accepts_2d_groups():
    X, y, groups = tiny_data()
    groups_2d = np.column_stack([y, groups % 2])
    net = linear_net(
        max_epochs=1,
        callbacks=[GroupAccuracyCallback(X.astype(np.float64), y, groups_2d)],
    ).fit(X, y)
    record = net.history[-1, "test_group_acc"]
    assert sorted(record) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_callback_in_mat_classifier_with_string_labels():
    X, y, groups = tiny_data()
    labels = np.array(["cat", "dog"])[y]
    cb = GroupAccuracyCallback(X, labels, groups, classes=np.unique(labels))
    clf = MATClassifier(
        mlp_net((8,), max_epochs=2, callbacks=[cb]),
        holdout_estimator=LogisticRegression(),
        cv=2,
        random_state=0,
    ).fit(X, labels)
    record = clf.estimator_.history[-1, "test_group_acc"]
    report = group_accuracy_report(labels, clf.predict(X), groups=groups)
    assert record == pytest.approx(dict(zip(report.groups.tolist(), report.accuracy)))


def test_callback_is_cloneable_and_keeps_params():
    X, y, groups = tiny_data()
    cb = GroupAccuracyCallback(X, y, groups, name="valid")
    net = clone(linear_net(callbacks=[cb]))
    copy = net.callbacks[0]
    assert copy is not cb and copy.name == "valid"
    np.testing.assert_array_equal(copy.X, X)


def test_net_with_callback_pickles():
    X, y, groups = tiny_data()
    net = linear_net(max_epochs=1, callbacks=[GroupAccuracyCallback(X, y, groups)]).fit(
        X, y
    )
    again = pickle.loads(pickle.dumps(net))
    assert again.history[-1, "test_group_acc"] == net.history[-1, "test_group_acc"]
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_callback_log_prints_groups_compactly_not_a_dict(capsys):
    # skorch's PrintLog is left as the user made it: the per-group dict is a
    # GroupAccuracies, which prints as "group=accuracy" pairs.
    X, y, groups = tiny_data()
    net = linear_net(
        max_epochs=1, verbose=1, callbacks=[GroupAccuracyCallback(X, y, groups)]
    ).fit(X, y)
    out = capsys.readouterr().out
    record = net.history[-1, "test_group_acc"]
    compact = " ".join(f"{g}={a:.3f}" for g, a in record.items())
    assert "test_worst_group_acc" in out and compact in out
    assert "{" not in out


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": np.array(["a", "b"] * 60)}, "pass classes="),
        ({"y": np.zeros(5, dtype=int)}, "y has 5 entries but X has 120"),
        ({"groups": np.zeros(7)}, "groups has 7 entries but X has 120"),
        ({"groups": 3}, "groups must be array-like"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"y": np.array(["a", "b"] * 60), "classes": ["a"]}, "y contains label"),
    ],
)
def test_callback_errors_name_the_parameter(kwargs, match):
    X, y, groups = tiny_data()
    params = {"y": y, "groups": groups, **kwargs}
    net = linear_net(callbacks=[GroupAccuracyCallback(X, **params)])
    with pytest.raises(ValueError, match=match):
        net.fit(X, y)


def test_callback_rejects_labels_beyond_the_net_outputs():
    X, y, groups = tiny_data()
    net = linear_net(callbacks=[GroupAccuracyCallback(X, y + 1, groups)])
    with pytest.raises(ValueError, match="pass classes="):
        net.fit(X, y)


# --------------------------------------------------------------- training curves


HISTORY = [
    {
        "epoch": 1,
        "train_loss": 0.7,
        "train_group_acc": {"maj": 0.9, "min": 0.1},
        "train_worst_group_acc": 0.1,
        "test_group_acc": {"maj": 0.8, "min": 0.2},
    },
    {
        "epoch": 2,
        "train_loss": 0.5,
        "train_group_acc": {"maj": 1.0, "min": 0.6},
        "train_worst_group_acc": 0.6,
    },
    {
        "epoch": 3,
        "train_loss": 0.4,
        "train_group_acc": {"maj": 1.0, "min": 1.0},
        "train_worst_group_acc": 1.0,
        "test_group_acc": {"maj": 0.9, "min": 0.3},
    },
]


def test_curves_from_history_draws_one_line_per_curve_and_group():
    disp = GroupTrainingCurvesDisplay.from_history(HISTORY)
    assert list(disp.lines_) == [
        ("train", "maj"),
        ("train", "min"),
        ("test", "maj"),
        ("test", "min"),
    ]
    assert len(disp.ax_.get_lines()) == 4
    np.testing.assert_array_equal(disp.lines_["train", "min"].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(
        disp.lines_["train", "min"].get_ydata(), [0.1, 0.6, 1]
    )
    np.testing.assert_array_equal(
        disp.lines_["test", "min"].get_ydata(), [0.2, np.nan, 0.3]
    )
    # Colour per group, line style per curve.
    for g in ("maj", "min"):
        assert disp.lines_["train", g].get_color() == disp.lines_["test", g].get_color()
        assert (
            disp.lines_["train", g].get_linestyle()
            != disp.lines_["test", g].get_linestyle()
        )
    assert (
        disp.lines_["train", "maj"].get_color()
        != disp.lines_["train", "min"].get_color()
    )
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == ["train: maj", "train: min", "test: maj", "test: min"]
    assert disp.ax_.get_xlabel() == "Epoch" and disp.ax_.get_ylabel() == "Accuracy"


def test_curves_keys_selection_and_ax():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    disp = GroupTrainingCurvesDisplay.from_history(HISTORY, "test_group_acc", ax=ax2)
    assert disp.ax_ is ax2 and disp.figure_ is fig
    assert list(disp.lines_) == [("test", "maj"), ("test", "min")]
    assert len(ax1.get_lines()) == 0
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert legend == ["maj", "min"]
    disp = GroupTrainingCurvesDisplay.from_history(
        HISTORY, ["test_group_acc", "train_group_acc"], legend=False
    )
    assert list(disp.curves) == ["test", "train"]
    assert disp.ax_.get_legend() is None


@pytest.mark.parametrize(
    "history, keys, error, match",
    [
        (HISTORY, "valid_group_acc", ValueError, "keys: 'valid_group_acc' is not"),
        (HISTORY, "train_worst_group_acc", ValueError, "must be a dict"),
        (HISTORY, [], ValueError, "keys is empty"),
        ([{"epoch": 1, "train_loss": 0.3}], None, ValueError, "GroupAccuracyCallback"),
        ([], None, ValueError, "has the net been trained"),
        (42, None, TypeError, "history must be"),
    ],
)
def test_curves_from_history_errors(history, keys, error, match):
    with pytest.raises(error, match=match):
        GroupTrainingCurvesDisplay.from_history(history, keys)


@pytest.mark.parametrize(
    "epochs, curves, error, match",
    [
        ([1, 2], {"a": {0: [0.5]}}, ValueError, r"curves\['a'\]\[0\] has shape"),
        ([], {"a": {0: []}}, ValueError, "epochs must be a non-empty"),
        ([1], {}, TypeError, "curves must be a non-empty dict"),
        ([1], {"a": [0.5]}, TypeError, r"curves\['a'\] must be"),
    ],
)
def test_curves_constructor_errors(epochs, curves, error, match):
    with pytest.raises(error, match=match):
        GroupTrainingCurvesDisplay(epochs, curves)


def test_curves_from_skorch_net_with_two_callbacks():
    X, y, groups = tiny_data()
    X_test, y_test, groups_test = tiny_data(seed=1)
    minority = np.where(groups % 3 == 0, "majority", "minority")
    minority_test = np.where(groups_test % 3 == 0, "majority", "minority")
    net = linear_net(
        max_epochs=5,
        callbacks=[
            ("train_groups", GroupAccuracyCallback(X, y, minority, name="train")),
            ("test_groups", GroupAccuracyCallback(X_test, y_test, minority_test)),
        ],
    ).fit(X, y)
    disp = GroupTrainingCurvesDisplay.from_estimator(net)
    assert sorted(disp.lines_) == [
        ("test", "majority"),
        ("test", "minority"),
        ("train", "majority"),
        ("train", "minority"),
    ]
    np.testing.assert_array_equal(disp.epochs, [1, 2, 3, 4, 5])
    expected = [r["minority"] for r in net.history[:, "test_group_acc"]]
    np.testing.assert_allclose(disp.lines_["test", "minority"].get_ydata(), expected)


def test_curves_from_mat_classifier():
    X, y, groups = tiny_data()
    clf = MATClassifier(
        mlp_net((8,), max_epochs=3, callbacks=[GroupAccuracyCallback(X, y, groups)]),
        holdout_estimator=LogisticRegression(),
        cv=2,
        random_state=0,
    ).fit(X, y)
    disp = GroupTrainingCurvesDisplay.from_estimator(clf, "test_group_acc")
    assert len(disp.lines_) == 4
    np.testing.assert_array_equal(disp.epochs, [1, 2, 3])


def test_curves_from_estimator_errors():
    with pytest.raises(NotFittedError):
        GroupTrainingCurvesDisplay.from_estimator(MATClassifier())
    X, y, _ = tiny_data()
    with pytest.raises(TypeError, match="fitted skorch net"):
        GroupTrainingCurvesDisplay.from_estimator(LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match="fitted skorch net"):
        GroupTrainingCurvesDisplay.from_estimator(linear_net())  # never initialized
    net = linear_net(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="GroupAccuracyCallback"):
        GroupTrainingCurvesDisplay.from_estimator(net)


# ------------------------------------------------------------ without matplotlib


@pytest.fixture
def no_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_module_imports_without_matplotlib(no_matplotlib, monkeypatch):
    # A fresh import of the package and its modules, with matplotlib blocked; the
    # imported ones come back after the test.
    imported = skmat.plot
    monkeypatch.setattr(skmat, "plot", imported)
    for name in list(sys.modules):
        if name == "skmat.plot" or name.startswith("skmat.plot."):
            monkeypatch.delitem(sys.modules, name)
    module = importlib.import_module("skmat.plot")  # no module-level matplotlib
    assert module is not imported
    disp = module.TransitionMatrixDisplay(MATRIX)
    with pytest.raises(ImportError, match=r"pip install skmat\[plot\]"):
        disp.plot()


@pytest.mark.parametrize(
    "call",
    [
        lambda: TransitionMatrixDisplay(MATRIX).plot(),
        lambda: TransitionMatrixDisplay.from_predictions([0, 1], np.eye(2)),
        lambda: TransitionMatrixDisplay.from_estimator(MATClassifier()),
        lambda: GroupAccuracyDisplay.from_predictions(Y_TRUE, PREDS, groups=GROUPS),
        lambda: GroupAccuracyDisplay.from_estimators([], None, None, groups=None),
        lambda: GroupTrainingCurvesDisplay.from_history(HISTORY),
        lambda: GroupTrainingCurvesDisplay.from_estimator(None),
        lambda: GroupTrainingCurvesDisplay([1], {"a": {0: [1.0]}}).plot(),
    ],
)
def test_import_error_names_the_extra(no_matplotlib, call):
    with pytest.raises(ImportError, match=r"requires matplotlib.*skmat\[plot\]"):
        call()
