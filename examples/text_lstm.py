"""Train a character LSTM (benchmark W3) on Python's own standard-library sources.

W3: embedding 64, one LSTM layer of 256, a linear head; sequence length 64, batch 32, Adam
lr 3e-3, 200 steps, on the first 1,000,000 characters (90% train / 10% validation). Reports
the validation loss in nats/char against steps and wall time, prints a sample, and writes to
--out: model.safetensors, tokenizer.json, history.json and loss.png.

    python examples/text_lstm.py               # the W3 recipe: 200 steps
    python examples/text_lstm.py --minutes 5   # longer, with a time budget (cosine lr)
    python examples/text_lstm.py --fast        # a tiny model for a few seconds (tests)
"""

import argparse
import sys
from pathlib import Path

import glassbox as gb
from glassbox.models import CharLSTM

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _textlm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--fast", action="store_true", help="tiny model, few steps (for tests)")
    ap.add_argument("--minutes", type=float, default=None, help="time budget (cosine lr)")
    ap.add_argument("--steps", type=int, default=None, help="step budget (default 200)")
    ap.add_argument("--lr", type=float, default=3e-3)
    _textlm.add_common_args(ap, out="runs/text_lstm")
    args = ap.parse_args(argv)

    embed, hidden, seq, batch, eval_batches, sample_len = 64, 256, 64, 32, 20, 400
    steps, minutes, schedule, eval_every = 200, None, "constant", 50
    if args.minutes is not None:  # a longer run anneals the lr over its time budget
        steps, minutes, schedule, eval_every = args.steps, args.minutes, "cosine", 250
    elif args.steps is not None:
        steps = args.steps
    if args.fast:
        embed, hidden, seq, batch, eval_batches, sample_len = 8, 16, 16, 8, 2, 40
        steps, minutes, eval_every = 20, None, 10
        args.chars = min(args.chars, 20_000)
    eval_every = args.eval_every or eval_every

    tok, train_ids, val_ids = _textlm.load_seeded(args)
    model = CharLSTM(tok.vocab_size, embed=embed, hidden=hidden)
    print(f"CharLSTM(embed {embed}, hidden {hidden}): "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    opt = gb.optim.Adam(model.parameters(), lr=args.lr)
    val = _textlm.make_val_batches(val_ids, eval_batches, batch, seq)
    print(f"Adam lr {args.lr} ({schedule}), steps {steps}, minutes {minutes}; "
          f"{_textlm.load_note()}")
    hist = _textlm.train_loop(
        model, opt, _textlm.lm_loss, train_ids, val, batch=batch, seq=seq, max_steps=steps,
        minutes=minutes, lr=args.lr, warmup=0, schedule=schedule, eval_every=eval_every,
        clip=None, seed=args.seed)
    hist.update(config={"embed": embed, "hidden": hidden}, lr=args.lr, load=_textlm.load_note())
    _textlm.report_sample_save(model, tok, hist, args, sample_len,
                               f"CharLSTM(embed {embed}, hidden {hidden})")
    return hist


if __name__ == "__main__":
    main()
