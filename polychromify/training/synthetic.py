"""Procedural landscape pictures: the offline stand-in for the Kaggle photos, and the tests' fast data.

Each picture is drawn from one integer seed: a sky gradient (day blues or sunset oranges and
pinks), a sun or moon with a soft glow, 2-4 layers of fractal mountain ridges fading into the
haze with distance, an optional tree line, and below the horizon either fields or a lake that
mirrors the scene with ripples, sometimes with a sandy or grassy near shore.
Everything is vectorised with numpy and drawn at the requested size (about 4 ms a picture at 128 px).
"""
from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image

SYNTHETIC_WARNING = (
    "*** USING SYNTHETIC LANDSCAPES (procedural pictures, not photos): "
    "set POLYCHROMIFY_DATA or pass --data DIR to use the real data set ***"
)


def image_seed(seed: int, index: int) -> int:
    """Seed of picture ``index`` of the set ``seed`` (independent streams; sets never share pictures)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def synthetic_landscapes(n: int, size: int = 128, seed: int = 0) -> np.ndarray:
    """``n`` pictures, (n, size, size, 3) uint8; picture i is ``synthetic_landscape(image_seed(seed, i), size)``."""
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        images[i] = synthetic_landscape(image_seed(seed, i), size)
    return images


def synthetic_landscape(seed: int, size: int = 128) -> np.ndarray:
    """One procedural landscape as a (size, size, 3) uint8 RGB array; the same seed gives the same bytes."""
    if size < 8:
        raise ValueError(f"synthetic landscapes need size >= 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    y = ((np.arange(size, dtype=np.float32) + 0.5) / size)[:, None]  # row positions in (0, 1), a column
    x = ((np.arange(size, dtype=np.float32) + 0.5) / size)[None, :]  # column positions, a row
    h = int(round(rng.uniform(0.5, 0.72) * size))  # first row below the horizon
    sunset = rng.random() < 0.3
    image, haze = _sky(rng, y, size, h / size, sunset)
    _sun(image, rng, x, y, h / size, sunset)
    _mountains(image, rng, y, h, haze)
    if rng.random() < 0.5:
        _tree_line(image, rng, y, h, haze)
    if rng.random() < 0.4:
        image[h:] = _vegetation(rng, y[h:], size, haze)
    else:
        _lake(image, rng, y, h, haze)
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """An RGB colour in [0, 1] from hue (in turns), saturation and value."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float32)


def _mix(a, b, t):
    """Linear blend from ``a`` (t = 0) to ``b`` (t = 1)."""
    return a + (b - a) * t


def _ridge(rng: np.random.Generator, size: int, hurst: float) -> np.ndarray:
    """A 1-D fractional Brownian motion profile of ``size`` samples in [-1, 1] (spectral synthesis).

    Amplitudes fall as f^-(H + 1/2); a smaller Hurst exponent H gives a rougher ridge. The
    profile is synthesised twice as long and cut in half, so its two ends are unrelated.
    """
    freqs = np.arange(size + 1, dtype=np.float64)
    amplitude = np.zeros_like(freqs)
    amplitude[1:] = freqs[1:] ** -(hurst + 0.5)
    phase = rng.uniform(0.0, 2.0 * np.pi, freqs.size)
    profile = np.fft.irfft(amplitude * np.exp(1j * phase), 2 * size)[:size]
    profile -= profile.min()
    return (2.0 * profile / max(profile.max(), 1e-12) - 1.0).astype(np.float32)


def _noise(rng: np.random.Generator, shape: tuple[int, int], cells_y: int, cells_x: int) -> np.ndarray:
    """A smooth random field of unit scale: a cells_y x cells_x Gaussian grid upscaled bicubically to ``shape``."""
    grid = rng.standard_normal((cells_y, cells_x)).astype(np.float32)
    return np.asarray(Image.fromarray(grid).resize(shape[::-1], Image.Resampling.BICUBIC))


def _texture(rng, shape: tuple[int, int], cells: int = 4, octaves: int = 3, stretch: int = 1) -> np.ndarray:
    """Fractal 2-D noise: octaves of ``_noise``, each twice as fine and half as strong; ``stretch`` > 1 streaks it."""
    field = np.zeros(shape, dtype=np.float32)
    for octave in range(octaves):
        n = max(min(cells * 2**octave, shape[0]), 2)
        field += 0.5**octave * _noise(rng, shape, n, max(n // stretch, 2))
    return field


def _sky(rng, y, size, horizon, sunset):
    """The sky gradient over the whole picture, (size, size, 3) float32, and its horizon (haze) colour."""
    if sunset:
        top = _hsv(rng.uniform(0.62, 0.76), rng.uniform(0.4, 0.7), rng.uniform(0.35, 0.6))
        hue = rng.uniform(-0.05, 0.1) if rng.random() < 0.6 else rng.uniform(0.88, 0.95)  # orange or pink
        low = _hsv(hue, rng.uniform(0.45, 0.85), rng.uniform(0.9, 1.0))
    else:
        top = _hsv(rng.uniform(0.56, 0.65), rng.uniform(0.5, 0.9), rng.uniform(0.6, 0.92))
        low = _hsv(rng.uniform(0.52, 0.6), rng.uniform(0.08, 0.35), rng.uniform(0.88, 1.0))
    t = np.clip(y / horizon, 0.0, 1.0) ** np.float32(rng.uniform(0.6, 1.5))
    column = _mix(top, low, t[..., None])  # (size, 1, 3)
    return np.repeat(column, size, axis=1), low


def _sun(image, rng, x, y, horizon, sunset):
    """A sun (warm, strong glow) or a pale moon (faint glow) with an anti-aliased rim, painted in place."""
    if sunset:
        colour, glow_strength = _hsv(rng.uniform(0.07, 0.13), rng.uniform(0.5, 0.8), 1.0), 0.6
    elif rng.random() < 0.3:  # a daytime moon
        colour, glow_strength = _hsv(0.6, 0.06, 0.97), 0.15
    else:
        colour, glow_strength = _hsv(0.14, 0.15, 1.0), 0.4
    radius = rng.uniform(0.025, 0.06)
    cx = rng.uniform(0.1, 0.9)
    cy = horizon - rng.uniform(0.03, 0.15) if sunset else rng.uniform(0.08, horizon - 0.15)
    distance = np.hypot(x - np.float32(cx), y - np.float32(cy))
    glow = np.float32(glow_strength) * np.exp(-((distance / np.float32(radius * rng.uniform(3.0, 6.0))) ** 2))
    disk = np.clip((np.float32(radius) - distance) * image.shape[0], 0.0, 1.0)  # 1 px soft rim
    image += glow[..., None] * (colour - image)
    image[:] = _mix(image, colour, disk[..., None])


def _mountains(image, rng, y, h, haze):
    """2-4 ridges from far to near, each darker, more saturated and less veiled by haze, painted above row h."""
    size = image.shape[1]
    horizon = h / size
    layers = int(rng.integers(2, 5))
    far = _hsv(rng.uniform(0.55, 0.75), rng.uniform(0.2, 0.35), rng.uniform(0.65, 0.8))
    near = _hsv(rng.uniform(0.08, 0.36), rng.uniform(0.55, 0.8), rng.uniform(0.3, 0.45))
    for k in range(layers):
        depth = (k + 1) / layers  # 0 far .. 1 near
        crest = horizon - rng.uniform(0.7, 1.2) * (0.3 - 0.2 * depth)
        ridge = crest + rng.uniform(0.04, 0.12) * _ridge(rng, size, rng.uniform(0.55, 0.9))
        rows = slice(max(int(ridge.min() * size), 0), h)
        colour = _mix(_mix(far, near, depth), haze, 0.65 * (1.0 - depth) ** 1.5)
        below = y[rows] - ridge[None, :]  # distance under the crest line
        texture = _texture(rng, below.shape, cells=6)
        layer = colour * (1.0 + 0.12 * texture - 0.35 * np.clip(below, 0.0, 0.5))[..., None]
        if k == 0 and rng.random() < 0.4:  # snow above a snow line on the farthest range
            snow = y[rows] < ridge.min() + rng.uniform(0.03, 0.08) + 0.01 * texture
            layer = np.where(snow[..., None], _mix(_hsv(0.6, 0.05, 0.97), haze, 0.3), layer)
        image[rows] = np.where((below >= 0.0)[..., None], layer, image[rows])


def _tree_line(image, rng, y, h, haze):
    """A dark, ragged band of forest standing on the horizon (row h), painted in place."""
    size = image.shape[1]
    tops = h / size - rng.uniform(0.015, 0.05) - 0.025 * np.abs(_ridge(rng, size, rng.uniform(0.1, 0.3)))
    rows = slice(min(max(int(tops.min() * size), 0), h - 1), h)  # at least one row
    colour = _mix(_hsv(rng.uniform(0.22, 0.38), rng.uniform(0.45, 0.75), rng.uniform(0.2, 0.4)), haze, 0.15)
    shade = 1.0 + 0.25 * _texture(rng, (rows.stop - rows.start, size), cells=16, octaves=2)
    trees = y[rows] >= tops[None, :]
    image[rows] = np.where(trees[..., None], colour * shade[..., None], image[rows])


def _vegetation(rng, y, size, haze):
    """Green or olive ground for the rows ``y`` below the horizon: hazy far off, dark and saturated near, in patches."""
    near = ((y - y[0]) / max(1.0 - y[0], 1e-6))[..., None] ** np.float32(0.7)  # 0 at the horizon, 1 at the bottom
    shape = (len(y), size)
    hue = rng.uniform(0.16, 0.33)
    first = _hsv(hue, rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.6))
    second = _hsv(hue + rng.uniform(-0.06, 0.06), rng.uniform(0.4, 0.85), rng.uniform(0.3, 0.7))
    patches = _texture(rng, shape, cells=3, octaves=2, stretch=3) > rng.uniform(-0.5, 0.5)
    colour = np.where(patches[..., None], first, second)
    colour = _mix(_mix(colour, haze, 0.35) * 1.1, colour * 0.75, near)
    grain = 1.0 + (0.05 + 0.1 * near[..., 0]) * _texture(rng, shape, cells=24, octaves=2, stretch=2)
    return colour * grain[..., None]


def _lake(image, rng, y, h, haze):
    """Water from row h down mirroring the scene with ripples, sometimes a sandy or grassy near shore; in place."""
    size = image.shape[1]
    rows, cols = np.arange(h, size)[:, None], np.arange(size)[None, :]
    ripple = _texture(rng, (size - h, size), cells=size // 4, octaves=1, stretch=16)
    depth = (rows - h) / max(size - h, 1)  # 0 at the horizon, 1 at the bottom
    shift = np.round(ripple * (1.0 + 4.0 * depth) * rng.uniform(0.5, 1.5)).astype(int)
    reflection = image[np.clip(2 * h - 1 - rows, 0, size - 1), (cols + shift) % size]
    water_colour = _hsv(rng.uniform(0.5, 0.62), rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.45))
    water = _mix(reflection * np.float32(rng.uniform(0.65, 0.9)), water_colour, (0.15 + 0.5 * depth)[..., None])
    image[h:] = water * (1.0 + 0.06 * ripple)[..., None]
    shore_kind = rng.choice(["none", "sand", "grass"])
    if shore_kind == "none":
        return
    shore = rng.uniform(0.78, 0.93) + 0.025 * _ridge(rng, size, 0.7)
    land = y[h:] >= shore[None, :]
    if shore_kind == "sand":
        sand = _hsv(rng.uniform(0.08, 0.13), rng.uniform(0.25, 0.5), rng.uniform(0.75, 0.95))
        wet = np.clip((y[h:] - shore[None, :]) * size / 4.0, 0.0, 1.0)  # darker wet sand at the waterline
        grain = 1.0 + 0.06 * _texture(rng, land.shape, cells=32, octaves=2)
        ground = sand * ((0.8 + 0.2 * wet) * grain)[..., None]
    else:
        ground = _vegetation(rng, y[h:], size, haze)
    image[h:] = np.where(land[..., None], ground, image[h:])
