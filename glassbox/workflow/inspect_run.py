"""Looking at a saved run: attack it (glassbox.robust), compress it (glassbox.compress).

    attack_run("runs/mnist", epsilons=[0.05, 0.1], figure="adversarial.png")  # {eps: accuracy}
    compress_run("runs/mnist", methods=("int8", "prune"))                      # CompressionReport

Each function loads the run (see runs.load_run), takes the test split of the data it was
trained on, and hands the model to the library package that does the work.
"""

from __future__ import annotations

import numpy as np

from glassbox.workflow.data import load_data
from glassbox.workflow.runs import load_run

__all__ = ["COMPRESS_METHODS", "EXPLAIN_METHODS", "attack_run", "compress_run", "explain_run",
           "report_run"]

COMPRESS_METHODS = ("int8", "dynamic", "prune")


def _test_split(config: dict, data, limit: int | None):
    info = config["data"]
    if info["task"] != "classification":
        raise ValueError(f"this command needs a classifier; this run's task is {info['task']}")
    dataset = load_data(data if data is not None else info["source"])
    if list(dataset.input_shape) != list(info["input_shape"]):
        raise ValueError(f"{dataset.name} has examples of shape {dataset.input_shape}; the run "
                         f"was trained on {tuple(info['input_shape'])}")
    x, y = dataset.x_test, dataset.y_test
    return (x[:limit], y[:limit]) if limit else (x, y)


def attack_run(run, epsilons=(0.0, 0.05, 0.1, 0.2), attack: str = "fgsm", data=None,
               limit: int | None = 1000, figure=None, **attack_kwargs) -> dict:
    """Accuracy of a saved classifier under an adversarial attack, for each budget eps.

    Args:
        run: the run folder.
        epsilons: L-infinity budgets in input units (pixels are in [0, 1]).
        attack: 'fgsm' or 'pgd' (default 'fgsm').
        data: dataset to attack instead of the run's own (default None).
        limit: attack only the first `limit` test examples (default 1000; None for all).
        figure: also save an original / perturbation / adversarial figure of the first test
            example at the largest eps to this PNG path (default None).
        **attack_kwargs: passed on to the attack (e.g. steps=20 for pgd).

    Returns:
        {eps: accuracy}.
    """
    from glassbox.robust import evaluate_robustness, fgsm, pgd, plot_adversarial_example

    model, config = load_run(run)
    x, y = _test_split(config, data, limit)
    tabular = config["data"].get("normalize") is not None
    if tabular:  # standardised features have no [0, 1] range to stay inside
        attack_kwargs.setdefault("clamp", None)
    curve = evaluate_robustness(model, (x, y), list(epsilons), attack=attack, **attack_kwargs)
    if figure is not None:
        shape = config["data"]["input_shape"]
        side = round(np.sqrt(shape[0])) if len(shape) == 1 else 0
        if len(shape) not in (2, 3) and side * side != shape[0]:
            raise ValueError("--figure needs images; this run takes examples of shape "
                             f"{tuple(shape)}")
        eps = max(epsilons)
        one, label = x[:1], y[:1]
        attacker = pgd if attack == "pgd" else fgsm
        x_adv = np.asarray(attacker(model, one, label, eps, **attack_kwargs))
        if len(shape) == 1:  # flat square images (8x8 digits): the model sees them flat

            def model_on_images(images, _model=model):
                return _model(images.reshape(len(images), -1))

            model = model_on_images
            one, x_adv = one.reshape(1, side, side), x_adv.reshape(1, side, side)
        fig = plot_adversarial_example(model, one[0], x_adv[0], path=figure)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return curve


def compress_run(run, methods=("int8", "prune"), amount: float = 0.5, data=None,
                 limit: int | None = 1000, repeats: int = 5):
    """File size, accuracy and latency of a saved run before and after compression.

    Args:
        run: the run folder.
        methods: any of 'int8' (static int8 quantization calibrated on training inputs),
            'dynamic' (int8 weights of Linear layers) and 'prune' (the `amount` smallest
            weights of all Linear/Conv layers set to zero).
        amount: fraction pruned by 'prune' (default 0.5).
        data: dataset to measure on instead of the run's own (default None).
        limit: measure on the first `limit` test examples (default 1000; None for all).
        repeats: timed repetitions for the latency columns (default 5).

    Returns:
        glassbox.compress.CompressionReport (`.rows`, `.to_markdown()`, `.to_html()`).
    """
    from glassbox.compress import (
        compression_report,
        global_unstructured,
        quantize,
        quantize_dynamic,
    )
    from glassbox.compress._util import clone_module

    unknown = [m for m in methods if m not in COMPRESS_METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown compression method(s) {unknown}: use "
                         f"{', '.join(COMPRESS_METHODS)}")
    model, config = load_run(run)
    x, y = _test_split(config, data, limit)
    calibration = load_data(data if data is not None else config["data"]["source"]).x_train
    variants = {}
    for method in methods:
        if method == "int8":
            variants["int8"] = quantize(model, calibration[:512])
        elif method == "dynamic":
            variants["dynamic int8"] = quantize_dynamic(model)
        else:
            pruned = clone_module(model)
            global_unstructured(pruned, amount=amount)
            variants[f"pruned {amount:.0%}"] = pruned
    return compression_report(model, (x, y), variants, batch_sizes=(1, 256), repeats=repeats)


EXPLAIN_METHODS = {"saliency": "Saliency", "input_x_gradient": "InputXGradient",
                   "integrated_gradients": "IntegratedGradients"}


def explain_run(run, methods=("saliency", "integrated_gradients"), n: int = 4, data=None,
                path="attributions.png") -> dict:
    """Attribution maps of a saved classifier for its first `n` test examples, as one PNG.

    Args:
        run: the run folder.
        methods: names in EXPLAIN_METHODS (default saliency and integrated gradients).
        n: examples explained (default 4).
        data: dataset to take the examples from instead of the run's own (default None).
        path: the PNG written (default 'attributions.png').

    Returns:
        {'path': the PNG, 'predicted': predicted classes, 'labels': true classes,
        'attributions': {method: array of the inputs' shape}}; each example is explained for
        the class the model predicts.
    """
    import glassbox as gb
    from glassbox import explain

    unknown = [m for m in methods if m not in EXPLAIN_METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown attribution method(s) {unknown}: use "
                         f"{', '.join(EXPLAIN_METHODS)}")
    model, config = load_run(run)
    x, y = _test_split(config, data, n)
    with gb.no_grad():
        predicted = model(gb.from_numpy(x)).argmax(dim=1).numpy()
    maps = {}
    for method in methods:
        attributor = getattr(explain, EXPLAIN_METHODS[method])(model)
        maps[method] = np.asarray(attributor.attribute(x, target=predicted.tolist()).numpy())
    fig = explain.plot_attributions(x, maps, titles=[f"predicted {p}, true {t}"
                                                     for p, t in zip(predicted, y)], path=path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return {"path": str(path), "predicted": predicted.tolist(), "labels": y.tolist(),
            "attributions": maps}


def report_run(run, path=None, data=None, max_eval: int = 1000, compression: bool = True,
               epsilons=(0.0, 0.05, 0.1, 0.2)) -> str:
    """Write the HTML report (glassbox.report.build_report) of a saved run; return its path.

    Args:
        run: the run folder.
        path: the .html file (default: report.html inside the run folder).
        data: dataset to report on instead of the run's own (default None).
        max_eval: evaluate on at most this many test examples (default 1000).
        compression: include the int8 compression table (default True).
        epsilons: attack budgets of the robustness curve.
    """
    import json
    from pathlib import Path

    from glassbox.report import build_report

    model, config = load_run(run)
    _test_split(config, data, 1)  # checks: a classifier, and data of the run's shape
    dataset = load_data(data if data is not None else config["data"]["source"])
    history_file = Path(run) / "history.json"
    history = json.loads(history_file.read_text())["history"] if history_file.is_file() else None
    path = Path(run) / "report.html" if path is None else Path(path)
    return str(build_report(model, (dataset.x_train, dataset.y_train, dataset.x_test,
                                    dataset.y_test), str(path), history=history,
                            max_eval=max_eval, compression=None if compression else False,
                            epsilons=tuple(epsilons)))
