"""Argument checks shared by the dataset modules: scikit-learn's constraints."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

__all__ = [
    "SPLITS",
    "FRACTION",
    "NON_NEGATIVE",
    "at_least",
    "check_fraction",
    "as_random_state",
]

# Names of the three splits, in the order of tuples of per-split values.
SPLITS = ("train", "valid", "test")

#: A probability: a real number in [0, 1] (NaN refused).
FRACTION = Interval(numbers.Real, 0, 1, closed="both")
#: A finite non-negative real number.
NON_NEGATIVE = Interval(numbers.Real, 0, np.inf, closed="left")


def at_least(minimum):
    """The constraint of an integer ``>= minimum``."""
    return Interval(numbers.Integral, minimum, None, closed="left")


def check_fraction(value, name, caller):
    """``value`` checked against :data:`FRACTION` the scikit-learn way."""
    validate_parameter_constraints({name: [FRACTION]}, {name: value}, caller)
    return value


def as_random_state(random_state):
    try:
        return check_random_state(random_state)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "random_state must be None, an int or a numpy RandomState; got "
            f"{random_state!r}."
        ) from exc
