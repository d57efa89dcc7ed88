"""Data augmentation on whole batches: (N, C, H, W) float Tensors or NumPy arrays.

Every transform works on a batch at once with vectorised NumPy (per-image random parameters,
no Python loop over images) and returns the same kind it was given: a Tensor for a Tensor, an
ndarray for an ndarray. Inputs are never modified in place.

Randomness. Each transform takes `generator` (an int seed, a NumPy Generator, or None for
glassbox's default generator, seeded by `gb.manual_seed`). A generator passed to the call,
`t(x, generator=g)`, overrides it for that call: the DataLoader's `transform=` argument uses
this to give each batch numbers that depend only on (loader seed, epoch, batch index), so
augmented training is reproducible and resumes exactly from a checkpoint.

Conventions: images are float, values in [0, 1] before `Normalize`; rotation angles are in
degrees, positive = counter-clockwise as the image is displayed (row 0 at the top), about the
image centre ((W - 1) / 2, (H - 1) / 2), as torchvision.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glassbox.data.dataset import resolve_generator
from glassbox.tensor import Tensor


def _pair(value, name: str, where: str) -> tuple:
    """An int or a pair of ints -> a pair."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")


def _range(value, name: str, where: str, center: float = 0.0, low: float | None = None) -> tuple:
    """A number v -> (center - v, center + v) (v >= 0), or a (min, max) pair as given."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{where}: {name} must be non-negative when a number, got {value}")
        lo, hi = center - float(value), center + float(value)
        return (lo if low is None else max(low, lo)), hi
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] <= value[1]:
        return float(value[0]), float(value[1])
    raise ValueError(f"{where}: {name} must be a number or a (min, max) pair, got {value!r}")


class Transform:
    """Base class: `__call__(x, generator=None)` unwraps a Tensor, runs `apply`, wraps back.

    Subclasses implement `apply(x, rng)` on an ndarray with a NumPy Generator.

    Args:
        generator: an int seed, a NumPy Generator, or None (glassbox's default generator, read
            at call time so `gb.manual_seed` after construction still applies).
    """

    def __init__(self, generator=None):
        self.generator = None if generator is None else resolve_generator(generator)

    def __call__(self, x, generator=None):
        if isinstance(x, Tensor):
            array, wrap = x._data, Tensor._wrap
        elif isinstance(x, np.ndarray):
            array, wrap = x, None
        else:
            raise TypeError(
                f"{type(self).__name__}: expected a Tensor or np.ndarray batch, "
                f"got {type(x).__name__}"
            )
        if array.dtype.kind != "f":
            raise TypeError(
                f"{type(self).__name__}: expected a float batch, got dtype {array.dtype}. "
                "Convert first, e.g. x.astype(np.float32) / 255"
            )
        rng = resolve_generator(generator if generator is not None else self.generator)
        out = self.apply(array, rng)
        return wrap(out) if wrap is not None else out

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define apply(x, rng)")

    def _check_ndim(self, x: np.ndarray, ndim: int, layout: str) -> None:
        if x.ndim != ndim:
            raise ValueError(
                f"{type(self).__name__}: expected a {layout} batch ({ndim} dims), got shape "
                f"{x.shape}. A single image needs a batch dimension: x[None]"
            )

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "generator")
        return f"{type(self).__name__}({fields})"


class Compose(Transform):
    """Apply transforms one after another.

    A generator given to the call is handed to every glassbox transform in the list (each then
    draws its numbers from it in turn); plain callables get only the batch.

    Args:
        transforms: a list of transforms or callables taking a batch.

    Example:
        >>> import numpy as np
        >>> t = Compose([Normalize(0.5, 0.5), RandomHorizontalFlip(p=1.0)])
        >>> t(np.array([[[[0.0, 1.0]]]], dtype=np.float32))
        array([[[[ 1., -1.]]]], dtype=float32)
    """

    def __init__(self, transforms):
        super().__init__(None)
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")

    def __call__(self, x, generator=None):
        for t in self.transforms:
            x = t(x, generator=generator) if isinstance(t, Transform) else t(x)
        return x


class Normalize(Transform):
    """Per-channel standardisation: out[:, c] = (x[:, c] - mean[c]) / std[c].

    Args:
        mean: one number, or one per channel (dimension 1).
        std: one number, or one per channel; must be non-zero.

    Shape:
        (N, C, *) -> (N, C, *), dtype kept.

    Example:
        >>> import numpy as np
        >>> Normalize([0.5], [0.25])(np.ones((1, 1, 1, 2), dtype=np.float32))
        array([[[[2., 2.]]]], dtype=float32)
    """

    def __init__(self, mean, std):
        super().__init__(None)
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(f"Normalize: mean and std must be numbers or 1-D, got {mean}, {std}")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {std}")

    def apply(self, x, rng):
        if x.ndim < 2:
            raise ValueError(f"Normalize: expected a (N, C, *) batch, got shape {x.shape}")
        channels = x.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if len(v) not in (1, channels):
                raise ValueError(
                    f"Normalize: {name} has {len(v)} values but the batch has {channels} "
                    f"channels (shape {x.shape})"
                )
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcast over N and the spatial dims
        mean = self.mean.astype(x.dtype).reshape(shape)
        inv_std = (1.0 / self.std).astype(x.dtype).reshape(shape)
        return (x - mean) * inv_std


class RandomHorizontalFlip(Transform):
    """Flip each image left-right with probability p (last dimension reversed).

    Args:
        p: probability of flipping each image (default 0.5).
        generator: see `Transform`.

    Shape:
        (N, *, W) -> (N, *, W).

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.arange(3.0).reshape(1, 1, 1, 3))
        array([[[[2., 1., 0.]]]])
    """

    axis = -1

    def __init__(self, p: float = 0.5, generator=None):
        super().__init__(generator)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = float(p)

    def apply(self, x, rng):
        if x.ndim < 2:
            raise ValueError(f"{type(self).__name__}: expected a batch, got shape {x.shape}")
        flip = rng.random(x.shape[0]) < self.p  # one coin per image
        flip = flip.reshape((-1,) + (1,) * (x.ndim - 1))
        return np.where(flip, np.flip(x, axis=self.axis), x)


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip each image upside down with probability p (dimension -2 reversed).

    Args:
        p: probability of flipping each image (default 0.5).
        generator: see `Transform`.

    Shape:
        (N, C, H, W) -> (N, C, H, W).
    """

    axis = -2


class RandomCrop(Transform):
    """Pad each image, then cut out a `size` window at a random place (one per image).

    Args:
        size: output (h, w), or one int for a square.
        padding: None, an int for all sides, (left/right, top/bottom), or (left, top, right,
            bottom) -- torchvision's convention.
        pad_if_needed: also pad images smaller than `size`.
        fill: value of constant padding (default 0).
        padding_mode: 'constant', 'edge', 'reflect' or 'symmetric'.
        generator: see `Transform`.

    Shape:
        (N, C, H, W) -> (N, C, h, w).

    Example:
        >>> import numpy as np
        >>> RandomCrop(28, padding=4)(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 1, 28, 28)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0.0,
                 padding_mode="constant", generator=None):
        super().__init__(generator)
        self.size = _pair(size, "size", "RandomCrop")
        if min(self.size) <= 0:
            raise ValueError(f"RandomCrop: size must be positive, got {size!r}")
        if padding is None:
            padding = (0, 0, 0, 0)
        elif isinstance(padding, numbers.Integral):
            padding = (padding,) * 4
        elif len(padding) == 2:
            padding = (padding[0], padding[1], padding[0], padding[1])
        if len(padding) != 4 or any(int(v) < 0 for v in padding):
            raise ValueError(
                f"RandomCrop: padding must be non-negative, 1, 2 or 4 ints, got {padding!r}"
            )
        self.padding = tuple(int(v) for v in padding)  # (left, top, right, bottom)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: unknown padding_mode {padding_mode!r}")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def apply(self, x, rng):
        self._check_ndim(x, 4, "(N, C, H, W)")
        left, top, right, bottom = self.padding
        h, w = self.size
        if self.pad_if_needed:  # grow to at least (h, w), split evenly on both sides
            extra_h = max(0, h - (x.shape[2] + top + bottom))
            extra_w = max(0, w - (x.shape[3] + left + right))
            top, bottom = top + extra_h // 2, bottom + extra_h - extra_h // 2
            left, right = left + extra_w // 2, right + extra_w - extra_w // 2
        if top or bottom or left or right:
            pad = ((0, 0), (0, 0), (top, bottom), (left, right))
            if self.padding_mode == "constant":
                x = np.pad(x, pad, mode="constant", constant_values=self.fill)
            else:
                x = np.pad(x, pad, mode=self.padding_mode)
        n, _, ph, pw = x.shape
        if ph < h or pw < w:
            raise ValueError(
                f"RandomCrop: crop size {(h, w)} is larger than the padded image {(ph, pw)}; "
                "use pad_if_needed=True or more padding"
            )
        top_at = rng.integers(0, ph - h + 1, size=n)
        left_at = rng.integers(0, pw - w + 1, size=n)
        # (N, C, ph-h+1, pw-w+1, h, w) view of every window; pick one per image. The advanced
        # indices are split by a slice, so their dimension N comes first: -> (N, C, h, w).
        windows = sliding_window_view(x, (h, w), axis=(2, 3))
        return windows[np.arange(n), :, top_at, left_at]


class RandomAffine(Transform):
    """Random rotation, translation and scaling per image, by inverse-mapped sampling.

    For every output pixel p the source point is c + R(-angle) (p - c - t) / s, read by
    bilinear (or nearest) interpolation; points outside the image read `fill`. Translations are
    continuous (torchvision rounds them to whole pixels).

    Args:
        degrees: d for angles in [-d, d], or (min, max), in degrees (counter-clockwise > 0).
        translate: None, or (a, b): shifts up to a * W horizontally and b * H vertically.
        scale: None, or (min, max) zoom factors.
        fill: value for points that fall outside the image (default 0).
        interpolation: 'bilinear' (default) or 'nearest'.
        generator: see `Transform`.

    Shape:
        (N, C, H, W) -> (N, C, H, W).

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((2, 1, 5, 5)).astype(np.float32)
        >>> np.allclose(RandomAffine(degrees=0)(x), x)
        True
    """

    def __init__(self, degrees, translate=None, scale=None, fill=0.0,
                 interpolation="bilinear", generator=None):
        super().__init__(generator)
        self.degrees = _range(degrees, "degrees", "RandomAffine")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= float(t) <= 1.0 for t in translate):
                raise ValueError(
                    f"RandomAffine: translate must be two fractions in [0, 1], got {translate!r}"
                )
            translate = (float(translate[0]), float(translate[1]))
        self.translate = translate
        if scale is not None:
            if len(scale) != 2 or not 0 < scale[0] <= scale[1]:
                raise ValueError(f"RandomAffine: scale must be (min, max) > 0, got {scale!r}")
            scale = (float(scale[0]), float(scale[1]))
        self.scale = scale
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"RandomAffine: interpolation must be 'bilinear' or 'nearest', "
                             f"got {interpolation!r}")
        self.fill = float(fill)
        self.interpolation = interpolation

    def apply(self, x, rng):
        self._check_ndim(x, 4, "(N, C, H, W)")
        n, _c, h, w = x.shape
        angle = np.deg2rad(rng.uniform(*self.degrees, size=n))
        if self.translate is not None:
            tx = rng.uniform(-1.0, 1.0, size=n) * self.translate[0] * w
            ty = rng.uniform(-1.0, 1.0, size=n) * self.translate[1] * h
        else:
            tx = ty = np.zeros(n)
        s = rng.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        # Output pixel coordinates relative to the centre, minus the shift: (N, H, W) each.
        # float32 is plenty for pixel coordinates and halves the memory traffic.
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        gy, gx = np.meshgrid(np.arange(h, dtype=np.float32) - np.float32(cy),
                             np.arange(w, dtype=np.float32) - np.float32(cx), indexing="ij")
        dx = gx[None] - tx.astype(np.float32)[:, None, None]
        dy = gy[None] - ty.astype(np.float32)[:, None, None]
        # Undo the rotation. With rows pointing down, turning the picture counter-clockwise by
        # a maps (dx, dy) -> (cos a dx + sin a dy, -sin a dx + cos a dy); its inverse is below.
        cos = (np.cos(angle) / s).astype(np.float32)[:, None, None]
        sin = (np.sin(angle) / s).astype(np.float32)[:, None, None]
        src_x = cos * dx - sin * dy + np.float32(cx)
        src_y = sin * dx + cos * dy + np.float32(cy)
        return self._sample(x, src_y, src_x)

    def _sample(self, x, src_y, src_x):
        """Read x at fractional (row, col) points; points outside the image read `fill`.

        Shape: x (N, C, H, W); src_y, src_x (N, H, W) -> (N, C, H, W).
        """
        n, c, h, w = x.shape
        # One ring of `fill` around the image (two on the far side, for the +1 corner), and
        # coordinates clipped into it: every read is in range and outside points read fill,
        # with no masks. In padded coordinates the image spans 1..h and 1..w.
        padded = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2)), constant_values=self.fill)
        hp, wp = h + 3, w + 3
        flat = padded.reshape(-1)  # (N * C * Hp * Wp,): 1-D `take` is the fastest gather
        plane = hp * wp
        base = (np.arange(n) * (c * plane)).reshape(n, 1, 1)  # start of image i, channel 0
        px = np.clip(src_x, -1, w) + 1
        py = np.clip(src_y, -1, h) + 1
        out = np.empty_like(x)
        if self.interpolation == "nearest":
            index = base + np.rint(py).astype(np.intp) * wp + np.rint(px).astype(np.intp)
            for k in range(c):  # channels are few; each step covers the whole batch
                out[:, k] = flat.take(index + k * plane)
            return out
        x0, y0 = np.floor(px), np.floor(py)
        wx, wy = (px - x0).astype(x.dtype), (py - y0).astype(x.dtype)  # (N, H, W)
        weights = ((1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx)
        corner = base + y0.astype(np.intp) * wp + x0.astype(np.intp)  # top-left, channel 0
        for k in range(c):
            i = corner + k * plane
            out[:, k] = (flat.take(i) * weights[0] + flat.take(i + 1) * weights[1]
                         + flat.take(i + wp) * weights[2] + flat.take(i + wp + 1) * weights[3])
        return out


class ColorJitter(Transform):
    """Random brightness and contrast per image; results are clipped to [0, 1] (torchvision).

    Brightness multiplies by f; contrast blends with the image's mean grey level m:
    f * x + (1 - f) * m. Brightness is applied first, then contrast (torchvision picks a random
    order; a fixed one keeps this simple). Apply before `Normalize`.

    Args:
        brightness: b for f in [max(0, 1 - b), 1 + b], or (min, max). 0 = off.
        contrast: same form, for the contrast factor.
        generator: see `Transform`.

    Shape:
        (N, C, H, W) or (N, *) -> same. For 3 channels the grey level uses the ITU-R 601
        weights (0.299, 0.587, 0.114), otherwise the plain mean.

    Example:
        >>> import numpy as np
        >>> x = np.full((1, 1, 2, 2), 0.5, np.float32)
        >>> ColorJitter(brightness=(2.0, 2.0))(x).max()
        np.float32(1.0)
    """

    def __init__(self, brightness=0.0, contrast=0.0, generator=None):
        super().__init__(generator)
        self.brightness = _range(brightness, "brightness", "ColorJitter", 1.0, 0.0)
        self.contrast = _range(contrast, "contrast", "ColorJitter", 1.0, 0.0)
        for name, (lo, _) in (("brightness", self.brightness), ("contrast", self.contrast)):
            if lo < 0:
                raise ValueError(f"ColorJitter: {name} factors must be non-negative")

    def apply(self, x, rng):
        if x.ndim < 2:
            raise ValueError(f"ColorJitter: expected a batch, got shape {x.shape}")
        n = x.shape[0]
        per_image = (n,) + (1,) * (x.ndim - 1)
        out = x
        if self.brightness != (1.0, 1.0):
            f = rng.uniform(*self.brightness, size=n).astype(x.dtype).reshape(per_image)
            out = np.clip(out * f, 0.0, 1.0)
        if self.contrast != (1.0, 1.0):
            f = rng.uniform(*self.contrast, size=n).astype(x.dtype).reshape(per_image)
            if x.ndim == 4 and x.shape[1] == 3:
                grey = np.tensordot(np.array([0.299, 0.587, 0.114], x.dtype), out, axes=([0], [1]))
                mean = grey.reshape(n, -1).mean(axis=1)
            else:
                mean = out.reshape(n, -1).mean(axis=1)
            out = np.clip(f * out + (1 - f) * mean.reshape(per_image), 0.0, 1.0)
        return out if out is not x else x.copy()


class GaussianNoise(Transform):
    """Add independent normal noise to every value.

    Args:
        std: standard deviation of the noise (default 0.1).
        mean: its mean (default 0).
        clip: clip the result to [0, 1] (default False).
        generator: see `Transform`.

    Shape:
        any (N, *) -> same shape and dtype.

    Example:
        >>> import numpy as np
        >>> GaussianNoise(std=0.0)(np.ones((2, 3), np.float32)).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, std: float = 0.1, mean: float = 0.0, clip: bool = False, generator=None):
        super().__init__(generator)
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.std, self.mean, self.clip = float(std), float(mean), bool(clip)

    def apply(self, x, rng):
        dtype = np.float32 if x.dtype == np.float32 else np.float64  # what the RNG can make
        noise = rng.standard_normal(x.shape, dtype=dtype)
        out = x + (noise * self.std + self.mean).astype(x.dtype, copy=False)
        return np.clip(out, 0.0, 1.0) if self.clip else out


__all__ = [
    "ColorJitter",
    "Compose",
    "GaussianNoise",
    "Normalize",
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Transform",
]
