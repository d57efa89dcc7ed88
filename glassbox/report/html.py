"""`build_report`: one self-contained HTML file about a trained classifier.

Every figure is a PNG embedded as a base64 data URI and the style sheet is inline, so the file
has no external assets: it can be mailed, archived or opened offline. Each section is built
independently; a section whose ingredients are missing (no History, non-image inputs, an
explain/robust feature not available) is replaced by a short note saying why, and a section
that fails is reported as failed (with the error) instead of breaking the whole report.
"""

from __future__ import annotations

import html
import os
import time
import warnings

import numpy as np

from glassbox.autograd import no_grad
from glassbox.report import figures
from glassbox.tensor import Tensor

__all__ = ["build_report"]

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 24px;
       color: #1d1d1f; max-width: 1150px; }
h1 { font-size: 26px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
pre { background: #f7f7f7; padding: 8px; font-size: 12px; overflow-x: auto; }
img { max-width: 100%; display: block; margin: 8px 0; }
.note { color: #8a6d3b; background: #fcf8e3; padding: 6px 10px; border-left: 4px solid #e0c36b; }
.fail { color: #a94442; background: #f2dede; padding: 6px 10px; border-left: 4px solid #d9534f; }
.muted { color: #666; font-size: 13px; }
"""


class Skip(Exception):
    """Raised by a section that cannot be drawn for a known reason (shown as a note)."""


def _img(fig, alt: str) -> str:
    return f"<img alt='{html.escape(alt)}' src='{figures.png_data_uri(fig)}'>"


def _table(header, rows) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
    return "".join(out) + "</table>"


def _optional(module: str, *names):
    """Import names from a glassbox module that may not exist yet; Skip with a note if not."""
    import importlib

    try:
        mod = importlib.import_module(module)
        return [getattr(mod, n) for n in names]
    except (ImportError, AttributeError) as e:
        raise Skip(f"{module}.{'/'.join(names)} is not available in this glassbox ({e})") from e


def _data(dataset):
    """(x_train or None, y_train or None, x_test, y_test) as NumPy arrays."""
    def arr(a):
        return a._data if isinstance(a, Tensor) else np.asarray(a)

    if hasattr(dataset, "x_test"):
        return (arr(dataset.x_train), arr(dataset.y_train), arr(dataset.x_test),
                arr(dataset.y_test))
    if isinstance(dataset, (tuple, list)) and len(dataset) == 4:
        return tuple(arr(a) for a in dataset)
    if isinstance(dataset, (tuple, list)) and len(dataset) == 2:
        return None, None, arr(dataset[0]), arr(dataset[1])
    raise TypeError("build_report: dataset must be (x_test, y_test), (x_train, y_train, "
                    f"x_test, y_test) or a datasets.Split, got {type(dataset).__name__}")


def _logits(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    out = []
    with no_grad():
        for s in range(0, len(x), batch_size):
            out.append(model(Tensor._wrap(np.ascontiguousarray(x[s : s + batch_size])))._data)
    return np.concatenate(out).astype(np.float64)


class _Context:
    """What the sections share: the model, data, predictions and options."""

    def __init__(self, model, dataset, history, class_names, n_examples, max_eval, epsilons,
                 compression, seed):
        self.model = model
        self.x_train, self.y_train, x, y = _data(dataset)
        if len(x) > max_eval:
            x, y = x[:max_eval], y[:max_eval]
        self.x, self.y = np.asarray(x, np.float32), np.asarray(y).astype(np.int64)
        self.history = getattr(history, "history", history)
        self.logits = _logits(model, self.x)
        z = self.logits - self.logits.max(axis=1, keepdims=True)
        self.probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.pred = self.probs.argmax(axis=1)
        n_classes = self.logits.shape[1]
        self.class_names = [str(c) for c in (class_names or range(n_classes))]
        self.images = figures.as_images(self.x)
        self.n_examples, self.epsilons = n_examples, list(epsilons)
        self.compression, self.seed = compression, seed

    def need_images(self):
        if self.images is None:
            raise Skip(f"the inputs, shape {self.x.shape[1:]}, are not images")


# --- sections ----------------------------------------------------------------------------------


def _summary(c: _Context) -> str:
    n_params = sum(p._data.size for p in c.model.parameters())
    acc = float((c.pred == c.y).mean())
    rows = [("test examples", len(c.y)), ("input shape", tuple(c.x.shape[1:])),
            ("classes", len(c.class_names)), ("parameters", f"{n_params:,}"),
            ("test accuracy", f"{100 * acc:.2f}%")]
    return _table(("", "value"), rows) + f"<pre>{html.escape(repr(c.model))}</pre>"


def _training(c: _Context) -> str:
    if not c.history:
        raise Skip("no History given (pass history=trainer.fit(...) to see the curves)")
    rows = [(k, f"{v[-1]:.4f}") for k, v in c.history.items()]
    return _img(figures.training_curves(c.history), "training curves") + _table(
        ("metric", "last epoch"), rows)


def _evaluation(c: _Context) -> str:
    from glassbox.train.metrics import confusion_matrix, precision_recall_f1

    k = len(c.class_names)
    cm = confusion_matrix(c.pred, c.y, num_classes=k)
    p, r, f = precision_recall_f1(c.pred, c.y, average=None, num_classes=k)
    support = cm.sum(axis=1)
    rows = [(c.class_names[i], f"{p[i]:.3f}", f"{r[i]:.3f}", f"{f[i]:.3f}", int(support[i]))
            for i in range(k)]
    rows.append(("macro average", f"{p.mean():.3f}", f"{r.mean():.3f}", f"{f.mean():.3f}",
                 int(support.sum())))
    return (_img(figures.confusion(cm, c.class_names), "confusion matrix")
            + _table(("class", "precision", "recall", "F1", "support"), rows))


def _confused(c: _Context) -> str:
    c.need_images()
    wrong = np.flatnonzero(c.pred != c.y)
    if not len(wrong):
        raise Skip("every test example is classified correctly")
    order = wrong[np.argsort(-c.probs[wrong, c.pred[wrong]])][: 2 * c.n_examples]
    titles = [f"{c.class_names[c.y[i]]}\u2192{c.class_names[c.pred[i]]} "
              f"({c.probs[i, c.pred[i]]:.2f})" for i in order]
    return ("<p class='muted'>Misclassified test examples the model was most sure about: "
            "true\u2192predicted (confidence).</p>"
            + _img(figures.image_grid(c.images[order], titles), "most confused examples"))


def _attributions(c: _Context) -> str:
    c.need_images()
    saliency, integrated = _optional_explain("Saliency", "IntegratedGradients")
    idx = np.arange(min(c.n_examples, len(c.x)))
    x = c.x[idx]
    target = [int(t) for t in c.pred[idx]]
    maps = {}
    sal = saliency(c.model).attribute(x, target=target)
    maps["saliency"] = figures.as_images(_np(sal).reshape(x.shape))
    ig = integrated(c.model).attribute(x, target=target, n_steps=32)
    maps["integrated gradients"] = figures.as_images(_np(ig).reshape(x.shape))
    titles = [f"pred {c.class_names[t]}" for t in target]
    return ("<p class='muted'>|attribution| for the predicted class, scaled per image.</p>"
            + _img(figures.attribution_grid(c.images[idx], maps, titles), "attributions"))


def _np(t):
    return t._data if isinstance(t, Tensor) else np.asarray(t)


def _optional_explain(*names):
    """Names from glassbox.explain (the package, else its modules)."""
    try:
        return _optional("glassbox.explain", *names)
    except Skip:
        modules = {"Saliency": "saliency", "IntegratedGradients": "integrated_gradients",
                   "activations": "activations", "conv_filters": "activations",
                   "LinearProbe": "probes"}
        return [_optional(f"glassbox.explain.{modules.get(n, n.lower())}", n)[0] for n in names]


def _top_layers(model):
    """(name, module) of the leaves, in registration order, for 'what each layer sees'."""
    return [(name, m) for name, m in model.named_modules() if name and not m._modules]


def _layers(c: _Context) -> str:
    (activations,) = _optional_explain("activations")
    parts = []
    layers = [(n, m) for n, m in _top_layers(c.model)
              if type(m).__name__ not in ("Dropout", "Dropout2d", "Flatten", "Identity")]
    names = [n for n, _ in layers]
    acts = activations(c.model, c.x[:1], names)
    maps, titles = [], []
    for name, m in layers:
        a = _np(acts[name])[0]
        if a.ndim == 3:  # (C, H, W): the first few channels
            for ch in range(min(6, a.shape[0])):
                maps.append(a[ch])
                titles.append(f"{name} {type(m).__name__} c{ch}")
        elif a.ndim == 1:  # (F,): the vector as a near-square image
            side = int(np.ceil(np.sqrt(a.size)))
            maps.append(np.pad(a, (0, side * side - a.size)).reshape(side, side))
            titles.append(f"{name} {type(m).__name__} ({a.size})")
    if c.images is not None:
        maps.insert(0, c.images[0])
        titles.insert(0, "input")
    parts.append("<h3>Activations of one test image</h3>"
                 + _img(figures.image_grid(maps, titles, ncols=7, cmap="viridis", size=1.6),
                        "activations"))
    parts.append(_filters(c))
    parts.append(_probes(c, layers))
    return "".join(parts)


def _filters(c: _Context) -> str:
    (conv_filters,) = _optional_explain("conv_filters")
    convs = [n for n, m in _top_layers(c.model) if type(m).__name__ == "Conv2d"]
    if not convs:
        return "<p class='note'>No Conv2d layer: no filters to show.</p>"
    w = np.asarray(conv_filters(c.model, convs[0]))  # (O, I, kh, kw)
    tiles = [w[o, 0] for o in range(min(32, len(w)))]
    return (f"<h3>Filters of the first convolution ({html.escape(convs[0])}), input channel 0"
            "</h3>" + _img(figures.image_grid(tiles, [str(i) for i in range(len(tiles))],
                                              ncols=16, cmap="RdBu_r", size=0.8), "filters"))


def _probes(c: _Context, layers) -> str:
    try:
        (probe_cls,) = _optional_explain("LinearProbe")
    except Skip as e:
        return f"<h3>Probe accuracy by layer</h3><p class='note'>Skipped: {html.escape(str(e))}</p>"
    if c.x_train is None:
        return ("<h3>Probe accuracy by layer</h3><p class='note'>Skipped: pass the training "
                "split in `dataset` to fit the probes.</p>")
    n = min(1000, len(c.x_train))
    names = ["input"] + [name for name, _ in layers]
    probe = probe_cls(c.model, names).fit(c.x_train[:n], c.y_train[:n])
    scores = probe.score(c.x, c.y)
    accs = [float(scores[name]) for name in names]
    fig = figures.line_plot(None, accs, "layer", "probe accuracy", "linear probe by layer",
                            labels=names)
    return "<h3>Probe accuracy by layer</h3>" + _img(fig, "probe accuracy") + _table(
        ("layer", "probe accuracy"), [(a, f"{b:.3f}") for a, b in zip(names, accs)])


def _robustness(c: _Context) -> str:
    fgsm, evaluate_robustness, plot_adv = _optional(
        "glassbox.robust", "fgsm", "evaluate_robustness", "plot_adversarial_example")
    n = min(200, len(c.x))
    x, y = c.x[:n], c.y[:n]
    curves = {}
    for attack in ("fgsm", "pgd"):
        acc = evaluate_robustness(c.model, (x, y), c.epsilons, attack=attack)
        curves[attack.upper()] = [acc[e] for e in c.epsilons]
    parts = []
    if c.images is not None and c.x.ndim == 4:
        eps = c.epsilons[len(c.epsilons) // 2] or 0.1
        i = int(np.flatnonzero(c.pred == c.y)[0]) if (c.pred == c.y).any() else 0
        x_adv = _np(fgsm(c.model, c.x[i : i + 1], c.y[i : i + 1], eps=eps))
        fig = plot_adv(c.model, c.x[i], x_adv[0], class_names=c.class_names)
        parts.append(f"<h3>An adversarial example (FGSM, eps={eps})</h3>"
                     + _img(fig, "adversarial example"))
    fig = figures.line_plot(c.epsilons, curves, "eps (L-inf)", "accuracy",
                            f"robustness curve ({n} test examples)")
    rows = [(e, *(f"{curves[k][j]:.3f}" for k in curves)) for j, e in enumerate(c.epsilons)]
    parts.append("<h3>Accuracy under attack</h3>" + _img(fig, "robustness curve")
                 + _table(("eps", *curves), rows))
    return "".join(parts)


def _compression(c: _Context) -> str:
    comp = c.compression
    if comp is False:
        raise Skip("compression=False")
    if comp is None:  # measure the default: static int8 against float32, quickly
        from glassbox.compress import compression_report, quantize

        if c.x_train is None:
            calib = c.x[:256]
        else:
            calib = c.x_train[:512]
        comp = compression_report(c.model, (c.x, c.y), {"int8 static": quantize(c.model, calib)},
                                  repeats=5)
    if isinstance(comp, dict):
        comp = {k: v for k, v in comp.items()}
        tables = [f"<h3>{html.escape(k)}</h3>" + _as_table(v) for k, v in comp.items()]
        return "".join(tables)
    return _as_table(comp)


def _as_table(comp) -> str:
    if hasattr(comp, "to_html"):
        return (comp.to_html() + "<p class='muted'>Sizes of the safetensors files; latencies "
                "are medians of no-grad forward passes on this machine, interleaved.</p>")
    return f"<pre>{html.escape(str(comp))}</pre>"


_SECTIONS = (
    ("Summary", _summary),
    ("Training curves", _training),
    ("Evaluation: confusion matrix, precision, recall, F1", _evaluation),
    ("Most confused examples", _confused),
    ("Saliency and integrated gradients", _attributions),
    ("What each layer sees", _layers),
    ("Robustness to adversarial examples", _robustness),
    ("Compression", _compression),
)


def build_report(model, dataset, path, history=None, class_names=None, title: str | None = None,
                 n_examples: int = 8, max_eval: int = 1000, epsilons=(0.0, 0.05, 0.1, 0.2),
                 compression=None, seed: int = 0) -> str:
    """Write one self-contained HTML report on a trained classifier; return its path.

    Sections: summary, training curves, confusion matrix with per-class precision/recall/F1,
    the most confidently misclassified examples, saliency and integrated-gradient maps, what
    each layer sees (activations, first conv filters, linear-probe accuracy by layer), the
    adversarial example figure and robustness curve (FGSM, PGD), and the compression table.
    Figures are PNGs embedded as base64; nothing is fetched when the file is opened.

    Args:
        model: a classifier Module returning logits (N, classes); evaluated in eval mode.
        dataset: (x_test, y_test), (x_train, y_train, x_test, y_test) or a datasets.Split
            (the training part, when given, fits the linear probes and calibrates int8).
        path: the .html file to write.
        history: a History (or its .history dict) for the training curves (default None).
        class_names: names of the classes (default: their indices).
        title: the page title (default: 'glassbox report: <model class>').
        n_examples: examples per image grid (default 8).
        max_eval: evaluate on at most this many test examples (default 1000).
        epsilons: attack budgets of the robustness curve (default (0, 0.05, 0.1, 0.2)).
        compression: a CompressionReport, {title: CompressionReport} or text to show; None
            (default) measures static int8 against float32; False leaves the section out.
        seed: seed for anything random (default 0).

    Returns:
        the path written.

    Example:
        >>> import os, tempfile, numpy as np, glassbox.nn as nn
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
        >>> x = np.random.default_rng(0).random((30, 1, 4, 4), dtype=np.float32)
        >>> y = np.arange(30) % 3
        >>> path = build_report(model, (x, y), os.path.join(tempfile.mkdtemp(), "r.html"),
        ...                     compression=False, epsilons=(0.0, 0.1))
        >>> text = open(path).read()
        >>> "<img" in text and "http://" not in text and "https://" not in text
        True
    """
    from glassbox.backend import manual_seed

    manual_seed(seed)
    was_training = model.training
    model.eval()
    t0 = time.perf_counter()
    try:
        ctx = _Context(model, dataset, history, class_names, n_examples, max_eval, epsilons,
                       compression, seed)
        body = []
        for heading, section in _SECTIONS:
            t_section = time.perf_counter()
            try:
                content = section(ctx)
            except Skip as e:
                content = f"<p class='note'>Skipped: {html.escape(str(e))}</p>"
            except Exception as e:  # noqa: BLE001 - one broken section must not lose the rest
                warnings.warn(f"build_report: section '{heading}' failed: "
                              f"{type(e).__name__}: {e}", stacklevel=2)
                content = (f"<p class='fail'>This section failed: "
                           f"{html.escape(type(e).__name__)}: {html.escape(str(e))}</p>")
            content += (f"<p class='muted'>({time.perf_counter() - t_section:.1f} s to build)"
                        "</p>")
            anchor = heading.split(":")[0].lower().replace(" ", "-")
            body.append(f"<section id='{anchor}'><h2>{html.escape(heading)}</h2>{content}"
                        "</section>")
    finally:
        model.train(was_training)
    title = title or f"glassbox report: {type(model).__name__}"
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class='muted'>Built by glassbox.report in "
            f"{time.perf_counter() - t0:.1f} s. Self-contained: every figure is embedded.</p>"
            + "".join(body) + "</body></html>")
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, path)
    return str(path)
