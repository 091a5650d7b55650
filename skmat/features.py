"""A torch module's outputs as features: a frozen network as a scikit-learn transformer.

The frozen-features set-up of the paper (a pretrained ResNet on Waterbirds,
a linear head trained with MAT on its outputs) puts a network that is never
trained in front of a classifier. :class:`FrozenFeatures` is that network as
a scikit-learn transformer: its outputs are computed through skorch's own
prediction path (:meth:`skorch.NeuralNet.forward`: evaluation mode, no
gradients, the net's dataset and data loader, ``batch_size`` rows at a time, on
``device``), so that in a :class:`~sklearn.pipeline.Pipeline` in front of
:class:`~skmat.MATClassifier` they are computed once per ``fit``, and MAT's
cross-validation or XRM twins then run on the features.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from ._devices import check_device
from ._inputs import check_X, for_nets, n_rows, take_rows

__all__ = ["FrozenFeatures"]


class FrozenFeatures(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """The outputs of a torch module as features, computed by a skorch net.

    ``fit`` puts ``module`` into a :class:`skorch.NeuralNet` (never training
    it); ``transform`` returns the module's outputs for ``X`` as a float32
    table, one row per example (outputs of more than one dimension per row,
    such as feature maps, are flattened). The outputs go through skorch's
    prediction path, :meth:`skorch.NeuralNet.forward`: the module in evaluation
    mode (batch normalization uses its running statistics, dropout is off),
    without gradients, ``batch_size`` rows at a time on ``device``.

    In a :class:`~sklearn.pipeline.Pipeline` in front of
    :class:`~skmat.MATClassifier`, the features are computed once per
    ``Pipeline.fit`` and the classifier's cross-validation runs on them. In a
    search over the classifier's parameters, give the Pipeline a ``memory``
    (``Pipeline(..., memory="cache_dir")``) so that each split's features are
    computed once and reused by every candidate.

    Parameters
    ----------
    module : torch.nn.Module instance or class
        The network whose outputs are the features, e.g. a ResNet whose last
        layer is replaced by ``torch.nn.Identity()``. It must return one tensor
        with one row per example. An instance is used as it is, as skorch
        uses a module instance (``fit`` moves it to ``device``; its weights
        are never changed); a class is instantiated without arguments. It
        takes whatever a skorch net passes to a module: an array or tensor
        per batch, or the keys of a dict as keyword arguments.
    batch_size : int, default=128
        Number of rows per forward pass.
    device : str or torch.device, default="cpu"
        Torch device of the forward passes (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``). The features come back to the CPU.

    Attributes
    ----------
    net_ : skorch NeuralNet
        The initialized net around ``module``.
    n_features_out_ : int
        Number of features of each row of the output (the module's output
        size, flattened).
    n_features_in_ : int
        Number of features of ``X`` during fit, when ``X`` is a table (a 2-D
        array or DataFrame); absent for images and other N-D inputs.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    skmat.MATClassifier : The classifier to train on the features.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmat.features import FrozenFeatures
    >>> X = np.random.RandomState(0).rand(20, 3, 4, 4).astype(np.float32)
    >>> y = np.arange(20) % 2
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.ReLU())
    >>> features = FrozenFeatures(backbone, batch_size=8)
    >>> features.fit_transform(X).shape  # (2, 2, 2) feature maps, flattened
    (20, 8)
    >>> features.get_feature_names_out()[:3]
    array(['frozenfeatures0', 'frozenfeatures1', 'frozenfeatures2'], dtype=object)
    >>> pipe = make_pipeline(FrozenFeatures(backbone), LogisticRegression())
    >>> pipe.fit(X, y).predict(X[:4]).shape
    (4,)
    """

    def __init__(
        self,
        module: torch.nn.Module | type[torch.nn.Module],
        *,
        batch_size: int = 128,
        device: str | torch.device = "cpu",
    ):
        self.module = module
        self.batch_size = batch_size
        self.device = device

    # ------------------------------------------------------------ parameters
    _parameter_constraints: dict = {
        "module": [torch.nn.Module, type],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [str, torch.device],
    }

    def _check_params(self):
        self._validate_params()
        module = self.module
        if isinstance(module, type) and not issubclass(module, torch.nn.Module):
            raise TypeError(
                "module must be a torch.nn.Module instance or class; got the class "
                f"{module.__name__}."
            )
        return check_device(self.device, "device")

    def _make_net(self, device):
        net = NeuralNet(
            self.module,
            criterion=torch.nn.MSELoss,  # never used: the net never trains
            batch_size=int(self.batch_size),
            device=device,
            train_split=None,
            verbose=0,
        )
        return net.initialize()

    # ------------------------------------------------------------- features
    def _outputs(self, X):
        """The module's outputs for the validated ``X``, a float32 table."""
        out = self.net_.forward(for_nets(X), training=False)
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                "module must return one tensor per batch; it returned "
                f"{type(out).__name__} (a module returning several outputs, such "
                "as a Hugging Face model, needs a wrapper returning the one to "
                "use as features)."
            )
        rows = n_rows(X)
        if out.ndim == 0 or out.shape[0] != rows:
            raise ValueError(
                f"module must return one output row per example: X has {rows} "
                f"rows, the outputs have shape {tuple(out.shape)}."
            )
        return out.detach().reshape(rows, -1).to(torch.float32).numpy()

    def fit(self, X: ArrayLike | Any, y: ArrayLike | None = None) -> FrozenFeatures:
        """Put ``module`` into a skorch net and read its output size.

        The module is not trained: ``fit`` runs it on the first row of ``X``
        only, to set ``n_features_out_``.

        Parameters
        ----------
        X : array-like, N-D array, tensor, dict or SliceDict
            What the module takes, one row per example: a table, images of
            shape ``(n_samples, channels, height, width)``, token ids...
        y : None
            Ignored.

        Returns
        -------
        self : FrozenFeatures
        """
        self._fit(X)
        return self

    def _fit(self, X):
        device = self._check_params()
        X = check_X(self, X, reset=True)
        self.net_ = self._make_net(device)
        self.n_features_out_ = int(self._outputs(take_rows(X, np.arange(1))).shape[1])

    def transform(self, X: ArrayLike | Any) -> np.ndarray:
        """The module's outputs for ``X``, one row of features per example.

        Parameters
        ----------
        X : array-like, N-D array, tensor, dict or SliceDict
            As in :meth:`fit` (a table needs the columns seen in ``fit``).

        Returns
        -------
        features : ndarray of shape (n_samples, `n_features_out_`)
            float32.
        """
        check_is_fitted(self, "net_")
        width = getattr(self, "n_features_in_", None)
        shape = getattr(X, "shape", None)
        if width is not None and shape is not None and len(shape) == 2:
            if shape[1] != width:
                raise ValueError(
                    f"X has {shape[1]} columns, but FrozenFeatures was fitted on "
                    f"{width} (n_features_in_)."
                )
        X = check_X(self, X)
        return self._outputs(X)

    @property
    def _n_features_out(self):
        """Read by scikit-learn's ``get_feature_names_out`` (names
        ``frozenfeatures0``, ``frozenfeatures1``...)."""
        return self.n_features_out_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
