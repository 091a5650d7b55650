"""The MAT math in plain NumPy: properties from the paper, checked on random inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skmat.transition import (
    PROBA_FLOOR,
    joint_matrix,
    logit_shift,
    mat_shift,
    sharpen,
    transition_matrix,
)


@st.composite
def proba_and_labels(draw, min_classes=2, max_classes=6):
    n_classes = draw(st.integers(min_classes, max_classes))
    n_samples = draw(st.integers(1, 40))
    raw = draw(
        arrays(
            np.float64,
            (n_samples, n_classes),
            elements=st.floats(0, 1, allow_nan=False, allow_subnormal=False),
        )
    )
    raw[:, 0] += 1e-3  # no all-zero rows
    proba = raw / raw.sum(axis=1, keepdims=True)
    y = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    return proba, y


temperatures = st.sampled_from([1e-8, 1e-3, 0.01, 0.1, 1.0, 10.0, 1e8])


@settings(max_examples=150, deadline=None)
@given(proba_and_labels(), temperatures)
def test_rows_are_distributions(data, temperature):
    proba, y = data
    joint, transition, shift = mat_shift(proba, y, temperature)
    n_classes = proba.shape[1]
    assert joint.shape == transition.shape == (n_classes, n_classes)
    assert shift.shape == proba.shape
    assert np.isclose(joint.sum(), 1.0)
    np.testing.assert_allclose(transition.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.exp(shift).sum(axis=1), 1.0, atol=1e-12)
    assert np.all(np.isfinite(shift))
    assert np.all(shift >= np.log(PROBA_FLOOR) - 1.0)


@settings(max_examples=100, deadline=None)
@given(proba_and_labels(), temperatures)
def test_joint_column_sums_are_label_frequencies(data, temperature):
    proba, y = data
    joint = joint_matrix(sharpen(proba, temperature), y)
    freq = np.bincount(y, minlength=proba.shape[1]) / len(y)
    np.testing.assert_allclose(joint.sum(axis=0), freq, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(proba_and_labels(), st.randoms(use_true_random=False))
def test_invariant_to_permuting_samples(data, rnd):
    proba, y = data
    order = np.array(rnd.sample(range(len(y)), len(y)))
    ref = mat_shift(proba, y, 0.1)
    perm = mat_shift(proba[order], y[order], 0.1)
    np.testing.assert_allclose(perm.joint, ref.joint, atol=1e-12)
    np.testing.assert_allclose(perm.transition, ref.transition, atol=1e-12)
    np.testing.assert_allclose(perm.shift, ref.shift[order], atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(proba_and_labels(min_classes=3), st.randoms(use_true_random=False))
def test_equivariant_to_relabelling_classes(data, rnd):
    proba, y = data
    n_classes = proba.shape[1]
    relabel = np.array(rnd.sample(range(n_classes), n_classes))  # old -> new
    inverse = np.argsort(relabel)
    ref = mat_shift(proba, y, 0.1)
    new = mat_shift(proba[:, inverse], relabel[y], 0.1)
    np.testing.assert_allclose(
        new.joint, ref.joint[np.ix_(inverse, inverse)], atol=1e-12
    )
    np.testing.assert_allclose(
        new.transition, ref.transition[np.ix_(inverse, inverse)], atol=1e-12
    )
    np.testing.assert_allclose(new.shift, ref.shift[:, inverse], atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, 6),
    arrays(np.int64, st.integers(1, 50), elements=st.integers(0, 5)),
    temperatures,
)
def test_uniform_holdout_gives_class_prior(n_classes, y, temperature):
    # An uninformative held-out model: MAT reduces to logit adjustment by the prior.
    y = y % n_classes
    proba = np.full((len(y), n_classes), 1.0 / n_classes)
    result = mat_shift(proba, y, temperature)
    prior = np.bincount(y, minlength=n_classes) / len(y)
    expected = np.maximum(prior, PROBA_FLOOR)
    expected /= expected.sum()
    np.testing.assert_allclose(np.exp(result.shift), np.tile(expected, (len(y), 1)))
    np.testing.assert_allclose(result.transition, np.tile(prior, (n_classes, 1)))


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 6), st.integers(1, 5), st.sampled_from([1e-8, 1e-3, 0.1, 1.0]))
def test_perfect_holdout_gives_identity(n_classes, repeats, temperature):
    # Certain and right (and not softened by a temperature above 1).
    y = np.repeat(np.arange(n_classes), repeats)
    proba = np.eye(n_classes)[y]
    result = mat_shift(proba, y, temperature)
    np.testing.assert_allclose(result.transition, np.eye(n_classes), atol=1e-5)
    # The calibrated prior is the one-hot label (up to the floor).
    np.testing.assert_array_equal(np.argmax(result.shift, axis=1), y)
    np.testing.assert_allclose(
        np.exp(result.shift[np.arange(len(y)), y]), 1.0, atol=1e-4
    )


def test_never_predicted_class_gets_prior_row():
    joint = np.array([[0.3, 0.1, 0.0], [0.0, 0.0, 0.0], [0.1, 0.1, 0.4]])
    transition = transition_matrix(joint)
    np.testing.assert_allclose(transition[1], joint.sum(axis=0))
    np.testing.assert_allclose(transition[0], [0.75, 0.25, 0.0])


def test_zero_probabilities_stay_finite():
    # A class missing from a CV fold has probability exactly 0.
    proba = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    result = mat_shift(proba, np.array([0, 1, 2]), 0.01)
    for array in result:
        assert np.all(np.isfinite(array))


def test_sharpen_limits():
    proba = np.array([[0.6, 0.3, 0.1]])
    np.testing.assert_allclose(sharpen(proba, 1.0), proba)
    np.testing.assert_allclose(sharpen(proba, 1e-8), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(sharpen(proba, 1e8), [[1 / 3] * 3], atol=1e-6)


def test_known_values():
    q = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]])
    y = np.array([0, 0, 1, 1])
    joint = joint_matrix(q, y)
    np.testing.assert_allclose(joint, [[1.4 / 4, 1.2 / 4], [0.6 / 4, 0.8 / 4]])
    transition = transition_matrix(joint)
    np.testing.assert_allclose(
        transition, [[1.4 / 2.6, 1.2 / 2.6], [0.6 / 1.4, 0.8 / 1.4]]
    )
    np.testing.assert_allclose(np.exp(logit_shift(q, transition)), q @ transition)


@pytest.mark.parametrize("temperature", [0, -1.0, np.inf, np.nan])
def test_bad_temperature_value(temperature):
    with pytest.raises(ValueError, match="temperature"):
        sharpen(np.array([[0.5, 0.5]]), temperature)


@pytest.mark.parametrize("temperature", ["0.1", None, [0.1]])
def test_bad_temperature_type(temperature):
    with pytest.raises(TypeError, match="temperature"):
        sharpen(np.array([[0.5, 0.5]]), temperature)


@pytest.mark.parametrize(
    "proba, match",
    [
        (np.array([0.5, 0.5]), "2-D"),
        (np.array([[1.0]]), "n_classes >= 2"),
        (np.array([[np.nan, 1.0]]), "NaN"),
        (np.array([[-0.1, 1.1]]), "negative"),
    ],
)
def test_bad_proba(proba, match):
    with pytest.raises(ValueError, match=match):
        sharpen(proba, 0.1)


def test_bad_labels():
    q = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="y must hold integer labels"):
        joint_matrix(q, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="y must hold integer labels"):
        joint_matrix(q, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="one label per row"):
        joint_matrix(q, np.array([0, 1]))
    with pytest.raises(ValueError, match="n_classes"):
        joint_matrix(q, np.array([0, 1, 1]), n_classes=3)


def test_bad_joint_and_transition_shapes():
    with pytest.raises(ValueError, match="square"):
        transition_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive total"):
        transition_matrix(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="transition must have shape"):
        logit_shift(np.full((2, 2), 0.5), np.eye(3))
