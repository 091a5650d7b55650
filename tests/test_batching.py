"""How skmat's nets serve batches: views for contiguous runs, one gather
otherwise, torch's ``__getitems__`` contract, the per-row path for what cannot
be gathered, and skorch's PrintLog left silent when nothing prints."""

import contextlib
import io

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import PrintLog
from skorch.dataset import Dataset, ValidSplit, unpack_data
from torch.utils.data import DataLoader, StackDataset, Subset, default_collate

from skmat import ERMClassifier, MATClassifier
from skmat._batching import GatheredBatch, RowDataset, WholeSetBatches
from skmat.datasets import make_spurious_classification
from skmat.nets import MATNeuralNetClassifier, QuietPrintLog

X, Y, _ = make_spurious_classification(64, 5, random_state=0)
X32 = X.astype(np.float32)


class InputRecorder(torch.nn.Module):
    """A linear layer that records where each input batch lives in memory."""

    def __init__(self, in_features=5, out_features=2, inplace=False):
        super().__init__()
        self.linear = torch.nn.Linear(in_features, out_features)
        self.inplace = inplace
        self.pointers = []

    def forward(self, X):
        self.pointers.append((X.data_ptr(), X.shape[0]))
        if self.inplace:
            X.mul_(2.0)  # what a careless forward does (x /= 255, ReLU(inplace))
        return self.linear(X)


#: The skorch parameters every net of these tests shares: full batches, no
#: validation split, nothing printed.
FULL_BATCH = dict(
    criterion=torch.nn.CrossEntropyLoss,
    lr=0.1,
    batch_size=-1,
    train_split=None,
    verbose=0,
)


def _net(**params):
    defaults = dict(FULL_BATCH, module=InputRecorder, max_epochs=2, random_state=0)
    return MATNeuralNetClassifier(**{**defaults, **params})


def _row_bytes(X):
    return X.strides[0]


# ------------------------------------------------------------ no copies
def test_full_and_unshuffled_batches_are_views_of_X():
    X = X32.copy()
    net = _net().fit(X, Y)
    # Both epochs' full batch start at X's own first row: no copy.
    assert net.module_.pointers == [(X.ctypes.data, 64)] * 2
    net = _net(batch_size=16).fit(X, Y)
    starts = [X.ctypes.data + i * 16 * _row_bytes(X) for i in range(4)]
    assert net.module_.pointers == [(p, 16) for p in starts] * 2
    # Prediction too.
    net.module_.pointers.clear()
    net.predict(X)
    assert [p for p, _ in net.module_.pointers] == starts


def test_shuffled_batches_are_gathered_copies():
    X = X32.copy()
    net = _net(batch_size=16, iterator_train__shuffle=True).fit(X, Y)
    inside = range(X.ctypes.data, X.ctypes.data + X.nbytes)
    assert not any(p in inside for p, _ in net.module_.pointers)


def test_memmaps_and_read_only_arrays_are_never_passed_as_views(tmp_path):
    path = tmp_path / "X.dat"
    written = np.memmap(path, dtype=np.float32, mode="w+", shape=X32.shape)
    written[:] = X32
    written.flush()
    frozen = X32.copy()
    frozen.flags.writeable = False
    for X in (np.memmap(path, dtype=np.float32, mode="r", shape=X32.shape), frozen):
        # An in-place forward would crash on a read-only file's pages: it
        # only ever sees copies, and X keeps its values.
        net = _net(module__inplace=True).fit(X, Y)
        inside = range(X.ctypes.data, X.ctypes.data + X.nbytes)
        assert not any(p in inside for p, _ in net.module_.pointers)
        np.testing.assert_array_equal(X, X32)


def test_a_forward_that_changes_its_input_in_place_is_refused():
    X = X32.copy()
    with pytest.raises(RuntimeError, match="changed its input batch in place"):
        _net(module__inplace=True).fit(X, Y)
    np.testing.assert_array_equal(X, 2 * X32)  # refused after its first step
    # The same net on shuffled batches works on copies and leaves X alone.
    X = X32.copy()
    _net(module__inplace=True, iterator_train__shuffle=True).fit(X, Y)
    np.testing.assert_array_equal(X, X32)


def test_views_and_gathers_train_the_same_net():
    # The same rows in the same order, served as views (skmat's fast path)
    # and row by row through skorch's Dataset and collate (a user collate).
    views = _net(
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        max_epochs=5,
    ).fit(X32, Y)
    rows = _net(
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        max_epochs=5,
        iterator_train__collate_fn=default_collate,
    ).fit(X32, Y)
    for a, b in zip(views.module_.parameters(), rows.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


class DropoutLinear(torch.nn.Module):
    """A linear layer behind dropout: random numbers at every training step."""

    def __init__(self):
        super().__init__()
        self.dropout = torch.nn.Dropout(0.5)
        self.linear = torch.nn.Linear(5, 2)

    def forward(self, X):
        return self.linear(self.dropout(X))


def test_a_full_batch_is_served_directly_with_the_data_loader_s_random_stream():
    # Full-batch training hands its one batch over without a DataLoader pass
    # per epoch, drawing what the DataLoader's iterator draws: with dropout the
    # net is skorch's own, bit for bit, and the random stream goes on the same.
    params = dict(FULL_BATCH, module=DropoutLinear, max_epochs=5)
    torch.manual_seed(0)
    ours = MATNeuralNetClassifier(**params).fit(X32, Y)
    ours_proba, ours_next = ours.predict_proba(X32), torch.rand(3)
    torch.manual_seed(0)
    theirs = NeuralNetClassifier(**params).fit(X32, Y)
    theirs_proba, theirs_next = theirs.predict_proba(X32), torch.rand(3)
    for a, b in zip(ours.module_.parameters(), theirs.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(ours_proba, theirs_proba)
    torch.testing.assert_close(ours_next, theirs_next, rtol=0, atol=0)
    dataset = ours.get_dataset(X32, Y)
    for training in (True, False):
        batches = ours.get_iterator(dataset, training=training)
        assert type(batches) is WholeSetBatches and len(batches) == 1
        (x, y), *more = batches
        assert not more and x.data_ptr() == X32.ctypes.data  # a view of X
        assert batches.batch_size == 64  # the loader's attributes


class OwnIterator(MATNeuralNetClassifier):
    """A user's net that changes how batches are made."""

    def get_iterator(self, dataset, training=False):
        return super().get_iterator(dataset, training=training)


def test_a_fold_or_validation_split_is_served_whole_too():
    # A fold's rows (a Subset of the net's dataset) in one batch: the same
    # batch the DataLoader gives, and the same net trained with a validation
    # split served directly or through the loader.
    net = _net(module=DropoutLinear).initialize()
    rows = [5, 1, 7, 30]
    fold = Subset(net.get_dataset(X32, Y), rows)
    batches = net.get_iterator(fold, training=True)
    assert type(batches) is WholeSetBatches
    (x, y), *more = batches
    assert not more
    np.testing.assert_array_equal(x.numpy(), X32[rows])
    np.testing.assert_array_equal(y.numpy(), Y[rows])
    # With dropout: the random stream is the loader's too.
    direct = _net(module=DropoutLinear, train_split=ValidSplit(4), max_epochs=4)
    direct.fit(X32, Y)
    loader = OwnIterator(**direct.get_params()).fit(X32, Y)
    for a, b in zip(direct.module_.parameters(), loader.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert direct.history[:, "valid_loss"] == loader.history[:, "valid_loss"]


def test_what_torch_s_loader_refuses_is_still_refused():
    # A timeout without worker processes: torch's loader raises, as in skorch.
    with pytest.raises(AssertionError, match="timeout"):
        _net(iterator_train__timeout=5).fit(X32, Y)


class InputGradientStep:
    """A training step that uses the gradient of the loss with respect to its
    input batch (adversarial training, an input-gradient penalty)."""

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        Xi.requires_grad_(True)
        self.get_loss(self.infer(Xi), yi, X=Xi, training=True).backward()
        self.input_grad_norms.append(float(Xi.grad.norm()))
        self.optimizer_.zero_grad()
        X_adv = (Xi + 0.1 * Xi.grad.sign()).detach()
        loss = self.get_loss(self.infer(X_adv), yi, X=X_adv, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": None}


class OursAdversarial(InputGradientStep, MATNeuralNetClassifier):
    """skmat's net with that step."""


class TheirsAdversarial(InputGradientStep, NeuralNetClassifier):
    """skorch's net with that step."""


@pytest.mark.parametrize("read_only", [False, True], ids=["views", "kept-gather"])
def test_a_batch_served_again_carries_nothing_from_the_last_epoch(read_only):
    # Full batches served as views, or gathered once and kept (a read-only X):
    # each epoch's batch is a new tensor, as skorch's, so an input gradient
    # does not add up over the epochs.
    X = X32.copy()
    X.flags.writeable = not read_only
    params = dict(
        FULL_BATCH,
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        max_epochs=4,
    )
    norms = []
    for cls in (OursAdversarial, TheirsAdversarial):
        torch.manual_seed(0)
        net = cls(**params)
        net.input_grad_norms = []
        net.fit(X, Y)
        norms.append(net.input_grad_norms)
    np.testing.assert_allclose(norms[0], norms[1], rtol=1e-6)
    assert norms[0][-1] < 2 * norms[0][0]  # not the sum of the epochs'


@pytest.mark.parametrize(
    "net",
    [
        _net(batch_size=32),
        _net(iterator_train__shuffle=True),
        _net(iterator_train__drop_last=True, iterator_train__batch_size=100),
        _net(iterator_train__collate_fn=default_collate),
        _net(iterator_train__sampler=torch.utils.data.SequentialSampler(range(10))),
        OwnIterator(**_net().get_params()),
    ],
    ids=[
        "mini-batches",
        "shuffled",
        "drop-last",
        "user-collate",
        "user-sampler",
        "user-iterator",
    ],
)
def test_every_other_loader_is_the_nets_own(net):
    net.initialize()
    loader = net.get_iterator(net.get_dataset(X32, Y), training=True)
    assert type(loader) is DataLoader
    assert len(list(loader)) == len(loader)  # 0 batches when drop_last drops all


# ------------------------------------------------ torch's __getitems__ contract
def _dataset(**row_data):
    return RowDataset(Dataset(X32, Y), row_data, gather=True)


@pytest.mark.parametrize("indices", [[3, 4, 5, 6], [9, 2, 40], list(range(64))])
def test_getitems_returns_one_sample_per_index(indices):
    weight = torch.arange(64.0)
    data = _dataset(weight=weight)
    rows = data.__getitems__(indices)
    assert isinstance(rows, GatheredBatch) and len(rows) == len(indices)
    for row, i in zip(rows, indices):
        x, y = row
        np.testing.assert_array_equal(x.x.numpy(), X32[i])
        assert int(y) == Y[i] and float(x.row_data["weight"]) == i
    # Any collate function gets the same batch as skmat's own.
    x, y = default_collate(rows)
    np.testing.assert_array_equal(x.x.numpy(), X32[indices])
    np.testing.assert_array_equal(y.numpy(), Y[indices])
    np.testing.assert_array_equal(x.row_data["weight"].numpy(), indices)


def test_stack_and_subset_datasets_take_the_gathered_rows():
    # torch's StackDataset checks that __getitems__ gives one sample per index.
    stacked = StackDataset(rows=_dataset(), index=torch.arange(64))
    batch = next(iter(DataLoader(stacked, batch_size=8)))
    np.testing.assert_array_equal(batch["rows"][0].numpy(), X32[:8])
    np.testing.assert_array_equal(batch["index"].numpy(), np.arange(8))
    subset = Subset(_dataset(), [5, 1, 7])
    assert len(subset.__getitems__([0, 2])) == 2


def test_the_same_gathered_rows_are_kept_until_changed():
    # A fold's full batch (the same non-contiguous rows every epoch) is kept
    # from its second request on; rows asked for once (shuffled batches) keep
    # nothing; a kept batch changed in place is gathered again.
    data = _dataset()
    first = data.__getitems__([1, 5, 9]).batch
    second = data.__getitems__([1, 5, 9]).batch
    third = data.__getitems__([1, 5, 9]).batch
    assert second[0].data_ptr() != first[0].data_ptr()
    # The same memory, new tensor objects (what a step leaves on one, such as
    # an input's .grad, does not reach the next).
    assert third[0].data_ptr() == second[0].data_ptr() and third[0] is not second[0]
    third[0].mul_(0.0)
    again = data.__getitems__([1, 5, 9]).batch
    assert again[0].data_ptr() != third[0].data_ptr()
    np.testing.assert_array_equal(again[0].numpy(), X32[[1, 5, 9]])
    data.__getitems__([2, 7])  # other rows: nothing kept for them
    assert data._kept[1] is None


def test_a_read_only_full_batch_is_gathered_twice_not_every_epoch():
    # A read-only X is never passed as a view: its full batch is a copy,
    # gathered in the first two epochs and served again in the next ones.
    frozen = X32.copy()
    frozen.flags.writeable = False
    pointers = _net(max_epochs=4).fit(frozen, Y).module_.pointers
    inside = range(frozen.ctypes.data, frozen.ctypes.data + frozen.nbytes)
    assert len(pointers) == 4 and len(set(pointers[1:])) == 1
    assert pointers[1][0] not in inside


# ------------------------------------------------ what cannot be gathered
def test_variable_length_labels_go_through_the_per_row_path():
    # skorch's own test_net_variable_label_lengths, on skmat's net: labels
    # that are objects cannot become one tensor, so each row is served alone.
    lengths = [1, 3, 2, 3, 2]
    y = np.empty(len(lengths), dtype=object)
    for i, m in enumerate(lengths):
        y[i] = np.ones((m, 1), dtype=np.float32)
    X = np.array([1, 5, 3, 6, 2], dtype=np.float32)[:, None]
    seen = []

    def loss_fn(y_pred, y_true, **kwargs):
        seen.append(tuple(y_true.shape))
        return y_pred.sum()

    net = MATNeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=1,
        module__out_features=2,
        batch_size=1,
        max_epochs=2,
        train_split=None,
        verbose=0,
    )
    net.get_loss = loss_fn
    net.check_data = lambda *_, **kw: None
    net.fit(X, y)
    assert seen == [(1, m, 1) for m in lengths] * 2


# ----------------------------------------------------------------- PrintLog
def _printed(fit):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fit()
    return out.getvalue().splitlines()


# The toy MAT fit may trip skmat's guard; what it prints is what is tested here.
@pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")
def test_quiet_print_log_builds_no_table_when_nothing_prints(monkeypatch):
    tables = []
    original = PrintLog.table
    monkeypatch.setattr(
        PrintLog, "table", lambda self, row: tables.append(1) or original(self, row)
    )
    lines = _printed(lambda: ERMClassifier(_net(max_epochs=3)).fit(X32, Y))
    assert lines == [] and tables == []
    clf = MATClassifier(_net(max_epochs=3), holdout="xrm", random_state=0)
    assert _printed(lambda: clf.fit(X32, Y)) == [] and tables == []
    assert isinstance(dict(clf.estimator_.callbacks_)["print_log"], QuietPrintLog)


def test_print_log_prints_and_records_as_skorch_s():
    params = dict(
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        train_split=None,
        verbose=1,
    )
    theirs = NeuralNetClassifier(**params)
    ours = MATNeuralNetClassifier(**params)
    their_lines = _printed(lambda: theirs.fit(X32, Y))
    our_lines = _printed(lambda: ours.fit(X32, Y))
    assert len(our_lines) == len(their_lines) == 5  # header, rule, 3 epochs
    assert our_lines[0].split() == their_lines[0].split()
    assert [sorted(row) for row in ours.history] == [
        sorted(row) for row in theirs.history
    ]
    # A sink of the user's gets every row whatever verbose is, as in skorch.
    sunk = []
    quiet = MATNeuralNetClassifier(
        **{**params, "verbose": 0}, callbacks__print_log__sink=sunk.append
    )
    assert _printed(lambda: quiet.fit(X32, Y)) == []
    assert len(sunk) == 5 and sunk[0].split() == their_lines[0].split()


def _without_durations(history):
    return [
        {
            **{k: v for k, v in row.items() if k not in ("dur", "batches")},
            "batches": row["batches"],
        }
        for row in history
    ]


@pytest.mark.parametrize("batch_size", [16, -1])
@pytest.mark.parametrize("train_split", [None, "valid_split"])
def test_history_is_skorch_s_record_for_record(train_split, batch_size):
    # skmat's history and scorings read less but record the same: the same
    # net trained by skorch's NeuralNetClassifier and by skmat's net (same
    # batches, so the same losses to the last bit).
    from skorch.dataset import ValidSplit
    from skorch.history import History

    params = dict(
        module=torch.nn.Linear,
        module__in_features=5,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=4,
        batch_size=batch_size,
        verbose=0,
        train_split=None if train_split is None else ValidSplit(4),
    )
    torch.manual_seed(0)
    theirs = NeuralNetClassifier(**params).fit(X32, Y)
    torch.manual_seed(0)
    ours = MATNeuralNetClassifier(**params).fit(X32, Y)
    assert isinstance(ours.history, History)
    assert _without_durations(ours.history) == _without_durations(theirs.history)
    for key in ("train_loss", "valid_loss", "valid_acc"):
        if train_split is None and key != "train_loss":
            with pytest.raises(KeyError):
                ours.history[:, key]
            continue
        assert ours.history[:, key] == theirs.history[:, key]
        assert type(ours.history[-1, key]) is type(theirs.history[-1, key])
