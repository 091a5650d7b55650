"""
=====================================
MAT on token ids with SliceDict
=====================================

Text networks (BERT on MultiNLI in the paper) take a dict of arrays per batch:
token ids and an attention mask. skorch's :class:`~skorch.helper.SliceDict`
holds such a dict so that scikit-learn can split its rows;
:class:`~skmat.MATClassifier` passes it to your network as it is, integer ids
and all, batch by batch.

The documents (:func:`skmat.datasets.make_spurious_text`) carry their class in a
core word ("great", "awful"...) and a shortcut in a repeated marker word
("honestly", "indeed") that agrees with the label for 90% of the training
documents and 10% of the test documents.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.feature_extraction.text import CountVectorizer
from skorch import NeuralNetClassifier
from skorch.helper import SliceDict
from torch import nn

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_spurious_text
from skmat.plot import GroupAccuracyDisplay

texts, y, groups = make_spurious_text(2000, random_state=0)
texts_test, y_test, groups_test = make_spurious_text(
    1000, majority_fraction=0.1, random_state=1
)
print(texts[0], "->", y[0])

# %%
# Token ids and attention masks
# -----------------------------
# A toy tokenizer: the vocabulary of the training documents, id 0 for padding.

vectorizer = CountVectorizer().fit(texts)
vocabulary, analyze = vectorizer.vocabulary_, vectorizer.build_analyzer()


def encode(documents, length=12):
    ids = np.zeros((len(documents), length), dtype=np.int64)
    mask = np.zeros((len(documents), length), dtype=np.float32)
    for i, document in enumerate(documents):
        tokens = [vocabulary[w] + 1 for w in analyze(document) if w in vocabulary]
        ids[i, : len(tokens[:length])] = tokens[:length]
        mask[i, : len(tokens[:length])] = 1.0
    return SliceDict(input_ids=ids, attention_mask=mask)


X, X_test = encode(texts), encode(texts_test)
print({key: (value.shape, value.dtype) for key, value in X.items()})

# %%
# The network
# -----------
# Mean of the token embeddings under the mask, then a linear layer: its
# ``forward`` takes the keys of the dict as arguments, as a BERT model does.


class TokenBag(nn.Module):
    def __init__(self, vocab_size, dim=16, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.unsqueeze(-1)
        pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp_min(1)
        return self.head(pooled)


net = NeuralNetClassifier(
    TokenBag,
    module__vocab_size=len(vocabulary) + 1,
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=1e-2,
    batch_size=64,
    max_epochs=20,
    train_split=None,
    verbose=0,
)

# %%
# ERM and MAT
# -----------

erm = ERMClassifier(net, random_state=0).fit(X, y)
mat = MATClassifier(net, cv=2, random_state=0).fit(X, y)
display = GroupAccuracyDisplay.from_estimators(
    {"ERM": erm, "MAT": mat}, X_test, y_test, groups=groups_test
)
plt.show()
