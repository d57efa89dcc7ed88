"""End-to-end tests of the `glassbox` command: real subprocesses on bundled data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glassbox.data import datasets

_SCRIPT = Path(sys.executable).with_name("glassbox")
TINY = ("--data", "digits", "--hidden", 32, "--lr", 0.005, "--quiet")  # about a second a run


def glassbox(*args, cwd=None, check=True):
    """Run the installed `glassbox` script (or `python -m glassbox` without it)."""
    cmd = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "glassbox"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"glassbox {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One tiny MLP trained for 1 epoch on digits, with a checkpoint."""
    out = tmp_path_factory.mktemp("run")
    proc = glassbox("train", "--model", "mlp", *TINY, "--epochs", 1,
                    "--checkpoint", out / "ckpt.safetensors", "--out", out)
    return out, proc


def test_train_writes_the_run_folder(run):
    out, proc = run
    assert {"model.safetensors", "config.json", "history.json"} <= {p.name for p in out.iterdir()}
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == {"name": "mlp", "kwargs": {"hidden": 32}}
    assert config["data"]["input_shape"] == [64] and config["data"]["num_classes"] == 10
    history = json.loads((out / "history.json").read_text())
    assert len(history["history"]["loss"]) == 1
    assert "test accuracy:" in proc.stdout and str(out) in proc.stdout
    assert history["test"]["accuracy"] > 0.5  # one epoch of Adam already beats chance by far


def test_evaluate_matches_training(run):
    out, _ = run
    results = json.loads(glassbox("evaluate", out, "--json").stdout)
    test = json.loads((out / "history.json").read_text())["test"]
    assert results["samples"] == 359
    assert results["accuracy"] == pytest.approx(test["accuracy"])
    assert results["loss"] == pytest.approx(test["loss"], rel=1e-5)


def test_predict_npy_png_and_values(run, tmp_path):
    import matplotlib.image as mpimg

    out, _ = run
    split = datasets.digits()
    np.save(tmp_path / "three.npy", split.x_test[:3])
    lines = glassbox("predict", out, tmp_path / "three.npy").stdout.strip().splitlines()
    assert len(lines) == 3 and all("class" in line for line in lines)

    mpimg.imsave(tmp_path / "digit.png", split.x_test[0].reshape(8, 8), cmap="gray",
                 vmin=0, vmax=1)
    from_png = json.loads(glassbox("predict", out, tmp_path / "digit.png", "--json").stdout)
    row = ",".join(str(v) for v in split.x_test[0])
    from_row = json.loads(glassbox("predict", out, "--values", row, "--json").stdout)
    # the PNG holds the same pixels (to 8 bits), so the same class comes out
    assert from_png[0]["class"] == from_row[0]["class"]
    assert abs(sum(from_row[0]["probabilities"].values())) <= 1.0 + 1e-6


def test_summary_of_run_and_of_a_registry_model(run):
    out, _ = run
    assert "Total params: 2,410" in glassbox("summary", out).stdout  # 64*32+32 + 32*10+10
    text = glassbox("summary", "cnn", "--data", "mnist5k").stdout
    assert "Conv2d" in text and "MaxPool2d" in text


def test_resume_continues_exactly(run, tmp_path):
    out, _ = run
    glassbox("train", *TINY, "--epochs", 2, "--resume", out / "ckpt.safetensors",
             "--out", tmp_path / "resumed")
    glassbox("train", *TINY, "--epochs", 2, "--out", tmp_path / "straight")
    resumed = json.loads((tmp_path / "resumed" / "history.json").read_text())
    straight = json.loads((tmp_path / "straight" / "history.json").read_text())
    assert len(resumed["history"]["loss"]) == 2
    assert resumed["history"]["loss"] == straight["history"]["loss"]
    from safetensors.numpy import load_file

    a = load_file(tmp_path / "resumed" / "model.safetensors")
    b = load_file(tmp_path / "straight" / "model.safetensors")
    assert all(np.array_equal(a[k], b[k]) for k in a)


def _one_line_failure(proc, *words):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_path_unknown_dataset_and_misfit_model(tmp_path):
    _one_line_failure(glassbox("train", "--data", tmp_path / "missing.csv", check=False),
                      "no such file", "missing.csv")
    _one_line_failure(glassbox("train", "--data", "mnist9k", check=False),
                      "unknown dataset", "mnist9k", "digits")
    _one_line_failure(glassbox("train", "--model", "cnn", "--data", "iris", check=False),
                      "cnn", "(4,)")
    model_file = tmp_path / "small.py"
    model_file.write_text("import glassbox.nn as nn\n\ndef make():\n"
                          "    return nn.Sequential(nn.Linear(10, 3))\n")
    _one_line_failure(glassbox("train", "--model", f"{model_file}:make", check=False),
                      "does not fit the data", "(64,)")
    _one_line_failure(glassbox("evaluate", tmp_path / "no_run", check=False),
                      "no such run folder")


def test_debug_shows_the_traceback(tmp_path):
    proc = glassbox("train", "--data", "mnist9k", "--debug", check=False)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "unknown dataset" in proc.stderr


def test_every_option_has_help():
    from glassbox.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            assert action.help, f"glassbox {name} {action.option_strings or action.dest}"
    assert "--early-stopping" in glassbox("train", "--help").stdout


def test_attack_explain_compress_report(run, tmp_path):
    out, _ = run
    curve = json.loads(glassbox("attack", out, "--eps", 0, 0.2, "--limit", 60, "--json",
                                "--figure", tmp_path / "adv.png").stdout.split("\nsaved")[0])
    assert curve["0.2"] < curve["0.0"]  # a 0.2 budget hurts a one-epoch MLP
    assert (tmp_path / "adv.png").stat().st_size > 1000

    text = glassbox("explain", out, "-n", 2, "--out", tmp_path / "maps.png").stdout
    assert "predicted" in text and (tmp_path / "maps.png").stat().st_size > 1000

    table = glassbox("compress", out, "--methods", "dynamic", "--repeats", 1,
                     "--limit", 50).stdout
    assert "| float32 |" in table and "| dynamic int8 |" in table

    text = glassbox("report", out, "--out", tmp_path / "r.html", "--no-compression",
                    "--max-eval", 50).stdout
    assert text.strip().splitlines()[-1] == f"report: {tmp_path / 'r.html'}"
    assert "test accuracy:" in text
    assert "<img" in (tmp_path / "r.html").read_text()



def test_language_model_train_evaluate_generate(tmp_path):
    text = tmp_path / "poem.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 40)
    out = tmp_path / "lm"
    glassbox("train", "--model", "char-lstm", "--data", text, "--hidden", 32, "--context", 16,
             "--epochs", 3, "--batch-size", 8, "--lr", 0.01, "--quiet", "--out", out)
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["task"] == "language-model"
    assert config["data"]["tokenizer"]["chars"] == sorted(set(text.read_text()))
    results = json.loads(glassbox("evaluate", out, "--json").stdout)
    assert results["loss"] < 2.0  # well below log(29 characters) = 3.4: it learned
    sample = glassbox("generate", out, "--prompt", "the ", "--tokens", 20).stdout
    assert sample.startswith("the ") and len(sample.rstrip("\n")) == 24
    greedy = glassbox("predict", out, "--prompt", "the quick", "--tokens", 5).stdout
    assert greedy.startswith("the quick")
    _one_line_failure(glassbox("generate", out, "--prompt", "Ω", check=False),
                      "not in the vocabulary")
    _one_line_failure(glassbox("train", "--model", "gpt", "--data", "digits", check=False),
                      "language model", "text")
    _one_line_failure(glassbox("train", "--model", "mlp", "--data", text, check=False),
                      "language model")


def test_user_csv_and_npz_files(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    rows = [",".join(f"{v:.4f}" for v in r) + f",{t}" for r, t in zip(x, y)]
    (tmp_path / "table.csv").write_text("a,b,c,target\n" + "\n".join(rows) + "\n")
    (tmp_path / "new.csv").write_text("a,b,c\n3,3,0\n-3,-3,0\n")
    _one_line_failure(glassbox("train", "--data", tmp_path / "table.csv", check=False),
                      "no label column 'label'", "--label-column")
    glassbox("train", "--data", tmp_path / "table.csv", "--label-column", "target",
             "--epochs", 3, "--lr", 0.01, "--quiet", "--out", tmp_path / "csv")
    config = json.loads((tmp_path / "csv" / "config.json").read_text())
    assert config["data"]["columns"] == ["a", "b", "c"] and config["data"]["normalize"]
    predicted = json.loads(glassbox("predict", tmp_path / "csv", tmp_path / "new.csv",
                                    "--json").stdout)
    assert [p["class"] for p in predicted] == [1, 0]  # far on either side of a + b = 0
    _one_line_failure(glassbox("predict", tmp_path / "csv", "--values", "1,2", check=False),
                      "(3,)")

    digits = datasets.digits()  # 8x8 images as uint8 in a .npz: x (N, 8, 8), y (N,)
    np.savez(tmp_path / "images.npz", y=digits.y_train[:300],
             x=(digits.x_train[:300].reshape(-1, 8, 8) * 255).astype(np.uint8))
    glassbox("train", "--model", "cnn", "--data", tmp_path / "images.npz", "--augment",
             "--epochs", 1, "--quiet", "--out", tmp_path / "npz")
    config = json.loads((tmp_path / "npz" / "config.json").read_text())
    assert config["data"]["input_shape"] == [1, 8, 8] and config["training"]["augment"]


def test_regression_on_diabetes(tmp_path):
    glassbox("train", "--data", "diabetes", "--epochs", 10, "--quiet", "--out", tmp_path)
    results = json.loads(glassbox("evaluate", tmp_path, "--json").stdout)
    y = datasets.diabetes().y_test
    # in the targets' own units, and better than always predicting the mean
    assert results["rmse"] < 0.9 * float(np.std(y))
    value = json.loads(glassbox("predict", tmp_path, "--values", ",".join(["0"] * 10),
                                "--json").stdout)[0]["value"]
    assert 25 < value < 346  # diabetes progression scores lie in this range
