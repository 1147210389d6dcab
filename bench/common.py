"""What the bench scripts share, so that no benchmark imports another: record and table helpers,
and the frozen-token assays' scenes, encoders and fresh LLM (bench/ground_assay.py,
bench/count_assay.py). Imported as ``common`` (bench/ is on sys.path when a script runs)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from eval.common import require_at_least_one, require_out_file

if TYPE_CHECKING:  # torch is imported where used: the benches that only print a table start without it
    import torch

ROOT = Path(__file__).resolve().parents[1]


def realdata_dir() -> Path:
    """``RSVLM_REALDATA``, else ``shared/realdata`` beside the checkout (where the tests look too)."""
    return Path(os.environ.get("RSVLM_REALDATA") or ROOT.parent / "shared" / "realdata")


def absolute_paths(rec: dict, root: Path) -> None:
    """``rec``'s image files (``path``, each of ``band_files``) resolved against ``root``, in place: the
    records are answered from a copy in a temporary folder."""
    for im in rec["images"]:
        if im.get("path"):
            im["path"] = str((root / im["path"]).resolve())
        if im.get("band_files"):  # else read against the temporary folder: every such record answered empty
            im["band_files"] = [str((root / f).resolve()) for f in im["band_files"]]


def budget_option(ap: argparse.ArgumentParser, default: float) -> None:
    """``--budget SECONDS``: how long a bench's repeated runs (``Budget.runs``) may take on a loaded machine."""
    ap.add_argument("--budget", type=float, default=default, metavar="SECONDS",
                    help="seconds the timed runs may take: after the first, another of --repeat starts only where "
                         f"it is expected to end within them (default {default:g}; 0: every run of --repeat)")


class Budget:
    """The runs of ``--repeat`` that fit in ``--budget`` seconds, counted from the first: the first always runs,
    another only where the time spent plus a mean run so far stays within. Whole runs are cut, each timing every
    path, so every path's best is of the same runs (not one run's where two or more count). Cannot stop a run already
    begun: a first run longer than the budget ends, and ``note`` says it was past (``first``: its seconds)."""

    def __init__(self, ap: argparse.ArgumentParser, seconds: float):
        if not seconds >= 0:  # NaN too
            ap.error(f"--budget {seconds:g}: give 0 (no limit) or more seconds")
        self.seconds, self.done, self.repeat, self.first = seconds, 0, 0, 0.0
        # the bench's size option, named where a first run is past the budget (was "--turns or --scenes" in either)
        self.size = next((f"--{o}" for o in ("turns", "scenes") if ap.get_default(o) is not None), None)

    def runs(self, repeat: int):
        """Yield 0, 1, … for each run of ``repeat`` that fits; ``done`` counts them."""
        import time

        t0, self.repeat = time.perf_counter(), repeat
        for r in range(repeat):
            spent = time.perf_counter() - t0
            if r and self.seconds and spent + spent / r > self.seconds:
                return
            yield r
            self.done = r + 1
            if not r:  # resumed once the loop's body ended: with --repeat 1 too
                self.first = time.perf_counter() - t0

    def note(self) -> str:
        """A line where the budget left runs out, or where the first run alone ran past it ("" where every run of
        --repeat ran within it)."""
        past = (f"the first run alone took {self.first:.0f} s, past --budget {self.seconds:g} s (a run begun is not "
                f"stopped{f': fewer {self.size} fit' if self.size else ''})") if self.seconds and self.first > self.seconds else ""
        if self.done >= self.repeat:
            return past
        return (f"best of {self.done} of --repeat {self.repeat} runs: another would have ended past --budget "
                f"{self.seconds:g} s (a loaded machine; --budget 0 runs them all)" + (f"; {past}" if past else ""))


def every_or_count(text: str, unit: str = "records") -> int | None:
    """A ``--limit`` value: a count of 1 or more, or 'all' (None: no limit), refused naming it and ``unit``
    (bench/tta.py's and bench/det_decoding.py's: one reading, not a copy each)."""
    if text.strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:  # 0 answered every record and -2 all but the last two, unsaid; 'all' was "invalid int value"
        raise argparse.ArgumentTypeError(f"{text!r}: give a count of {unit} (1 or more) or 'all'")
    return n


def keep_option(ap: argparse.ArgumentParser) -> None:
    """``--keep DIR``: the records and each run's predictions of a bench that answers a test set."""
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="keep the records and each run's predictions (the files the notes name) in DIR, a new or "
                         "empty folder; default: a temporary folder, removed at the end")


def model_options(ap: argparse.ArgumentParser, max_new_tokens: int = 200) -> None:
    """``--model``, ``--batch-size`` and ``--max-new-tokens``: a bench that answers records with a checkpoint."""
    ap.add_argument("--model", default=None,
                    help="checkpoint folder (default: the bundled model, rsvlm/assets/default_model)")
    ap.add_argument("--batch-size", type=int, default=16, help="records answered together (default 16)")
    ap.add_argument("--max-new-tokens", type=int, default=max_new_tokens,
                    help=f"answer length limit (default {max_new_tokens})")


def no_score_note(dashes: list[tuple[str, str, str | None]], rows: set[str]) -> str:
    """The lines under a table that holds a '–' score: each reason, as its scorer gave it
    (``eval.common.headline_results``' ``why``: no record of the task, no reference of that kind, records without
    ``meta.width``), once, after the columns it holds for and, in brackets, the rows where not every row. ``dashes``: (row,
    column, why) of each '–' cell; ``rows``: the table's row labels. Was: one line for every table, 'no reference,
    or the scorer refused them', and a command to run to learn which."""
    where: dict[tuple[str, str], list[str]] = {}  # (column, why) → its rows
    for row, col, why in dashes:  # a reason of several lines: its lines indented under its item, blank ones dropped
        why = "\n  ".join(x.strip() for x in (why or "").splitlines() if x.strip()) or "the scorer gave no reason"
        got = where.setdefault((col, why), [])
        if row not in got:
            got.append(row)
    cols: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # (why, rows) → its columns
    for (col, why), got in where.items():
        cols.setdefault((why, tuple(got)), []).append(col)
    lines = ["–: no score; the scorer's reason:"]
    lines += [f"- {', '.join(names)}" + ("" if set(got) == rows else f" ({', '.join(got)})") + f": {why}"
              for (why, got), names in cols.items()]
    return "\n".join([*lines, "(a file named there is the records scored; --keep DIR keeps it and each run's "
                                 "predictions)"])


def skipped_note(cells: list[tuple[str, object]]) -> str | None:
    """The lines under a table whose scores left ground-truth records out (``n_gt_bad_records``: a malformed record, a
    reference no answer could be scored against): each scorer's note once, after the columns it holds for; None where
    none was skipped. ``cells``: (column, ``eval.common.Headline``) of each score in the table. Was: not said, the
    scores of fewer records than the table's count read as the whole set's."""
    cols: dict[str, list[str]] = {}  # note -> its columns
    for col, h in cells:
        if (note := getattr(h, "skipped", None)) and col not in (got := cols.setdefault(note, [])):
            got.append(col)
    if not cols:
        return None
    return "\n".join(["skipped by the scorers, not in these scores (n_gt_bad_records):",
                      *(f"- {', '.join(got)}: {note}" for note, got in cols.items()),
                      # was the temporary file's name and line alone (loc.jsonl:4), the file removed unsaid
                      "(a file named there is the bench's copy of --data's records, removed at the end unless --keep "
                      "DIR keeps it; the record ids are --data's)"])


def no_score(h) -> str | None:
    """Why the ``eval.common.Headline`` ``h`` shows '–' (its ``why``; for a NaN, which ``fmt`` also shows as '–',
    that it is NaN), or None where it holds a figure: the ``why`` of a ``no_score_note`` dash."""
    if h.score is None:
        return h.why or "the scorer gave no reason"
    if math.isnan(h.score):  # was: '–' in the table and no line in the note
        return "the scorer's figure is NaN (not a number: a mean over nothing, or a ratio of zeros)"
    return None


def markdown_table(head: list[str], rows: list[list[str]], align: str = "") -> str:
    """The Markdown table every bench prints (as docs/benchmarks/ records them): ``head``'s cells, ``|---|`` lines,
    then each row's (already formatted) cells, a '|' in a cell escaped; ``align`` one letter a column, ``r``
    right-aligned (``---:``), else left. Not ``eval.common.table``: that one pads the cells and writes None as '-'
    and floats with 4 decimals."""
    if bad := [r for r in rows if len(r) != len(head)]:
        raise ValueError(f"a row of {len(bad[0])} cells in a table of {len(head)} columns: {bad[0]}")
    if len(align) > len(head) or set(align) - {"l", "r"}:  # was: a separator cell per letter, any letter left
        raise ValueError(f"align {align!r}: one letter a column, l or r, for a table of {len(head)} columns")
    sep = ["---:" if a == "r" else "---" for a in align.ljust(len(head), "l")]
    cells = [[str(c).replace("|", "\\|") for c in r] for r in (head, *rows)]
    return "\n".join(["| " + " | ".join(cells[0]) + " |", "|" + "|".join(sep) + "|",
                      *("| " + " | ".join(r) + " |" for r in cells[1:])])


def cpu_note(where: str = "the model is loaded on the CPU") -> str:
    """The line under a table with CPU columns: what they hold. Read on a machine with a GPU they were taken for
    the GPU's time, which no column holds (``where``: what of the bench runs on the host)."""
    import torch

    gpu = "a CUDA device is here, unused" if torch.cuda.is_available() else "no CUDA device here"
    return (f"CPU columns: host CPU time (time.process_time of the process that works, all its threads; {where}, {gpu}); "
            "a GPU's time is in none of them")


def check_keep(ap: argparse.ArgumentParser, keep: Path | None) -> None:
    """A usage error, before any work, unless ``keep`` is None or a new or empty folder (made here): an old run's
    files there would be taken for this one's (rsvlm eval resumes the answers already in a file) or written over."""
    if keep is None:
        return
    if keep.is_file():  # was: 'cannot make it (File exists)'
        ap.error(f"--keep {keep}: a file, not a folder; give a new or empty folder")
    try:
        keep.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        ap.error(f"--keep {keep}: cannot make it ({e.strerror}); give a new or empty folder")
    if any(keep.iterdir()):
        ap.error(f"--keep {keep}: not empty (an earlier run's files there would be resumed as this run's answers or "
                 "written over); give a new or empty folder")


@contextlib.contextmanager
def work_dir(keep: Path | None, name: str):
    """``keep`` (checked by ``check_keep``), or a temporary folder removed at the end; either way stderr says
    where the files the notes named are, or that the run wrote none (every record left out). A usage error inside
    (tta's ``--data`` with no record to answer) empties ``keep`` again, so the same ``--keep`` is taken next time."""
    if keep is not None:
        try:
            yield keep
        except SystemExit as e:
            if e.code == 2:  # was: the records' copy stayed, and the corrected run was refused as 'not empty'
                for f in keep.iterdir():  # all this run's: check_keep found it empty
                    if f.is_dir():
                        shutil.rmtree(f)
                    else:
                        f.unlink()
            raise
        except KeyboardInterrupt:  # was unsaid: the next run with this --keep is refused as not empty
            print(f"{name}: interrupted; the files made so far are kept in {keep} (give another --keep, or empty "
                  "it, to run again)", file=sys.stderr)
            raise
        if any(keep.iterdir()):
            print(f"{name}: the records and predictions are kept in {keep}", file=sys.stderr)
        else:  # was: 'kept in DIR' of an empty folder
            print(f"{name}: no record was answered, so {keep} is left empty", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix=f"{name}_") as tmp:
        yield Path(tmp)
        wrote = any(Path(tmp).iterdir())
    if wrote:
        print(f"{name}: the records and predictions (the files the notes name) were in {tmp}, now removed; "
              "--keep DIR keeps them", file=sys.stderr)


def steady(metrics: Path, after: int) -> dict:
    """Real (non-pad) tokens/s and the non-pad fraction of a training run's ``metrics.jsonl`` over the
    logged steps after ``after``: the steps before warm up, and the final save is no step (the run's
    summary.json times both)."""
    recs = [json.loads(x) for x in metrics.read_text().splitlines()]
    recs = [r for r in recs if r["step"] > after]
    if not recs:
        raise ValueError(f"{metrics}: no logged step after step {after}; raise --steps")
    tokens, seconds = sum(r["tokens"] for r in recs), sum(r["seconds"] for r in recs)
    slots = sum(r["tokens"] / r["non_pad_fraction"] for r in recs if r["non_pad_fraction"])
    return {"steps": len(recs), "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "non_pad_fraction": tokens / max(1, slots)}


def warm_up(model, processor, data: Path, out: Path, batch_size: int, max_new_tokens: int, **kw) -> None:
    """Answer ``data``'s first batch untimed (``rsvlm eval``'s path, ``kw`` its options), so the
    first timed pass, often the baseline, does not carry the first calls' one-off costs; ``out`` is
    removed after."""
    from rsvlm import evaluate
    from rsvlm.progress import counted

    with open(data, encoding="utf-8") as f:  # "the first 16 record(s)" of a --limit 2 set: it answered 2
        n = sum(1 for _, line in zip(range(batch_size), f) if line.strip())
    print(f"warm-up: the first {counted(n, 'record')}, untimed", file=sys.stderr)
    evaluate.run(model, processor, data, out, batch_size, max_new_tokens, limit=batch_size, progress=False, **kw)
    out.unlink(missing_ok=True)


def cut_answers(pred: Path) -> int:
    """How many of ``rsvlm eval``'s answers in ``pred`` reached --max-new-tokens (marked ``"cut": true``): scored
    as written, so a table's low figure can be the token limit's, not the decoding's."""
    return sum(bool(json.loads(line).get("cut")) for line in pred.read_text().splitlines() if line.strip())


def fmt(x: float | None, nan: str = "–") -> str:
    """A table cell: '–' where there is no figure (None; NaN unless ``nan`` says why: ``"n/a (no record)"``), else
    3 decimals."""
    return "–" if x is None else nan if math.isnan(x) else f"{x:.3f}"


# -- the frozen-token assays --------------------------------------------------------------------
OBJECTS = ("plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool")
LOC0 = 100  # id of <loc_0> in the assay's own vocabulary (ids below are the prompt's few tokens)


@functools.cache
def default_model_yaml() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "configs/default/model.yaml").read_text())


def synth_scenes(out: Path, n: int, seed: int, overrides: list[str]) -> Path:
    """``n`` scenes of the default model's training config with ``overrides``; their records file."""
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import load_config

    cfg = load_config(SynthConfig, ROOT / "configs/default/data_train.yaml", overrides)
    rep = synthesize(out, n, seed, cfg, workers=1, progress=False, verbose=False)
    if rep["records_short"]:  # scenes without the asked record: fewer than asked for, said why
        why = [f"{v} {k}" for k, v in rep["skipped"].items()]
        if (rest := rep["records_short"] - sum(rep["skipped"].values())) > 0:  # was: said as '()'
            why.append(f"{rest}: more asked of a scene than it has tasks to ask, each asked once a scene")
        why = ", ".join(why)
        print(f"{out.name}: {rep['records']} of the {rep['records_wanted']} records asked of {n} scenes were made "
              f"({why})", file=sys.stderr)
    return out / "train.jsonl"


def encoders(p: argparse.ArgumentParser, specs: list[str]) -> dict:
    """``--encoder NAME=PATH`` specs → {name: frozen encoder}; a bad spec is a usage error."""
    from safetensors import SafetensorError

    out = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        if not path or not Path(path).is_file():
            p.error(f"--encoder {spec!r}: expected NAME=PATH to an existing .safetensors file")
        try:  # not safetensors (never unpickled), not a ViT of the default model's shape: before any scene
            out[name] = load_encoder(Path(path))
        except (SafetensorError, ValueError, RuntimeError, OSError) as e:
            p.error(f"--encoder {spec!r}: not an encoder this assay can load ({str(e)[:300]})")
    return out


def assay_options(p: argparse.ArgumentParser, scenes: int, seed: int) -> None:
    """The frozen-token assays' shared options (``--scenes`` and ``--seed`` defaults their own), then each adds its
    own; ``check_counts`` checks them."""
    p.add_argument("--encoder", action="append", default=[], metavar="NAME=PATH",
                   help="a vision.safetensors of a checkpoint or an encoder.safetensors of pretraining (repeatable)")
    p.add_argument("--scenes", type=int, default=scenes, help=f"training scenes; the test set is 300 (default {scenes})")
    p.add_argument("--steps", type=int, default=900, help="LLM training steps of batch 32 per row (default 900)")
    p.add_argument("--seed", type=int, default=seed, help=f"scene and training seed (default {seed})")
    p.add_argument("--order", choices=[*ORDERS, "both"], default="image-first",
                   help="the asked class after the visual tokens (as the default model's prompts are written) or "
                        "before them, where each visual token can attend to it (default image-first)")
    p.add_argument("--no-oracle", action="store_true", help="skip the oracle row")
    p.add_argument("--out", help="also write the rows as JSON")


def check_counts(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    """--scenes and --steps of 1 or more, --seed of 0 or more, and an --out file in an existing folder, not an
    --encoder's: a usage error otherwise (they failed as tracebacks from the generator or the table, or after the
    whole run; an --encoder's file was replaced by the table)."""
    require_at_least_one(p, a, ("scenes", "steps"))
    if a.seed < 0:  # else the generator's ValueError traceback once the encoders are loaded
        p.error(f"--seed {a.seed}: give 0 or more")
    check_out(p, a.out, {"encoder": [spec.partition("=")[2] for spec in a.encoder]})


def check_out(p: argparse.ArgumentParser, out: str | None, inputs: dict | None = None) -> None:
    """``require_out_file`` of an ``--out`` JSON file as typed (a str: ``type=Path`` dropped the ``/`` of ``r/``,
    and a file named r was written after the work), and ``-`` refused: the table is on standard output already (a
    file named ``-`` was written)."""
    if out == "-":
        p.error("--out -: the table is printed on standard output; give a file for the JSON")
    require_out_file(p, out, inputs)


def run_script(main) -> int:
    """A bench's last line, ``sys.exit(run_script(main))``: ``main()``'s exit status (0 where it returns no int), or
    on Ctrl-C one line and 130 (was a KeyboardInterrupt traceback from deep in torch or a worker pool; the runs
    done went with it, as no table or ``--out`` file is written before the end)."""
    try:
        status = main()
    except KeyboardInterrupt:
        print(f"\n{Path(sys.argv[0]).name}: interrupted (Ctrl-C) before its table, which is printed (and any --out "
              "file written) at the end", file=sys.stderr)
        return 130
    return status if type(status) is int else 0


def write_json(out: str, obj) -> None:
    """``obj`` as JSON into ``out`` whole (a temp file and a rename: a kill leaves the old file or the new)."""
    from eval.out_file import write_out

    write_out(out, json.dumps(obj, indent=1) + "\n")


def load_encoder(path: Path):
    from safetensors.torch import load_file

    from rsvlm.config import from_dict
    from rsvlm.model.vision import VisionConfig, build_encoder

    cfg = from_dict(VisionConfig, default_model_yaml()["encoders"]["default"])
    enc = build_encoder(cfg).eval()
    sd = load_file(str(path))
    if any(k.startswith("encoders.default.") for k in sd):  # a full checkpoint's vision.safetensors
        enc.load_state_dict({k[len("encoders.default."):]: v for k, v in sd.items() if k.startswith("encoders.default.")})
    else:  # a pretraining encoder.safetensors (visual.* only; the patch-skip gate starts at 0)
        enc.load_open_clip(path)
    return enc


def encode(enc, pix: torch.Tensor) -> torch.Tensor:
    import torch

    with torch.no_grad():
        return torch.cat([enc(pix[i:i + 64]) for i in range(0, len(pix), 64)])  # (n,36,W)


def fresh_llm(vocab_size: int, token_width: int, seed: int):
    """A fresh Llama of the default model's dims (seeded), a LayerNorm+Linear projector from
    ``token_width``, and AdamW (lr 1e-3) over both."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    conf = dict(default_model_yaml()["llm"]["config"])
    conf.update(vocab_size=vocab_size, max_position_embeddings=64)
    conf.pop("model_type", None)
    llm = LlamaForCausalLM(LlamaConfig(**conf))
    d = llm.config.hidden_size
    proj = torch.nn.Sequential(torch.nn.LayerNorm(token_width), torch.nn.Linear(token_width, d))
    return llm, proj, torch.optim.AdamW([*llm.parameters(), *proj.parameters()], lr=1e-3)


ORDERS = ("image-first", "question-first")


def prompt(emb, proj, tok: torch.Tensor, cls: torch.Tensor, order: str) -> torch.Tensor:
    """(b,39,d): ``<bos> <image tokens> <class> <sep>``, or with ``question-first`` ``<bos> <class>
    <image tokens> <sep>``, where every visual token can attend to the asked class."""
    import torch

    b = len(tok)
    bos, sep, q = emb(torch.full((b, 1), 5)), emb(torch.full((b, 1), 6)), emb(10 + cls[:, None])
    parts = [bos, proj(tok), q, sep] if order == "image-first" else [bos, q, proj(tok), sep]
    return torch.cat(parts, 1)
