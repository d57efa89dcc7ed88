"""DDPM: the forward marginal, schedules, the training loss, DDIM determinism, denoisers."""

import numpy as np
import pytest

import glassbox as gb
from glassbox.models.diffusion import DDPM, MLPDenoiser, UNet, beta_schedule, timestep_embedding


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_q_sample_has_the_closed_form_marginal(schedule):
    ddpm = DDPM(MLPDenoiser(dim=3), timesteps=100, schedule=schedule)
    gb.manual_seed(0)
    x0 = np.array([0.8, -0.5, 0.1], dtype=np.float32)
    n = 20000
    for t in (0, 30, 99):
        xt = ddpm.q_sample(gb.tensor(np.tile(x0, (n, 1))), np.full(n, t)).numpy().astype(np.float64)
        ab = ddpm.alpha_bar[t]
        se_mean = np.sqrt((1 - ab) / n)
        np.testing.assert_allclose(xt.mean(0), np.sqrt(ab) * x0, atol=5 * se_mean + 1e-6)
        # the variance estimate's standard error is about var * sqrt(2 / n)
        np.testing.assert_allclose(xt.var(0), 1 - ab, rtol=5 * np.sqrt(2 / n), atol=1e-7)


def test_schedules():
    lin, cos = beta_schedule("linear", 1000), beta_schedule("cosine", 1000)
    assert lin[0] == pytest.approx(1e-4) and lin[-1] == pytest.approx(0.02)
    assert (np.diff(lin) > 0).all() and (cos > 0).all() and (cos <= 0.999).all()
    assert np.prod(1 - cos) < 1e-4 and np.prod(1 - lin) < 1e-4  # x_T is almost pure noise
    with pytest.raises(ValueError, match="linear' or 'cosine"):
        beta_schedule("quadratic", 10)


def test_ddim_with_eta_zero_is_deterministic_and_eta_one_is_not():
    gb.manual_seed(0)
    ddpm = DDPM(MLPDenoiser(hidden=16, layers=2), timesteps=50, clip_denoised=False)
    noise = np.random.default_rng(0).standard_normal((6, 2))
    a = ddpm.ddim_sample((6, 2), steps=10, eta=0.0, noise=noise, seed=1).numpy()
    b = ddpm.ddim_sample((6, 2), steps=10, eta=0.0, noise=noise, seed=2).numpy()
    c = ddpm.ddim_sample((6, 2), steps=10, eta=1.0, noise=noise, seed=1).numpy()
    d = ddpm.ddim_sample((6, 2), steps=10, eta=1.0, noise=noise, seed=2).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(c, d)


def test_ddim_with_all_steps_and_perfect_denoiser_recovers_the_data_point():
    # eps_theta that knows x_0: x_t = sqrt(ab) x0 + sqrt(1 - ab) eps  =>  eps = (x_t - sqrt(ab) x0) / sqrt(1-ab)
    x0 = np.array([[0.3, -0.7]])

    class Oracle(gb.nn.Module):
        def __init__(self):
            super().__init__()
            self.ddpm = None

        def forward(self, x, t):
            ab = self.ddpm.alpha_bar[int(t.numpy()[0])]
            return gb.tensor(((x.numpy() - np.sqrt(ab) * x0) / np.sqrt(1 - ab)).astype(np.float32))

    oracle = Oracle()
    ddpm = DDPM(oracle, timesteps=100, clip_denoised=False)
    oracle.ddpm = ddpm
    out = ddpm.ddim_sample((1, 2), steps=20, seed=0).numpy()
    np.testing.assert_allclose(out, x0, atol=1e-4)
    out = ddpm.sample((1, 2), seed=0).numpy()
    np.testing.assert_allclose(out, x0, atol=1e-4)


def test_training_lowers_the_loss_on_a_toy_distribution():
    gb.manual_seed(0)
    rng = np.random.default_rng(0)
    data = gb.tensor((rng.standard_normal((256, 2)) * 0.05 + [0.5, -0.5]).astype(np.float32))
    ddpm = DDPM(MLPDenoiser(hidden=32, layers=2), timesteps=50, clip_denoised=False)
    opt = gb.optim.Adam(ddpm.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        loss = ddpm.loss(data)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-20:]) < 0.6 * np.mean(losses[:5])
    samples = ddpm.ddim_sample((200, 2), steps=25, seed=0).numpy()
    assert np.abs(samples.mean(0) - [0.5, -0.5]).max() < 0.15


def test_unet_shapes_gradients_and_errors():
    net = UNet(base_channels=8, channel_mults=(1, 2, 2))
    x = gb.randn(2, 1, 8, 8, requires_grad=True)
    out = net(x, gb.tensor([3, 7]))
    assert out.shape == (2, 1, 8, 8)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="divisible by 4"):
        net(gb.randn(1, 1, 6, 6), gb.tensor([0]))
    emb = timestep_embedding([0, 1, 100], 16).numpy()
    assert emb.shape == (3, 16) and np.allclose(emb[0, 8:], 1.0) and np.allclose(emb[0, :8], 0)
