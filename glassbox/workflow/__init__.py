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
from glassbox.workflow.models import (
    LANGUAGE_MODELS,
    MODELS,
    build_model,
    check_fits,
    load_factory,
    model_spec,
)
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
from glassbox.workflow.text import (
    evaluate_language_model,
    generate_text,
    is_text_source,
    load_text,
    train_language_model,
)

__all__ = [
    "BUNDLED",
    "COMPRESS_METHODS",
    "EXPLAIN_METHODS",
    "LANGUAGE_MODELS",
    "MODELS",
    "OPTIMIZERS",
    "SCHEDULES",
    "Data",
    "RunResult",
    "attack_run",
    "build_model",
    "check_fits",
    "compress_run",
    "evaluate_language_model",
    "evaluate_run",
    "explain_run",
    "generate_text",
    "is_text_source",
    "load_data",
    "load_factory",
    "load_run",
    "load_text",
    "model_spec",
    "predict_run",
    "read_csv",
    "read_inputs",
    "report_run",
    "run_benchmarks",
    "summarize_run",
    "train_language_model",
    "train_model",
]
