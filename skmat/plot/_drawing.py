"""Drawing helpers the displays share, importing matplotlib only when called."""

from __future__ import annotations

__all__ = ["check_matplotlib", "figure_and_axes", "group_label", "text_fits"]


def check_matplotlib(caller):
    """Import and return ``matplotlib.pyplot``, or explain how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib; install it with "
            "`pip install skmat[plot]` (or `pip install matplotlib`)."
        ) from exc
    return plt


def figure_and_axes(plt, ax, **subplots_kw):
    if ax is None:
        return plt.subplots(layout="constrained", **subplots_kw)
    return ax.figure, ax


def group_label(group):
    if isinstance(group, tuple):
        return ", ".join(str(g) for g in group)
    return str(group)


def text_fits(fig, ax, fraction, text, size, margin=1.0):
    """Whether ``text`` at font ``size`` fits in ``fraction`` of the axes' width.

    The axes' width is its position before any layout (a slight overestimate,
    which ``margin`` < 1 compensates); a character is taken as 0.62 em wide.
    """
    from matplotlib.font_manager import FontProperties

    axes_pts = ax.get_position().width * fig.get_figwidth() * 72.0
    text_pts = 0.62 * FontProperties(size=size).get_size_in_points() * len(text)
    return text_pts <= margin * fraction * axes_pts


def annotation_style(fig, ax, bar_fraction, sample):
    """Font size and rotation that fit a value label above a bar of the figure
    as it is sized now."""
    for size in ("small", "x-small"):
        if text_fits(fig, ax, bar_fraction, sample, size):
            return size, 0
    return "x-small", 90
