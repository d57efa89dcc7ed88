"""The HTML report: self-contained, every section present, and it renders with its images."""

import base64
import os
import re
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import glassbox as gb
import glassbox.nn.functional as F
from glassbox import nn
from glassbox.data import datasets
from glassbox.report import build_report
from glassbox.train import Trainer

pytest.importorskip("matplotlib")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small CNN trained for one epoch on 1,000 MNIST-5k images, and its report."""
    gb.manual_seed(0)
    d = datasets.mnist5k()
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 14 * 14, 10))
    history = Trainer(model, F.cross_entropy, gb.optim.Adam(model.parameters(), lr=3e-3)).fit(
        (d.x_train[:1000], d.y_train[:1000]), epochs=2, batch_size=64, verbose=0,
        validation_split=0.2)
    path = str(tmp_path_factory.mktemp("report") / "report.html")
    with _no_warnings():
        build_report(model, (d.x_train[:300], d.y_train[:300], d.x_test, d.y_test), path,
                     history=history, max_eval=120, n_examples=6, epsilons=(0.0, 0.1))
    with open(path, encoding="utf-8") as fh:
        return path, fh.read()


class _no_warnings:
    """Fail on a section that broke (build_report warns and keeps going)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error", UserWarning)

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


def test_report_is_self_contained(report):
    _, text = report
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
    parser = _Tags()
    parser.feed(text)
    imgs = [a for t, a in parser.tags if t == "img"]
    assert len(imgs) >= 9  # curves, confusion, confused, attributions, layers x3, robust x2, ...
    for attrs in imgs:
        src = attrs["src"]
        assert src.startswith("data:image/png;base64,"), src[:40]
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    for tag, attrs in parser.tags:
        assert tag not in ("link", "iframe", "object", "embed"), tag
        assert not (tag == "script" and "src" in attrs)
        for key in ("src", "href"):
            assert not attrs.get(key, "data:").split(":")[0] in ("http", "https", "file"), attrs


def test_report_has_every_section(report):
    _, text = report
    for heading in ("Summary", "Training curves", "Evaluation", "Most confused examples",
                    "Saliency and integrated gradients", "What each layer sees",
                    "Probe accuracy by layer", "Robustness to adversarial examples",
                    "Compression", "precision", "recall", "int8 static"):
        assert heading in text, heading
    assert "class='fail'" not in text
    assert "Skipped" not in text  # explain and robust have landed: nothing is left out


def test_missing_pieces_become_notes(tmp_path):
    x = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    path = build_report(model, (x, y), str(tmp_path / "r.html"), compression=False,
                        epsilons=(0.0, 0.1))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert "no History given" in text  # no training curves without a History
    assert "are not images" in text  # vector inputs: no image grids
    assert "compression=False" in text
    assert "class='fail'" not in text


def _colours(png_path, box=None):
    import matplotlib.image as mpimg

    img = mpimg.imread(png_path)[..., :3]
    if box is not None:
        img = img[box]
    q = np.round(img * 255).astype(np.int32).reshape(-1, 3)
    return len(np.unique(q[:, 0] * 65536 + q[:, 1] * 256 + q[:, 2])), img


def _screenshot(chromium, html_path, png_path, tmp_path):
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={png_path}", "--window-size=1200,3000", f"file://{html_path}"]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=180)
    assert os.path.exists(png_path), done.stderr[-2000:]


def test_chromium_screenshot_shows_the_images(report, chromium, tmp_path):
    path, text = report
    shot = str(tmp_path / "report.png")
    _screenshot(chromium, path, shot, tmp_path)
    # the same page with every image source blanked: what the page looks like without them
    blank = str(tmp_path / "blank.html")
    with open(blank, "w", encoding="utf-8") as fh:
        fh.write(re.sub(r"src='data:image/png;base64,[^']*'", "src=''", text))
    shot_blank = str(tmp_path / "blank.png")
    _screenshot(chromium, blank, shot_blank, tmp_path)

    n_full, img = _colours(shot)
    n_blank, img_blank = _colours(shot_blank)
    assert img.shape[:2] == (3000, 1200)
    stats = {name: (float(((a.max(-1) - a.min(-1)) > 0.15).mean()),  # colourful pixels
                    float((a.mean(-1) < 0.5).mean()))  # dark pixels
             for name, a in (("full", img), ("blank", img_blank))}
    print(f"distinct colours {n_full} vs {n_blank}; colourful/dark fractions {stats}")
    assert n_full > 2 * n_blank, (n_full, n_blank)
    (colourful, dark), (colourful0, dark0) = stats["full"], stats["blank"]
    assert colourful > 0.01 and colourful > 20 * colourful0  # heat maps, curves, activations
    assert dark > 0.05 and dark > 4 * dark0  # the digit images (white on black)
    # where the images are: 50-row bands that are mostly image (dark, many colours)
    bands = [r for r in range(0, 3000, 50)
             if (img[r : r + 50].mean(-1) < 0.5).mean() > 0.15
             and _colours(shot, np.s_[r : r + 50, :])[0] > 100]
    bands_blank = [r for r in range(0, 3000, 50)
                   if (img_blank[r : r + 50].mean(-1) < 0.5).mean() > 0.15]
    assert len(bands) >= 8 and not bands_blank, (bands, bands_blank)
