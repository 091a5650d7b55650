"""The warnings skmat issues, as classes of its own that users can filter or raise."""

from __future__ import annotations

__all__ = ["MATFitWarning"]


class MATFitWarning(UserWarning):
    """A MAT fit that likely went wrong: the warning names the cause and the remedy.

    :class:`~skmat.MATClassifier` issues it when its shift leaves (almost)
    nothing for the final network to learn, or when the fitted network ends
    clearly worse on its own training rows than the held-out models it was
    shifted by (:mod:`skmat.guard`). Filter it like any warning, or turn it into
    an error to stop a pipeline on it.

    Examples
    --------
    >>> import warnings
    >>> from skmat.exceptions import MATFitWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", MATFitWarning)  # a likely failure raises
    ...     pass
    """
