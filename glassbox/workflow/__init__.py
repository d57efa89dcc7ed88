"""glassbox.workflow: whole runs in one call -- what the `glassbox` command does, as functions.

    from glassbox.workflow import train_model, evaluate_run, predict_run, read_inputs
    result = train_model("mlp", "digits", epochs=3, out="runs/digits")
    evaluate_run("runs/digits")                   # {'loss': ..., 'accuracy': ..., 'samples': ...}

Data: `load_data` (bundled names or a user's CSV / .npz / MNIST folder). Models: a registry
(`MODELS`: mlp, cnn, linear) or 'file.py:function'. Runs: a folder with model.safetensors,
config.json (how to rebuild the model) and history.json.
"""

from glassbox.workflow.data import BUNDLED, Data, load_data, read_csv
from glassbox.workflow.inspect_run import (
    COMPRESS_METHODS,
    EXPLAIN_METHODS,
    attack_run,
    compress_run,
    explain_run,
    report_run,
)
from glassbox.workflow.models import MODELS, build_model, check_fits, load_factory, model_spec
from glassbox.workflow.runs import (
    OPTIMIZERS,
    SCHEDULES,
    RunResult,
    evaluate_run,
    load_run,
    predict_run,
    read_inputs,
    run_benchmarks,
    summarize_run,
    train_model,
)

__all__ = ["COMPRESS_METHODS", "EXPLAIN_METHODS", "attack_run", "compress_run", "explain_run",
           "report_run", "BUNDLED", "MODELS", "OPTIMIZERS", "SCHEDULES", "Data", "RunResult", "build_model",
           "check_fits", "evaluate_run", "load_data", "load_factory", "load_run", "model_spec",
           "predict_run", "read_csv", "read_inputs", "run_benchmarks", "summarize_run",
           "train_model"]
