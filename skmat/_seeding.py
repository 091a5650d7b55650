"""Seeding: how a ``random_state`` becomes seeds, and how torch is seeded with them.

Every estimator of skmat follows one rule, written here once:

- ``random_state=None`` seeds nothing (each fit draws from the global generators);
- an int or a ``RandomState`` gives the seeds of a fit's steps by
  :func:`spawn_seeds`: the same draws in every estimator, so that with the same
  ``random_state`` the held-out models of :class:`~skmat.MATClassifier` and the
  first model of a two-stage baseline start alike, and so do the final nets;
- a torch seed applies inside a block (:func:`torch_seeded`) that leaves torch's
  global generators as it found them (:func:`torch_rng_preserved`);
- a scikit-learn model whose own ``random_state`` is ``None`` gets the step's
  seed (:func:`seed_estimator`); one that sets its own keeps it;
- a step that draws as it goes (subsets, splits, the seeds of its own models)
  draws from :class:`StepDraws`: seeded by the step's seed, or from the global
  generators, handing out ``None`` seeds, when the step's seed is ``None``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "SEED_SPACE",
    "as_seed",
    "spawn_seeds",
    "seed_estimator",
    "StepDraws",
    "torch_seeded",
    "torch_rng_preserved",
]

#: Seeds are drawn in ``[0, SEED_SPACE)``.
SEED_SPACE = int(np.iinfo(np.int32).max)


def as_seed(random_state):
    """One seed for a single step: ``None`` stays ``None``, an int is itself, a
    ``RandomState`` gives one draw.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat._seeding import as_seed
    >>> as_seed(None), as_seed(3)
    (None, 3)
    >>> as_seed(np.random.RandomState(0)) == as_seed(np.random.RandomState(0))
    True
    """
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(SEED_SPACE))
    return int(random_state)


def spawn_seeds(random_state, n):
    """``n`` seeds of a fit's steps (in the order the steps run), or ``n`` Nones.

    Parameters
    ----------
    random_state : int, RandomState instance or None
    n : int

    Returns
    -------
    seeds : list of int or None

    Examples
    --------
    >>> from skmat._seeding import spawn_seeds
    >>> spawn_seeds(None, 2)
    [None, None]
    >>> spawn_seeds(0, 2) == spawn_seeds(0, 2)
    True
    """
    if random_state is None:
        return [None] * n
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(SEED_SPACE, size=n)]


def seed_estimator(model, seed):
    """``model`` with ``random_state=seed`` when it has one left at ``None``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmat._seeding import seed_estimator
    >>> seed_estimator(LogisticRegression(), 7).random_state
    7
    >>> seed_estimator(LogisticRegression(random_state=1), 7).random_state
    1
    """
    if seed is None:
        return model
    params = model.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        model.set_params(random_state=seed)
    return model


class StepDraws:
    """The draws of one step of a fit, from the step's seed.

    Parameters
    ----------
    seed : int or None
        The step's seed (one of :func:`spawn_seeds`).

    Attributes
    ----------
    rng : numpy.random.RandomState
        Draws (subsets, choices): ``RandomState(seed)``, or numpy's global
        generator when ``seed`` is ``None``.

    Examples
    --------
    >>> from skmat._seeding import StepDraws
    >>> StepDraws(None).seed() is None
    True
    >>> StepDraws(3).seed() == StepDraws(3).seed()
    True
    """

    def __init__(self, seed):
        self.seeded = seed is not None
        self.rng = check_random_state(seed)

    def seed(self):
        """The next seed of a model or split the step makes: drawn from
        :attr:`rng`, or ``None`` (unseeded) when the step's seed is ``None``."""
        return int(self.rng.randint(SEED_SPACE)) if self.seeded else None


def _cuda_devices():
    # The CUDA devices whose generators torch.random.fork_rng saves.
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def torch_rng_preserved(enabled=True):
    """A block after which torch's global generators (CPU and CUDA) are as before.

    Examples
    --------
    >>> import torch
    >>> from skmat._seeding import torch_rng_preserved
    >>> before = torch.random.get_rng_state()
    >>> with torch_rng_preserved():
    ...     _ = torch.rand(3)
    >>> bool((torch.random.get_rng_state() == before).all())
    True
    """
    return torch.random.fork_rng(devices=_cuda_devices(), enabled=enabled)


@contextlib.contextmanager
def torch_seeded(seed):
    """Seed torch's generators inside the block and restore them afterwards;
    ``None`` does nothing.

    Examples
    --------
    >>> import torch
    >>> from skmat._seeding import torch_seeded
    >>> with torch_seeded(0):
    ...     a = torch.rand(2)
    >>> with torch_seeded(0):
    ...     b = torch.rand(2)
    >>> bool((a == b).all())
    True
    """
    if seed is None:
        yield
        return
    with torch_rng_preserved():
        torch.manual_seed(int(seed))
        yield
