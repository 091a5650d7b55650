"""Argument checks shared by the dataset modules."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "SPLITS",
    "check_int",
    "check_bool",
    "check_fraction",
    "check_nonneg",
    "as_random_state",
]

# Names of the three splits, in the order of tuples of per-split values.
SPLITS = ("train", "valid", "test")


def check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1]; got {value!r}.")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}.")
    return float(value)


def check_nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number; got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}.")
    return float(value)


def as_random_state(random_state):
    try:
        return check_random_state(random_state)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "random_state must be None, an int or a numpy RandomState; got "
            f"{random_state!r}."
        ) from exc
