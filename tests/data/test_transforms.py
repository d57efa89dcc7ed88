"""Batch augmentation: shapes, values, what each transform really does, seeding."""

import numpy as np
import pytest

import glassbox as gb
from glassbox.data.transforms import (
    ColorJitter,
    Compose,
    GaussianNoise,
    Normalize,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomVerticalFlip,
)


def _images(n=8, c=3, h=12, w=10, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


RANDOM = [
    lambda: RandomHorizontalFlip(0.5),
    lambda: RandomVerticalFlip(0.5),
    lambda: RandomCrop((12, 10), padding=2),
    lambda: RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1)),
    lambda: ColorJitter(brightness=0.3, contrast=0.3),
    lambda: GaussianNoise(0.1),
]


@pytest.mark.parametrize("make", RANDOM)
def test_seeded_determinism(make):
    x = _images()
    t = make()
    a, b = t(x, generator=1), t(x, generator=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, t(x, generator=2))
    gb.manual_seed(9)
    c = make()(x)
    gb.manual_seed(9)
    np.testing.assert_array_equal(c, make()(x))


@pytest.mark.parametrize("make", RANDOM)
def test_kind_shape_and_dtype_kept_input_untouched(make):
    x = _images()
    before = x.copy()
    out = make()(x)
    assert isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(x, before)
    tout = make()(gb.from_numpy(x))
    assert isinstance(tout, gb.Tensor) and tout.shape == x.shape and tout.dtype == np.float32


def test_constructor_generator_gives_a_reproducible_sequence():
    x = _images()
    t1, t2 = GaussianNoise(0.1, generator=5), GaussianNoise(0.1, generator=5)
    a1, a2 = t1(x), t1(x)
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, t2(x))
    np.testing.assert_array_equal(a2, t2(x))


def test_input_checks():
    with pytest.raises(TypeError, match="float batch"):
        RandomHorizontalFlip()(np.zeros((2, 1, 3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"RandomCrop: expected a \(N, C, H, W\) batch"):
        RandomCrop(2)(np.zeros((1, 3, 3), np.float32))
    with pytest.raises(TypeError, match="Tensor or np.ndarray"):
        GaussianNoise()([[1.0]])


# --- Normalize ------------------------------------------------------------------------------
def test_normalize_matches_formula():
    x = _images(c=3)
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.3, 0.4]
    out = Normalize(mean, std)(x)
    expected = (x - np.array(mean)[None, :, None, None]) / np.array(std)[None, :, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(Normalize(0.5, 2.0)(x), (x - 0.5) / 2.0, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="3 channels"):
        Normalize([0.1, 0.2], [1.0, 1.0])(_images(c=3))
    with pytest.raises(ValueError, match="non-zero"):
        Normalize(0.0, 0.0)


# --- flips ----------------------------------------------------------------------------------
def test_horizontal_flip_really_flips():
    x = _images()
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0)(x), x)
    np.testing.assert_array_equal(RandomVerticalFlip(1.0)(x), x[:, :, ::-1, :])


def test_flip_half_each_image_flipped_or_not():
    x = _images(n=64)
    out = RandomHorizontalFlip(0.5)(x, generator=0)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert (flipped ^ kept).all()
    assert 16 < flipped.sum() < 48


# --- RandomCrop -----------------------------------------------------------------------------
def test_crop_without_padding_at_full_size_is_identity():
    x = _images()
    np.testing.assert_array_equal(RandomCrop((12, 10))(x), x)


def test_crop_with_padding_shifts_content():
    x = _images(n=32, c=2, h=6, w=6) + 1.0  # strictly positive, so padding zeros show
    out = RandomCrop(6, padding=2)(x, generator=0)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    shifts = []
    for o, p in zip(out, padded):
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(o, p[:, i:i + 6, j:j + 6])]
        assert len(matches) == 1  # each output is exactly one window of the padded image
        shifts.append(matches[0])
    assert len(set(shifts)) > 5  # different images, different offsets
    assert any(s != (2, 2) for s in shifts) and (out == 0).any()


def test_crop_smaller_size_and_pad_if_needed():
    x = _images(h=12, w=10)
    assert RandomCrop(5)(x).shape == (8, 3, 5, 5)
    assert RandomCrop(14, pad_if_needed=True)(x).shape == (8, 3, 14, 14)
    with pytest.raises(ValueError, match="larger than the padded image"):
        RandomCrop(14)(x)
    edge = RandomCrop(10, padding=3, padding_mode="edge")(np.ones((4, 1, 10, 10), np.float32))
    assert (edge == 1).all()


# --- RandomAffine ---------------------------------------------------------------------------
def test_affine_identity():
    x = _images()
    np.testing.assert_allclose(RandomAffine(0)(x), x, atol=1e-6)
    np.testing.assert_array_equal(RandomAffine(0, interpolation="nearest")(x), x)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_quarter_turn_is_rot90_counter_clockwise(interpolation):
    x = _images(h=7, w=7)
    out = RandomAffine((90, 90), interpolation=interpolation)(x)
    np.testing.assert_allclose(out, np.rot90(x, 1, axes=(2, 3)), atol=1e-5)
    out = RandomAffine((-90, -90), interpolation=interpolation)(x)
    np.testing.assert_allclose(out, np.rot90(x, -1, axes=(2, 3)), atol=1e-5)


def test_affine_translation_moves_a_dot_within_bounds():
    x = np.zeros((200, 1, 21, 21), np.float32)
    x[:, :, 10, 10] = 1.0
    out = RandomAffine(0, translate=(0.2, 0.0), interpolation="nearest")(x, generator=0)
    ys, xs = [], []
    for img in out[:, 0]:
        r, c = np.nonzero(img)
        assert len(r) == 1  # the dot survives, moved as a whole
        ys.append(r[0])
        xs.append(c[0])
    assert set(ys) == {10}  # no vertical translation asked for
    assert max(abs(c - 10) for c in xs) <= 5 and len(set(xs)) > 5  # up to 0.2 * 21 px


def test_affine_bilinear_stays_within_value_range_and_fills():
    x = _images(n=16) * 0.5 + 0.25
    out = RandomAffine(30, translate=(0.2, 0.2), scale=(0.8, 1.2), fill=0.0)(x, generator=3)
    assert out.min() >= 0.0 and out.max() <= 0.75 + 1e-6
    assert (out == 0).any()  # corners rotated out of the picture read the fill


def test_affine_argument_errors():
    with pytest.raises(ValueError, match="degrees"):
        RandomAffine(-5)
    with pytest.raises(ValueError, match="translate"):
        RandomAffine(0, translate=(2.0, 0.0))
    with pytest.raises(ValueError, match="interpolation"):
        RandomAffine(0, interpolation="cubic")


# --- ColorJitter and GaussianNoise ----------------------------------------------------------
def test_brightness_factor_in_range():
    x = _images(n=64) * 0.5 + 0.1  # max 0.6, so factors up to 1.5 never clip
    out = ColorJitter(brightness=0.5)(x, generator=0)
    ratio = (out / x).reshape(64, -1)
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-5)  # one factor per image
    assert ratio.min() >= 0.5 - 1e-6 and ratio.max() <= 1.5 + 1e-6
    assert ratio[:, 0].std() > 0.1


def test_contrast_keeps_mean_and_scales_spread():
    x = _images(n=32, c=1) * 0.2 + 0.4
    out = ColorJitter(contrast=(0.5, 0.5))(x)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 0.5 * x.std(axis=(1, 2, 3)), rtol=1e-4)


def test_color_jitter_clips_and_off_is_identity():
    x = _images()
    out = ColorJitter(brightness=(3.0, 3.0), contrast=2.0)(x)
    assert out.min() >= 0.0 and out.max() <= 1.0 and (out == 1.0).any()
    np.testing.assert_array_equal(ColorJitter()(x), x)


def test_gaussian_noise_statistics():
    x = np.zeros((64, 3, 16, 16), np.float32)
    out = GaussianNoise(std=0.2, mean=0.1)(x, generator=0)
    assert abs(out.mean() - 0.1) < 0.01 and abs(out.std() - 0.2) < 0.01
    assert out.dtype == np.float32
    clipped = GaussianNoise(std=1.0, clip=True)(x + 0.5)
    assert clipped.min() >= 0 and clipped.max() <= 1


# --- Compose ------------------------------------------------------------------------------
def test_compose_order_and_generator():
    x = _images()
    t = Compose([RandomHorizontalFlip(1.0), Normalize(0.5, 0.5), lambda a: a * 2])
    np.testing.assert_allclose(t(x), 2 * (x[..., ::-1] - 0.5) / 0.5, rtol=1e-6)
    noisy = Compose([GaussianNoise(0.1), RandomCrop(10, padding=1)])
    np.testing.assert_array_equal(noisy(x, generator=4), noisy(x, generator=4))
    with pytest.raises(TypeError, match="callable"):
        Compose([1])
