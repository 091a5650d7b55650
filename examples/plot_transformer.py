"""
===============================================================
A fine-tuned transformer inside MATClassifier (MultiNLI recipe)
===============================================================

The paper fine-tunes BERT on MultiNLI and CivilComments, with held-out
predictions from XRM. Here a Hugging Face ``BertForSequenceClassification``,
built from a tiny config (nothing downloaded), trains through skorch inside
:class:`~skmat.MATClassifier` with ``holdout="xrm"``, on documents whose class
lies in a core word and whose shortcut is a repeated marker word
(:func:`skmat.datasets.make_spurious_text`).

The tokenizer is trained on the training documents by skorch's own
``skorch.hf.HuggingfaceTokenizer`` (a word-level ``tokenizers`` model);
its ``input_ids`` and ``attention_mask`` go to the network in a
:class:`~skorch.helper.SliceDict`, which scikit-learn can split by rows. For
a pretrained model, skorch's ``HuggingfacePretrainedTokenizer`` and
``BertForSequenceClassification.from_pretrained(...)`` take the place of the
two pieces built here.

At this toy size the outcome depends on the settings: with a smaller learning
rate and more epochs ERM sometimes finds the core word on its own, and with
too few epochs MAT's final network does not finish learning it. Choose them by
a search scored on validation groups (inferred ones when no group is
annotated), as ``benchmarks/table1.py`` does.
"""

# %%
import matplotlib.pyplot as plt
import torch
from skorch import NeuralNetClassifier
from skorch.helper import SliceDict
from skorch.hf import HuggingfaceTokenizer
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import BertConfig, BertForSequenceClassification

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_spurious_text
from skmat.plot import GroupAccuracyDisplay

texts, y, groups = make_spurious_text(1000, random_state=0)
texts_test, y_test, groups_test = make_spurious_text(
    1000, majority_fraction=0.1, random_state=1
)
print(texts[0], "->", y[0])

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
print({key: tuple(value.shape) for key, value in X.items()})

# %%
# The network
# -----------
# A two-layer BERT of width 32; ``forward`` takes the keys of the SliceDict and
# returns the logits, what skorch's classifier expects.


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

# %%
# ERM and MAT with XRM held-out predictions
# -----------------------------------------

erm = ERMClassifier(net, random_state=0).fit(X, y)
mat = MATClassifier(net, holdout="xrm", random_state=0).fit(X, y)
print("transition matrix (held-out class -> label):\n", mat.transition_matrix_.round(3))

GroupAccuracyDisplay.from_estimators(
    {"ERM": erm, "MAT (XRM)": mat}, X_test, y_test, groups=groups_test
)
plt.show()
