"""Denoising diffusion (Ho et al., 2020) and DDIM sampling (Song et al., 2021), from scratch.

The forward process adds Gaussian noise in T small steps with variances beta_1..beta_T; with
alpha_t = 1 - beta_t and alpha_bar_t = prod_{s<=t} alpha_s it has the closed form

    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)         (`DDPM.q_sample`)

A network eps_theta(x_t, t) learns to predict the noise that was added (`DDPM.loss`, a plain
MSE). Sampling runs the chain backwards from pure noise: ancestral sampling (`DDPM.sample`)
takes all T steps, each drawing x_{t-1} from the Gaussian posterior q(x_{t-1} | x_t, x_0)
with x_0 estimated from the predicted noise; DDIM (`DDPM.ddim_sample`) jumps over a subset of
the steps and is deterministic when eta = 0.

Denoisers: `UNet` (convolutions, GroupNorm, a sinusoidal time embedding, downsampling by
strided convolution, upsampling by ConvTranspose2d, skip connections) for images, and
`MLPDenoiser` for points in a few dimensions. Timesteps are 0-based: t in [0, T).
"""

from __future__ import annotations

import math

import numpy as np

import glassbox as gb
from glassbox import nn
from glassbox.nn import functional as F
from glassbox.tensor import Tensor

__all__ = ["DDPM", "MLPDenoiser", "UNet", "beta_schedule", "timestep_embedding"]


def beta_schedule(name: str, timesteps: int) -> np.ndarray:
    """The noise variances beta_t, t = 0..T-1, as a float64 array.

    Args:
        name: 'linear' (1e-4 to 0.02, rescaled by 1000 / T so any T ends at a similar noise
            level, as Ho et al.) or 'cosine' (alpha_bar_t = cos^2 of a shifted ramp, Nichol &
            Dhariwal 2021; betas clipped at 0.999).
        timesteps: T.

    Example:
        >>> from glassbox.models.diffusion import beta_schedule
        >>> b = beta_schedule("linear", 1000)
        >>> float(b[0]), round(float(b[-1]), 4)
        (0.0001, 0.02)
    """
    if timesteps < 1:
        raise ValueError(f"beta_schedule: timesteps must be >= 1, got {timesteps}")
    if name == "linear":
        scale = 1000.0 / timesteps
        return np.linspace(scale * 1e-4, scale * 0.02, timesteps, dtype=np.float64)
    if name == "cosine":
        s = 0.008
        steps = np.arange(timesteps + 1, dtype=np.float64) / timesteps
        f = np.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        ab = f / f[0]
        return np.clip(1 - ab[1:] / ab[:-1], 0.0, 0.999)
    raise ValueError(f"beta_schedule: name must be 'linear' or 'cosine', got {name!r}")


def timestep_embedding(t, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sinusoidal embedding of integer timesteps (as Transformer positions): (B,) -> (B, dim).

    Half the features are sin(t * f_k), half cos(t * f_k), for frequencies f_k spaced
    geometrically from 1 to 1 / max_period. A constant: no gradient flows into t.

    Example:
        >>> from glassbox.models.diffusion import timestep_embedding
        >>> timestep_embedding([0, 5], 8).shape
        (2, 8)
    """
    t = np.asarray(t._data if isinstance(t, Tensor) else t, dtype=np.float64).reshape(-1)
    half = dim // 2
    freqs = np.exp(-math.log(max_period) * np.arange(half) / half)
    args = t[:, None] * freqs[None]
    emb = np.concatenate([np.sin(args), np.cos(args)], axis=1)
    if dim % 2:
        emb = np.concatenate([emb, np.zeros((len(t), 1))], axis=1)
    return gb.tensor(emb.astype(gb.get_default_dtype()))


class _TimeMLP(nn.Module):
    """Sinusoidal embedding followed by Linear-SiLU-Linear."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.net = nn.Sequential(nn.Linear(dim, 4 * dim), nn.SiLU(), nn.Linear(4 * dim, 4 * dim))

    def forward(self, t):
        return self.net(timestep_embedding(t, self.dim))


class ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv, plus the time embedding, twice; a residual (1x1 conv if needed)."""

    def __init__(self, in_ch: int, out_ch: int, time_dim: int, groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(math.gcd(groups, in_ch), in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time = nn.Linear(time_dim, out_ch)
        self.norm2 = nn.GroupNorm(math.gcd(groups, out_ch), out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))                        # (B, out, H, W)
        h = h + self.time(F.silu(temb)).unsqueeze(-1).unsqueeze(-1)  # + (B, out, 1, 1)
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """A small U-Net noise predictor eps_theta(x_t, t) for images.

    Encoder: a ResBlock per level, then a stride-2 convolution halves H and W. Middle: two
    ResBlocks. Decoder: ConvTranspose2d doubles H and W, the encoder's activation at that size
    is concatenated (the skip connection) and a ResBlock merges them. Every ResBlock adds a
    projection of the sinusoidal time embedding.

    Args:
        in_channels: image channels (default 1).
        base_channels: channels at full resolution (default 32).
        channel_mults: one multiplier per level; H and W must be divisible by
            2 ** (len(channel_mults) - 1) (default (1, 2), for 8x8 images).
        time_dim: width of the sinusoidal embedding (default 32).

    Shape:
        x (B, C, H, W), t (B,) int -> (B, C, H, W).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.models.diffusion import UNet
        >>> net = UNet(base_channels=8)
        >>> net(gb.randn(2, 1, 8, 8), gb.tensor([0, 10])).shape
        (2, 1, 8, 8)
    """

    def __init__(self, in_channels: int = 1, base_channels: int = 32, channel_mults=(1, 2),
                 time_dim: int = 32):
        super().__init__()
        chans = [base_channels * m for m in channel_mults]
        self.levels = len(chans)
        tdim = 4 * time_dim
        self.time = _TimeMLP(time_dim)
        self.conv_in = nn.Conv2d(in_channels, chans[0], 3, padding=1)
        self.down_blocks, self.downs = nn.ModuleList(), nn.ModuleList()
        prev = chans[0]
        for i, c in enumerate(chans):
            self.down_blocks.append(ResBlock(prev, c, tdim))
            prev = c
            if i < self.levels - 1:
                self.downs.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid1, self.mid2 = ResBlock(prev, prev, tdim), ResBlock(prev, prev, tdim)
        self.ups, self.up_blocks = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(self.levels)):
            if i < self.levels - 1:
                self.ups.append(nn.ConvTranspose2d(prev, prev, 4, stride=2, padding=1))
            self.up_blocks.append(ResBlock(prev + chans[i], chans[i], tdim))
            prev = chans[i]
        self.norm_out = nn.GroupNorm(math.gcd(8, prev), prev)
        self.conv_out = nn.Conv2d(prev, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)  # start by predicting zero noise
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x, t):
        div = 2 ** (self.levels - 1)
        if x.ndim != 4 or x.shape[2] % div or x.shape[3] % div:
            raise ValueError(f"UNet: expected (B, C, H, W) with H, W divisible by {div}; "
                             f"received {tuple(x.shape)}")
        temb = self.time(t)                                   # (B, 4 * time_dim)
        h = self.conv_in(x)
        skips = []
        for i, block in enumerate(self.down_blocks):
            h = block(h, temb)
            skips.append(h)                                   # (B, c_i, H / 2^i, W / 2^i)
            if i < self.levels - 1:
                h = self.downs[i](h)
        h = self.mid2(self.mid1(h, temb), temb)
        for j, block in enumerate(self.up_blocks):
            if j > 0:
                h = self.ups[j - 1](h)                        # double H and W
            h = block(gb.cat([h, skips.pop()], dim=1), temb)  # the skip connection
        return self.conv_out(F.silu(self.norm_out(h)))


class MLPDenoiser(nn.Module):
    """A noise predictor for points: an MLP on [x, time embedding].

    Args:
        dim: data dimension (default 2).
        hidden: hidden width (default 128).
        layers: hidden layers (default 3).
        time_dim: width of the sinusoidal embedding (default 32).

    Shape:
        x (B, dim), t (B,) int -> (B, dim).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.models.diffusion import MLPDenoiser
        >>> MLPDenoiser()(gb.randn(5, 2), gb.tensor([1, 2, 3, 4, 5])).shape
        (5, 2)
    """

    def __init__(self, dim: int = 2, hidden: int = 128, layers: int = 3, time_dim: int = 32):
        super().__init__()
        self.time_dim = time_dim
        mods, width = [], dim + time_dim
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        mods.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*mods)

    def forward(self, x, t):
        return self.net(gb.cat([x, timestep_embedding(t, self.time_dim)], dim=1))


class DDPM(nn.Module):
    """A denoising diffusion model around a noise predictor `model(x_t, t)`.

    Args:
        model: Module mapping (x_t, t) to predicted noise of x_t's shape.
        timesteps: T, number of noising steps (default 1000).
        schedule: 'linear' or 'cosine' beta schedule (default 'linear').
        clip_denoised: clamp the estimate of x_0 to [-1, 1] while sampling (default True; for
            data scaled to [-1, 1]; use False for unbounded data).

    Shape:
        x_0 (B, *) -> loss: scalar; samples: (B, *).

    Example:
        >>> import glassbox as gb
        >>> from glassbox.models.diffusion import DDPM, MLPDenoiser
        >>> ddpm = DDPM(MLPDenoiser(), timesteps=50, clip_denoised=False)
        >>> ddpm.loss(gb.randn(8, 2)).shape
        ()
        >>> ddpm.ddim_sample((4, 2), steps=5, seed=0).shape
        (4, 2)
    """

    def __init__(self, model, timesteps: int = 1000, schedule: str = "linear",
                 clip_denoised: bool = True):
        super().__init__()
        self.model = model
        self.timesteps, self.schedule, self.clip_denoised = int(timesteps), schedule, clip_denoised
        b = beta_schedule(schedule, self.timesteps)
        self.betas = b
        self.alphas = 1.0 - b
        self.alpha_bar = np.cumprod(self.alphas)
        self.alpha_bar_prev = np.r_[1.0, self.alpha_bar[:-1]]
        # posterior q(x_{t-1} | x_t, x_0) = N(c0 x_0 + ct x_t, var)
        self.post_var = b * (1 - self.alpha_bar_prev) / (1 - self.alpha_bar)
        self.post_c0 = np.sqrt(self.alpha_bar_prev) * b / (1 - self.alpha_bar)
        self.post_ct = np.sqrt(self.alphas) * (1 - self.alpha_bar_prev) / (1 - self.alpha_bar)

    def _coef(self, values: np.ndarray, t: np.ndarray, ndim: int) -> Tensor:
        """values[t] as a (B, 1, ..., 1) tensor that broadcasts against a (B, ...) batch."""
        v = values[t].reshape((-1,) + (1,) * (ndim - 1)).astype(gb.get_default_dtype())
        return gb.tensor(v)

    def q_sample(self, x0, t, noise=None) -> Tensor:
        """Draw x_t ~ q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I).

        Args:
            x0: (B, *) clean data.
            t: (B,) int timesteps in [0, T).
            noise: (B, *) standard normal noise (default: drawn from glassbox's generator).
        """
        t = np.asarray(t._data if isinstance(t, Tensor) else t, dtype=np.int64).reshape(-1)
        if t.size and (t.min() < 0 or t.max() >= self.timesteps):
            raise ValueError(f"DDPM: timesteps must be in [0, {self.timesteps}); got {t}")
        noise = gb.randn(*x0.shape) if noise is None else noise
        return (self._coef(np.sqrt(self.alpha_bar), t, x0.ndim) * x0
                + self._coef(np.sqrt(1 - self.alpha_bar), t, x0.ndim) * noise)

    def loss(self, x0) -> Tensor:
        """The simple DDPM objective: MSE between the true and the predicted noise at a random t."""
        t = gb.default_generator().integers(0, self.timesteps, x0.shape[0])
        noise = gb.randn(*x0.shape)
        return F.mse_loss(self.model(self.q_sample(x0, t, noise), gb.tensor(t)), noise)

    forward = loss

    def _x0_from_eps(self, x, eps, t):
        ab = self.alpha_bar[t]
        x0 = (x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
        return np.clip(x0, -1, 1) if self.clip_denoised else x0

    def _eps(self, x: np.ndarray, t: int) -> np.ndarray:
        tt = gb.tensor(np.full(x.shape[0], t, dtype=np.int64))
        return self.model(gb.tensor(x.astype(gb.get_default_dtype())), tt).numpy().astype(np.float64)

    @gb.no_grad()
    def sample(self, shape, seed=None, noise=None, return_trajectory: bool = False, every: int = 0):
        """Ancestral sampling: T steps from x_T ~ N(0, I) down to x_0.

        Args:
            shape: (B, *) of the samples.
            seed: seed of the sampling noise (default: fresh randomness).
            noise: x_T to start from (default drawn).
            return_trajectory: also return intermediate x_t (default False).
            every: keep every `every`-th step in the trajectory (default T // 10).

        Returns:
            a (B, *) Tensor, or (samples, list of (t, ndarray)) with return_trajectory.
        """
        was = self.training
        self.eval()
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape) if noise is None else np.asarray(noise, dtype=np.float64)
        every = every or max(1, self.timesteps // 10)
        traj = [(self.timesteps, x.copy())]
        for t in reversed(range(self.timesteps)):
            x0 = self._x0_from_eps(x, self._eps(x, t), t)
            mean = self.post_c0[t] * x0 + self.post_ct[t] * x
            x = mean + (math.sqrt(self.post_var[t]) * rng.standard_normal(shape) if t else 0)
            if return_trajectory and (t % every == 0):
                traj.append((t, x.copy()))
        self.train(was)
        out = gb.tensor(x.astype(gb.get_default_dtype()))
        return (out, traj) if return_trajectory else out

    @gb.no_grad()
    def ddim_sample(self, shape, steps: int = 50, eta: float = 0.0, seed=None, noise=None,
                    return_trajectory: bool = False):
        """DDIM sampling over `steps` evenly spaced timesteps; deterministic when eta = 0.

        x_{s} = sqrt(ab_s) x0_hat + sqrt(1 - ab_s - sigma^2) eps_hat + sigma z, with
        sigma = eta sqrt((1 - ab_s) / (1 - ab_t)) sqrt(1 - ab_t / ab_s); eta = 1 is ancestral-like.

        Args:
            shape: (B, *) of the samples.
            steps: number of denoising steps, <= T (default 50).
            eta: noise scale in [0, 1] (default 0: deterministic given x_T).
            seed: seed of x_T and of the sampling noise.
            noise: x_T to start from (default drawn).
            return_trajectory: also return every intermediate x.
        """
        if not 1 <= steps <= self.timesteps:
            raise ValueError(f"DDPM.ddim_sample: steps must be in [1, {self.timesteps}], got {steps}")
        was = self.training
        self.eval()
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape) if noise is None else np.asarray(noise, dtype=np.float64)
        ts = np.unique(np.linspace(0, self.timesteps - 1, steps).round().astype(int))[::-1]
        traj = [(self.timesteps, x.copy())]
        for i, t in enumerate(ts):
            eps = self._eps(x, int(t))
            x0 = self._x0_from_eps(x, eps, t)
            if self.clip_denoised:  # re-derive eps from the clipped x0, so the two agree
                eps = (x - math.sqrt(self.alpha_bar[t]) * x0) / math.sqrt(1 - self.alpha_bar[t])
            ab_prev = self.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else 1.0
            ab = self.alpha_bar[t]
            sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
            x = math.sqrt(ab_prev) * x0 + math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) * eps
            if sigma > 0:
                x = x + sigma * rng.standard_normal(shape)
            if return_trajectory:
                traj.append((int(t), x.copy()))
        self.train(was)
        out = gb.tensor(x.astype(gb.get_default_dtype()))
        return (out, traj) if return_trajectory else out

    def extra_repr(self) -> str:
        return f"timesteps={self.timesteps}, schedule={self.schedule!r}"
