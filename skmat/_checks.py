"""Whether a net's training finished: not interrupted by the user, not diverged.

skorch ends training quietly on any ``KeyboardInterrupt`` and returns normally
(the net keeps the epochs it completed). That covers two different things: a
callback that *asks* training to stop (skorch's ``EarlyStopping`` raises
``KeyboardInterrupt`` from ``on_epoch_end``), which ends a fit normally, and the
user's Ctrl-C, after which the net is only half-trained.
:class:`InterruptTrackingMixin` tells them apart (the net's ``interrupted_``);
:func:`check_trained` raises for the latter and for weights that became NaN, so
that an estimator never keeps a half-trained or diverged network.
"""

from __future__ import annotations

import torch

from ._inputs import largest_magnitude

__all__ = ["InterruptTrackingMixin", "check_trained"]


class InterruptTrackingMixin:
    """Sets a skorch net's ``interrupted_``: True only after the user's Ctrl-C.

    A ``KeyboardInterrupt`` raised by a callback (skorch's convention for "stop
    training", as ``EarlyStopping`` does) leaves ``interrupted_`` False; one
    raised anywhere else in the training loop sets it. Every override calls
    ``super()``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skorch.callbacks import EarlyStopping
    >>> from skmat._checks import InterruptTrackingMixin
    >>> class Net(InterruptTrackingMixin, NeuralNetClassifier):
    ...     pass
    >>> X, y = np.zeros((20, 2), np.float32), np.arange(20) % 2
    >>> net = Net(torch.nn.Linear, module__in_features=2, module__out_features=2,
    ...           criterion=torch.nn.CrossEntropyLoss, max_epochs=20, verbose=0,
    ...           callbacks=[EarlyStopping(patience=1, threshold=1.0)]).fit(X, y)
    >>> len(net.history) < 20, net.interrupted_
    (True, False)
    """

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop; ``interrupted_`` tells a Ctrl-C from a stop."""
        self.interrupted_ = False
        self._stop_requested = False
        try:
            return super().fit_loop(X, y, epochs, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = not self._stop_requested
            raise

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``; a callback's ``KeyboardInterrupt`` is a stop request."""
        try:
            return super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            self._stop_requested = True
            raise


def check_trained(net, X, name="the network"):
    """Raise if the training of a fitted skorch net was interrupted or diverged.

    skorch ends training quietly on ``KeyboardInterrupt``; inside an estimator
    that would leave a half-trained network in a "fitted" estimator, so the
    interrupt is raised again (the fit transaction then restores the previous
    state). A loss that overflows (huge feature values, a learning rate far too
    large) turns the weights into NaN, and the network would predict NaN: that
    is a ValueError naming ``X``.
    """
    if getattr(net, "interrupted_", False):
        raise KeyboardInterrupt(f"the training of {name} was interrupted")
    module = getattr(net, "module_", None)
    if module is None:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            largest = largest_magnitude(X)
            held = (
                ""
                if largest is None
                else f"X holds values up to {largest:.3g} in absolute value; "
            )
            raise ValueError(
                f"training of {name} diverged: its weights became NaN or infinite. "
                f"{held}scale X (e.g. with sklearn.preprocessing.StandardScaler) or "
                "lower the learning rate."
            )
