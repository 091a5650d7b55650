"""Value labels above bars that shrink, when drawn, to fit their bar's width."""

from __future__ import annotations

from ._drawing import text_fits

__all__ = ["annotation_style", "bar_value_label_class"]


def annotation_style(fig, ax, bar_fraction, sample):
    """Font size and rotation that fit a value annotation above a bar.

    An estimate from the figure's size before layout, used for the initial
    labels and the head room above the bars; each label checks and corrects
    its own style when drawn (``_BarValueLabel``).
    """
    for size in ("small", "x-small"):
        if text_fits(fig, ax, bar_fraction, sample, size):
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


def bar_value_label_class():
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

    # Pickled figures name the class skmat.plot._BarValueLabel, as they did when
    # skmat.plot was one module; the package's __getattr__ finds it there.
    _BarValueLabel.__module__ = __name__.rpartition(".")[0]
    _BarValueLabel.__qualname__ = "_BarValueLabel"
    _BAR_LABEL_CLASS = _BarValueLabel
    return _BarValueLabel
