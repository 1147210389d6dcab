"""Training: stage recipes (configs/train/*.yaml), plain torch or DeepSpeed ZeRO, exact resume.

    rsvlm train --config configs/train/sft_tiny.yaml max_steps=10
    torchrun --nproc_per_node 2 -m rsvlm.train --config … dist.deepspeed=configs/deepspeed/zero2.json

Nothing heavy is imported until ``main`` runs.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """``--config FILE [key=value …]`` → train; returns the exit code (2 on a bad config, 1 on failure)."""
    import argparse
    import logging
    import sys

    from rsvlm.config import ConfigError, load_config

    # as rsvlm.cli: bitsandbytes (imported by peft) logs that it cannot fetch an optional CPU kernel
    # from the hub; its built-in fallback runs and nothing is downloaded (torchrun starts here)
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

    parser = argparse.ArgumentParser(prog="rsvlm train", description="Train an rsvlm model from a YAML recipe.")
    parser.add_argument("--config", required=True, help="configs/train/NAME.yaml")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. optim.lr=1e-4")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from rsvlm.train.config import TrainConfig, check_config

    try:
        cfg = load_config(TrainConfig, args.config, args.overrides)
        check_config(cfg)
    except (ConfigError, ValueError) as e:
        print(f"rsvlm train: {e}", file=sys.stderr)
        return 2
    from pathlib import Path

    from rsvlm.data.records import check_records_path
    from rsvlm.train.loop import TooManyBadSamples, check_out_dir, train

    # a missing records file or a used out_dir is refused like a config error, before the model is built
    sources = [("data.train", cfg.data.train), *((f"data.extra[{i}].path", s.path) for i, s in enumerate(cfg.data.extra))]
    for key, path in sources:
        try:
            check_records_path(path)
        except FileNotFoundError as e:
            print(f"rsvlm train: {key}: {e}", file=sys.stderr)
            return 2
    try:
        check_out_dir(cfg)
    except FileExistsError as e:
        print(f"rsvlm train: {e}", file=sys.stderr)
        return 2

    try:
        train(cfg)
    except (TooManyBadSamples, ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"rsvlm train: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        from rsvlm.train.checkpoint import latest_checkpoint

        last = latest_checkpoint(Path(cfg.out_dir) / "checkpoints")
        print("\nrsvlm train: interrupted; " + (f"continue from {last} with ckpt.resume=auto" if last else
              "no checkpoint was saved (ckpt.every sets how often)"), file=sys.stderr)
        return 130
    return 0
