"""
==========================================================
The good, the bad and the ugly memorization (Figure 3)
==========================================================

The paper's Figure 3 (Bayat et al., 2024) in one dimension: a regression of
``f(x) = tanh(x) + 0.5 * tanh(-5x)`` from 20 noisy examples, each with 30
*example-specific* features, noise drawn for that example alone. A multilayer
perceptron is trained on them until its training loss is zero (in practice:
below ``1e-4``, under 2% of the label noise's variance), three times, with
example-specific features of three sizes:

* **good** (standard deviation ``1e-4``): the net learns ``f`` and fits only the
  residual, the label noise, through the example-specific features;
* **bad** (``1e-3``): the example-specific features are large enough to fit the
  examples with; the net memorizes them and learns a far simpler function than
  ``f``;
* **ugly** (none): with nothing example-specific, the function itself bends
  through every noisy example (catastrophic overfitting).

A new example at ``x`` has no example-specific features (they are zero), so the
function the net predicts for new examples is ``g([x, 0])``.
"""

# %%
# The data
# --------
# 20 training inputs evenly spaced in [-1.5, 1.5], labels ``f(x) + 0.08 * N(0, 1)``,
# and 30 example-specific features per example.

import matplotlib.pyplot as plt
import numpy as np
import torch


def true_function(x):
    return np.tanh(x) + 0.5 * np.tanh(-5 * x)


rng = np.random.RandomState(1)
x = np.linspace(-1.5, 1.5, 20)
y = true_function(x) + 0.08 * rng.randn(20)
specific = rng.randn(20, 30)  # scaled per case below

x_new = np.linspace(-1.5, 1.5, 301)  # new examples: no example-specific features
CASES = {"good": 1e-4, "bad": 1e-3, "ugly": 0.0}

# %%
# The network, trained to zero loss
# ---------------------------------
# Two hidden layers of 300 tanh units, Adam (learning rate ``1e-3``), full
# batch, until the mean squared error is below ``1e-4`` (at most 10000 steps).


def as_inputs(x, features):
    return torch.as_tensor(np.column_stack([x, features]), dtype=torch.float32)


def fit(inputs, targets, tol=1e-4, max_steps=10_000):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(inputs.shape[1], 300),
        torch.nn.Tanh(),
        torch.nn.Linear(300, 300),
        torch.nn.Tanh(),
        torch.nn.Linear(300, 1),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    targets = torch.as_tensor(targets, dtype=torch.float32)[:, None]
    steps, loss = 0, float("inf")
    while loss >= tol and steps < max_steps:
        mse = torch.mean((net(inputs) - targets) ** 2)
        optimizer.zero_grad()
        mse.backward()
        optimizer.step()
        steps, loss = steps + 1, mse.item()
    return net.eval(), steps, loss


def predict(net, inputs):
    with torch.no_grad():
        return net(inputs).numpy().ravel()


results = {}
for name, size in CASES.items():
    train_inputs = as_inputs(x, size * specific)
    net, steps, loss = fit(train_inputs, y)
    results[name] = {
        "in_sample": predict(net, train_inputs),
        # the same 20 inputs, as new examples: example-specific features at zero
        "as_new": predict(net, as_inputs(x, np.zeros((20, 30)))),
        "curve": predict(net, as_inputs(x_new, np.zeros((301, 30)))),
    }
    print(f"{name}: training MSE {loss:.1e} after {steps} steps")

# %%
# The figure
# ----------
# Dots: the training examples; dashed: the true function; solid: what the net
# predicts for new examples.

fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (name, size) in zip(axes, CASES.items()):
    ax.plot(x_new, true_function(x_new), "k--", lw=1.5, label="true function f(x)")
    ax.plot(x_new, results[name]["curve"], lw=2, label="net on new examples")
    ax.scatter(x, y, color="k", s=18, zorder=3, label="training examples")
    ax.set_title(f"{name}: example-specific features of size {size:g}")
    ax.set_xlabel("x (the feature every example has)")
    ax.set_ylim(-0.65, 0.65)
axes[0].set_ylabel("y")
axes[0].legend(loc="upper left", fontsize="small")
fig.tight_layout()

# %%
# The diagnosis, where it applies
# -------------------------------
# :class:`~skmat.diagnosis.MemorizationDiagnosis` compares a net's confidence on
# its training examples with what held-out models predict for them, and its
# groups and verdict are about classification. Its core, the memorization
# score, carries over to this regression directly: the example-specific
# features are the only way to memorize, and a new example at the same ``x``
# has none, so ``g([x_i, 0])`` is the prediction for example ``i`` *held out*
# of the memorizing channel. Per training example, the score is the squared
# error as a new example minus the squared error in-sample (close to zero
# after training to zero loss), and it is compared with the label noise the
# example carries, ``(y_i - f(x_i))^2``: a net that learned ``f`` has scores
# close to that noise.

noise = (y - true_function(x)) ** 2
print(f"{'':5} {'mean score':>10} {'label noise':>11} {'error on f':>10}")
for name, r in results.items():
    score = (y - r["as_new"]) ** 2 - (y - r["in_sample"]) ** 2
    error_on_f = np.mean((r["curve"] - true_function(x_new)) ** 2)
    r["score"] = score
    print(f"{name:5} {score.mean():10.4f} {noise.mean():11.4f} {error_on_f:10.4f}")

# %%
# The good net's scores are the label noise: it memorized the residual and
# nothing else, and its function is close to ``f``. The bad net's scores are
# several times larger: it memorized most of each label through the
# example-specific features, which is why its function for new examples is
# simpler than ``f``. The ugly net has no example-specific features, so its
# in-sample and new-example predictions coincide and its scores are zero: the
# memorization went into the function itself, which the error on ``f`` shows.

fig, ax = plt.subplots(figsize=(6.5, 3.5))
width = 0.27
for i, (name, r) in enumerate(results.items()):
    ax.bar(np.arange(20) + (i - 1) * width, r["score"], width, label=name)
ax.plot(np.arange(20), noise, "k_", markersize=10, label="label noise (y - f(x))^2")
ax.set_xlabel("training example (ordered by x)")
ax.set_ylabel("memorization score")
ax.legend(fontsize="small")
fig.tight_layout()
plt.show()
