"""Small torch modules and datasets that several test modules share."""

import numpy as np
import torch
from torch import nn


class SmallCNN(nn.Module):
    """Two 3x3 convolutions on (3, 8, 8) images, a linear head on the flat maps."""

    def __init__(self, n_classes=2, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(width * 16, n_classes)

    def forward(self, X):
        return self.head(self.features(X).flatten(1))


class WithBatchNorm(nn.Module):
    """A 6-feature MLP with a BatchNorm layer (statistics updated in train mode)."""

    def __init__(self, n_classes=2):
        super().__init__()
        self.hidden = nn.Linear(6, 8)
        self.norm = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, n_classes)

    def forward(self, x):
        return self.out(torch.relu(self.norm(self.hidden(x))))


class TokenBag(nn.Module):
    """Mean of token embeddings under an attention mask (a BERT stand-in): takes
    the keys of a token dict as keyword arguments."""

    def __init__(self, vocab_size=50, dim=8, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.unsqueeze(-1).to(self.embedding.weight.dtype)
        pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp_min(1)
        return self.head(pooled)


class RowsDataset(torch.utils.data.Dataset):
    """A lazy torch Dataset over the rows of an array; counts the rows it read."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = np.zeros(len(X), dtype=np.int64) if y is None else y
        self.reads = 0

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        self.reads += 1
        return self.X[i], self.y[i]
