"""The paper's two set-ups as recipes: frozen CNN features, a fine-tuned transformer.

Both need optional extras (``[vision]``, ``[hf]``) and skip cleanly without them.
"""

import importlib.util
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier
from skorch.helper import SliceDict

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_colored_digits_splits, make_spurious_text
from skmat.features import FrozenFeatures
from skmat.metrics import worst_group_accuracy

HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None


class CountingModule(torch.nn.Module):
    """Wraps a backbone and counts the rows it is asked to embed."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.rows_seen = 0

    def forward(self, X):
        self.rows_seen += X.shape[0]
        return self.backbone(X)


def linear_head(max_epochs=30):
    return NeuralNetClassifier(
        torch.nn.LazyLinear,
        module__out_features=2,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-2,
        batch_size=128,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
    )


# ------------------------------------------------------------------ features
def test_frozen_features_are_the_module_outputs_and_weights_stay():
    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten())
    before = [p.detach().clone() for p in backbone.parameters()]
    X = np.random.RandomState(0).rand(7, 3, 8, 8).astype(np.float32)
    features = FrozenFeatures(backbone, batch_size=3).fit_transform(X)
    with torch.no_grad():
        expected = backbone(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-6, atol=1e-6)
    assert features.dtype == np.float32
    for a, b in zip(before, backbone.parameters()):
        torch.testing.assert_close(a, b.detach(), rtol=0, atol=0)


def test_frozen_features_clone_pickle_and_names():
    backbone = torch.nn.Sequential(torch.nn.Linear(5, 3))
    X = np.random.RandomState(0).rand(4, 5).astype(np.float32)
    step = FrozenFeatures(backbone).fit(X)
    assert step.n_features_in_ == 5 and step.n_features_out_ == 3
    assert step.get_feature_names_out().tolist() == [
        "frozenfeatures0",
        "frozenfeatures1",
        "frozenfeatures2",
    ]
    again = pickle.loads(pickle.dumps(step))
    np.testing.assert_allclose(again.transform(X), step.transform(X))
    copy = clone(step)
    assert copy.module is not backbone
    np.testing.assert_allclose(copy.fit(X).transform(X), step.transform(X))
    with pytest.raises(ValueError, match="X has 4 columns"):
        step.transform(X[:, :4])


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(module="resnet"), TypeError, "'module' parameter of FrozenFeatures"),
        (dict(module=int), TypeError, "module must be a torch.nn.Module"),
        (dict(batch_size=0), ValueError, "'batch_size' parameter of FrozenFeatures"),
        (dict(device=None), TypeError, "'device' parameter of FrozenFeatures"),
    ],
)
def test_frozen_features_bad_parameters(params, error, match):
    defaults = dict(module=torch.nn.Identity())
    defaults.update(params)
    step = FrozenFeatures(**defaults)
    with pytest.raises(error, match=match):
        step.fit(np.zeros((2, 3), np.float32))
    assert not hasattr(step, "net_")


@pytest.mark.skipif(not HAS_TORCHVISION, reason="needs the [vision] extra")
def test_resnet_features_once_then_mat_head_in_a_pipeline():
    from torchvision.models import resnet18

    torch.manual_seed(0)
    backbone = resnet18(weights=None)
    backbone.fc = torch.nn.Identity()
    counting = CountingModule(backbone)
    data = make_colored_digits_splits(as_images=True, random_state=0)
    (X, y, _), (X_test, y_test, g_test) = data.train, data.test
    X, y = X[:400], y[:400]
    pipe = make_pipeline(
        FrozenFeatures(counting, batch_size=200),
        # The whole budget for the held-out heads: in 3 of the 30 epochs a
        # linear head on 512 random features has not learned the colour.
        MATClassifier(linear_head(), cv=2, holdout_epochs=None, random_state=0),
    )
    pipe.fit(X, y)
    # fit's probe row, then the training set once: not once per fold.
    assert counting.rows_seen == 1 + len(X)
    assert pipe[0].n_features_out_ == 512
    assert pipe[-1].holdout_proba_.shape == (len(X), 2)
    y_pred = pipe.predict(X_test)
    assert counting.rows_seen == 1 + len(X) + len(X_test)
    assert set(np.unique(y_pred)) <= {0, 1}
    # Random ResNet features still carry the colour: ERM on them is a colour
    # classifier; MAT's head must not be worse on the worst group.
    erm = make_pipeline(
        FrozenFeatures(backbone, batch_size=200),
        ERMClassifier(linear_head(), random_state=0),
    ).fit(X, y)
    mat_wga = worst_group_accuracy(y_test, y_pred, groups=g_test)
    erm_wga = worst_group_accuracy(y_test, erm.predict(X_test), groups=g_test)
    assert mat_wga > erm_wga


# --------------------------------------------------------------- transformer
hf_missing = any(
    importlib.util.find_spec(name) is None for name in ("transformers", "tokenizers")
)


@pytest.mark.skipif(hf_missing, reason="needs the [hf] extra")
def test_tiny_bert_trains_inside_mat_with_xrm_on_a_slicedict():
    from skorch.hf import HuggingfaceTokenizer
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import BertConfig, BertForSequenceClassification

    class TinyBert(torch.nn.Module):
        def __init__(self, vocab_size, pad_token_id):
            super().__init__()
            config = BertConfig(
                vocab_size=vocab_size,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=16,
                num_labels=2,
                pad_token_id=pad_token_id,
            )
            self.bert = BertForSequenceClassification(config)

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).logits

    texts, y, _ = make_spurious_text(1000, random_state=0)
    texts_test, y_test, g_test = make_spurious_text(
        600, majority_fraction=0.1, random_state=1
    )
    tokenizer = HuggingfaceTokenizer(
        tokenizer=Tokenizer,
        model=WordLevel,
        model__unk_token="[UNK]",
        pre_tokenizer=Whitespace,
        trainer__special_tokens=["[UNK]", "[PAD]"],
        max_length=12,
    ).fit(texts)
    X = SliceDict(**tokenizer.transform(texts))
    X_test = SliceDict(**tokenizer.transform(texts_test))
    assert set(X) >= {"input_ids", "attention_mask"}
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        TinyBert,
        module__vocab_size=len(tokenizer.vocabulary_),
        module__pad_token_id=tokenizer.vocabulary_["[PAD]"],
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        lr=3e-3,
        batch_size=64,
        max_epochs=8,
        train_split=None,
        verbose=0,
    )
    mat = MATClassifier(net, holdout="xrm", random_state=0).fit(X, y)
    erm = ERMClassifier(net, random_state=0).fit(X, y)
    assert isinstance(mat.estimator_.module_.bert, BertForSequenceClassification)
    # XRM's held-out twins learned the marker word: the matrix is far from uniform.
    assert mat.transition_matrix_[0, 0] > 0.8 and mat.transition_matrix_[1, 1] > 0.8
    mat_wga = worst_group_accuracy(y_test, mat.predict(X_test), groups=g_test)
    erm_wga = worst_group_accuracy(y_test, erm.predict(X_test), groups=g_test)
    assert mat_wga > erm_wga + 0.1
