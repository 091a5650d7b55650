"""The display of each estimator's accuracy within each group, as bars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._encoding import python_value
from ..metrics import GroupAccuracyReport, group_accuracy_report
from ._drawing import (
    annotation_style,
    check_matplotlib,
    figure_and_axes,
    group_label,
    text_fits,
)

__all__ = ["GroupAccuracyDisplay"]


def _legend_columns(fig, ax, labels, size="small"):
    """Columns of a legend above the axes: one or two rows, no wider than the axes."""
    from matplotlib.font_manager import FontProperties

    axes_pts = ax.get_position().width * fig.get_figwidth() * 72.0
    em = FontProperties(size=size).get_size_in_points()
    entry_pts = max(0.62 * em * len(label) for label in labels) + 4.5 * em
    ncol = len(labels) if len(labels) <= 4 else -(-len(labels) // 2)
    while ncol > 1 and ncol * entry_pts > axes_pts:
        ncol -= 1
    return ncol


def _check_reports(reports):
    if isinstance(reports, GroupAccuracyReport):
        reports = {"model": reports}
    if not isinstance(reports, Mapping) or not reports:
        raise TypeError(
            "reports must be a non-empty dict {name: GroupAccuracyReport} (from "
            "skmat.metrics.group_accuracy_report); got "
            f"{type(reports).__name__}."
        )
    checked = {}
    for name, report in reports.items():
        if not all(hasattr(report, a) for a in ("groups", "accuracy", "count")):
            raise TypeError(
                f"reports[{name!r}] must be a GroupAccuracyReport (from "
                f"skmat.metrics.group_accuracy_report); got {type(report).__name__}."
            )
        checked[str(name)] = report
    if len(checked) != len(reports):
        raise ValueError("reports has names that are equal as strings.")
    return checked


class GroupAccuracyDisplay:
    """Accuracy within each group, one bar per estimator.

    Groups are along the x axis (with their number of examples); each estimator
    has a bar per group, annotated with its accuracy. Each estimator's worst
    group is outlined in black, and the legend gives its worst-group accuracy.

    Parameters
    ----------
    reports : dict of str to GroupAccuracyReport
        ``{name: skmat.metrics.group_accuracy_report(y_true, y_pred, groups=g)}``,
        one entry per estimator, in legend order. A single report is accepted
        too (named ``"model"``). Groups missing from a report get no bar.

    Attributes
    ----------
    groups_ : list
        The groups along the x axis: those of the first report, then any
        new ones of the others (set by :meth:`plot`).
    accuracies_ : ndarray of shape (n_estimators, n_groups)
        The bar heights (NaN where a report lacks a group).
    bars_ : dict of str to matplotlib BarContainer
        The bars of each estimator.
    text_ : ndarray of shape (n_estimators, n_groups) of matplotlib Text or None
        The value annotations (``None`` where there is no bar, or all ``None``
        with ``include_values=False``).
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure that contains the bars.

    See Also
    --------
    skmat.metrics.group_accuracy_report : The numbers behind the bars.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmat.plot import GroupAccuracyDisplay
    >>> y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> groups = [0, 0, 0, 1, 2, 2, 2, 3]
    >>> disp = GroupAccuracyDisplay.from_predictions(
    ...     y_true,
    ...     {"ERM": [0, 0, 0, 0, 1, 1, 1, 0], "MAT": [0, 0, 1, 1, 1, 1, 1, 1]},
    ...     groups=groups)
    >>> disp.accuracies_.round(2)
    array([[1.  , 1.  , 1.  , 0.  ],
           [0.67, 0.  , 1.  , 1.  ]])
    >>> [round(float(bar.get_height()), 2) for bar in disp.bars_["MAT"]]
    [0.67, 0.0, 1.0, 1.0]
    """

    def __init__(self, reports: Mapping[str, Any] | Any) -> None:
        self.reports = _check_reports(reports)

    def plot(
        self,
        ax: Any = None,
        *,
        values_format: str = ".2f",
        include_values: bool = True,
        bar_kw: dict | None = None,
    ) -> GroupAccuracyDisplay:
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure, wide enough for the
            bars.
        values_format : str, default=".2f"
            Format specification of the value annotations.
        include_values : bool, default=True
            Whether to write each accuracy above its bar
            (:meth:`matplotlib.axes.Axes.bar_label`), in the largest font size
            (upright, then turned) that fits the bars' width in the figure as
            sized when ``plot`` runs: size the figure first (pass ``ax`` from
            ``plt.subplots(figsize=...)``) rather than resizing it afterwards.
        bar_kw : dict, default=None
            Keyword arguments of ``ax.bar`` (for every estimator).

        Returns
        -------
        display : GroupAccuracyDisplay
            ``self``, with ``figure_``, ``ax_``, ``bars_``, ``text_``,
            ``groups_`` and ``accuracies_`` set.
        """
        plt = check_matplotlib("GroupAccuracyDisplay.plot")
        from matplotlib.patches import Patch

        names = list(self.reports)
        groups, index = [], {}
        for report in self.reports.values():
            for g in report.groups:
                key = python_value(g)
                if key not in index:
                    index[key] = len(groups)
                    groups.append(key)
        n_est, n_groups = len(names), len(groups)
        accuracies = np.full((n_est, n_groups), np.nan)
        counts = np.full((n_est, n_groups), -1, dtype=np.int64)
        for i, report in enumerate(self.reports.values()):
            for g, acc, count in zip(report.groups, report.accuracy, report.count):
                accuracies[i, index[python_value(g)]] = acc
                counts[i, index[python_value(g)]] = count

        width_in = max(6.4, 1.0 + n_groups * (0.45 * n_est + 0.5))
        fig, ax = figure_and_axes(plt, ax, figsize=(min(width_in, 16.0), 4.8))
        width = 0.8 / n_est
        x = np.arange(n_groups)
        fontsize, rotation = annotation_style(
            fig, ax, width / n_groups, format(0.5, values_format)
        )
        self.bars_ = {}
        handles = []
        self.text_ = np.full((n_est, n_groups), None, dtype=object)
        for i, name in enumerate(names):
            heights = accuracies[i]
            worst = int(np.nanargmin(heights))
            kwargs = {"color": f"C{i}", "width": width}
            kwargs.update(bar_kw or {})
            offsets = x + (i - (n_est - 1) / 2) * width
            bars = ax.bar(offsets, np.nan_to_num(heights, nan=0.0), **kwargs)
            # The legend gets its own patches: a bar's outline marks its worst group.
            handles.append(
                Patch(
                    facecolor=bars.patches[0].get_facecolor(),
                    label=f"{name} (worst group {heights[worst]:{values_format}})",
                )
            )
            for j, bar in enumerate(bars):
                if np.isnan(heights[j]):
                    bar.set_visible(False)
            bars[worst].set_edgecolor("black")
            bars[worst].set_linewidth(2.0)
            self.bars_[name] = bars
            if not include_values:
                continue
            labels = ["" if np.isnan(h) else format(h, values_format) for h in heights]
            texts = ax.bar_label(
                bars, labels=labels, padding=2, fontsize=fontsize, rotation=rotation
            )
            texts[worst].set_fontweight("bold")
            for j, text in enumerate(texts):
                self.text_[i, j] = text if labels[j] else None

        tick_names, sizes = [], []
        for j, g in enumerate(groups):
            known = counts[:, j][counts[:, j] >= 0]
            tick_names.append(group_label(g))
            same = known.size and np.all(known == known[0])
            sizes.append(f"n={known[0]}" if same else "")
        longest = max(tick_names + sizes, key=len)
        size = plt.rcParams["xtick.labelsize"]
        if text_fits(fig, ax, 1.0 / n_groups, longest, size, margin=0.9):
            labels = [f"{a}\n{b}".strip() for a, b in zip(tick_names, sizes)]
            ax.set_xticks(x, labels=labels)
        else:  # too wide: one line each, turned
            labels = [f"{a} ({b})" if b else a for a, b in zip(tick_names, sizes)]
            ax.set_xticks(x, labels=labels)
            plt.setp(
                ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor"
            )
        ax.set_xlabel("Group")
        ax.set_ylabel("Accuracy")
        ax.set_ylim(0.0, 1.12 if rotation == 0 else 1.2)
        ax.set_yticks(np.linspace(0.0, 1.0, 6))
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        handles.append(
            Patch(
                facecolor="none", edgecolor="black", linewidth=2.0, label="worst group"
            )
        )
        ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=_legend_columns(fig, ax, [h.get_label() for h in handles]),
            frameon=False,
            fontsize="small",
        )
        self.groups_ = groups
        self.accuracies_ = accuracies
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        predictions: Mapping[str, ArrayLike],
        *,
        groups: ArrayLike,
        expected_groups: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupAccuracyDisplay:
        """Plot group accuracies of one or several predictions of ``y_true``.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        predictions : dict of str to array-like of shape (n_samples,)
            Predicted labels of each estimator, ``{name: y_pred}``. A single
            array is accepted too (named ``"model"``).
        groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Group of each example; see
            :func:`~skmat.metrics.group_accuracy_report`.
        expected_groups : array-like, default=None
            Every group the data must contain; see
            :func:`~skmat.metrics.group_accuracy_report`.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupAccuracyDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skmat.plot import GroupAccuracyDisplay
        >>> disp = GroupAccuracyDisplay.from_predictions(
        ...     ["cat", "cat", "dog", "dog"], ["cat", "dog", "dog", "dog"],
        ...     groups=["indoor", "outdoor", "indoor", "outdoor"])
        >>> disp.groups_, disp.accuracies_
        (['indoor', 'outdoor'], array([[1. , 0.5]]))
        """
        check_matplotlib(f"{cls.__name__}.from_predictions")
        if not isinstance(predictions, Mapping):
            predictions = {"model": predictions}
        if not predictions:
            raise ValueError("predictions is empty; give at least one {name: y_pred}.")
        reports = {}
        for name, y_pred in predictions.items():
            try:
                reports[name] = group_accuracy_report(
                    y_true, y_pred, groups=groups, expected_groups=expected_groups
                )
            except ValueError as exc:
                raise ValueError(f"predictions[{name!r}]: {exc}") from exc
        return cls(reports).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimators(
        cls,
        estimators: Mapping[str, Any] | list,
        X: ArrayLike,
        y: ArrayLike,
        *,
        groups: ArrayLike,
        expected_groups: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupAccuracyDisplay:
        """Plot group accuracies of fitted estimators on ``X``, ``y``.

        Parameters
        ----------
        estimators : dict of str to estimator, or list of estimators
            Fitted classifiers, ``{name: estimator}``; a list is named by the
            estimators' class names (numbered when they repeat).
        X : array-like of shape (n_samples, n_features)
            Input, passed to each estimator's ``predict``.
        y : array-like of shape (n_samples,)
            True labels.
        groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
            Group of each example.
        expected_groups : array-like, default=None
            Every group the data must contain; see
            :func:`~skmat.metrics.group_accuracy_report`.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupAccuracyDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.dummy import DummyClassifier
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import GroupAccuracyDisplay
        >>> X, y, groups = make_spurious_classification(200, 10, random_state=0)
        >>> models = [DummyClassifier().fit(X, y), LogisticRegression().fit(X, y)]
        >>> disp = GroupAccuracyDisplay.from_estimators(models, X, y, groups=groups)
        >>> list(disp.bars_), disp.groups_
        (['DummyClassifier', 'LogisticRegression'], [0, 1, 2, 3])
        """
        check_matplotlib(f"{cls.__name__}.from_estimators")
        if isinstance(estimators, Mapping):
            named = dict(estimators)
        else:
            if not isinstance(estimators, (list, tuple)):
                estimators = [estimators]
            named, seen = {}, {}
            for est in estimators:
                base = type(est).__name__
                seen[base] = seen.get(base, 0) + 1
                named[base if seen[base] == 1 else f"{base} ({seen[base]})"] = est
        if not named:
            raise ValueError("estimators is empty; give at least one estimator.")
        predictions = {}
        for name, est in named.items():
            if not hasattr(est, "predict"):
                raise TypeError(
                    f"estimators[{name!r}] has no predict method; got "
                    f"{type(est).__name__}."
                )
            predictions[name] = np.asarray(est.predict(X)).reshape(-1)
        return cls.from_predictions(
            y,
            predictions,
            groups=groups,
            expected_groups=expected_groups,
            ax=ax,
            **plot_kw,
        )
