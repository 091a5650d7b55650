"""The display of a memorization diagnosis: scores, inferred groups, matrix, verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ..diagnosis import MemorizationReport, memorization_report
from ._drawing import annotation_style, check_matplotlib, text_fits
from ._transition import TransitionMatrixDisplay

__all__ = ["MemorizationDisplay"]

_VERDICT_TITLES = {
    "shortcut": "a shortcut",
    "hard_or_mislabelled": "hard or mislabelled examples, no shortcut",
    "nothing": "nothing stands apart",
    "unchecked": "memorized or hard examples, shortcut not checked",
}
_SIDES = {"agreeing": "C0", "conflicting": "C1"}
_BARS = (
    ("in_sample_accuracy", "in-sample (net fitted on all the data)", "C0"),
    ("holdout_accuracy", "held-out models", "C7"),
    ("check_accuracy", "check: held-out, MAT's shift", "C2"),
    ("control_accuracy", "control: held-out, plain", "C3"),
)


def _check_report(report):
    needed = ("train_confidence", "holdout_confidence", "inferred_groups", "verdict")
    if not isinstance(report, MemorizationReport) and not all(
        hasattr(report, name) for name in needed
    ):
        raise TypeError(
            "report must be a MemorizationReport (from "
            "skmat.diagnosis.memorization_report or a fitted "
            f"MemorizationDiagnosis's report_); got {type(report).__name__}."
        )
    return report


def _axes(plt, ax):
    if ax is None:
        fig, axes = plt.subplots(
            1, 3, figsize=(15, 4.6), layout="constrained", width_ratios=[1, 1.4, 0.8]
        )
        return fig, np.asarray(axes)
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.shape != (3,):
        raise ValueError(
            "ax must be None or a sequence of 3 matplotlib Axes (scores, group "
            f"accuracies, transition matrix); got {axes.shape[0]} item(s)."
        )
    return axes[0].figure, axes


class MemorizationDisplay:
    """A memorization diagnosis in three panels, with its verdict as the title.

    1. each training example at (held-out confidence, in-sample confidence) in
       its true label, coloured by side (agreeing or conflicting inferred
       group): examples on the diagonal follow a rule, those in the upper left
       corner were memorized (the memorization score is the height above the
       diagonal);
    2. accuracy within each inferred group (its size under its name) of the
       net fitted on all the data, of the held-out models and, held-out too, of
       the check nets trained with MAT's shift and the control nets trained
       plainly (their gap on the conflicting groups is the verdict's ``lift``);
    3. MAT's transition matrix ``p(y = c | y_ho = k)``
       (:class:`TransitionMatrixDisplay`).

    Create it with :meth:`from_estimator` (a fitted
    :class:`~skmat.diagnosis.MemorizationDiagnosis`) or :meth:`from_predictions`
    (labels and the three sets of probabilities), or from a report, then call
    :meth:`plot`.

    Parameters
    ----------
    report : MemorizationReport
        From :func:`skmat.diagnosis.memorization_report` or a fitted
        diagnosis's ``report_``.

    Attributes
    ----------
    scatter_ : dict of str to matplotlib PathCollection
        The points of each side, ``"agreeing"`` and ``"conflicting"``.
    bars_ : dict of str to matplotlib BarContainer
        The bars of ``"in_sample_accuracy"``, ``"holdout_accuracy"``,
        ``"check_accuracy"`` and ``"control_accuracy"`` (the last two absent
        without check and control nets).
    transition_display_ : TransitionMatrixDisplay
        The display of the third panel.
    title_ : matplotlib Text
        The figure's title: the verdict.
    axes_ : ndarray of 3 matplotlib Axes
        The panels.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    skmat.diagnosis.MemorizationDiagnosis : What computes the report.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmat.plot import MemorizationDisplay
    >>> y = np.array([0] * 50 + [1] * 50)
    >>> held_out = np.tile([[0.9, 0.1]], (100, 1)); held_out[50:] = [0.1, 0.9]
    >>> held_out[:5] = [0.2, 0.8]
    >>> train = np.eye(2)[y] * 0.98 + 0.01
    >>> disp = MemorizationDisplay.from_predictions(y, train, held_out)
    >>> sorted(disp.scatter_), sorted(disp.bars_)
    (['agreeing', 'conflicting'], ['holdout_accuracy', 'in_sample_accuracy'])
    >>> disp.title_.get_text()
    'Verdict: memorized or hard examples, shortcut not checked'
    """

    def __init__(self, report: MemorizationReport) -> None:
        self.report = _check_report(report)

    def plot(
        self,
        ax: Sequence[Any] | None = None,
        *,
        include_values: bool = True,
        scatter_kw: dict | None = None,
        transition_kw: dict | None = None,
    ) -> MemorizationDisplay:
        """Draw the three panels.

        Parameters
        ----------
        ax : sequence of 3 matplotlib Axes, default=None
            Axes of the scores, the group accuracies and the transition matrix;
            ``None`` makes a new figure.
        include_values : bool, default=True
            Whether to write each accuracy above its bar.
        scatter_kw : dict, default=None
            Keyword arguments of ``ax.scatter`` (for both sides).
        transition_kw : dict, default=None
            Keyword arguments of :meth:`TransitionMatrixDisplay.plot`
            (``colorbar`` is False unless given).

        Returns
        -------
        display : MemorizationDisplay
            ``self``, with ``figure_``, ``axes_``, ``scatter_``, ``bars_``,
            ``transition_display_`` and ``title_`` set.
        """
        plt = check_matplotlib("MemorizationDisplay.plot")
        report = self.report
        fig, axes = _axes(plt, ax)
        self._plot_scores(axes[0], scatter_kw)
        self._plot_groups(plt, fig, axes[1], include_values)
        kwargs = {"colorbar": False}
        kwargs.update(transition_kw or {})
        self.transition_display_ = TransitionMatrixDisplay(
            report.transition_matrix, display_labels=report.classes
        ).plot(ax=axes[2], **kwargs)
        axes[2].set_title(f"Transition matrix (T = {report.temperature:g})")
        verdict = _VERDICT_TITLES.get(report.verdict, report.verdict)
        if not np.isnan(report.lift):
            verdict += f" (lift {report.lift:.2f})"
        self.title_ = fig.suptitle(f"Verdict: {verdict}")
        self.figure_, self.axes_ = fig, axes
        return self

    def _plot_scores(self, ax, scatter_kw):
        report = self.report
        conflicting = np.asarray(report.inferred_groups) % 2 == 1
        self.scatter_ = {}
        for side, color in _SIDES.items():
            rows = conflicting if side == "conflicting" else ~conflicting
            kwargs = {"s": 12, "alpha": 0.6, "color": color, "linewidths": 0}
            kwargs.update(scatter_kw or {})
            self.scatter_[side] = ax.scatter(
                report.holdout_confidence[rows],
                report.train_confidence[rows],
                label=f"{side} ({int(rows.sum())})",
                **kwargs,
            )
        ax.plot([0, 1], [0, 1], color="0.5", linestyle="--", linewidth=1)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("Held-out confidence in the true label")
        ax.set_ylabel("In-sample confidence in the true label")
        ax.set_title(f"Memorized (upper left): {100 * report.memorized_fraction:.1f}%")
        ax.legend(loc="lower right", fontsize="small", title="inferred side")

    def _plot_groups(self, plt, fig, ax, include_values):
        report = self.report
        kinds = [
            kind
            for kind in _BARS
            if not np.all(np.isnan(np.asarray(report[kind[0]], dtype=float)))
        ]
        n_groups, n_kinds = len(report.group_names), len(kinds)
        width = 0.8 / n_kinds
        x = np.arange(n_groups)
        fontsize, rotation = annotation_style(fig, ax, width / n_groups, "0.00")
        self.bars_ = {}
        for i, (key, name, color) in enumerate(kinds):
            heights = np.asarray(report[key], dtype=float)
            offsets = x + (i - (n_kinds - 1) / 2) * width
            bars = ax.bar(offsets, heights, width=width, color=color, label=name)
            self.bars_[key] = bars
            if include_values:
                ax.bar_label(
                    bars,
                    labels=["" if np.isnan(h) else f"{h:.2f}" for h in heights],
                    padding=2,
                    fontsize=fontsize,
                    rotation=rotation,
                )
        labels = [
            f"{name}\nn={int(count)}"
            for name, count in zip(report.group_names, report.count)
        ]
        longest = max(report.group_names, key=len)
        ax.set_xticks(x, labels=labels)
        if not text_fits(
            fig, ax, 1.0 / n_groups, longest, plt.rcParams["xtick.labelsize"], 0.9
        ):
            ax.set_xticks(x, labels=[label.replace("\n", " ") for label in labels])
            plt.setp(
                ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor"
            )
        ax.set_ylim(0.0, 1.12 if rotation == 0 else 1.2)
        ax.set_yticks(np.linspace(0.0, 1.0, 6))
        ax.set_ylabel("Accuracy")
        ax.set_xlabel("Inferred group (label, side)")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        # Above the axes, where no bar is: the legend names the three accuracies.
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2 if n_kinds > 2 else n_kinds,
            fontsize="small",
            frameon=False,
        )

    @classmethod
    def from_estimator(
        cls, estimator: Any, *, ax: Sequence[Any] | None = None, **plot_kw: Any
    ) -> MemorizationDisplay:
        """Plot the report of a fitted :class:`~skmat.diagnosis.MemorizationDiagnosis`.

        Parameters
        ----------
        estimator : fitted MemorizationDiagnosis
            Any fitted estimator with a ``report_`` from
            :func:`~skmat.diagnosis.memorization_report`.
        ax : sequence of 3 matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : MemorizationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.diagnosis import MemorizationDiagnosis
        >>> from skmat.mlp import mlp_net
        >>> from skmat.plot import MemorizationDisplay
        >>> X, y, _ = make_spurious_classification(100, 10, random_state=0)
        >>> diagnosis = MemorizationDiagnosis(
        ...     mlp_net((8,), max_epochs=5), holdout_estimator=LogisticRegression(),
        ...     cv=2, random_state=0).fit(X, y)
        >>> disp = MemorizationDisplay.from_estimator(diagnosis)
        >>> len(disp.axes_)
        3
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "report_"):
            raise TypeError(
                "estimator must be a fitted MemorizationDiagnosis (an estimator "
                f"with a report_ attribute); got {type(estimator).__name__}."
            )
        return cls(estimator.report_).plot(ax=ax, **plot_kw)

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        train_proba: ArrayLike,
        holdout_proba: ArrayLike,
        *,
        check_proba: ArrayLike | None = None,
        control_proba: ArrayLike | None = None,
        classes: ArrayLike | None = None,
        temperature: float = 0.1,
        ax: Sequence[Any] | None = None,
        **plot_kw: Any,
    ) -> MemorizationDisplay:
        """Compute the report from probabilities and plot it.

        The report is :func:`~skmat.diagnosis.memorization_report`'s.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        train_proba : array-like of shape (n_samples, n_classes)
            Probabilities of a net fitted on all the examples, on them.
        holdout_proba : array-like of shape (n_samples, n_classes)
            Held-out probabilities of the same examples.
        check_proba, control_proba : array-like of shape (n_samples, \
n_classes), default=None
            Held-out probabilities of nets trained with MAT's shift and of the
            same nets trained plainly, on the same folds; without them the
            verdict is ``"unchecked"`` (or ``"nothing"``).
        classes : array-like of shape (n_classes,), default=None
            The label of each column; ``None`` uses the sorted labels of
            ``y_true``.
        temperature : float, default=0.1
            Temperature of the transition matrix.
        ax : sequence of 3 matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : MemorizationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import cross_val_predict
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import MemorizationDisplay
        >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
        >>> model = LogisticRegression()
        >>> train = model.fit(X, y).predict_proba(X)
        >>> held_out = cross_val_predict(model, X, y, cv=5, method="predict_proba")
        >>> disp = MemorizationDisplay.from_predictions(y, train, held_out)
        >>> disp.report.verdict  # the core feature explains every example
        'nothing'
        """
        check_matplotlib(f"{cls.__name__}.from_predictions")
        report = memorization_report(
            y_true,
            train_proba,
            holdout_proba,
            check_proba=check_proba,
            control_proba=control_proba,
            classes=classes,
            temperature=temperature,
        )
        return cls(report).plot(ax=ax, **plot_kw)
