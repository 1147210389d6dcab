"""The ``rsvlm`` command line's parser: every subcommand and its options (DESIGN.md "Command line").

Parsing imports neither torch nor numpy, so ``rsvlm --help`` is instant; ``rsvlm.cli`` runs what it parses.
"""

from __future__ import annotations

import argparse

from rsvlm import cli_values as val
from rsvlm.argparsing import OnceParser
from rsvlm.loading import DTYPES, dtype_name

TTA_MODES = ["none", "flip", "dihedral", "crops", "dihedral+crops"]  # rsvlm.tta.MODES, kept here: no import at parse

IN_THE_CHAT = {  # predict's options given to chat: what the chat does in their place
    "--task": "a question opens with its task tag: [det] Detect all ships.",
    "--prompt": "a question is typed, or piped in: echo '[det] Detect all ships.' | rsvlm chat …",
    "--region": "a [regcap] question writes its box: [regcap] What is in <box>…</box>?, and one typed in pixels, "
                "<box>10,10,50,50</box>, is refused naming the <box> to write",
    **dict.fromkeys(("--out", "--geojson", "--vis"), "/vis out.png and /geojson out.geojson write the last answer"),
    **dict.fromkeys(("--tile", "--overlap", "--batch-size"), "the image is answered whole, read at most 2048 px a "
                    "side; rsvlm predict --tile SIZE answers a large scene window by window"),
}
IN_PREDICT = {  # chat's options given to predict: what predict does in their place (they were said unknown alone)
    "--temperature": "predict decodes greedily; rsvlm chat --temperature T samples",
    "--history": "predict asks one question; rsvlm chat --history N shows the model earlier exchanges",
}

TASK_CHOICES = ["det", "ground", "seg", "cls", "cap", "vqa", "count", "change", "regcap"]


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="DIR", help="checkpoint directory (default: the bundled default model)")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--load-4bit", action="store_true", help="quantise the LLM to 4 bit (bitsandbytes)")
    q.add_argument("--load-8bit", action="store_true", help="quantise the LLM to 8 bit (bitsandbytes)")
    p.add_argument("--device", type=val.device, default=None, help="cpu, cuda, cuda:1 … in any case (default: cuda if available)")
    p.add_argument("--dtype", type=_dtype, choices=DTYPES, default="auto",
                   help="the dtype the model is loaded and run in (bf16, fp16, fp32 taken too): auto (default) is the "
                        "checkpoint's own on a CUDA GPU (a bf16 7B in 14 GB, not 28) and float32 on a CPU or MPS; "
                        "with --load-4bit/8bit, that of the parts left unquantised (docs/memory.md)")
    p.add_argument("--free-decoding", action="store_true",
                   help="do not hold geometry to its grammar while decoding (see rsvlm.model.grammar)")


def _dtype(text: str) -> str:
    """``--dtype``'s value as ``loading.DTYPES`` names it (``BF16``, ``torch.float16`` taken)."""
    try:
        return dtype_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _image(text: str) -> str:
    """``--image`` as typed, refused where one of its band files is empty (``B02.jp2,,B03.jp2``: was dropped), or
    where it or one of its band files is ``-`` (was "image not found: -": an image is not read from standard input;
    ``cli_values.stdin_image``, as chat's ``/image``)."""
    if text.strip(" ,"):  # naming no file at all: predict and chat say so
        from rsvlm.inference import band_files  # numpy: not for --help

        try:
            files = band_files(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        if why := val.stdin_image(text, files):  # '-', or a band file '-' (B02.jp2,-)
            raise argparse.ArgumentTypeError(why)
    return text


def _image_args(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument(
        "--image", action="append", required=required, metavar="PATH", type=_image,
        help="image file; give twice for a bi-temporal pair; comma-separate one file per band (a,b,c)",
    )
    p.add_argument("--modality", action="append", type=str.lower, choices=["optical", "msi", "sar", "ir"],
                   help="modality of each --image (inferred from bands and dtype where left out)")
    p.add_argument("--bands", action="append", metavar="NAMES",
                   help="comma-separated band names of each --image (R,G,B,NIR; VV; B04,B03,B02,B08)")
    p.add_argument("--missing-bands", type=str.lower, choices=["copy", "mean", "error"], default="copy",
                   help="a band the model expects but the image lacks (VH of a VV-only SAR scene, B11/B12 of "
                        "a 4-band MSI file): fill it with the nearest present band rescaled to its statistics "
                        "(copy, default), with its training mean (mean), or refuse (error); the fill is reported")


def _output_args(p: argparse.ArgumentParser, drawn: str) -> None:
    """``--min-score`` and ``--rgb-bands``, as predict and chat take them; ``drawn``: what writes the overlay."""
    p.add_argument("--min-score", type=val.number(0.0, 1.0), default=0.0, metavar="S",
                   help="drop objects the model scores below this (its confidence; default 0 keeps all; "
                        "objects without a score are kept; docs/cli.md)")
    p.add_argument("--rgb-bands", type=val.rgb_bands, metavar="R,G,B",
                   help=f"the image's bands {drawn} draws as red, green, blue: B08,B04,B03 (false colour), VV,VH,VV "
                        "(default: the bands named as colours; sar: its first band as grey; docs/cli.md)")


def _detection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-objects", type=val.count(0), default=0, metavar="N",
                   help="[det] answers keep writing objects until they have N, the extra ones scored low by the "
                        "model itself (more recall; pair with predict's or chat's --min-score; 0 = stop where the "
                        "model stops)")
    p.add_argument("--det-by-class", action="store_true",
                   help="a [det] question naming none of the model's classes (prompt.det_classes in its "
                        "config) is asked once per class and the answers joined")


def build_parser() -> argparse.ArgumentParser:
    from rsvlm import __version__

    ap = OnceParser(  # an option given twice, differently, is warned of naming both, the last taken (was: unsaid)
        prog="rsvlm",
        description="Chat with optical, SAR, infrared and multispectral imagery; train and evaluate the model.",
    )
    ap.add_argument("--version", action="version", version=f"rsvlm {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=OnceParser)
    ap.commands = sub.choices  # name -> its parser: ``main`` reports stray arguments with its usage

    p = sub.add_parser("chat", help="interactive chat about one image or an image pair",
                       description="Chat about one image or a bi-temporal pair (two --image, before and after), "
                                   "the answers streamed and their objects tabled with map coordinates.",
                       epilog="In the chat: /image PATH [modality] [bands] loads an image (or the --image files "
                              "load first), /vis out.png [R,G,B] and /geojson out.geojson write the last answer's objects, "
                              "/reset, /help, /quit (or Ctrl-D). A question may open with a task tag: [cls] [vqa] "
                              "[cap] [count] [det] [ground] [regcap] [seg] [change] (docs/cli.md). Questions are typed or piped "
                              "in, not given on the command line (even one starting with '-').")
    _model_args(p)
    _image_args(p, required=False)
    p.add_argument("--max-new-tokens", type=val.count(1), default=256, metavar="N",
                   help="longest answer in tokens (default 256); an answer it stops is noted")
    p.add_argument("--temperature", type=val.temperature, default=0.0, metavar="T",
                   help="sampling temperature of the streamed answer (default 0: greedy)")
    p.add_argument("--history", type=val.history, default=None, metavar="N|all",
                   help="earlier exchanges the model is shown, the turn with the image among them, the oldest "
                        "left out first; 0 asks every question afresh about the image; all = as many as the "
                        "context holds (default: the model's prompt.max_history, 0 for the bundled model)")
    p.add_argument("--tta", type=str.lower, choices=TTA_MODES, default="none",
                   help="also fuse each shape or short-text answer over the image's mirror views (greedy; "
                        "the fused answer is printed after the streamed one; crops: [det] and [ground] answers "
                        "whose words a crop keeps, over four corner crops too; docs/tta.md)")
    _output_args(p, "/vis")
    _detection_args(p)
    p.set_defaults(handler="rsvlm.chat:main")

    p = sub.add_parser("predict", help="one question, one answer, written as JSON / GeoJSON / overlay",
                       description="Ask one question (--task, or --prompt) about one image or a change pair; the "
                                   "answer is printed with its objects tabled in map coordinates, and written as "
                                   "JSON (--out), GeoJSON (--geojson) and an overlay (--vis). --tile answers a "
                                   "whole scene window by window (docs/cli.md).")
    _model_args(p)
    _image_args(p, required=True)
    p.add_argument("--task", type=str.lower, choices=TASK_CHOICES,
                   help="the task tag the question opens with, any case; its standard question unless --prompt "
                        "(default: the tag --prompt opens with)")
    p.add_argument("--prompt", metavar="TEXT", help="the question (default: a standard question for the task, also asked for a task tag alone: "
                        "--prompt '[det]'); one starting with '-' is written --prompt='-…' (predict takes no words "
                        "after '--')")
    p.add_argument("--region", type=val.region, action=val.OneRegion, metavar="X1,Y1,X2,Y2",
                   help="[regcap] the region asked about, in the image's pixels (a pair's later image); it takes "
                        "the place of {box} in --prompt, or follows it (default question: 'What is in {box}?'); "
                        "alone, it makes --task regcap")
    p.add_argument("--max-new-tokens", type=val.count(1), default=256, metavar="N",
                   help="longest answer in tokens (default 256); an answer it stops is noted")
    p.add_argument("--out", metavar="FILE", help="write the result as JSON here (result.json; - for stdout, the "
                                                   "printed answer and table then on stderr)")
    p.add_argument("--geojson", metavar="FILE", help="write parsed objects as GeoJSON (in the image's CRS) here "
                                                       "(- for stdout, as --out -)")
    p.add_argument("--vis", metavar="FILE", help="write an overlay image here (out.png)")
    _output_args(p, "--vis")
    p.add_argument("--on-nodata", type=str.lower, choices=["keep", "drop"], default="keep",
                   help="objects drawn wholly on nodata (a transparent or nodata part of the image, where the model "
                        "guessed): keep them (default) or leave them out of the answer, --out, --geojson and --vis; "
                        "a note counts them either way")
    _detection_args(p)
    p.add_argument("--tile", type=val.pixels(1, "the side of each window; 96: the bundled model's input"),  # range: predict
                   metavar="SIZE",
                   help="run over SIZE×SIZE windows of a whole scene (96: the bundled model's own input)")
    p.add_argument("--overlap", type=val.pixels(0, "shared by neighbouring windows, under --tile"), default=None,
                   metavar="PX",
                   help="overlap of the tiles in pixels (default: a quarter of --tile, at most 64)")
    p.add_argument("--batch-size", type=val.count(1), default=None, metavar="N",
                   help="tiles per forward pass with --tile (default 4); without --tile the image (or pair) is one "
                        "pass, and each --tta view one more")
    p.add_argument("--tta", type=str.lower, choices=TTA_MODES, default="none",
                   help="an answer that is shapes or short text (a class, a count, yes/no) is fused over the "
                        "image's mirror views (flip: 4x the time, dihedral: 8x; docs/tta.md), a [det] or [ground] "
                        "answer with crops also over four corner crops (+4x); with --tile, each tile's shapes "
                        "before the merge")
    p.set_defaults(handler="rsvlm.predict:main")

    p = sub.add_parser("train", help="train from a YAML config (also under deepspeed / torchrun)",
                       description="Train from a YAML recipe (configs/train/*.yaml; docs/training.md).",
                       epilog="key=value overrides set any recipe key, dotted for nested ones, values read as "
                              "YAML: max_steps=200 optim.lr=1e-4 model.llm.name_or_path=/models/qwen "
                              "data.extra=[] ckpt.resume=auto overwrite=true (--max_steps=200, --max_steps 200 and "
                              "--overwrite, as Hugging Face's Trainer takes them, are read the same)")
    p.add_argument("--config", required=True, action="append", metavar="YAML",  # rsvlm.train refuses a second
                   help="the recipe, e.g. configs/train/sft_tiny.yaml")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="recipe keys to change (below)")
    p.set_defaults(handler="rsvlm.cli:run_train")

    p = sub.add_parser("eval", help="run a model over a test JSONL and write predictions",
                       description="Answer every record of a test JSONL and write one prediction line per record, "
                                   "{id, task, answer, …}, for python -m eval.TASK to score; an existing --out is "
                                   "resumed, its answered records kept (docs/eval-run.md).")
    _model_args(p)
    p.add_argument("--data", required=True, metavar="JSONL", type=val.given("the test records' JSONL"),
                   help="test records (JSONL)")
    p.add_argument("--image-root", metavar="DIR", type=val.given("a folder, or leave --image-root out"),
                   help="folder that the records' relative image paths start from (default: the --data file's "
                        "folder), as LLaVA's --image-folder")
    p.add_argument("--out", required=True, metavar="JSONL", type=val.given("the predictions JSONL's file name"),
                   help="predictions JSONL (resumed if it exists)")
    p.add_argument("--batch-size", type=val.count(1), default=8, metavar="N",
                   help="records answered per forward pass (default 8); lower it where a batch runs out of memory")
    p.add_argument("--max-new-tokens", type=val.count(1), default=256, metavar="N",
                   help="longest answer in tokens (default 256); rows it stops are marked \"cut\": true")
    p.add_argument("--limit", type=val.count(1), metavar="N", help="only the first N records")
    p.add_argument("--missing-bands", type=str.lower, choices=["error", "copy", "mean"], default="error",
                   help="a record whose image lacks bands the model expects: answered empty with the reason "
                        "(error, default), or its bands filled as in predict (copy, mean)")
    p.add_argument("--tta", type=str.lower, choices=TTA_MODES, default="none",
                   help="answers that are shapes or short text (a class, a count, yes/no) are fused over the "
                        "image's mirror views (flip: 3 more answers; dihedral: 7, transposes too; crops: 4 corner "
                        "crops of [det] and [ground] answers; dihedral+crops: both; docs/tta.md)")
    p.add_argument("--retry-errors", action="store_true",
                   help="on resume, answer again every record answered empty with an error, even if its record "
                        "and image files are unchanged (by default only changed ones are)")
    _detection_args(p)
    p.set_defaults(handler="rsvlm.evaluate:main")

    p = sub.add_parser("merge-lora", help="merge a LoRA adapter checkpoint into full weights",
                       description="Write --model's checkpoint with its LoRA adapters (the LLM's adapter/, an encoder's "
                                   "LoRA) folded into full weights, to a new folder (docs/training.md).")
    p.add_argument("--model", required=True, metavar="DIR",
                   help="the rsvlm checkpoint with a LoRA adapter (adapter/) or encoder LoRA")
    p.add_argument("--out", required=True, metavar="DIR", type=val.new_folder,
                   help="a new or empty folder outside --model for the merged checkpoint")
    p.add_argument("--force", action="store_true",
                   help="merge onto the base llm.name_or_path names even where its weights differ from the base the "
                        "adapter was trained on (adapter/rsvlm_base.json): the same model converted to another dtype")
    p.set_defaults(handler="rsvlm.cli:run_merge_lora")

    p = sub.add_parser("convert-llava", help="convert a LLaVA-1.5 / GeoChat checkpoint to rsvlm",
                       description="Convert a LLaVA-1.5 or GeoChat checkpoint (original or Hugging Face layout) "
                                   "into an rsvlm checkpoint folder (docs/models.md).")
    p.add_argument("--src", required=True, metavar="DIR", help="the LLaVA-1.5 or GeoChat checkpoint folder")
    p.add_argument("--out", required=True, metavar="DIR", type=val.new_folder, help="a new or empty folder for the rsvlm checkpoint")
    p.add_argument("--vision-tower", metavar="DIR", help="local CLIP vision tower (original LLaVA layout only)")
    p.set_defaults(handler="rsvlm.cli:run_convert_llava")
    return ap
