"""Every input kind a skorch net takes, through every estimator.

One table of input kinds (2-D array, DataFrame, 4-D images, dict of integer
token ids, SliceDict, CSR, SliceDataset, memmap, tensor) crossed with the
estimators (MATClassifier with cross-validation, with the fold nets trained
together, with XRM twins, with given held-out probabilities, the five
baselines): fit, predict, predict_proba,
score, infer_groups, clone, pickle, GridSearchCV. Then what the input rule
promises beyond the table: sparse and dense give the same predictions, the
user's net runs as written (its infer, iterator, dataset, collate function,
AccelerateMixin), and MAT works on images with a CNN.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import torch
from _estimators import READS_GROUPS, RIVALS, makers
from _models import RowsDataset, SmallCNN, TokenBag
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from skorch import NeuralNetClassifier
from skorch.helper import SliceDataset, SliceDict
from torch.utils.data import default_collate

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_colored_digits_splits, make_spurious_classification
from skmat.metrics import worst_group_accuracy
from skmat.mlp import mlp_net

# The fits here check what MATClassifier does with its inputs on tiny data, where
# its guard often finds that the shift leaves nothing to learn; that warning is
# asserted in tests/test_guard.py, and only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")

N = 60
X_TABLE, Y, GROUPS = make_spurious_classification(N, 6, random_state=0)
_rng = np.random.RandomState(0)
IMAGES = _rng.rand(N, 3, 8, 8).astype(np.float32)
IMAGES[:, 0] += Y[:, None, None]  # the label shows in the red channel
IDS = _rng.randint(2, 50, size=(N, 7))
IDS[:, 0] = Y  # the label is the first token
MASK = np.ones((N, 7), dtype=np.float32)
MASK[:, 5:] = 0  # padding


def _sparse_table():
    X = X_TABLE.copy()
    X[np.abs(X) < 0.5] = 0.0  # TF-IDF-like: mostly zeros
    return X


def _memmap(tmp_path):
    path = tmp_path / "X.dat"
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=X_TABLE.shape)
    X[:] = X_TABLE
    X.flush()
    return np.memmap(path, dtype=np.float32, mode="r", shape=X_TABLE.shape)


KINDS = {
    "array": lambda tmp: X_TABLE,
    "dataframe": lambda tmp: pd.DataFrame(X_TABLE, columns=[f"f{i}" for i in range(6)]),
    "images": lambda tmp: IMAGES,
    "dict": lambda tmp: {"input_ids": IDS, "attention_mask": MASK},
    "slicedict": lambda tmp: SliceDict(input_ids=IDS, attention_mask=MASK),
    "csr": lambda tmp: sp.csr_matrix(_sparse_table()),
    "slicedataset": lambda tmp: SliceDataset(RowsDataset(X_TABLE.astype(np.float32))),
    "memmap": _memmap,
    "tensor": lambda tmp: torch.as_tensor(X_TABLE, dtype=torch.float32),
}
TOKEN_KINDS = {"dict", "slicedict"}


def _net(kind, **params):
    if kind in TOKEN_KINDS:
        return NeuralNetClassifier(
            TokenBag,
            criterion=torch.nn.CrossEntropyLoss,
            lr=0.05,
            max_epochs=2,
            batch_size=16,
            train_split=None,
            verbose=0,
            **params,
        )
    # The default MLP flattens images and densifies sparse rows.
    return mlp_net((8,), max_epochs=2, batch_size=16, **params)


HOLDOUT_PROBA = np.column_stack([np.linspace(0.2, 0.8, N), np.linspace(0.8, 0.2, N)])
# The shared table; a maker takes the net of the input kind: maker(estimator=net).
ESTIMATORS = makers(
    [
        "MAT-cv-net",
        "MAT-holdout_proba",
        "MAT-cv-together",
        "MAT-xrm",
        "ERM",
        "GroupReweighting",
        "GroupDRO",
        "JTT",
        "LogitAdjusted",
        *RIVALS,
    ]
)


def _fit_params(name):
    if name == "MAT-holdout_proba":
        return {"holdout_proba": HOLDOUT_PROBA}
    if name in READS_GROUPS:
        return {"groups": GROUPS}
    return {}


def _as_net_input(X):
    """What the fitted net takes for X (a DataFrame is a table to skmat, but a
    dict of columns to a bare skorch net)."""
    return X.to_numpy() if isinstance(X, pd.DataFrame) else X


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_fit_predict_score_clone_pickle(kind, name, tmp_path):
    X = KINDS[kind](tmp_path)
    estimator = ESTIMATORS[name](estimator=_net(kind))
    estimator.fit(X, Y, **_fit_params(name))

    proba = estimator.predict_proba(X)
    assert proba.shape == (N, 2) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    y_pred = estimator.predict(X)
    assert set(y_pred) <= {0, 1}
    # Prediction is the fitted net's own.
    net_pred = estimator.estimator_.predict(_as_net_input(X))
    np.testing.assert_array_equal(y_pred, estimator.classes_[net_pred])
    assert estimator.decision_function(X).shape == (N,)
    assert estimator.score(X, Y) == accuracy_score(Y, y_pred)
    if kind in ("array", "dataframe", "csr", "memmap"):  # tables
        assert estimator.n_features_in_ == 6
    else:
        assert not hasattr(estimator, "n_features_in_")

    again = clone(estimator).fit(X, Y, **_fit_params(name))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    loaded = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)


@pytest.mark.parametrize("kind", list(KINDS))
def test_infer_groups(kind, tmp_path):
    X = KINDS[kind](tmp_path)
    for name in ("MAT-cv-net", "MAT-cv-together", "MAT-xrm"):
        clf = ESTIMATORS[name](estimator=_net(kind)).fit(X, Y)
        groups = clf.infer_groups(X, Y)
        assert groups.shape == (N,) and set(groups) <= {0, 1, 2, 3}
    given = ESTIMATORS["MAT-holdout_proba"](estimator=_net(kind))
    given.fit(X, Y, holdout_proba=HOLDOUT_PROBA)
    with pytest.raises(AttributeError, match="precomputed holdout_proba"):
        given.infer_groups(X, Y)


@pytest.mark.parametrize("name", ["MAT-cv-net", "MAT-xrm", "ERM", "GroupDRO", "JTT"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_grid_search(kind, name, tmp_path):
    X = KINDS[kind](tmp_path)
    estimator = ESTIMATORS[name](estimator=_net(kind))
    search = GridSearchCV(estimator, {"estimator__lr": [0.01, 0.05]}, cv=2)
    with sklearn.config_context(enable_metadata_routing=True):
        if name == "GroupDRO":
            estimator.set_fit_request(groups=True)
        if kind == "dict":
            # scikit-learn's splitters count the keys of a plain dict, not its
            # rows; a SliceDict (the next kind) is the dict they can split.
            with pytest.raises(ValueError, match="inconsistent numbers of samples"):
                search.fit(X, Y, **_fit_params(name))
            return
        search.fit(X, Y, **_fit_params(name))
    assert search.best_params_["estimator__lr"] in (0.01, 0.05)
    assert search.predict(X).shape == (N,)


def test_sparse_and_dense_give_the_same_predictions():
    # Sparse rows are densified a batch at a time into the same float32 values
    # the dense array gives, so the two fits run the same arithmetic: measured
    # identical (largest difference 0.0); the tolerance allows one float32 ulp.
    dense = _sparse_table()
    sparse = sp.csr_matrix(dense)
    net = mlp_net((16,), max_epochs=5, batch_size=16)
    from_dense = MATClassifier(net, cv=2, random_state=0).fit(dense, Y)
    from_sparse = MATClassifier(net, cv=2, random_state=0).fit(sparse, Y)
    np.testing.assert_allclose(
        from_sparse.predict_proba(sparse), from_dense.predict_proba(dense), atol=1e-7
    )
    np.testing.assert_allclose(
        from_dense.predict_proba(sparse), from_dense.predict_proba(dense), atol=1e-7
    )


def test_lazy_dataset_is_read_row_by_row_through_the_data_loader():
    dataset = RowsDataset(X_TABLE.astype(np.float32))
    X = SliceDataset(dataset)
    net = _net("slicedataset", iterator_train__num_workers=1)
    clf = ERMClassifier(net, random_state=0).fit(X, Y)
    # Validation reads one row (the default MLP's width) and the check of the
    # module's output two (one forward on two rows, before training); the worker
    # process reads the training rows from its own copy; prediction reads each
    # row once.
    assert dataset.reads == 3
    clf.predict(X)
    assert dataset.reads == 3 + N


# ------------------------------------------------ the user's net, as written
class CountingIterable:
    """The user's training iterator, counting the epochs it serves its net."""

    def __init__(self, iterator, net):
        self.iterator = iterator
        self.net = net

    def __len__(self):
        return len(self.iterator)

    def __iter__(self):
        self.net.epochs_served_ = getattr(self.net, "epochs_served_", 0) + 1
        return iter(self.iterator)


class DoubledDataset(torch.utils.data.Dataset):
    """A user's dataset class (the net's ``dataset=``): rows scaled by 2."""

    def __init__(self, X, y=None):
        self.X = np.asarray(X, dtype=np.float32)
        self.y = np.zeros(len(self.X), dtype=np.int64) if y is None else y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return 2.0 * self.X[i], self.y[i]


class UserNet(NeuralNetClassifier):
    """A net whose infer transforms its input, whose iterator counts epochs and
    whose get_dataset records the datasets it built."""

    def infer(self, x, **fit_params):
        return super().infer(-x + 1.0, **fit_params)

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        return CountingIterable(iterator, self) if training else iterator

    def get_dataset(self, X, y=None):
        dataset = super().get_dataset(X, y)
        self.datasets_built_ = [*getattr(self, "datasets_built_", []), dataset]
        return dataset


def _user_net(**params):
    return UserNet(
        torch.nn.Linear,
        module__in_features=6,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        lr=0.1,
        max_epochs=3,
        batch_size=16,
        train_split=None,
        verbose=0,
        **params,
    )


def test_user_infer_iterator_and_dataset_run_in_every_net():
    clf = MATClassifier(
        _user_net(dataset=DoubledDataset), cv=2, holdout_epochs=None, random_state=0
    )
    clf.fit(X_TABLE, Y)
    nets = [*clf.holdout_estimators_, clf.estimator_]
    for net in nets:
        assert net.epochs_served_ == net.max_epochs == 3
        assert type(net.datasets_built_[0]) is DoubledDataset
    np.testing.assert_array_equal(
        clf.predict(X_TABLE), clf.classes_[clf.estimator_.predict(X_TABLE)]
    )
    # The net's float32 probabilities, renormalised in float64.
    np.testing.assert_allclose(
        clf.predict_proba(X_TABLE), clf.estimator_.predict_proba(X_TABLE), rtol=1e-6
    )


def test_the_fast_path_trains_exactly_like_the_net_s_own_data_path():
    # A user collate_fn sends the rows through skorch's Dataset one by one and
    # the user's collate; without it skmat gathers whole batches. The batches,
    # the shift each row carries and so the trained nets are the same (measured
    # identical: largest difference 0.0).
    calls = []

    def collate(samples):
        calls.append(len(samples))
        return default_collate(samples)

    X = X_TABLE.astype(np.float32)
    fast = MATClassifier(_user_net(), cv=2, random_state=0).fit(X, Y)
    rowwise = MATClassifier(
        _user_net(iterator_train__collate_fn=collate), cv=2, random_state=0
    ).fit(X, Y)
    # The fold nets train for holdout_epochs=0.1 of the 3 epochs (1), then the
    # final net for 3.
    assert sum(calls) == 1 * (N // 2) * 2 + 3 * N
    np.testing.assert_allclose(fast.shift_, rowwise.shift_)
    np.testing.assert_allclose(
        rowwise.predict_proba(X), fast.predict_proba(X), rtol=0, atol=1e-7
    )


def test_accelerate_mixin_net():
    accelerate = pytest.importorskip("accelerate")
    from skorch.hf import AccelerateMixin

    class AcceleratedNet(AccelerateMixin, NeuralNetClassifier):
        pass

    class CountingAccelerator(accelerate.Accelerator):
        loaders = 0

        def prepare(self, *args, **kwargs):
            loaders = [a for a in args if isinstance(a, torch.utils.data.DataLoader)]
            CountingAccelerator.loaders += len(loaders)
            return super().prepare(*args, **kwargs)

    net = AcceleratedNet(
        torch.nn.Linear,
        module__in_features=6,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        accelerator=CountingAccelerator(cpu=True),
        device=None,
        lr=0.1,
        max_epochs=2,
        batch_size=16,
        train_split=None,
        verbose=0,
    )
    clf = MATClassifier(net, cv=2, random_state=0).fit(X_TABLE, Y)
    # Every net's training loader (2 folds, the final net) and each prediction
    # loader (the 2 folds' held-out rows) went through accelerate.
    assert CountingAccelerator.loaders >= 5
    np.testing.assert_array_equal(
        clf.predict(X_TABLE), clf.classes_[clf.estimator_.predict(X_TABLE)]
    )


@pytest.mark.slow
def test_mat_with_a_cnn_on_colored_digit_images():
    # The image form of the coloured digits: the colour predicts the training
    # label for 90% of the images and the test label for 10%. Plain training
    # (ERM) learns the colour and fails every minority group; MAT does not.
    data = make_colored_digits_splits(as_images=True, random_state=0)
    (X, y, _), (X_test, y_test, groups_test) = data.train, data.test
    assert X.shape == (1000, 3, 8, 8)
    net = NeuralNetClassifier(
        SmallCNN,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        max_epochs=20,
        train_split=None,
        verbose=0,
    )
    erm = ERMClassifier(net, random_state=0).fit(X, y)
    # The whole budget for the held-out CNNs: at 2 of the 20 epochs they do not
    # learn the colour yet (benchmarks/results/controls.md, the CNN problem).
    mat = MATClassifier(net, cv=2, holdout_epochs=None, random_state=0).fit(X, y)
    erm_worst = worst_group_accuracy(y_test, erm.predict(X_test), groups=groups_test)
    mat_worst = worst_group_accuracy(y_test, mat.predict(X_test), groups=groups_test)
    assert mat_worst >= erm_worst + 0.4, (erm_worst, mat_worst)
