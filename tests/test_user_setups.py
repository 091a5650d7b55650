"""Common set-ups that used to break, and mistakes named by their cause.

Each test builds the net as skorch's defaults make it, as a user would, and
checks that the set-up works or that the message names the cause (and the
fix) before any training starts.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LRScheduler

from skmat import (
    GroupDROClassifier,
    GroupReweightingClassifier,
    JTTClassifier,
    MATClassifier,
)
from skmat.callbacks import GroupAccuracyCallback


class TrainingStarts(Callback):
    """Counts the trainings that started (a mistake must stop before any)."""

    starts = 0

    def on_train_begin(self, net, **kwargs):
        type(self).starts += 1


def _linear(n_features=20, n_out=2, **params):
    # skorch's defaults: NLLLoss, ValidSplit(5), SGD.
    params = {"max_epochs": 3, "verbose": 0, **params}
    return NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=n_features,
        module__out_features=n_out,
        **params,
    )


# ---------------------------------------------- 1. XRM with validation callbacks
@pytest.mark.parametrize(
    "callback",
    [
        EarlyStopping(patience=1),
        LRScheduler(torch.optim.lr_scheduler.ReduceLROnPlateau, monitor="valid_loss"),
        Checkpoint(monitor="valid_loss_best", dirname="ckpt", load_best=False),
    ],
    ids=["EarlyStopping", "ReduceLROnPlateau", "Checkpoint"],
)
def test_xrm_with_a_default_skorch_net_and_validation_callbacks(
    data, callback, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    X, y, _ = data
    net = _linear(criterion=torch.nn.CrossEntropyLoss, callbacks=[callback])
    clf = MATClassifier(net, holdout="xrm", random_state=0).fit(X, y)
    history = clf.xrm_.history
    assert "valid_loss" in history[-1] and np.isfinite(history[-1, "valid_loss"])
    # The twins validate on the net's own split: those rows train no twin.
    assert len(history) >= 1 and clf.predict(X).shape == (len(y),)


# ------------------------------------------------ 2. the callback on DataFrames
def test_group_accuracy_callback_reads_a_dataframe_as_the_estimator_does(data):
    X, y, groups = data
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    callback = GroupAccuracyCallback(frame, y, groups, name="valid")
    net = _linear(
        criterion=torch.nn.CrossEntropyLoss, train_split=None, callbacks=[callback]
    )
    clf = MATClassifier(net, cv=2, random_state=0).fit(frame, y)
    recorded = clf.estimator_.history[-1, "valid_group_acc"]
    expected = {
        g: float(np.mean(clf.predict(frame)[groups == g] == y[groups == g]))
        for g in np.unique(groups).tolist()
    }
    assert recorded == pytest.approx(expected)


# --------------------------------------- 3. NLLLoss with a module of logits
@pytest.mark.parametrize(
    "holdout", [None, LogisticRegression()], ids=["default-holdout", "logreg-holdout"]
)
def test_nllloss_with_a_logits_module_names_the_criterion(data, holdout):
    X, y, _ = data
    TrainingStarts.starts = 0
    net = _linear(callbacks=[TrainingStarts()])  # NLLLoss: skorch's default
    with pytest.raises(ValueError, match=r"not probabilities.*NLLLoss.*CrossEntropy"):
        MATClassifier(net, holdout_estimator=holdout, cv=2).fit(X, y)
    assert TrainingStarts.starts == 0


# --------------------------------------------------- 4. output width
@pytest.mark.parametrize("n_out", [1, 5])
def test_output_width_named_before_training(data, n_out):
    X, y, _ = data
    TrainingStarts.starts = 0
    net = _linear(
        n_out=n_out, criterion=torch.nn.CrossEntropyLoss, callbacks=[TrainingStarts()]
    )
    with pytest.raises(ValueError, match=rf"outputs {n_out} column.*y has 2 classes"):
        MATClassifier(net, cv=2).fit(X, y)
    assert TrainingStarts.starts == 0


def test_binary_output_width_named(data):
    X, y, _ = data
    net = NeuralNetBinaryClassifier(
        torch.nn.Linear, module__in_features=20, module__out_features=2, max_epochs=1
    )
    with pytest.raises(ValueError, match=r"not output one logit per example.*\(2, 2\)"):
        MATClassifier(net, cv=2).fit(X, y)


# -------------------------------- 5. a criterion that ignores ``reduction``
class MeanOnlyLoss(torch.nn.CrossEntropyLoss):
    """A subclass whose forward ignores ``reduction`` (always the mean)."""

    def forward(self, input, target):
        return torch.nn.functional.cross_entropy(input, target)


@pytest.mark.parametrize(
    "make, with_groups",
    [
        (GroupReweightingClassifier, True),
        (GroupDROClassifier, True),
        (JTTClassifier, False),
        (lambda net: MATClassifier(net, cv=2, folds_together=True), False),
    ],
    ids=["GroupReweighting", "GroupDRO", "JTT", "MAT-folds-together"],
)
def test_a_criterion_ignoring_reduction_is_named(data, make, with_groups):
    X, y, groups = data
    clf = make(_linear(criterion=MeanOnlyLoss, train_split=None))
    params = {"groups": groups} if with_groups else {}
    with pytest.raises(TypeError, match="criterion MeanOnlyLoss returned 1 loss"):
        clf.fit(X, y, **params)


# ---------------------------------------- 6. a binary net's criterion
def test_binary_net_with_cross_entropy_says_which_criterion_it_needs(data):
    X, y, _ = data
    net = NeuralNetBinaryClassifier(
        torch.nn.Linear,
        module__in_features=20,
        module__out_features=1,
        criterion=torch.nn.CrossEntropyLoss,
    )
    with pytest.raises(TypeError) as info:
        MATClassifier(net, cv=2).fit(X, y)
    message = str(info.value)
    assert "BCEWithLogitsLoss" in message and "got CrossEntropyLoss" in message
    assert "must be torch.nn.CrossEntropyLoss" not in message


# ------------------------------------------------------ 7. device="meta"
def test_meta_device_refused_before_training(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="device='meta'.*cannot train"):
        MATClassifier(_linear(), device="meta").fit(X, y)


# --------------------------------------- 8. labels printed as users wrote them
def test_labels_in_messages_print_as_written(data):
    X, y, _ = data
    with pytest.raises(ValueError, match=r"only one class: 1\.") as info:
        MATClassifier().fit(X, np.ones(len(y), dtype=np.int64))
    assert "np.int64" not in str(info.value)
    y_rare = y.copy()
    y_rare[:] = 0
    y_rare[0] = 7
    with pytest.raises(ValueError, match=r"class 7 has only 1 example") as info:
        MATClassifier(cv=2).fit(X, y_rare)
    assert "np.int64" not in str(info.value)


# ----------------------------------- 9. random_state and a shuffling splitter
def test_random_state_rule_for_splitters_is_documented_and_holds(data):
    assert "does not seed a splitter you pass" in MATClassifier.__doc__
    X, y, _ = data
    params = dict(
        estimator=_linear(criterion=torch.nn.CrossEntropyLoss, train_split=None),
        cv=KFold(2, shuffle=True, random_state=3),
        random_state=0,
    )
    first = MATClassifier(**params).fit(X, y)
    second = MATClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.shift_, second.shift_)


# ---------------------------------------- 10. histories of folds trained together
def test_fold_nets_trained_together_carry_the_joint_history(data):
    X, y, _ = data
    net = _linear(criterion=torch.nn.CrossEntropyLoss, train_split=None)
    clf = MATClassifier(net, cv=2, folds_together=True, random_state=0).fit(X, y)
    for model in clf.holdout_estimators_:  # holdout_epochs=0.1 of the net's, up
        assert len(model.history) == int(np.ceil(0.1 * net.max_epochs))
        assert np.all(np.isfinite(model.history[:, "train_loss"]))


# ------------------------------------------------------ a bare torch module
def test_bare_torch_module_says_to_wrap_it(data):
    X, y, _ = data
    with pytest.raises(TypeError, match=r"torch module \(Linear\).*NeuralNetClass"):
        MATClassifier(torch.nn.Linear(20, 2)).fit(X, y)
