"""Display objects in scikit-learn's style: MAT's transition matrix, group accuracies.

Each display holds the numbers to draw; ``plot(ax=None, ...)`` draws them and
returns the display, whose ``figure_`` and ``ax_`` (and the artists) are then
set. The class methods ``from_estimator`` / ``from_predictions`` compute the
numbers and plot in one call, as :class:`sklearn.metrics.ConfusionMatrixDisplay`
does.

* :class:`TransitionMatrixDisplay`: the transition matrix
  ``p(y = c | y_ho = k)`` of MAT as an annotated heat map;
* :class:`GroupAccuracyDisplay`: accuracy within each group, one bar per
  estimator, each estimator's worst group outlined;
* :class:`GroupTrainingCurvesDisplay`: accuracy of each group over the epochs
  of a skorch net's training, recorded by
  :class:`skmat.callbacks.GroupAccuracyCallback` (the paper's Figure 1 curves).

matplotlib is an optional dependency (``pip install skmat[plot]``); it is
imported only when something is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ._encoding import python_value as _python_value
from .metrics import GroupAccuracyReport, group_accuracy_report
from .transition import joint_matrix, sharpen, transition_matrix

__all__ = [
    "TransitionMatrixDisplay",
    "GroupAccuracyDisplay",
    "GroupTrainingCurvesDisplay",
]

_GROUP_ACC_SUFFIX = "_group_acc"
_LINESTYLES = ("-", "--", ":", "-.")


def _check_matplotlib(caller):
    """Import and return ``matplotlib.pyplot``, or explain how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib; install it with "
            "`pip install skmat[plot]` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _figure_and_axes(plt, ax, **subplots_kw):
    if ax is None:
        return plt.subplots(layout="constrained", **subplots_kw)
    return ax.figure, ax


def _group_label(group):
    if isinstance(group, tuple):
        return ", ".join(str(g) for g in group)
    return str(group)


# --------------------------------------------------------------------------
# Transition matrix
# --------------------------------------------------------------------------


class TransitionMatrixDisplay:
    """MAT's transition matrix ``p(y = c | y_ho = k)`` as an annotated heat map.

    Row ``k`` is the class the held-out model predicts, column ``c`` the true
    label; each row sums to one. A strong diagonal means the held-out model is
    mostly right; off-diagonal mass is where MAT's shift moves the logits (the
    examples a shortcut gets wrong).

    Create it with :meth:`from_estimator` (a fitted
    :class:`~skmat.MATClassifier`) or :meth:`from_predictions` (labels and
    held-out probabilities), or from a matrix you have, then call :meth:`plot`.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``transition_matrix[k, c]``: probability of label ``c`` given held-out
        prediction ``k`` (any finite square matrix is drawn).
    display_labels : array-like of shape (n_classes,), default=None
        Class names for the ticks; ``None`` uses ``0 .. n_classes - 1``.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heat map.
    text_ : ndarray of shape (n_classes, n_classes) of matplotlib Text, or None
        The annotation of each cell (``None`` with ``include_values=False``).
    colorbar_ : matplotlib Colorbar or None
        The colour bar (``None`` with ``colorbar=False``).
    ax_ : matplotlib Axes
        Axes with the heat map.
    figure_ : matplotlib Figure
        Figure that contains the heat map.

    See Also
    --------
    skmat.transition.transition_matrix : How the matrix is computed.
    sklearn.metrics.ConfusionMatrixDisplay : The display this one imitates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmat.plot import TransitionMatrixDisplay
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> holdout_proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7],
    ...                           [0.2, 0.8], [0.1, 0.9], [0.6, 0.4]])
    >>> disp = TransitionMatrixDisplay.from_predictions(y, holdout_proba)
    >>> disp.transition_matrix.round(2)
    array([[0.67, 0.33],
           [0.33, 0.67]])
    >>> disp.text_[0, 0].get_text()
    '0.67'
    """

    def __init__(
        self, transition_matrix: ArrayLike, *, display_labels: ArrayLike | None = None
    ) -> None:
        self.transition_matrix = _check_square(transition_matrix)
        n_classes = self.transition_matrix.shape[0]
        if display_labels is not None:
            labels = np.asarray(display_labels)
            if labels.ndim != 1 or labels.shape[0] != n_classes:
                raise ValueError(
                    f"display_labels must have one entry per class ({n_classes}); "
                    f"got shape {labels.shape}."
                )
        self.display_labels = display_labels

    def plot(
        self,
        ax: Any = None,
        *,
        cmap: str = "Blues",
        values_format: str = ".2f",
        include_values: bool = True,
        colorbar: bool = True,
        xticks_rotation: float | str = "auto",
        im_kw: dict | None = None,
        text_kw: dict | None = None,
    ) -> TransitionMatrixDisplay:
        """Draw the heat map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
            Colour map of the heat map (0 and 1 are its ends).
        values_format : str, default=".2f"
            Format specification of the cell annotations.
        include_values : bool, default=True
            Whether to write each value in its cell.
        colorbar : bool, default=True
            Whether to add a colour bar.
        xticks_rotation : "auto", "horizontal", "vertical" or float, default="auto"
            Rotation of the x tick labels; ``"auto"`` turns them by 45 degrees
            when they are too wide for their cells.
        im_kw : dict, default=None
            Keyword arguments of ``ax.imshow`` (override the defaults).
        text_kw : dict, default=None
            Keyword arguments of ``ax.text`` for the annotations.

        Returns
        -------
        display : TransitionMatrixDisplay
            ``self``, with ``figure_``, ``ax_``, ``im_``, ``text_`` and
            ``colorbar_`` set.
        """
        plt = _check_matplotlib("TransitionMatrixDisplay.plot")
        matrix = self.transition_matrix
        n_classes = matrix.shape[0]
        fig, ax = _figure_and_axes(plt, ax)

        vmin, vmax = min(0.0, float(matrix.min())), max(1.0, float(matrix.max()))
        im_kwargs = {"cmap": cmap, "vmin": vmin, "vmax": vmax}
        im_kwargs.update(im_kw or {})
        self.im_ = ax.imshow(matrix, interpolation="nearest", **im_kwargs)

        self.text_ = None
        if include_values:
            cmap_low, cmap_high = self.im_.cmap(0.0), self.im_.cmap(1.0)
            norm = self.im_.norm
            # Fewer, larger cells for a few classes; smaller text for many.
            fontsize = "medium" if n_classes <= 5 else "small" if n_classes <= 10 else 7
            self.text_ = np.empty((n_classes, n_classes), dtype=object)
            for k in range(n_classes):
                for c in range(n_classes):
                    value = matrix[k, c]
                    dark_cell = norm(value) >= 0.5
                    kwargs = {
                        "ha": "center",
                        "va": "center",
                        "fontsize": fontsize,
                        "color": cmap_low if dark_cell else cmap_high,
                    }
                    kwargs.update(text_kw or {})
                    self.text_[k, c] = ax.text(
                        c, k, format(value, values_format), **kwargs
                    )

        labels = (
            np.arange(n_classes) if self.display_labels is None else self.display_labels
        )
        labels = [str(label) for label in labels]
        ax.set_xticks(np.arange(n_classes), labels=labels)
        ax.set_yticks(np.arange(n_classes), labels=labels)
        if xticks_rotation == "auto":
            longest = max(labels, key=len)
            size = plt.rcParams["xtick.labelsize"]
            fits = _text_fits(fig, ax, 1.0 / n_classes, longest, size, margin=0.8)
            xticks_rotation = "horizontal" if fits else 45.0
        if xticks_rotation not in ("horizontal", 0, 0.0):
            upright = xticks_rotation in ("vertical", 90, 90.0)
            plt.setp(
                ax.get_xticklabels(),
                rotation=xticks_rotation,
                ha="center" if upright else "right",
                rotation_mode="default" if upright else "anchor",
            )
        ax.set_xlabel("True label c")
        ax.set_ylabel("Held-out prediction k")
        ax.set_title("Transition matrix p(y = c | held-out = k)")
        ax.set_ylim(n_classes - 0.5, -0.5)

        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = fig.colorbar(self.im_, ax=ax)
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        display_labels: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> TransitionMatrixDisplay:
        """Plot the transition matrix of a fitted :class:`~skmat.MATClassifier`.

        Parameters
        ----------
        estimator : fitted MATClassifier
            Any fitted estimator with ``transition_matrix_`` (and ``classes_``).
        display_labels : array-like of shape (n_classes,), default=None
            Tick labels; ``None`` uses ``estimator.classes_``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot` (``cmap``, ``values_format``,
            ``include_values``, ``colorbar``, ``im_kw``, ``text_kw``).

        Returns
        -------
        display : TransitionMatrixDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat import MATClassifier
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import TransitionMatrixDisplay
        >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
        >>> clf = MATClassifier(holdout_estimator=LogisticRegression(), cv=2,
        ...                     random_state=0).fit(X, y)
        >>> disp = TransitionMatrixDisplay.from_estimator(clf)
        >>> disp.im_.get_array().shape
        (2, 2)
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "transition_matrix_"):
            raise TypeError(
                "estimator must be a fitted MATClassifier (an estimator with a "
                f"transition_matrix_ attribute); got {type(estimator).__name__}."
            )
        if display_labels is None:
            display_labels = getattr(estimator, "classes_", None)
        display = cls(estimator.transition_matrix_, display_labels=display_labels)
        return display.plot(ax=ax, **plot_kw)

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        holdout_proba: ArrayLike,
        *,
        temperature: float = 0.1,
        labels: ArrayLike | None = None,
        display_labels: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> TransitionMatrixDisplay:
        """Compute and plot the transition matrix from held-out probabilities.

        The computation of :class:`~skmat.MATClassifier` (``fit``'s step 2):
        ``q = sharpen(holdout_proba, temperature)``, the joint matrix of ``q``
        and the labels, then its rows normalised
        (:mod:`skmat.transition`).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        holdout_proba : array-like of shape (n_samples, n_classes)
            Held-out probabilities of each example (e.g. from
            :func:`~sklearn.model_selection.cross_val_predict` with
            ``method="predict_proba"``), columns in the order of ``labels``.
        temperature : float, default=0.1
            Positive temperature of :func:`skmat.transition.sharpen`.
        labels : array-like of shape (n_classes,), default=None
            Label of each column of ``holdout_proba``; ``None`` uses the sorted
            distinct labels of ``y_true`` (which must then contain every class).
        display_labels : array-like of shape (n_classes,), default=None
            Tick labels; ``None`` uses ``labels``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : TransitionMatrixDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import cross_val_predict
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import TransitionMatrixDisplay
        >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
        >>> proba = cross_val_predict(LogisticRegression(), X, y, cv=3,
        ...                           method="predict_proba")
        >>> fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        >>> for ax, t in zip(axes, [0.01, 1.0]):
        ...     disp = TransitionMatrixDisplay.from_predictions(
        ...         y, proba, temperature=t, ax=ax, colorbar=False)
        >>> disp.ax_ is axes[1]
        True
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        y_true = np.asarray(y_true)
        if y_true.ndim != 1 or y_true.shape[0] == 0:
            raise ValueError(
                f"y_true must be a non-empty 1-D array of labels; got shape "
                f"{y_true.shape}."
            )
        proba = np.asarray(holdout_proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[0] != y_true.shape[0]:
            raise ValueError(
                f"holdout_proba must have shape ({y_true.shape[0]}, n_classes), one "
                f"row per entry of y_true; got shape {proba.shape}."
            )
        if labels is None:
            labels = np.unique(y_true)
            if labels.shape[0] != proba.shape[1]:
                raise ValueError(
                    f"holdout_proba has {proba.shape[1]} columns but y_true has "
                    f"{labels.shape[0]} distinct labels; pass labels= with the label "
                    "of each column."
                )
        else:
            labels = np.asarray(labels)
            if labels.ndim != 1 or labels.shape[0] != proba.shape[1]:
                raise ValueError(
                    f"labels must have one entry per column of holdout_proba "
                    f"({proba.shape[1]}); got shape {labels.shape}."
                )
        lookup = {_python_value(label): i for i, label in enumerate(labels)}
        if len(lookup) != len(labels):
            raise ValueError(f"labels has repeated entries: {labels!r}.")
        try:
            y_index = np.array(
                [lookup[_python_value(v)] for v in y_true], dtype=np.intp
            )
        except KeyError as exc:
            raise ValueError(
                f"y_true contains label {exc.args[0]!r}, which is not in labels "
                f"{[_python_value(label) for label in labels]!r}."
            ) from None
        q = sharpen(proba, temperature)
        matrix = transition_matrix(joint_matrix(q, y_index))
        if display_labels is None:
            display_labels = labels
        display = cls(matrix, display_labels=display_labels)
        return display.plot(ax=ax, **plot_kw)


def _check_square(matrix):
    try:
        matrix = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("transition_matrix must be a numeric 2-D array.") from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(
            "transition_matrix must be a square 2-D array of shape "
            f"(n_classes, n_classes); got shape {matrix.shape}."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("transition_matrix must not contain NaN or infinity.")
    return matrix


# --------------------------------------------------------------------------
# Group accuracies
# --------------------------------------------------------------------------


def _text_fits(fig, ax, fraction, text, size, margin=1.0):
    """Whether ``text`` at font ``size`` fits in ``fraction`` of the axes' width.

    The axes' width is its position before any layout (a slight overestimate,
    which ``margin`` < 1 compensates); a character is taken as 0.62 em wide.
    """
    from matplotlib.font_manager import FontProperties

    axes_pts = ax.get_position().width * fig.get_figwidth() * 72.0
    text_pts = 0.62 * FontProperties(size=size).get_size_in_points() * len(text)
    return text_pts <= margin * fraction * axes_pts


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


def _annotation_style(fig, ax, bar_fraction, sample):
    """Font size and rotation that fit a value annotation above a bar.

    An estimate from the figure's size before layout, used for the initial
    labels and the head room above the bars; each label checks and corrects
    its own style when drawn (``_BarValueLabel``).
    """
    for size in ("small", "x-small"):
        if _text_fits(fig, ax, bar_fraction, sample, size):
            return size, 0
    return "x-small", 90


# Styles of a bar's value label, largest first: (font size, rotation).
_BAR_LABEL_STYLES = (
    ("small", 0),
    ("x-small", 0),
    ("x-small", 90),
    (6.0, 90),
    (5.0, 90),
)
# Space kept free between the labels of two neighbouring bars.
_BAR_LABEL_GAP_PT = 2.0
_BAR_LABEL_CLASS = None


def _bar_value_label_class():
    """The class ``_BarValueLabel``, defined on first use (matplotlib is optional).

    The labels' size is chosen when the figure is drawn, not when the bars are
    made: a figure resized after ``plot`` (``figure_.set_size_inches``, a
    notebook's width) narrows the bars, and labels sized for the old width ran
    into each other ("0.080.08").
    """
    global _BAR_LABEL_CLASS
    if _BAR_LABEL_CLASS is not None:
        return _BAR_LABEL_CLASS
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

    class _BarValueLabel(Annotation):
        """A bar's value label, kept within its bar's width and inside the axes.

        Before each layout and draw it takes the first style of
        ``_BAR_LABEL_STYLES`` whose text is narrower than the bar (less a small
        gap) and ends below the top of the axes; labels of neighbouring bars
        then never overlap. A label that fits in no style is not drawn (its
        window extent is empty) until the bars are wide enough again.
        """

        def __init__(self, text, xy, bar, **kwargs):
            super().__init__(
                text,
                xy,
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                **kwargs,
            )
            self._bar = bar
            self._fits = True

        def _fit(self, renderer):
            room = self._bar.get_window_extent(renderer).width
            room -= renderer.points_to_pixels(_BAR_LABEL_GAP_PT)
            top = self.axes.bbox.y1 + 0.5
            # Trying styles must not mark the figure stale: an interactive
            # backend would redraw, and the next draw would try them again.
            callback, self.stale_callback = self.stale_callback, None
            try:
                for size, rotation in _BAR_LABEL_STYLES:
                    self.set_fontsize(size)
                    self.set_rotation(rotation)
                    box = super().get_window_extent(renderer)
                    if box.width <= room and box.y1 <= top:
                        self._fits = True
                        return
                self._fits = False
            finally:
                self.stale_callback = callback

        def get_window_extent(self, renderer=None):
            if renderer is None:
                renderer = self.get_figure(root=True)._get_renderer()
            if self.get_visible() and self.axes is not None:
                self._fit(renderer)
            if not self._fits:  # not drawn: an empty box where it would be
                x, y = self.axes.transData.transform(self.xy)
                return Bbox.from_bounds(x, y, 0.0, 0.0)
            return super().get_window_extent(renderer)

        def draw(self, renderer):
            if self.get_visible() and self.axes is not None:
                self._fit(renderer)
            if self._fits:
                super().draw(renderer)

    _BarValueLabel.__module__ = __name__
    _BarValueLabel.__qualname__ = "_BarValueLabel"
    _BAR_LABEL_CLASS = _BarValueLabel
    return _BarValueLabel


def __getattr__(name):
    # Unpickling a figure looks the label class up by name.
    if name == "_BarValueLabel":
        return _bar_value_label_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
            Whether to write each accuracy above its bar. Each value takes,
            whenever the figure is drawn, the largest font size (upright, then
            turned) that fits its bar's width, so neighbouring values never
            overlap, even after the figure is resized; a value that fits in no
            size is left out until the bars are wide enough.
        bar_kw : dict, default=None
            Keyword arguments of ``ax.bar`` (for every estimator).

        Returns
        -------
        display : GroupAccuracyDisplay
            ``self``, with ``figure_``, ``ax_``, ``bars_``, ``text_``,
            ``groups_`` and ``accuracies_`` set.
        """
        plt = _check_matplotlib("GroupAccuracyDisplay.plot")
        from matplotlib.patches import Patch
        from matplotlib.transforms import IdentityTransform

        label_class = _bar_value_label_class()

        names = list(self.reports)
        groups, index = [], {}
        for report in self.reports.values():
            for g in report.groups:
                key = _python_value(g)
                if key not in index:
                    index[key] = len(groups)
                    groups.append(key)
        n_est, n_groups = len(names), len(groups)
        accuracies = np.full((n_est, n_groups), np.nan)
        counts = np.full((n_est, n_groups), -1, dtype=np.int64)
        for i, report in enumerate(self.reports.values()):
            for g, acc, count in zip(report.groups, report.accuracy, report.count):
                accuracies[i, index[_python_value(g)]] = acc
                counts[i, index[_python_value(g)]] = count

        width_in = max(6.4, 1.0 + n_groups * (0.45 * n_est + 0.5))
        fig, ax = _figure_and_axes(plt, ax, figsize=(min(width_in, 16.0), 4.8))
        width = 0.8 / n_est
        x = np.arange(n_groups)
        fontsize, rotation = _annotation_style(
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
            for j in range(n_groups):
                if np.isnan(heights[j]):
                    continue
                label = label_class(
                    format(heights[j], values_format),
                    (offsets[j], heights[j]),
                    bars[j],
                    fontsize=fontsize,
                    rotation=rotation,
                    fontweight="bold" if j == worst else "normal",
                )
                # As Axes.annotate does: offsets in display units, no clipping.
                label.set_transform(IdentityTransform())
                self.text_[i, j] = ax.add_artist(label)
                label.set_clip_on(False)

        tick_names, sizes = [], []
        for j, g in enumerate(groups):
            known = counts[:, j][counts[:, j] >= 0]
            tick_names.append(_group_label(g))
            same = known.size and np.all(known == known[0])
            sizes.append(f"n={known[0]}" if same else "")
        longest = max(tick_names + sizes, key=len)
        size = plt.rcParams["xtick.labelsize"]
        if _text_fits(fig, ax, 1.0 / n_groups, longest, size, margin=0.9):
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
        _check_matplotlib(f"{cls.__name__}.from_predictions")
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
        _check_matplotlib(f"{cls.__name__}.from_estimators")
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


# --------------------------------------------------------------------------
# Training curves per group
# --------------------------------------------------------------------------


def _curves_from_history(history, keys):
    """``(epochs, {curve name: {group: accuracies}})`` from a skorch History."""
    try:
        rows = list(history)
    except TypeError as exc:
        raise TypeError(
            "history must be a skorch History (net.history) or a list of dicts; "
            f"got {type(history).__name__}."
        ) from exc
    if not rows or not all(isinstance(row, Mapping) for row in rows):
        raise ValueError(
            "history must be a non-empty skorch History (net.history) or list of "
            "per-epoch dicts; has the net been trained?"
        )
    if keys is None:
        keys = []  # dict-valued keys only: "test_worst_group_acc" is a float
        for row in rows:
            keys.extend(
                k
                for k, v in row.items()
                if isinstance(k, str)
                and k.endswith(_GROUP_ACC_SUFFIX)
                and isinstance(v, Mapping)
                and k not in keys
            )
        if not keys:
            raise ValueError(
                "history has no per-group accuracies (keys ending in "
                f"{_GROUP_ACC_SUFFIX!r}). Record them while training with "
                "skmat.callbacks.GroupAccuracyCallback(X, y, groups, name=...) in "
                "the net's callbacks."
            )
    elif isinstance(keys, str):
        keys = [keys]
    else:
        keys = list(keys)
        if not keys:
            raise ValueError("keys is empty; give at least one history key.")
    epochs = np.array(
        [row.get("epoch", i + 1) for i, row in enumerate(rows)], dtype=np.float64
    )
    curves = {}
    for key in keys:
        if not any(key in row for row in rows):
            available = sorted({k for row in rows for k in row if isinstance(k, str)})
            raise ValueError(
                f"keys: {key!r} is not in the history; keys with per-group "
                "accuracies end in "
                f"{_GROUP_ACC_SUFFIX!r} (available: {available})."
            )
        per_group = {}
        for i, row in enumerate(rows):
            value = row.get(key)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise ValueError(
                    f"history[{i}][{key!r}] must be a dict {{group: accuracy}} as "
                    "recorded by GroupAccuracyCallback; got "
                    f"{type(value).__name__}."
                )
            for group, acc in value.items():
                per_group.setdefault(group, np.full(len(rows), np.nan))[i] = acc
        curves[key.removesuffix(_GROUP_ACC_SUFFIX) or key] = per_group
    return epochs, curves


class GroupTrainingCurvesDisplay:
    """Accuracy of each group over the epochs of a network's training.

    One line per group and curve: each group has its colour, each curve (e.g.
    ``"train"`` and ``"test"``) its line style. This draws the paper's Figure 1:
    a plainly trained network reaches 100% training accuracy on every group
    (it memorizes the minority) while the minority's test accuracy stays low.

    Record the accuracies with :class:`skmat.callbacks.GroupAccuracyCallback`
    and build the display with :meth:`from_history` or :meth:`from_estimator`.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,)
        Epoch numbers (the x axis).
    curves : dict of str to dict of group to array-like of shape (n_epochs,)
        ``{curve name: {group: accuracy at each epoch}}``; NaN where a value is
        missing.

    Attributes
    ----------
    lines_ : dict of (str, group) to matplotlib Line2D
        The line of each curve and group.
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure that contains the curves.

    See Also
    --------
    skmat.callbacks.GroupAccuracyCallback : Records the accuracies while training.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmat.plot import GroupTrainingCurvesDisplay
    >>> history = [  # what GroupAccuracyCallback records, one dict per epoch
    ...     {"epoch": 1, "train_group_acc": {"majority": 0.9, "minority": 0.1},
    ...      "test_group_acc": {"majority": 0.9, "minority": 0.1}},
    ...     {"epoch": 2, "train_group_acc": {"majority": 1.0, "minority": 0.8},
    ...      "test_group_acc": {"majority": 0.95, "minority": 0.2}}]
    >>> disp = GroupTrainingCurvesDisplay.from_history(history)
    >>> list(disp.lines_)  # doctest: +NORMALIZE_WHITESPACE
    [('train', 'majority'), ('train', 'minority'),
     ('test', 'majority'), ('test', 'minority')]
    >>> disp.lines_["test", "minority"].get_ydata()
    array([0.1, 0.2])
    """

    def __init__(
        self, epochs: ArrayLike, curves: Mapping[str, Mapping[Any, ArrayLike]]
    ) -> None:
        epochs = np.asarray(epochs, dtype=np.float64)
        if epochs.ndim != 1 or epochs.shape[0] == 0:
            raise ValueError(
                f"epochs must be a non-empty 1-D array; got shape {epochs.shape}."
            )
        if not isinstance(curves, Mapping) or not curves:
            raise TypeError(
                "curves must be a non-empty dict {curve name: {group: accuracies}}; "
                f"got {type(curves).__name__}."
            )
        checked = {}
        for name, per_group in curves.items():
            if not isinstance(per_group, Mapping) or not per_group:
                raise TypeError(
                    f"curves[{name!r}] must be a non-empty dict {{group: accuracies}}"
                    f"; got {type(per_group).__name__}."
                )
            checked[name] = {}
            for group, values in per_group.items():
                values = np.asarray(values, dtype=np.float64)
                if values.shape != epochs.shape:
                    raise ValueError(
                        f"curves[{name!r}][{group!r}] has shape {values.shape}; "
                        f"expected {epochs.shape}, one value per epoch."
                    )
                checked[name][group] = values
        self.epochs = epochs
        self.curves = checked

    def plot(
        self, ax: Any = None, *, line_kw: dict | None = None, legend: bool = True
    ) -> GroupTrainingCurvesDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        line_kw : dict, default=None
            Keyword arguments of ``ax.plot`` (for every line).
        legend : bool, default=True
            Whether to add a legend.

        Returns
        -------
        display : GroupTrainingCurvesDisplay
            ``self``, with ``figure_``, ``ax_`` and ``lines_`` set.
        """
        plt = _check_matplotlib("GroupTrainingCurvesDisplay.plot")
        fig, ax = _figure_and_axes(plt, ax)
        groups = []
        for per_group in self.curves.values():
            groups.extend(g for g in per_group if g not in groups)
        colour = {g: f"C{i % 10}" for i, g in enumerate(groups)}
        several = len(self.curves) > 1
        markers = len(self.epochs) <= 20
        self.lines_ = {}
        for i, (name, per_group) in enumerate(self.curves.items()):
            style = _LINESTYLES[i % len(_LINESTYLES)]
            for group, values in per_group.items():
                label = _group_label(group)
                kwargs = {
                    "color": colour[group],
                    "linestyle": style,
                    "label": f"{name}: {label}" if several else label,
                }
                if markers:
                    kwargs.update(marker="o", markersize=3)
                kwargs.update(line_kw or {})
                (self.lines_[name, group],) = ax.plot(self.epochs, values, **kwargs)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        if legend:
            ax.legend(
                title=None if several else "group",
                fontsize="small",
                ncol=len(self.curves) if several else 1,
                loc="best",
            )
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_history(
        cls,
        history: Any,
        keys: str | list[str] | None = None,
        *,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupTrainingCurvesDisplay:
        """Plot per-group accuracies recorded in a skorch history.

        Parameters
        ----------
        history : skorch History or list of dict
            ``net.history``, with the dicts recorded by
            :class:`~skmat.callbacks.GroupAccuracyCallback`.
        keys : str or list of str, default=None
            History keys to plot (e.g. ``"test_group_acc"``), one curve each,
            named by the key without its ``"_group_acc"`` suffix. ``None`` plots
            every key ending in ``"_group_acc"``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupTrainingCurvesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import torch
        >>> from skorch import NeuralNetClassifier
        >>> from skmat.callbacks import GroupAccuracyCallback
        >>> from skmat.plot import GroupTrainingCurvesDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.randn(100, 3).astype(np.float32)
        >>> y = (X[:, 0] > 0).astype(np.int64)
        >>> groups = 2 * y + (X[:, 1] > 0)
        >>> net = NeuralNetClassifier(
        ...     torch.nn.Linear, module__in_features=3, module__out_features=2,
        ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=4, lr=0.1,
        ...     train_split=None, verbose=0,
        ...     callbacks=[GroupAccuracyCallback(X, y, groups, name="train")]
        ... ).fit(X, y)
        >>> disp = GroupTrainingCurvesDisplay.from_history(net.history)
        >>> list(disp.curves), len(disp.lines_)
        (['train'], 4)
        """
        _check_matplotlib(f"{cls.__name__}.from_history")
        epochs, curves = _curves_from_history(history, keys)
        return cls(epochs, curves).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        keys: str | list[str] | None = None,
        *,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupTrainingCurvesDisplay:
        """Plot the per-group accuracies recorded while a network trained.

        Parameters
        ----------
        estimator : fitted skorch net, or fitted MATClassifier
            A net with :class:`~skmat.callbacks.GroupAccuracyCallback` among its
            callbacks, or an estimator whose ``estimator_`` is one (the final
            network of :class:`~skmat.MATClassifier`).
        keys : str or list of str, default=None
            See :meth:`from_history`.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupTrainingCurvesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat import MATClassifier
        >>> from skmat.callbacks import GroupAccuracyCallback
        >>> from skmat.datasets import make_spurious_splits
        >>> from skmat.mlp import mlp_net
        >>> from skmat.plot import GroupTrainingCurvesDisplay
        >>> data = make_spurious_splits(200, 10, random_state=0)
        >>> (X, y, _), (X_test, y_test, g_test) = data.train, data.test
        >>> minority = np.where(g_test % 3 == 0, "majority", "minority")
        >>> net = mlp_net(max_epochs=5, callbacks=[
        ...     GroupAccuracyCallback(X_test, y_test, minority, name="test")])
        >>> clf = MATClassifier(net, holdout_estimator=LogisticRegression(), cv=2,
        ...                     random_state=0).fit(X, y)
        >>> disp = GroupTrainingCurvesDisplay.from_estimator(clf)
        >>> len(disp.lines_), disp.epochs
        (2, array([1., 2., 3., 4., 5.]))
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        net = estimator
        if not hasattr(net, "history_") and hasattr(estimator, "estimator_"):
            net = estimator.estimator_
        elif not hasattr(net, "history_"):
            check_is_fitted(estimator)  # unfitted meta-estimators say so
        history = getattr(net, "history_", None)
        if history is None:
            raise TypeError(
                "estimator must be a fitted skorch net (with a history) or a fitted "
                "estimator whose estimator_ is one, such as MATClassifier; got "
                f"{type(estimator).__name__}."
            )
        return cls.from_history(history, keys, ax=ax, **plot_kw)
