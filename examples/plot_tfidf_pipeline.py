"""
=====================================
A TF-IDF text pipeline
=====================================

The scikit-learn way to classify text: a
:class:`~sklearn.feature_extraction.text.TfidfVectorizer` and a classifier in a
:class:`~sklearn.pipeline.Pipeline`. The vectorizer gives a sparse matrix (here
5,000 documents x about 5,000 terms); :class:`~skmat.MATClassifier` keeps it
sparse and densifies the rows of one batch at a time for the network, so the
dense matrix never exists.

The documents (:func:`skmat.datasets.make_spurious_text`) carry their class in a
core word and a shortcut in a repeated marker word that agrees with the label
for 90% of the training documents and 10% of the test documents.
"""

# %%
import matplotlib.pyplot as plt
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_spurious_text
from skmat.metrics import make_group_scorer, worst_group_accuracy
from skmat.mlp import mlp_net
from skmat.plot import GroupAccuracyDisplay

texts, y, groups = make_spurious_text(5000, random_state=0)
texts_val, y_val, groups_val = make_spurious_text(
    1000, majority_fraction=0.5, random_state=1
)
texts_test, y_test, groups_test = make_spurious_text(
    1000, majority_fraction=0.1, random_state=2
)
X_sparse = TfidfVectorizer().fit_transform(texts)
print(type(X_sparse).__name__, X_sparse.shape, f"{X_sparse.nnz:,} stored values")

# %%
# ERM and MAT pipelines
# ---------------------
# skmat's default network (an MLP, here with 64 hidden units) takes the sparse
# rows; held-out probabilities from 2-fold cross-validation.

net = mlp_net((64,), max_epochs=20, lr=3e-3)
erm = make_pipeline(TfidfVectorizer(), ERMClassifier(net, random_state=0))
mat = make_pipeline(TfidfVectorizer(), MATClassifier(net, cv=2, random_state=0))
erm.fit(texts, y)
mat.fit(texts, y)
for name, model in [("ERM", erm), ("MAT", mat)]:
    worst = worst_group_accuracy(y_test, model.predict(texts_test), groups=groups_test)
    print(f"{name}: worst-group test accuracy {worst:.3f}")

# %%
# Tuning the temperature
# ----------------------
# A grid search over the pipeline, selecting by worst-group accuracy on a
# validation set where the marker agrees with the label half of the time
# (its groups reach the scorer through metadata routing).

with sklearn.config_context(enable_metadata_routing=True):
    search = GridSearchCV(
        mat,
        {"matclassifier__temperature": [0.01, 0.1, 1.0]},
        scoring=make_group_scorer("worst_group"),
        cv=[(range(len(texts)), range(len(texts), len(texts) + len(texts_val)))],
    ).fit(texts + texts_val, [*y, *y_val], groups=[*groups, *groups_val])
print("best temperature:", search.best_params_["matclassifier__temperature"])

# %%
display = GroupAccuracyDisplay.from_estimators(
    {"ERM": erm, "MAT": mat}, texts_test, y_test, groups=groups_test
)
plt.show()
