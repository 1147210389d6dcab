"""Contrastive encoder pretraining from scratch (objective "clip"): image–caption pairs, open_clip's loss.

The vision side is rsvlm's own encoder (``model.encoders.default``) behind each modality's stem
preparation, mean-pooled and projected; the text side is open_clip's ``TextTransformer`` over the
configured tokenizer (the byte tokenizer when the LLM is built from a config). Captions are the
first answer of each ``cap`` record (every record's first answer when there is no ``cap`` record; never a
[change] record of other than two images, left out and counted as the LM loop does). A caption longer than
``clip.context_length`` - 1 tokens is cut to fit, the pool's cut ones counted and said once before training.
The result, ``out_dir/final/encoder.safetensors``, holds ``visual.*`` keys in open_clip's layout,
so ``model.encoders.default.pretrained=…/encoder.safetensors`` starts the alignment stage from it.

With ``clip.dense_weight > 0`` a linear head on every patch token also predicts, from the
record's ``meta.sem_mask``, for each of its ``dense_subgrid``² sub-cells either each semantic
class's share (``dense_target: share``, soft cross-entropy) or which classes are present at all
(``presence``, binary cross-entropy summed over classes), added with that weight, so the tokens
carry what is where. ``share`` lets a patch's land cover drown a 5-px object; ``presence`` on a
2×2 sub-grid makes every token say which objects it holds and in which quarter. With the encoder
frozen in the instruction stages the default model uses ``presence`` (build 9 in
docs/default-model/builds-3-to-11.md; build 5, which trained the encoder on, lost by it). Records without a
readable ``sem_mask`` count as bad samples.

With ``clip.box_weight > 0`` a second linear head says, per patch token, whether an object's box
centre lies in its patch (binary cross-entropy) and, where one does, that box's edges relative to
the patch (smooth L1, in patch units), from the record's ``meta.inst_mask``: the tokens then carry
where inside its patch an object is, which a 16-px token's class or presence alone does not say.

With ``clip.center_weight > 0`` a third linear head says, for each ``dense_subgrid``² sub-cell of
every patch token, which classes have an object whose box centre lies there (binary
cross-entropy summed over classes), from ``meta.inst_mask`` and ``meta.sem_mask``: each object is
then marked once, on one token, with its class, so the number of objects of a class is the number
of marked cells, where presence marks every sub-cell an object touches.

With ``ckpt.every`` > 0 the run saves the model, AdamW state, batch-sampling and torch RNG streams
and the loss history every that many steps and at the end (``out_dir/checkpoints/step_N``, as the LM
loop does; a SIGTERM stops the run at the next step, saving one there, as in the LM loop);
``ckpt.resume`` (``auto`` or a folder) continues from one, drawing the same batches as a run that
was never stopped.

Several processes (``torchrun``, CPU or GPU): each rank takes an interleaved share of every global
batch of ``batch_size`` × processes pairs (the same draws on every rank), and open_clip's loss
gathers the features with their gradients (``local_loss``, ``gather_with_grad``), so the loss and
the update are those of one process on the whole batch (``tests/test_train_clip.py`` checks it).
``data.extra`` files add caption records, drawn by their weights (without replacement).
The optimizer and schedule are the LM loop's (``optim.*``: AdamW, decay on matrices only, warm-up
then cosine or constant).

``grad_accum`` > 1 contrasts ``batch_size`` × ``grad_accum`` × processes pairs per step with the
activations of ``batch_size`` at a time, and the same gradients as one batch (``accumulate``).

Limits: plain ``torch.distributed``, not DeepSpeed (the encoder and text tower are small); learned stems are not
trained here (bands are mixed by the stem's fixed initial map); the per-patch heads are dropped after training (only
the encoder is saved).
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import torch

from rsvlm.config import save_config
from rsvlm.processes import StopOnTerm, Terminated
from rsvlm.progress import counted, plural
from rsvlm.train.chatter import clear_setup_log
from rsvlm.train.clip_ckpt import check_clip_folder, pool_note, resume_clip, save_clip  # noqa: F401 (run.preflight's)
from rsvlm.train.clip_data import cache_budget, caption_pool, draw, other_encoders, pair_pixels, without_stem
from rsvlm.train.clip_heads import (
    PATCH_HEADS,
    box_loss,  # noqa: F401 (tests import it from here)
    box_targets,
    center_targets,
    patch_targets,
)
from rsvlm.train.clip_model import ClipModel, accumulate  # noqa: F401 (tests import and patch them here)
from rsvlm.train.config import LM_ONLY, note_unused, unused_settings  # noqa: F401 (importable here as before)
from rsvlm.train.inputs import TooFewRecords, check_images_there
from rsvlm.train.resume import (
    check_changes,
    continues_own,
    file_prints,
    note_resume,
    resume_folder,
    start_out_dir,
)
from rsvlm.train.run import (
    TooManyBadSamples,
    build_optimizer,
    check_bad,
    check_finite,
    check_malformed,
    check_micro_batch,
    host_group,
    note_schedule,
    setup_distributed,
)
from rsvlm.train.stopping import end_save_due, interrupted_note, launcher_says, leave, save_due, stop_due
from rsvlm.train.whole import WholeFiles


def _tokenizer(cfg):
    from rsvlm.model.llm import byte_tokenizer

    path = cfg.model.llm.tokenizer or cfg.model.llm.name_or_path
    if path:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path)
    return byte_tokenizer()


def check_clip_batch(cfg) -> None:
    """ValueError where a process would contrast fewer than 2 pairs a step (every step would be passed over)."""
    if cfg.batch_size * cfg.grad_accum < 2:
        raise ValueError(f"objective clip: batch_size × grad_accum = {cfg.batch_size * cfg.grad_accum} caption pair "
                         "per process and step; a contrastive step needs 2 or more")


def read_pairs(cfg, world: int, rank: int) -> tuple[list, torch.Tensor | None, object, dict[str, int], list[str]]:
    """The caption pairs (``caption_pool``) with a stem, their draw weights, read report, pairs left out by
    modality (``without_stem``) and [change] records of other than two images left out, refused as every rank
    refuses them before out_dir is written (exit 2): no image there (``NoImageFound``), fewer than 2 pairs a
    process (``TooFewRecords``), too many malformed records; ``rank`` 0 says what it leaves out. scripts/launch.py
    asks it too, before any process starts (it skipped these checks for this objective: each rank refused alike)."""
    pairs, weights, report = caption_pool(cfg, unpaired := [])
    if unpaired and rank == 0:  # "New buildings." was the caption of a one-image [change] record's image
        print(f"[rsvlm.train] {counted(len(unpaired), '[change] record')} of other than two images left out (a "
              f"[change] answer is no caption of one image; first: {unpaired[0]}); counted as unpaired_change_records "
              "in summary.json, not as malformed", file=sys.stderr)
    check_images_there(cfg)  # a wrong data.root: NoImageFound (exit 2), not every draw bad once out_dir was written
    pairs, weights, no_stem = without_stem(pairs, weights, cfg)
    left_out = ", ".join(f"{n} {m}" for m, n in no_stem.items())
    if no_stem and rank == 0:
        print(f"[rsvlm.train] {left_out} caption {plural('pair', sum(no_stem.values()))} left out: model.stems has no stem for "
              f"{'that modality' if len(no_stem) == 1 else 'those modalities'} (it has {', '.join(cfg.model.stems)}); "
              "counted as no_stem_pairs in summary.json, not as bad samples", file=sys.stderr)
    if len(pairs) < 2 * world:
        raise TooFewRecords(f"{cfg.data.train}: {len(pairs)} single-image caption {plural('pair', len(pairs))}"
                         + (f" with a stem ({left_out} without one)" if no_stem else "")
                         + (f", {counted(len(unpaired), '[change] record')} of other than two images left out" * bool(unpaired))
                         + f"; contrastive training on {counted(world, 'process')} needs at least {2 * world} "
                           f"({report.summary()})")
    if (per_step := cfg.batch_size * cfg.grad_accum * world) > len(pairs) and rank == 0:  # was unsaid
        print(f"[rsvlm.train] warning: {len(pairs)} caption {plural('pair', len(pairs))}, fewer than a global batch of {per_step} "
              f"(batch_size × grad_accum × processes): each step contrasts {len(pairs) // world * world} of them",
              file=sys.stderr)
    if len(pairs) < report.n_ok and rank == 0:  # records of other tasks, image pairs and the like are not used
        print(f"[rsvlm.train] {len(pairs)} caption {plural('pair', len(pairs))} from {counted(report.n_ok, 'record')}: a file's single-image [cap] "
              "records, or the first answer of each single-image record where it has none", file=sys.stderr)
    check_malformed(report, cfg, rank)
    return pairs, weights, report, no_stem, unpaired


def _mean_over_ranks(values: list[float], device: torch.device, world: int) -> list[float]:
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return (t / world).tolist()


def gather_counts(state: dict, world: int) -> tuple[int, list, int, int, str | None]:
    """(collective) Bad draws, bad ids, samples, cut captions and the first bad sample's reason of all ranks:
    the final verdict names that reason alike on every rank (it did on the rank that met it only)."""
    mine = (state["bad"], state["bad_ids"], state["samples"], state.get("cut", 0), state.get("first_bad"))
    if world == 1:
        return mine
    parts = [None] * world
    torch.distributed.all_gather_object(parts, mine)
    bad, samples, cut = (sum(p[i] for p in parts) for i in (0, 2, 3))
    return bad, [i for p in parts for i in p[1]], samples, cut, next((p[4] for p in parts if p[4]), None)


def write_line(out_dir: Path, state: dict, since: int, lr: float) -> int:
    """(rank 0) Append ``metrics.jsonl``'s line for the steps since the last one (``since``: the number of trained
    steps' losses then): the step, the LR and the mean losses of the steps that trained, ``"loss": null`` (and
    no head's loss) where each was passed over, as the LM loop logs a window without a sample; the new ``since``."""
    line = {"step": state["step"], "lr": lr, "loss": None}
    for key in ("losses", *(f"{k}_losses" for k in PATCH_HEADS)):
        if window := state[key][since:]:
            line[key[:-2]] = sum(window) / len(window)  # mean since the last line
    with open(out_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")
    return len(state["losses"])


def train_clip(cfg, stop: StopOnTerm | None = None) -> dict:
    """Run contrastive pretraining to ``cfg.max_steps``; the summary (also out_dir/summary.json). ``stop``:
    SIGTERM's handler, taken at a step boundary as in ``loop.train``."""
    from open_clip.loss import ClipLoss
    from safetensors.torch import save_file

    from rsvlm.progress import bar as progress_bar
    from rsvlm.train.checkpoint import barrier, write_summary
    from rsvlm.train.clip_data import caption_rows, pool_cuts

    rank, world, device = setup_distributed(cfg, ddp=True)
    note_unused(cfg, rank)  # the LM loop's settings it ignores
    folder = resume_folder(cfg)  # its files, processes and model section checked by preflight (train runs it)
    files = file_prints(cfg) if rank == 0 else None  # as the LM loop's: a records file renamed on resume moves nothing
    if folder is not None:
        check_changes(folder, cfg, rank, files)  # (rank 0) names the other settings it changes
    pairs, weights, report, no_stem, unpaired = read_pairs(cfg, world, rank)  # checked before out_dir is written (exit 2)
    note_schedule(cfg, rank)
    if (elsewhere := other_encoders(pairs, cfg)) and rank == 0:
        print(f"[rsvlm.train] {elsewhere}: their stems feed other encoders in the model, but contrastive pretraining "
              "trains model.encoders.default alone, on every modality", file=sys.stderr)
    tok = _tokenizer(cfg)
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    core = ClipModel(cfg, len(tok), tok.pad_token_id, tok.eos_token_id).to(device)
    # the pool's cut captions said once here, measured a share a rank; each batch's captions tokenized as drawn
    long, cut_note = pool_cuts(pairs, tok, cfg.clip.context_length, rank, world, cfg.log.progress and rank == 0)
    if cut_note and rank == 0:
        print(cut_note, file=sys.stderr)
    # after the build, as the LM loop's: an encoder file it refuses left out_dir made, its config inside
    out_dir = start_out_dir(cfg, rank, world)  # every rank stops alike where rank 0 cannot make it
    clear_setup_log(out_dir, rank)  # an earlier LM start's (was kept, as if this run's): no DeepSpeed here
    opt, sched = build_optimizer(core, cfg)
    gen = torch.Generator().manual_seed(cfg.seed)  # the same draws on every rank; each takes its share
    start = resume_clip(cfg, folder, core, opt, sched, gen, rank)
    model = core
    if world > 1:  # the encoder's unused last block (feature_layer) gets no gradient
        model = torch.nn.parallel.DistributedDataParallel(core, find_unused_parameters=True)
        # open_clip's ClipLoss gathers with torch's deprecated torch.distributed.nn.all_gather: its FutureWarning was
        # said 30 times in an 8-step 2-process run, none the user's to act on; process-wide, as engine.py's
        warnings.filterwarnings("ignore", message=r"torch\.distributed\.nn\.functional\.all_gather is deprecated",
                                category=FutureWarning)
    loss_fn = ClipLoss(local_loss=True, gather_with_grad=True, rank=rank, world_size=world)
    size = core.encoder.image_size
    grid = size // core.encoder.patch_size
    state = {"step": 0, "losses": [], **{f"{k}_losses": [] for k in PATCH_HEADS}, "bad": 0, "bad_ids": [],
             "samples": 0}
    state.update(start)
    state["files"] = files
    if isinstance(state["bad"], list):  # a folder saved before tour 53 listed every bad draw's id
        state["bad"], state["bad_ids"] = len(state["bad"]), list(dict.fromkeys(state["bad"]))[:1000]
    if start and rank == 0:  # once, as the LM loop says it
        print(f"[rsvlm.train] resumed contrastive pretraining at step {start['step']} from {folder}", file=sys.stderr)
        if note := pool_note(folder, start.get("caption_pairs"), len(pairs), len(unpaired)):
            print(note, file=sys.stderr)
    state["caption_pairs"] = len(pairs)  # what the sampler draws from, checked on resume
    if cfg.ckpt.resume and rank == 0:
        note_resume(cfg, bool(start), state["step"])
    c = cfg.clip
    target_fns = {"dense": partial(patch_targets, grid=grid, n_classes=c.dense_classes, subgrid=c.dense_subgrid,
                                   kind=c.dense_target),
                  "box": partial(box_targets, grid=grid),
                  "center": partial(center_targets, grid=grid, n_classes=c.dense_classes, subgrid=c.dense_subgrid)}
    target_fns = {name: target_fns[name] for name in core.patch_heads()}
    cache: dict[int, tuple[torch.Tensor, dict[str, torch.Tensor]]] = {}
    budget, cached_bytes, full = cache_budget(), 0, False  # beyond the budget images are read at each draw
    png_checked = WholeFiles(len(pairs))  # PNGs found whole: a re-read past the budget skips the check
    named = set(state["bad_ids"])  # bad samples already named on stderr
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16")
    bar = progress_bar(range(state["step"], cfg.max_steps), initial=state["step"], total=cfg.max_steps,
                       desc="clip", unit="step", disable=not cfg.log.progress or rank != 0)
    log_from = len(state["losses"])
    counts_group, stopping = host_group(world, cfg.dist.timeout_s), False  # stopping: a SIGTERM every rank heard of

    def step_boundary() -> None:
        """A step folder every ``ckpt.every`` steps; a SIGTERM every rank has heard of stops the run here, saving
        one (``stopping``, as the LM loop does)."""
        stop_now = stop_due(stopping, state["step"], cfg.max_steps)
        saved = (save_clip(cfg, core, opt, sched, gen, state, rank, world)
                 if save_due(cfg.ckpt.every, state["step"], cfg.max_steps, stop_now) else None)
        if stop_now:
            bar.close()
            leave(saved, world)
        if cfg.slow_step_s:
            time.sleep(cfg.slow_step_s)

    def log_due() -> bool:
        """(rank 0) Whether the step just done ends a log window: every ``log.every``, the last, and the one
        a SIGTERM stops the run at."""
        done = state["step"]
        return rank == 0 and (done % cfg.log.every == 0 or done == cfg.max_steps or stop_due(stopping, done,
                                                                                            cfg.max_steps))

    if stop is not None:
        stop.defer()  # a first SIGTERM from here on is taken at a step boundary (a second stops at once)
    try:
        for step in bar:
            idx = draw(gen, len(pairs), weights, min(cfg.batch_size * cfg.grad_accum * world, len(pairs)))[rank::world]
            pix, kept, targets = [], [], {k: [] for k in core.patch_heads()}
            for i in idx:
                rec, _, root = pairs[i]
                state["samples"] += 1
                try:
                    if i in cache:  # each image read once while the budget lasts (bf16 copies, ~55 kB at 96 px)
                        x, t = cache[i]
                    else:
                        x, t = (pair_pixels(rec, root, cfg, size, png_checked).to(torch.bfloat16),
                                {k: make(rec, root) for k, make in target_fns.items()})
                        n_bytes = sum(v.numel() * v.element_size() for v in (x, *t.values()))
                        if not full and (budget is None or cached_bytes + n_bytes <= budget):
                            cache[i], cached_bytes = (x, t), cached_bytes + n_bytes
                        elif not full:
                            full = True
                            if rank == 0:
                                print(f"[rsvlm.train] the image cache is full at {cached_bytes / 2**30:.1f} GiB "
                                      f"({len(cache)} of {len(pairs)} pairs; a quarter of this machine's memory): the "
                                      "others are read from disk at each draw", file=sys.stderr)
                except (OSError, ValueError) as e:  # every draw counted, each sample named once
                    if rec["id"] not in named:
                        named.add(rec["id"])
                        print(f"[rsvlm.train] rank {rank}: skipped sample {rec['id']}: {type(e).__name__}: {e}",
                              file=sys.stderr)
                    state["bad"] += 1  # every draw counted; the first 1000 ids kept, each once (as the LM loop)
                    if len(state["bad_ids"]) < 1000 and rec["id"] not in state["bad_ids"]:
                        state["bad_ids"].append(rec["id"])
                    state.setdefault("first_bad", f"{rec['id']}: {type(e).__name__}: {e}")
                    continue
                pix.append(x.float())
                for k, v in t.items():
                    targets[k].append(v)
                kept.append(i)
            n = len(pix)
            if world > 1:  # every rank contrasts the same number of pairs (the features are gathered)
                n_t = torch.tensor([n], device=device)
                torch.distributed.all_reduce(n_t, op=torch.distributed.ReduceOp.MIN)
                n = int(n_t)
            # the bad-share verdict on the counts of all ranks, and whether any rank has been sent SIGTERM
            stopping |= check_micro_batch(state, cfg, False, world, counts_group,
                                          stop=stop is not None and stop.requested)
            if n < 2:  # no contrast without two pairs (every rank alike: n is the least)
                state["step"], state["skipped_steps"] = step + 1, state.get("skipped_steps", 0) + 1
                if rank == 0:
                    print(f"[rsvlm.train] step {step + 1}: {n} readable caption {plural('pair', n)}, fewer than the 2 a "
                          "contrastive step needs; passed over (counted in summary.json)", file=sys.stderr)
                lr = opt.param_groups[0]["lr"]
                with warnings.catch_warnings():  # torch's "lr_scheduler.step() before optimizer.step()": meant here
                    warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step",
                                            category=UserWarning)
                    sched.step()  # the schedule follows the step count, as in the LM loop (it lagged by the steps
                    # passed over)
                if log_due():  # was no line at all: the LM loop logs such a window as "loss": null
                    log_from = write_line(out_dir, state, log_from, lr)
                step_boundary()
                continue
            pix, kept = pix[:n], kept[:n]
            text, lengths = caption_rows([pairs[i][1] for i in kept], tok, cfg.clip.context_length)  # (B,L), (B,)
            state["cut"] = state.get("cut", 0) + int((lengths > cfg.clip.context_length - 1).sum())
            text = text.long()  # each cut to context - 1 tokens, then the end token and padding
            pixels, text = torch.stack(pix).to(device), text.to(device)  # (B,3,S,S), (B,L)
            batch_t = {k: torch.stack(v[:n]).to(device) for k, v in targets.items()}  # (B,N,s²,K) or (B,N,5)
            opt.zero_grad(set_to_none=True)
            logged = accumulate(model, core, loss_fn, cfg, autocast, pixels, text, batch_t, world)
            if cfg.optim.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(core.parameters(), cfg.optim.max_grad_norm)
            lr = opt.param_groups[0]["lr"]  # the rate this step uses, before the schedule moves on
            opt.step()
            sched.step()
            with torch.no_grad():
                core.logit_scale.clamp_(0, math.log(100))
            total, *parts = _mean_over_ranks(logged, device, world)
            check_finite(not math.isfinite(total), cfg, step, step + 1, world)  # the same on every rank
            parts = {k: v for k, v in zip(PATCH_HEADS, parts) if k in batch_t}
            state["losses"].append(total)
            for k, v in parts.items():
                state[f"{k}_losses"].append(v)
            state["step"] = step + 1
            bar.set_postfix(loss=f"{total:.4f}", **{k: f"{v:.3f}" for k, v in parts.items()})
            if log_due():
                log_from = write_line(out_dir, state, log_from, lr)
            step_boundary()
    except (KeyboardInterrupt, Terminated) as e:  # as the LM loop: which steps it leaves unsaved, whether it trained any
        e.trained_steps = state["step"] - start.get("step", 0)
        if rank == 0 and e.trained_steps and isinstance(e, KeyboardInterrupt):
            if (note := interrupted_note(state["step"], out_dir, start.get("step", 0), launcher_says())):
                print(note, file=sys.stderr)  # none under scripts/launch.py where nothing is lost: its last line says it
        raise
    ran = state["step"] - start.get("step", 0)
    if ran and state.get("skipped_steps", 0) - start.get("skipped_steps", 0) == ran:  # alike on every rank
        raise TooManyBadSamples(f"no step of this run had 2 readable caption pairs ({ran} passed over; "
                                f"{state['bad']} bad {plural('sample', state['bad'])} of {state['samples']} on this process; the first: "
                                f"{state.get('first_bad')}): nothing was trained, and nothing is saved")
    # as the LM loop: a finished run can be extended with a larger max_steps and ckpt.resume
    if end_save_due(cfg.ckpt.every, ran > 0, folder is not None and continues_own(cfg)):
        save_clip(cfg, core, opt, sched, gen, state, rank, world)
    bad, ids, samples, cut, first = gather_counts(state, world)
    final = out_dir / "final"
    summary = {"steps": state["step"], "steps_this_run": state["step"] - start.get("step", 0), "processes": world,
               "skipped_steps": state.get("skipped_steps", 0),
               "losses": state["losses"], **{f"{k}_losses": state[f"{k}_losses"] for k in PATCH_HEADS},
               "samples": samples, "bad_samples": bad, "bad_ids": sorted(set(ids)), "cut_captions": cut, **long,
               "unpaired_change_records": len(unpaired),
               "no_stem_pairs": no_stem, "malformed_records": report.n_skipped,
               "malformed_reasons": dict(report.skipped),
               "inferred_modalities": report.inferred_by_modality, "duplicate_ids": report.duplicates,
               "several_image_records": dict(report.several_images), "task_clashes": report.task_clashes,
               "final": str(final / "encoder.safetensors")}
    if rank == 0:
        final.mkdir(parents=True, exist_ok=True)
        save_file({f"visual.{k}": v.contiguous() for k, v in core.encoder.visual.state_dict().items()},
                  str(final / "encoder.safetensors"))
        save_config(cfg, final / "train_config.yaml")
        write_summary(out_dir, summary)
    check_bad({"samples": samples, "bad": bad, "bad_ids": ids, "first_bad": first}, cfg,
              final=True, saved=Path(summary["final"]))  # the verdict before "done", as the LM loop's
    if rank == 0:
        more = "".join(f", {summary[k]} {plural(word, summary[k])}{after}"
                       for k, word, after in (("cut_captions", "cut caption", ""),
                                              ("skipped_steps", "step", " passed over"),
                                              ("unpaired_change_records", "[change] record",
                                               " of other than two images left out"))
                       if summary[k])
        print(f"[rsvlm.train] done: {counted(summary['steps'], 'step')}, {counted(bad, 'bad sample')} skipped, "
              f"{counted(report.n_skipped, 'malformed record')}{more}; encoder in {summary['final']}", file=sys.stderr)
    if world > 1:
        barrier(world)
        torch.distributed.destroy_process_group()  # else gloo's threads can abort the process at exit
    return summary
