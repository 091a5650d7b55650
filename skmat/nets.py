"""MAT's shift in a skorch net's loss, carried with the rows by a per-row data channel.

MAT changes only the training loss: ``CE(softmax(f(x_i) + shift_i), y_i)``.
:class:`ShiftedLossMixin` does that and nothing else. The user's own skorch
net (its class, module, dataset, iterator, ``infer``, ``train_step``,
callbacks, ``train_split`` and mixins such as skorch's ``AccelerateMixin``)
runs unchanged: every method the mixin overrides calls ``super()``.

How the shift travels (the per-row data channel)
------------------------------------------------
``net.fit(X, y, mat_shift=shift)`` gives the shift, one row per example of
``X``. :class:`RowDataMixin` takes ``mat_shift`` (and the other names in
``row_data_params``: a weight, a group, a fold mask, added by skmat's other
mixins) out of the fit parameters, so they never reach the module's
``forward``, and keeps them in the net's :class:`RowDataChannel`. The net
builds its training dataset as it always does (``get_dataset``: the user's
override, the net's ``dataset=`` or skorch's ``Dataset``); the first dataset
of the fit takes the pending rows and is wrapped by
:class:`skmat._batching.RowDataset`, so that each row's data ride with the row
(skorch's ``ValidSplit`` takes a ``Subset`` of the wrapped dataset, so every
validation row keeps its own). Between the data loader and the training step
the batch's ``X`` is a :class:`~skmat._batching.RowBatch`; ``train_step``,
``validation_step``, ``evaluation_step`` and ``notify`` take the row data off
(into the channel's ``batch``) before calling ``super()``, so the user's code
and callbacks see exactly the batch their dataset made, and ``get_loss`` reads
them from the channel. Prediction is skorch's own, with no row data.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import PassthroughScoring, PrintLog
from skorch.dataset import Dataset as SkorchDataset
from skorch.history import History
from torch.nn import functional as F

from ._batching import (
    RowBatch,
    RowDataCollate,
    RowDataset,
    check_views_unchanged,
    serves_by_gather,
    strip_row_data,
    user_overrides,
    views_in,
    whole_set_batches,
)
from ._checks import InterruptTrackingMixin
from ._inputs import to_float32
from ._outputs import first_output, output_kind
from ._seeding import torch_seeded

__all__ = [
    "SHIFT_PARAM",
    "RowBatch",
    "RowDataChannel",
    "RowDataMixin",
    "QuietPrintLog",
    "EpochHistory",
    "EpochPassthroughScoring",
    "ShiftedLossMixin",
    "MATNeuralNetClassifier",
    "MATNeuralNetBinaryClassifier",
]

#: Name of the fit parameter that carries MAT's per-example shift.
SHIFT_PARAM = "mat_shift"


def _check_row_data(name, value):
    """A per-row fit parameter as a tensor (floats as float32, finite)."""
    if not isinstance(value, torch.Tensor):
        value = np.asarray(value)
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric; got dtype {value.dtype}.")
    tensor = torch.as_tensor(value)
    if tensor.ndim < 1:
        raise ValueError(f"{name} must hold one row per example; got a scalar.")
    tensor = to_float32(tensor)
    if tensor.is_floating_point():
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name} must not contain NaN or infinity.")
    return tensor


class RowDataChannel:
    """The per-row training data of one net, between ``fit`` and ``get_loss``.

    Attributes
    ----------
    pending : dict of str to torch.Tensor or None
        The rows given to the running ``fit`` (one row per example), until its
        training dataset takes them; None when no dataset is waiting for them.
    batch : dict of str to torch.Tensor
        The row data of the batch being trained or validated now (empty
        otherwise).

    Examples
    --------
    >>> import torch
    >>> from skmat.nets import RowDataChannel
    >>> channel = RowDataChannel()
    >>> channel.pending = {"mat_shift": torch.zeros(4, 2)}
    >>> sorted(channel.take_pending()), channel.take_pending()
    (['mat_shift'], {})
    """

    __slots__ = ("pending", "batch")

    def __init__(self):
        self.pending = None
        self.batch = {}

    def take_pending(self):
        """The fit's rows for its training dataset, once (``{}`` afterwards)."""
        pending, self.pending = self.pending, None
        return pending or {}

    def __reduce__(self):
        return (RowDataChannel, ())  # a pickled net carries no training rows


class QuietPrintLog(PrintLog):
    """skorch's ``PrintLog`` that builds its table only when it prints it.

    skorch's ``PrintLog`` formats each epoch's row of the table (``tabulate``)
    and then drops it when the net's ``verbose`` is 0 and its sink is
    ``print``; on short epochs (full batches of a small net) that formatting
    costs as much as the training step. This one skips it in exactly that case
    and otherwise is skorch's: same parameters, same output to any other sink
    (a logger gets every row whatever ``verbose`` is), nothing recorded in the
    history either way. skmat's nets use it in place of skorch's default
    ``PrintLog`` (:meth:`RowDataMixin.get_default_callbacks`).

    Examples
    --------
    >>> import io, contextlib
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetClassifier, QuietPrintLog
    >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
    >>> net = MATNeuralNetClassifier(torch.nn.Linear, module__in_features=4,
    ...     module__out_features=2, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=2, train_split=None, verbose=1)
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     _ = net.fit(X, y)
    >>> printed = out.getvalue().splitlines()  # header, rule, one row per epoch
    >>> type(dict(net.callbacks_)["print_log"]).__name__, len(printed)
    ('QuietPrintLog', 4)
    """

    def on_epoch_end(self, net, **kwargs):
        """skorch's ``on_epoch_end``, unless nothing would be printed."""
        if self.sink is print and not net.verbose:
            return None
        return super().on_epoch_end(net, **kwargs)


class EpochHistory(History):
    """skorch's ``History`` that reads one epoch (``history[-1]``) directly.

    skorch's ``History`` resolves every index through its general path (the
    whole history copied to a list, the index unpacked in four levels), also
    for ``history[-1]``, which skorch itself reads for every value it records
    (``record``, ``record_batch``, ``new_batch``): about ten times per epoch.
    Here an integer index reads the list directly; the result is the same
    object, so everything recorded, read, pickled or saved is skorch's. An index
    that starts with one epoch (``history[-1, "batches", :, "train_loss"]``,
    read by skorch's scoring callbacks every epoch; ``history[-1,
    "valid_loss"]``, read by ``EarlyStopping``) is resolved by skorch's own
    path on that epoch alone, not on a copy of the whole history: the same
    values and the same errors, in time that does not grow with the epochs.
    Other indices (``history[:, "train_loss"]``) take skorch's path. skmat's
    nets use it as their history (:meth:`RowDataMixin.initialize_history`).

    Examples
    --------
    >>> from skmat.nets import EpochHistory
    >>> history = EpochHistory()
    >>> history.new_epoch(); history.record("train_loss", 0.5)
    >>> history[-1]["train_loss"], history[:, "train_loss"]
    (0.5, [0.5])
    >>> history[-1, "train_loss"]
    0.5
    """

    def __getitem__(self, i):
        if type(i) is int:
            return list.__getitem__(self, i)
        if type(i) is tuple and i and type(i[0]) is int:
            epoch = list.__getitem__(self, i[0])  # IndexError as skorch's
            return History([epoch])[(0, *i[1:])]
        return super().__getitem__(i)


class EpochPassthroughScoring(PassthroughScoring):
    """skorch's ``PassthroughScoring`` (``train_loss``, ``valid_loss``) with
    the epoch's batches read once.

    The same records as skorch's: the epoch's score is ``np.average`` of the
    batches' scores weighted by their sizes, and nothing is recorded when no
    batch has the score (``valid_loss`` without validation data, where
    skorch's raises and catches a ``KeyError`` every epoch). Only the reading
    differs: the last epoch's batches directly, instead of skorch's general
    history index. skmat's nets use it in place of skorch's default scorings
    (:meth:`RowDataMixin.get_default_callbacks`).

    Examples
    --------
    >>> from skmat.nets import EpochHistory, EpochPassthroughScoring
    >>> history = EpochHistory()
    >>> history.new_epoch()
    >>> for size, loss in [(3, 1.0), (1, 0.0)]:
    ...     history.new_batch()
    ...     history.record_batch("train_batch_size", size)
    ...     history.record_batch("train_loss", loss)
    >>> scoring = EpochPassthroughScoring("train_loss", on_train=True)
    >>> float(scoring.get_avg_score(history))
    0.75
    """

    def _batch_key(self):
        return "train_batch_size" if self.on_train else "valid_batch_size"

    def get_avg_score(self, history):
        """The epoch's score: skorch's, from the last epoch's batches."""
        size, name = self._batch_key(), self.name
        batches = history[-1]["batches"]
        rows = [(b[size], b[name]) for b in batches if size in b and name in b]
        if not rows:
            return super().get_avg_score(history)  # skorch's error
        if len(rows) == 1 and type(rows[0][0]) is int and type(rows[0][1]) is float:
            # One batch (full-batch training): np.average's own float64
            # arithmetic, (score * size) / size, without its array set-up.
            size, score = rows[0]
            return np.float64(score * size / size)
        weights, scores = zip(*rows)
        return np.average(scores, weights=weights)

    def on_epoch_end(self, net, **kwargs):
        """skorch's ``on_epoch_end``; nothing when no batch has the score."""
        if not any(self.name in b for b in net.history[-1]["batches"]):
            return None
        return super().on_epoch_end(net, **kwargs)


class RowDataMixin(InterruptTrackingMixin):
    """Carries per-row fit parameters with the rows of a skorch net's own dataset.

    The names in ``row_data_params`` given to ``fit`` (one row per example)
    reach ``get_loss`` as :meth:`batch_row_data`, batch by batch, through the
    net's own dataset and data loader (see the module docstring). It also
    serves in-memory data a batch at a time (:mod:`skmat._batching`).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import RowDataMixin
    >>> class WeightedNet(RowDataMixin, NeuralNetClassifier):
    ...     row_data_params = ("weight",)
    ...     def get_loss(self, y_pred, y_true, X=None, training=False):
    ...         loss = super().get_loss(y_pred, y_true, X=X, training=training)
    ...         weight = self.batch_row_data().get("weight")
    ...         return loss if weight is None else loss * weight.mean()
    >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
    >>> net = WeightedNet(torch.nn.Linear, module__in_features=4,
    ...     module__out_features=2, criterion=torch.nn.CrossEntropyLoss,
    ...     max_epochs=1, train_split=None, verbose=0)
    >>> net.fit(X, y, weight=np.full(4, 2.0)).predict(X).shape
    (4,)
    """

    #: Fit parameters with one row per example that ride with the rows.
    row_data_params: tuple[str, ...] = ()

    def _channel(self):
        channel = vars(self).get("row_data_channel_")
        if channel is None:
            channel = self.row_data_channel_ = RowDataChannel()
        return channel

    def batch_row_data(self):
        """The per-row data of the batch being trained or validated now.

        Returns
        -------
        row_data : dict of str to torch.Tensor
            Empty outside training and validation steps, and for a fit without
            per-row data.
        """
        channel = vars(self).get("row_data_channel_")
        return {} if channel is None else channel.batch

    def initialize_history(self):
        """skorch's history, as an :class:`EpochHistory` (the same records)."""
        super().initialize_history()
        if type(self.history_) is History:
            self.history_ = EpochHistory(self.history_)
        return self

    def get_default_callbacks(self):
        """skorch's default callbacks, with the same parameters and records;
        its ``PrintLog`` a :class:`QuietPrintLog` (no table built when nothing
        prints), its ``PassthroughScoring`` an :class:`EpochPassthroughScoring`."""
        lean = {PrintLog: QuietPrintLog, PassthroughScoring: EpochPassthroughScoring}
        return [
            (name, lean[type(cb)](**cb.get_params()) if type(cb) in lean else cb)
            for name, cb in super().get_default_callbacks()
        ]

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's training loop, with the per-row data taken out of ``fit_params``."""
        row_data = {}
        for name in self.row_data_params:
            value = fit_params.pop(name, None)
            if value is not None:
                row_data[name] = _check_row_data(name, value)
        channel = self._channel()
        channel.pending = row_data
        try:
            return super().fit_loop(X, y, epochs, **fit_params)
        finally:
            channel.pending = None
            channel.batch = {}

    def get_dataset(self, X, y=None):
        """The net's own dataset, wrapped so that per-row data ride with the rows.

        The first dataset a fit builds is its training set: it takes the rows
        given to ``fit``. Datasets for prediction get no row data; both get the
        batched fast path where :func:`skmat._batching.serves_by_gather` allows.
        """
        dataset = super().get_dataset(X, y)
        channel = vars(self).get("row_data_channel_")
        row_data = {} if channel is None else channel.take_pending()
        for name, value in row_data.items():
            if value.shape[0] != len(dataset):
                raise ValueError(
                    f"{name} has {value.shape[0]} rows but the training set has "
                    f"{len(dataset)}; give one row per example."
                )
        if isinstance(dataset, RowDataset):
            if not row_data:
                return dataset
            dataset = dataset.dataset
        gather = serves_by_gather(self, dataset)
        if not row_data and not gather:
            return dataset  # nothing to add: the net's own dataset, untouched
        return RowDataset(dataset, row_data, gather)

    def rows_view(self, X, y, rows):
        """The rows ``rows`` of ``(X, y)`` as a dataset view, or None.

        When this net would serve ``X`` through the fast path anyway (skorch's
        ``Dataset`` on in-memory data, no ``get_dataset`` of the user's, the
        default collate function), a held-out fold can train and predict on a
        ``Subset`` of the gathered dataset instead of a copy of its rows; the
        batches are the same. None otherwise: the caller then copies the rows
        in ``X``'s own kind.
        """
        if user_overrides(type(self), "get_dataset") or self.get_params_for("dataset"):
            return None
        dataset = SkorchDataset(X, y)
        if not serves_by_gather(self, dataset):
            return None
        return torch.utils.data.Subset(RowDataset(dataset, {}, True), rows)

    def get_params_for(self, prefix):
        """skorch's ``get_params_for``; the data loaders' collate function (the
        user's or torch's default) also collates the per-row data."""
        params = super().get_params_for(prefix)
        if prefix in ("iterator_train", "iterator_valid"):
            params["collate_fn"] = RowDataCollate(
                params.get("collate_fn", torch.utils.data.default_collate)
            )
        return params

    def get_iterator(self, dataset, training=False):
        """skorch's ``get_iterator``; a data loader whose one batch is the whole
        dataset in order (full-batch training without shuffling) hands that
        batch over directly (:func:`skmat._batching.whole_set_batches`): the
        same batch and random stream, without a loader pass per epoch. Not when
        a class of the user's or a mixin (skorch's ``AccelerateMixin``) changes
        ``get_iterator``: its loader is used as it made it."""
        iterator = super().get_iterator(dataset, training=training)
        if type(self).get_iterator is not RowDataMixin.get_iterator:
            return iterator
        return whole_set_batches(iterator)

    def _step_without_row_data(self, step, batch, **fit_params):
        channel = self._channel()
        batch, channel.batch = strip_row_data(batch)
        views, versions = views_in(batch)
        try:
            result = step(batch, **fit_params)
        finally:
            channel.batch = {}
        check_views_unchanged(views, versions)
        return result

    def train_step(self, batch, **fit_params):
        """skorch's ``train_step`` on the batch without its row data."""
        return self._step_without_row_data(super().train_step, batch, **fit_params)

    def validation_step(self, batch, **fit_params):
        """skorch's ``validation_step`` on the batch without its row data."""
        return self._step_without_row_data(super().validation_step, batch, **fit_params)

    def evaluation_step(self, batch, training=False):
        """skorch's ``evaluation_step`` (prediction): row data play no part."""
        batch, _ = strip_row_data(batch)
        views, versions = views_in(batch)
        result = super().evaluation_step(batch, training=training)
        check_views_unchanged(views, versions)
        return result

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``: callbacks see the batch without its row data."""
        if "batch" in cb_kwargs:
            cb_kwargs["batch"], _ = strip_row_data(cb_kwargs["batch"])
        return super().notify(method_name, **cb_kwargs)


class ShiftedLossMixin(RowDataMixin):
    """Adds MAT's per-example logit shift to a skorch classifier's loss.

    Put it first among the bases of a skorch classifier class
    (:func:`skmat.factory.net_class` does). ``fit(X, y, mat_shift=shift)`` trains on
    ``criterion(f(x) + shift, y)`` where ``f(x)`` are the module's logits: the
    output itself with ``CrossEntropyLoss``; the log of the output with
    ``NLLLoss`` (skorch's default, a module ending in softmax); for
    ``NeuralNetBinaryClassifier`` with ``BCEWithLogitsLoss`` the single logit
    moves by ``shift[:, 1] - shift[:, 0]``. Other criteria are rejected by
    :func:`skmat._outputs.output_kind`. Without ``mat_shift`` the net is the
    skorch net it extends. The shifted output goes through the net's own
    ``get_loss`` (``super()``), so an override that adds a penalty still applies.

    It also adds one parameter, ``random_state``: an int seeds torch's generators
    (weight initialisation, shuffling, dropout) for each ``fit``, restoring the
    global generator state afterwards, so two fits give identical nets.

    With a shift, the net's ``train_loss`` and ``valid_loss`` are the *shifted*
    (MAT) losses; ``valid_acc`` is the accuracy of ``f(x)`` alone, as at
    prediction time.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.nets import ShiftedLossMixin
    >>> class MyNet(ShiftedLossMixin, NeuralNetClassifier):
    ...     pass
    >>> X = np.random.RandomState(0).randn(32, 3).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = MyNet(torch.nn.Linear, module__in_features=3, module__out_features=2,
    ...             criterion=torch.nn.CrossEntropyLoss, max_epochs=2,
    ...             train_split=None, verbose=0, random_state=0)
    >>> net = net.fit(X, y, mat_shift=np.log(np.full((32, 2), 0.5)))
    >>> net.predict(X).shape
    (32,)
    """

    row_data_params: tuple[str, ...] = (SHIFT_PARAM,)

    def __init__(self, *args, random_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.random_state = random_state

    def fit(self, X, y=None, **fit_params):
        """skorch's ``fit``, seeded by ``random_state``.

        Parameters
        ----------
        X, y
            As for skorch's ``fit``: anything the net's dataset takes.
        **fit_params
            ``mat_shift`` (array of shape (n_samples, n_classes), optional): the
            per-example shift of the loss; the rest go to skorch as usual.

        Returns
        -------
        self
        """
        # Only wraps skorch's fit in a seeded RNG context; the loop is skorch's.
        with torch_seeded(self.random_state):
            return super().fit(X, y, **fit_params)

    def batch_shift(self, y_true):
        """The shift of the batch being trained or validated now, or None.

        The batch's rows of ``mat_shift``. A method whose shift is computed
        from the batch itself (logit correction's per-batch prior) overrides
        this, and the shift reaches the loss the same way.

        Parameters
        ----------
        y_true : torch.Tensor of shape (n_rows,)
            The batch's labels.

        Returns
        -------
        shift : torch.Tensor of shape (n_rows, n_classes) or None
        """
        return self.batch_row_data().get(SHIFT_PARAM)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The net's loss of ``f(x) + shift`` when the batch carries a shift."""
        kind = output_kind(self)
        if kind == "binary_logit" and y_true is not None:
            # BCEWithLogitsLoss needs float targets; skmat passes class indices.
            out = first_output(y_pred)
            y_true = torch.as_tensor(y_true).to(device=out.device, dtype=out.dtype)
        shift = self.batch_shift(y_true)
        if shift is not None:
            if isinstance(y_pred, tuple):
                y_pred = (_shifted(y_pred[0], shift, kind), *y_pred[1:])
            else:
                y_pred = _shifted(y_pred, shift, kind)
        return super().get_loss(y_pred, y_true, X=X, training=training)


def _shifted(out, shift, kind):
    """The module's output moved by the shift, in the form its criterion reads."""
    if shift.device != out.device or shift.dtype != out.dtype:
        shift = shift.to(device=out.device, dtype=out.dtype)
    if kind == "logits":
        return out + shift
    if kind == "proba":
        # skorch's get_loss takes the log of a probability output: hand it the
        # probabilities of the shifted logits, softmax(log p + shift).
        log_proba = torch.log(out + torch.finfo(out.dtype).eps)
        return F.softmax(log_proba + shift, dim=-1)
    return out + (shift[:, 1] - shift[:, 0])


class MATNeuralNetClassifier(ShiftedLossMixin, NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` trained with MAT's shifted loss when given one.

    Identical to ``NeuralNetClassifier`` (same parameters, plus ``random_state``)
    except for :class:`ShiftedLossMixin`: ``fit(X, y, mat_shift=shift)`` trains
    with the shifted loss, and in-memory data are served a batch at a time.
    :class:`~skmat.MATClassifier` converts a plain ``NeuralNetClassifier`` to this
    class; use it directly to train with a shift you computed yourself.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.mlp import MLPModule
    >>> from skmat.nets import MATNeuralNetClassifier
    >>> X = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> shift = np.log(np.full((64, 2), 0.5))
    >>> net = MATNeuralNetClassifier(
    ...     MLPModule, module__n_features=4, module__n_classes=2,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=5, train_split=None,
    ...     verbose=0, random_state=0)
    >>> net = net.fit(X, y, mat_shift=shift)
    >>> net.predict(X).shape
    (64,)
    """


class MATNeuralNetBinaryClassifier(ShiftedLossMixin, NeuralNetBinaryClassifier):
    """skorch's ``NeuralNetBinaryClassifier`` with MAT's shifted loss when given one.

    The module outputs one logit per example; the shift moves it by
    ``shift[:, 1] - shift[:, 0]``, which is the two-class softmax shift written
    for a sigmoid.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skmat.nets import MATNeuralNetBinaryClassifier
    >>> X = np.random.RandomState(0).randn(64, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = MATNeuralNetBinaryClassifier(
    ...     torch.nn.Linear, module__in_features=4, module__out_features=1,
    ...     max_epochs=5, train_split=None, verbose=0, random_state=0)
    >>> net.fit(X, y).predict(X).shape
    (64,)
    """


