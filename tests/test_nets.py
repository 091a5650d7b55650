"""The MAT net mixin: the shift is added to the loss and nothing else changes."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit
from torch.nn import functional as F

from skmat._inputs import as_gatherable, gather_rows
from skmat._outputs import net_logits
from skmat.datasets import make_spurious_classification
from skmat.factory import as_mat_net
from skmat.nets import RowBatch

X, Y, _ = make_spurious_classification(64, 5, random_state=0)
X32 = X.astype(np.float32)
SHIFT = np.log(
    np.column_stack([np.linspace(0.1, 0.9, 64), np.linspace(0.9, 0.1, 64)])
).astype(np.float32)


def _linear(cls=NeuralNetClassifier, **params):
    defaults = dict(
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        lr=0.1,
        max_epochs=2,
        batch_size=16,
        train_split=None,
        verbose=0,
    )
    return as_mat_net(cls(**{**defaults, **params}), random_state=0)


class Softmax(torch.nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)

    def forward(self, X):
        return torch.softmax(self.linear(X), dim=-1)


def _validation_loss(net, shift):
    """The loss of one validation step on the whole set, with the row data."""
    batch = (
        RowBatch(torch.as_tensor(X32), {"mat_shift": torch.as_tensor(shift)}),
        torch.as_tensor(Y),
    )
    return float(net.validation_step(batch)["loss"])


def test_loss_with_logits_nll_and_binary_outputs():
    logits_net = _linear().fit(X32, Y)
    logits = torch.as_tensor(net_logits(logits_net, X32), dtype=torch.float32)
    expected = F.cross_entropy(logits + torch.as_tensor(SHIFT), torch.as_tensor(Y))
    assert _validation_loss(logits_net, SHIFT) == pytest.approx(
        float(expected), rel=1e-5
    )

    proba_net = _linear(module=Softmax, criterion=torch.nn.NLLLoss).fit(X32, Y)
    log_p = torch.as_tensor(net_logits(proba_net, X32), dtype=torch.float32)
    expected = F.cross_entropy(log_p + torch.as_tensor(SHIFT), torch.as_tensor(Y))
    assert _validation_loss(proba_net, SHIFT) == pytest.approx(
        float(expected), rel=1e-4
    )

    binary = _linear(
        NeuralNetBinaryClassifier,
        module__out_features=1,
        criterion=torch.nn.BCEWithLogitsLoss,
    ).fit(X32, Y)
    logit = torch.as_tensor(net_logits(binary, X32)[:, 1], dtype=torch.float32)
    moved = logit + torch.as_tensor(SHIFT[:, 1] - SHIFT[:, 0])
    expected = F.binary_cross_entropy_with_logits(
        moved, torch.as_tensor(Y, dtype=torch.float32)
    )
    assert _validation_loss(binary, SHIFT) == pytest.approx(float(expected), rel=1e-5)


class PenalizedNet(NeuralNetClassifier):
    """A user get_loss that adds a penalty: it still applies under the shift."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        return loss + 10.0


def test_user_get_loss_override_runs_on_the_shifted_output():
    net = _linear(PenalizedNet).fit(X32, Y)
    plain = _linear().initialize()
    plain.module_.load_state_dict(net.module_.state_dict())
    assert _validation_loss(net, SHIFT) == pytest.approx(
        _validation_loss(plain, SHIFT) + 10.0
    )


class KwargsModule(torch.nn.Module):
    """Records the keyword arguments of its forward (skorch's fit_params)."""

    seen = []

    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)

    def forward(self, X, **kwargs):
        KwargsModule.seen.append(sorted(kwargs))
        return self.linear(X)


def test_shift_never_reaches_the_module_but_other_fit_params_do():
    KwargsModule.seen.clear()
    net = _linear(module=KwargsModule)
    net.fit(X32, Y, mat_shift=SHIFT, flag=torch.zeros(1))
    assert KwargsModule.seen and all(kw == ["flag"] for kw in KwargsModule.seen)


class BatchRecorder(Callback):
    """A user callback that looks at every training batch."""

    def initialize(self):
        self.kinds = set()
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        self.kinds.add(type(batch[0]).__name__)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        self.kinds.add(type(batch[0]).__name__)


def test_callbacks_see_the_batch_their_dataset_made():
    net = _linear(callbacks=[("recorder", BatchRecorder())], train_split=ValidSplit(4))
    net.fit(X32, Y, mat_shift=SHIFT)
    assert dict(net.callbacks_)["recorder"].kinds == {"Tensor"}


def test_validation_rows_keep_their_own_shift():
    # skorch's ValidSplit takes a Subset of the shifted dataset: valid_loss is
    # the shifted loss of the validation rows, each with its own shift.
    net = _linear(train_split=ValidSplit(4), max_epochs=1).fit(X32, Y, mat_shift=SHIFT)
    valid = np.arange(16)  # KFold(4)'s first validation fold
    logits = torch.as_tensor(net.forward(X32[valid]))
    expected = F.cross_entropy(
        logits + torch.as_tensor(SHIFT[valid]), torch.as_tensor(Y[valid])
    )
    assert net.history[-1, "valid_loss"] == pytest.approx(float(expected), rel=1e-5)


def test_prediction_has_no_shift():
    net = _linear().fit(X32, Y, mat_shift=SHIFT)
    logits = net.module_(torch.as_tensor(X32)).detach().numpy()
    np.testing.assert_allclose(net_logits(net, X32), logits, rtol=1e-6)


def test_shift_with_the_wrong_number_of_rows():
    with pytest.raises(
        ValueError, match="mat_shift has 3 rows but the training set has 64"
    ):
        _linear().fit(X32, Y, mat_shift=SHIFT[:3])


def test_memmap_is_read_in_place(tmp_path):
    images = np.memmap(
        tmp_path / "x.dat", dtype=np.float32, mode="w+", shape=(6, 3, 2, 2)
    )
    images[:] = np.arange(images.size, dtype=np.float32).reshape(images.shape)
    shared = as_gatherable(images)
    assert shared.data_ptr() == images.ctypes.data  # no copy of the file's pages
    batch = gather_rows(shared, torch.tensor([4, 1]))
    np.testing.assert_array_equal(batch.numpy(), images[[4, 1]])


def test_epoch_history_resolves_every_index_as_skorch_does():
    # skmat's history reads one epoch without copying the whole history; every
    # index must give skorch's value, or skorch's error with its message.
    from skorch.history import History

    from skmat.nets import EpochHistory

    def build(cls):
        history = cls()
        for epoch in range(3):
            history.new_epoch()
            history.record("train_loss", 1.0 / (epoch + 1))
            if epoch:
                history.record("valid_loss", float(epoch))
            for size in (4, 2):
                history.new_batch()
                history.record_batch("train_loss", float(size + epoch))
                history.record_batch("train_batch_size", size)
        return history

    ours, skorchs = build(EpochHistory), build(History)
    indices = [
        -1,
        0,
        2,
        3,
        -4,
        (-1,),
        (0, "train_loss"),
        (-1, "valid_loss"),
        (0, "valid_loss"),
        (-1, "batches"),
        (-1, "batches", 0),
        (-1, "batches", -1, "train_loss"),
        (-1, "batches", slice(None), "train_loss"),
        (-1, "batches", slice(None), ["train_batch_size", "train_loss"]),
        (-1, "batches", slice(None), "valid_loss"),
        (1, ["train_loss", "valid_loss"]),
        (0, ("train_loss", "valid_loss")),
        (-1, "train_loss", 0),
        (-1, "batches", 0, "train_loss", 1),
        (slice(None), "train_loss"),
        (slice(None), "valid_loss"),
        (slice(None), "batches", -1, "train_loss"),
    ]
    for index in indices:
        try:
            expected = skorchs[index]
        except Exception as error:  # noqa: BLE001 - compared below
            with pytest.raises(type(error)) as raised:
                ours[index]
            assert str(raised.value) == str(error), index
        else:
            assert ours[index] == expected, index
