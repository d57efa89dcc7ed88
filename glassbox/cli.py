"""The `glassbox` command: argument parsing only; every command calls a public library function.

    glassbox train --model mlp --data digits --epochs 5 --out runs/digits
    glassbox evaluate runs/digits
    glassbox predict runs/digits digit.png
    glassbox summary runs/digits

Errors (a bad path, an unknown dataset, a model that does not fit the data) print one line on
stderr and exit with status 1; `--debug` shows the full traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["build_parser", "main"]

class CommandError(Exception):
    """A failure the user can fix; printed as one line, exit status `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2))


# ---------------------------------------------------------------------------------------------
# commands: each turns parsed arguments into one library call and prints its result


def cmd_train(args) -> int:
    from glassbox.workflow import train_model

    result = train_model(
        args.model, args.data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        optimizer=args.optimizer, schedule=args.schedule, augment=args.augment,
        dropout=args.dropout, weight_decay=args.weight_decay,
        early_stopping=args.early_stopping, checkpoint=args.checkpoint, resume=args.resume,
        out=args.out, hidden=args.hidden, validation_fraction=args.validation_fraction,
        label_column=args.label_column, seed=args.seed, verbose=0 if args.quiet else 1,
        text_options={"context": args.context, "max_chars": args.max_chars})
    metrics = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                        for k, v in result.test.items())
    print(f"test {metrics}")
    if "accuracy" in result.test:
        print(f"test accuracy: {result.test['accuracy']:.2%}")
    print(f"saved the run to {result.out}/ (model.safetensors, config.json, history.json)")
    return 0


def cmd_evaluate(args) -> int:
    from glassbox.workflow import evaluate_run

    results = evaluate_run(args.run, data=args.data)
    if args.json:
        _print_json(results)
    else:
        print(", ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                        for k, v in results.items()))
    return 0


def cmd_predict(args) -> int:
    from glassbox.workflow import load_run, predict_run, read_inputs

    if args.prompt is not None:  # language models: the prediction is the continuation
        from glassbox.workflow import generate_text

        print(generate_text(args.run, args.prompt, max_new_tokens=args.tokens,
                            temperature=0.0))
        return 0
    if args.input is None and args.values is None:
        raise CommandError("predict needs an input file (image, .npy, .csv), --values or "
                           "--prompt")
    _, config = load_run(args.run)
    results = predict_run(args.run, read_inputs(args.input, config, values=args.values),
                          top=args.top)
    if args.json:
        _print_json(results)
        return 0
    for i, r in enumerate(results):
        if "value" in r:
            print(f"{i}: {r['value']:.4f}")
        else:
            probs = ", ".join(f"{c}: {p:.3f}" for c, p in r["probabilities"].items())
            print(f"{i}: class {r['class']}  ({probs})")
    return 0


def cmd_generate(args) -> int:
    from glassbox.workflow import generate_text

    print(generate_text(args.run, args.prompt, max_new_tokens=args.tokens,
                        temperature=args.temperature, top_k=args.top_k, seed=args.seed))
    return 0


def cmd_summary(args) -> int:
    from glassbox.workflow import summarize_run

    summarize_run(args.model, data=args.data)  # prints the table itself
    return 0


def cmd_bench(args) -> int:
    from glassbox.workflow import run_benchmarks

    return run_benchmarks(args.bench_args)


def cmd_explain(args) -> int:
    from glassbox.workflow import explain_run

    result = explain_run(args.run, methods=args.methods, n=args.n, data=args.data,
                         path=args.out)
    print(f"predicted {result['predicted']}, true {result['labels']}")
    print(f"saved the attribution maps to {result['path']}")
    return 0


def cmd_attack(args) -> int:
    from glassbox.workflow import attack_run

    extra = {"steps": args.steps} if args.attack == "pgd" else {}
    curve = attack_run(args.run, epsilons=args.eps, attack=args.attack, data=args.data,
                       limit=args.limit or None, figure=args.figure, **extra)
    if args.json:
        _print_json({str(k): v for k, v in curve.items()})
    else:
        for eps, acc in curve.items():
            print(f"{args.attack} eps {eps:g}: accuracy {acc:.2%}")
    if args.figure:
        print(f"saved the adversarial example to {args.figure}")
    return 0


def cmd_compress(args) -> int:
    from glassbox.workflow import compress_run

    report = compress_run(args.run, methods=args.methods, amount=args.amount, data=args.data,
                          limit=args.limit or None, repeats=args.repeats)
    print(report.to_markdown())
    if args.html:
        with open(args.html, "w") as fh:
            fh.write(report.to_html())
        print(f"saved the table to {args.html}")
    return 0


def cmd_report(args) -> int:
    from glassbox.workflow import evaluate_run, report_run

    path = report_run(args.run, path=args.out, data=args.data, max_eval=args.max_eval,
                      compression=not args.no_compression)
    if not args.quiet:
        result = evaluate_run(args.run, data=args.data)
        print(f"test accuracy: {result['accuracy']:.2%} on {result['samples']} held-out examples")
    print(f"report: {path}")
    return 0


# ---------------------------------------------------------------------------------------------
# the parser


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something fails")
    return common


def _add_train(sub, common) -> None:
    from glassbox.workflow import BUNDLED, MODELS, OPTIMIZERS, SCHEDULES

    p = sub.add_parser("train", parents=[common], help="train a model and save it as a run folder",
                       description="Train a model on a dataset; write model.safetensors, "
                                   "config.json and history.json to --out.")
    p.add_argument("--model", default="mlp",
                   help=f"a reference model ({', '.join(MODELS)}) or path/to/file.py:function "
                        "returning an nn.Module (default: mlp); gpt and char-lstm train on text")
    p.add_argument("--data", default="digits",
                   help=f"a bundled dataset ({', '.join(BUNDLED)}) or a path: a .csv with a "
                        "label column, a .npz with x and y, or an MNIST IDX folder; for "
                        "language models 'text' (Python's own sources) or a .txt file "
                        "(default: digits)")
    p.add_argument("--epochs", type=int, default=10, help="passes over the training data "
                                                          "(default: 10)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step (default: 32)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 0.001)")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS),
                   help="optimizer; momentum is SGD with momentum 0.9 (default: adam)")
    p.add_argument("--schedule", default="none", choices=SCHEDULES,
                   help="learning-rate schedule (default: none)")
    p.add_argument("--augment", action="store_true",
                   help="random shifts and rotations of training images")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout probability in the reference models (default: 0)")
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="L2 penalty (decoupled for adamw) (default: 0)")
    p.add_argument("--hidden", type=int, default=None,
                   help="hidden width of mlp / cnn (default: the model's own)")
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better val_loss; keep the best "
                        "weights")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="write a resumable checkpoint to PATH after every epoch")
    p.add_argument("--resume", default=None, metavar="PATH",
                   help="continue training from the checkpoint at PATH up to --epochs")
    p.add_argument("--out", default="runs/latest", metavar="DIR",
                   help="run folder to write (default: runs/latest)")
    p.add_argument("--validation-fraction", type=float, default=0.1,
                   help="part of the training data held out for val_loss (default: 0.1)")
    p.add_argument("--label-column", default="label",
                   help="label column of a CSV file (default: label)")
    p.add_argument("--context", type=int, default=64,
                   help="language models: characters per training window (default: 64)")
    p.add_argument("--max-chars", type=int, default=200_000,
                   help="language models: characters of the text used (default: 200000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    p.set_defaults(func=cmd_train)


def _run_arguments(p) -> None:
    p.add_argument("run", help="run folder written by `glassbox train --out`")
    p.add_argument("--data", default=None,
                   help="use this dataset's test split instead of the run's own (name or path)")


def _add_inspect(sub, common) -> None:
    from glassbox.workflow import COMPRESS_METHODS, EXPLAIN_METHODS

    p = sub.add_parser("explain", parents=[common], help="attribution maps of a saved run",
                       description="Saliency / integrated-gradient maps of test examples, "
                                   "saved as one PNG (glassbox.explain).")
    _run_arguments(p)
    p.add_argument("--methods", nargs="+", default=["saliency", "integrated_gradients"],
                   choices=sorted(EXPLAIN_METHODS), help="attribution methods (default: "
                                                         "saliency integrated_gradients)")
    p.add_argument("-n", type=int, default=4, help="test examples explained (default: 4)")
    p.add_argument("--out", default="attributions.png", help="PNG file to write "
                                                             "(default: attributions.png)")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("attack", parents=[common], help="adversarial robustness of a saved run",
                       description="Accuracy under FGSM or PGD attacks of growing budget "
                                   "(glassbox.robust).")
    _run_arguments(p)
    p.add_argument("--attack", default="fgsm", choices=["fgsm", "pgd"],
                   help="the attack (default: fgsm)")
    p.add_argument("--eps", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.2],
                   help="L-infinity budgets in input units (default: 0 0.05 0.1 0.2)")
    p.add_argument("--steps", type=int, default=10, help="PGD steps (default: 10)")
    p.add_argument("--limit", type=int, default=1000,
                   help="attack the first LIMIT test examples; 0 for all (default: 1000)")
    p.add_argument("--figure", default=None, metavar="PNG",
                   help="also save an original / perturbation / adversarial figure here")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_attack)

    p = sub.add_parser("compress", parents=[common], help="quantize and prune a saved run",
                       description="File size, accuracy and latency before and after int8 "
                                   "quantization and pruning (glassbox.compress).")
    _run_arguments(p)
    p.add_argument("--methods", nargs="+", default=["int8", "prune"],
                   choices=COMPRESS_METHODS, help="compressions to measure "
                                                  "(default: int8 prune)")
    p.add_argument("--amount", type=float, default=0.5,
                   help="fraction of weights pruned (default: 0.5)")
    p.add_argument("--limit", type=int, default=1000,
                   help="measure on the first LIMIT test examples; 0 for all (default: 1000)")
    p.add_argument("--repeats", type=int, default=5,
                   help="timed repetitions per latency (default: 5)")
    p.add_argument("--html", default=None, metavar="PATH", help="also write the table as HTML")
    p.set_defaults(func=cmd_compress)

    p = sub.add_parser("report", parents=[common], help="HTML report of a saved run",
                       description="One self-contained HTML page: curves, confusion matrix, "
                                   "mistakes, attributions, robustness, compression "
                                   "(glassbox.report).")
    _run_arguments(p)
    p.add_argument("--out", default=None, metavar="HTML",
                   help="file to write (default: report.html in the run folder)")
    p.add_argument("--max-eval", type=int, default=1000,
                   help="evaluate on at most this many test examples (default: 1000)")
    p.add_argument("--no-compression", action="store_true",
                   help="leave out the compression table (faster)")
    p.add_argument("--quiet", action="store_true",
                   help="print only the report's path, not the test accuracy")
    p.set_defaults(func=cmd_report)


def build_parser() -> argparse.ArgumentParser:
    """The `glassbox` argument parser with all its subcommands."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="glassbox", parents=[common],
        description="glassbox: train, evaluate, explain, attack, compress and report on "
                    "neural networks built from first principles.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_train(sub, common)

    p = sub.add_parser("evaluate", parents=[common], help="loss and accuracy of a saved run",
                       description="Evaluate a run folder on the test split of its data.")
    p.add_argument("run", help="run folder written by `glassbox train --out`")
    p.add_argument("--data", default=None,
                   help="evaluate on this dataset's test split instead (name or path)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", parents=[common], help="predict with a saved run",
                       description="Predict the class (or value) of new inputs.")
    p.add_argument("run", help="run folder written by `glassbox train --out`")
    p.add_argument("input", nargs="?", default=None,
                   help="an image (.png), an array (.npy) or a .csv file of rows")
    p.add_argument("--values", default=None,
                   help="one example as comma-separated numbers, e.g. 5.1,3.5,1.4,0.2")
    p.add_argument("--prompt", default=None,
                   help="language models: text to continue (the likeliest characters)")
    p.add_argument("--tokens", type=int, default=100,
                   help="characters added after --prompt (default: 100)")
    p.add_argument("--top", type=int, default=3, help="classes listed per example (default: 3)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("summary", parents=[common], help="layer-by-layer table of a model",
                       description="Print each layer's output shape and parameter count.")
    p.add_argument("model", help="a run folder, or a reference model name (mlp, cnn, linear) "
                                 "or path/to/file.py:function")
    p.add_argument("--data", default=None,
                   help="dataset whose input shape to build the model for (default: digits)")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("bench", parents=[common], help="glassbox vs PyTorch speed benchmarks",
                       description="Run benchmarks/run.py; arguments after `bench` are passed "
                                   "to it (e.g. --only W1 --repeats 3).")
    p.add_argument("bench_args", nargs=argparse.REMAINDER,
                   help="arguments for benchmarks/run.py")
    p.set_defaults(func=cmd_bench)

    _add_inspect(sub, common)

    p = sub.add_parser("generate", parents=[common], help="sample text from a language model",
                       description="Continue a prompt with characters sampled from a run "
                                   "trained with --model gpt or char-lstm.")
    p.add_argument("run", help="run folder of a language model")
    p.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    p.add_argument("--tokens", type=int, default=200,
                   help="characters to generate (default: 200)")
    p.add_argument("--temperature", type=float, default=0.8,
                   help="sampling temperature; 0 always picks the likeliest (default: 0.8)")
    p.add_argument("--top-k", type=int, default=None,
                   help="sample only among the k likeliest characters")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.set_defaults(func=cmd_generate)
    return parser


def main(argv=None) -> int:
    """Run the `glassbox` command with `argv` (default sys.argv[1:]); return the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    bench_args = None
    if argv[:1] == ["bench"] and not {"-h", "--help"} & set(argv[1:]):
        # everything after `bench` belongs to benchmarks/run.py (argparse's REMAINDER would
        # reject a first argument that looks like an option)
        bench_args = [a for a in argv[1:] if a != "--debug"]
        argv = ["bench"] + (["--debug"] if "--debug" in argv[1:] else [])
    args = parser.parse_args(argv)
    if bench_args is not None:
        args.bench_args = bench_args
    debug = getattr(args, "debug", False)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("glassbox: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # every failure becomes one line, unless --debug asks for more
        if debug:
            raise
        code = err.code if isinstance(err, CommandError) else 1
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if isinstance(err, OSError) and err.filename:  # raised by open(): name the file
            message = f"{err.strerror}: {err.filename}"
        print(f"glassbox {args.command}: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
