"""The training loop: config → model, data, engine → steps → checkpoints → final model.

One process (``rsvlm train``) uses plain torch; under ``torchrun`` / ``deepspeed`` with
``dist.deepspeed`` set, each rank runs the same loop on its share of every global batch through
DeepSpeed's engine (ZeRO-2/3, offload). Resuming restores weights, optimizer, schedule, every
rank's RNG streams and the position inside the epoch's batch plan, so on CPU in fp32 a resumed
run ends with exactly the weights of a run that was never stopped.

Limits: several processes need a DeepSpeed config (there is no plain-DDP path); an optimizer
step with an empty micro-batch on one rank (all its samples bad) re-runs, with zero weight, that rank's
last micro-batch of the same modalities (``find_stand_in``), so the collectives stay in step over the
same stems and encoders; ``data.batching=naive`` of several modalities is refused; the bad-sample verdicts are
taken on the counts of all ranks (a host all-reduce of three numbers per micro-batch), so every
rank stops at the same micro-batch.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import torch

from rsvlm.config import save_config
from rsvlm.model.base_print import FINGERPRINT, base_moved
from rsvlm.model.llm import context_length
from rsvlm.model.pointer import pointer_ids
from rsvlm.model.row_fill import record_fill, unrecorded_fill_note
from rsvlm.processes import StopOnTerm, Terminated, ignore_sigterm
from rsvlm.progress import counted, plural
from rsvlm.tokens import IMAGE_TOKEN, loc_token
from rsvlm.train import checkpoint as ckpt
from rsvlm.train import data as D
from rsvlm.train.batch_plan import ended_epoch_note, old_plan_note, past_end_note
from rsvlm.train.batches import (  # noqa: F401 (find_stand_in, short_of_batch: importable from here as before)
    StandIns,
    check_naive_groups,
    count_dropped,
    find_stand_in,
    no_full_batch,
    short_of_batch,
)
from rsvlm.train.chatter import write_setup_log
from rsvlm.train.checkpoint import barrier, set_aside, write_summary
from rsvlm.train.config import PROFILE_AFTER, TrainConfig, note_unused
from rsvlm.train.export import export_step  # noqa: F401 (scripts/export_step.py imports it from here)
from rsvlm.train.init_from import carry_merged, init_vision
from rsvlm.train.inputs import check_enough_records
from rsvlm.train.logging import Metrics, StepProfiler
from rsvlm.train.losses import answer_window, lm_losses, pointer_loss, pointer_targets
from rsvlm.train.resume import (  # shared with the contrastive loop
    check_changes,
    check_out_dir,  # noqa: F401 (importable from here as before)
    continues_own,
    file_prints,
    note_resume,
    resume_folder,
    start_out_dir,
)
from rsvlm.train.run import (  # shared with the contrastive loop; importable from here as before
    TooManyBadSamples,
    build_optimizer,
    check_bad,
    check_finite,
    check_micro_batch,
    host_group,
    lr_lambda,
    note_schedule,
    preflight,
    setup_distributed,
)
from rsvlm.train.sft_index import past_context, read_train_data
from rsvlm.train.stopping import end_save_due, interrupted_note, launcher_says, leave, save_due, stop_due
from rsvlm.train.summary import summarize  # importable from here as before
from rsvlm.train.warn_lines import run_warning, run_warnings
from rsvlm.tta import MODES


def make_engine(model, cfg: TrainConfig, world: int):
    from rsvlm.train.engine import DeepSpeedEngine, PlainEngine

    opt, sched = build_optimizer(model, cfg)
    if cfg.dist.deepspeed:
        from rsvlm.train.deepspeed_config import load_deepspeed_config

        return DeepSpeedEngine(model, opt, sched, load_deepspeed_config(cfg.dist.deepspeed, cfg, world),
                               cfg.dist.timeout_s)
    dtype = torch.bfloat16 if cfg.precision == "bf16" else None
    return PlainEngine(model, opt, sched, cfg.grad_accum, cfg.optim.max_grad_norm, dtype)


def _to(batch: dict, device: torch.device) -> dict:
    """The batch on ``device``; copies from pinned memory (the loader pins on CUDA) overlap compute."""
    from rsvlm.model.processor import Pixels

    nb = device.type == "cuda"
    images = [[Pixels(p.tensor.to(device, non_blocking=nb), p.modality) for p in ims] for ims in batch["images"]]
    return {"input_ids": batch["input_ids"].to(device, non_blocking=nb),
            "attention_mask": batch["attention_mask"].to(device, non_blocking=nb), "images": images}


def save_checkpoint(engine, cfg: TrainConfig, state: dict, rank: int, world: int, base: str | None = None) -> Path:
    """The step folder (either engine); ``base``: rank 0's ``step_base``, written as its rsvlm_base.json."""
    final = ckpt.step_dir(Path(cfg.out_dir) / "checkpoints", state["step"])
    with ckpt.staged_step(final, cfg.ckpt.keep, rank, world) as tmp:
        engine.save(tmp)
        ckpt.save_rng(tmp, rank)
        ckpt.save_trainer_state(tmp, state, rank, world)
        if rank == 0:
            save_config(cfg, tmp / "train_config.yaml")
            record_fill(tmp, engine.module.cfg.llm)  # how rsvlm's rows on the base's spare rows started (base_vocab set)
            if base is not None:
                (tmp / FINGERPRINT).write_text(base)
    return final


def step_base(cfg: TrainConfig) -> str | None:
    """rsvlm_base.json's text for the run's step folders, computed once: the base ``model.llm.name_or_path`` and
    its weights' fingerprint where the LLM's weights come from it (frozen or LoRA; a full fine-tune's step holds
    them all). export_step rebuilds that base from the name and refuses one changed since (was: nothing
    recorded, so it could not tell)."""
    from rsvlm.model.base_print import base_record
    from rsvlm.model.ckpt_files import base_folder

    name = cfg.model.llm.name_or_path
    if not name or cfg.model.trainable.llm == "full":
        return None
    return base_record(name, base_folder(name))


def _adapter_only(cfg: TrainConfig) -> bool:
    """Save the LoRA adapter alone: the LLM has LoRA and a base on disk to merge it into later."""
    return cfg.model.trainable.llm == "lora" and bool(cfg.model.llm.name_or_path)


def save_final(engine, cfg: TrainConfig, rank: int) -> Path:
    """The model in DESIGN.md's checkpoint layout (adapter-only where the LLM has LoRA and a base on disk),
    written into ``final.tmp`` and renamed: a resumed run's save went into the last run's ``final/``, so a kill
    midway left it half new, half old (this run's vision.safetensors, the last run's adapter), loadable unsaid.
    A kill between the two renames leaves no ``final/`` (``final.old`` and ``final.tmp``, each whole), which a
    resume of this out_dir puts in place (``renames.finish_final``). The last
    ``final/`` goes whole: files in it this save does not write (the user's) are named in a warning."""
    import os
    import shutil

    out = Path(cfg.out_dir) / "final"
    tmp = out.with_name("final.tmp")
    with engine.gathered():
        if rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)  # a killed save's
            # a .bin-only base's note was Python's two-line UserWarning (FILE:LINE: …); it names final/
            with run_warnings((str(tmp), str(out))):
                engine.module.save_pretrained(tmp, adapter_only=_adapter_only(cfg))
                carry_merged(cfg, tmp)  # a merged base's record: it was lost here
                save_config(cfg, tmp / "train_config.yaml")  # last: renames.whole_model reads it as the end
            gone = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                          and not (tmp / p.relative_to(out)).exists()) if out.is_dir() else []
            if out.exists():
                set_aside(out)  # as final.old, deleted once this one is in place
            os.replace(tmp, out)
            shutil.rmtree(out.with_name("final.old"), ignore_errors=True)
            if gone:  # 938a236c deleted them unsaid; before it they were kept
                run_warning(f"{out}: the last run's final/ was replaced whole, with {len(gone)} "
                            f"{plural('file', len(gone))} in it this save does not write: {', '.join(gone[:3])}"
                            f"{', …' if len(gone) > 3 else ''}")
    return out


def build_model(cfg: TrainConfig, device: torch.device, shapes: torch.nn.Module | None = None, rank: int = 0,
                scans: dict | None = None):
    """(model, processor) as training starts: ``cfg.model`` seeded with ``cfg.seed``, the vision side
    from ``init_from`` (the LLM from ``model.llm.name_or_path``; its notes said by ``rank`` 0 alone). ``shapes``:
    preflight's meta LLM; ``scans``: the transformers-source lookups its checks made (``llm_files.scanned``), not
    made again (None: made anew)."""
    from rsvlm.model import create_model

    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    model, processor = create_model(cfg.model, device=device, shapes=shapes, scans=scans)
    if cfg.init_from:
        init_vision(model, Path(cfg.init_from), rank)
    return model, processor


def fill_note(folder: Path, model, use: str = "resume") -> None:
    """Warn where step ``folder`` records no fill of the rows rsvlm added on the base's spare rows and they do not
    train here (``row_fill.unrecorded_fill_note``): they start as this build fills them, not as the run's did;
    worded for what is done with the folder, ``use`` "resume" or "export"."""
    if note := unrecorded_fill_note(folder, model.cfg.llm, model.cfg.trainable.llm, use):
        run_warning(note)


def train(cfg: TrainConfig, checked: bool = False, stop: StopOnTerm | None = None,
          shapes: torch.nn.Module | None = None, scans: dict | None = None) -> dict:
    """Run training to ``cfg.max_steps``; returns the summary (also written to out_dir/summary.json).
    ``checked``: ``preflight(cfg)`` has run already (``rsvlm train`` runs it first, for its exit status), and
    ``shapes`` is what it returned (its meta LLM, not built again); ``scans``: the dict of transformers-source
    lookups its checks filled (``preflight(cfg, scans)``), for the build (``build_model``): one lookup a key.
    ``stop``: SIGTERM's handler (``rsvlm train`` installs it); from the first step on, a SIGTERM on any
    rank stops every rank at the same step boundary, saving a step folder there where ``ckpt.every``
    is set, and raises ``Terminated`` naming it."""
    if not checked:
        scans = {} if scans is None else scans
        shapes = preflight(cfg, scans)
    if cfg.objective == "clip":
        from rsvlm.train.clip import train_clip

        return train_clip(cfg, stop)
    said: list[str] = []  # DeepSpeed's build chatter, for out_dir/setup.log (chatter.kept)
    rank, world, device = setup_distributed(cfg, said=said)
    # before anything is built or written (exit 2); it reads the records, keeping JSON arrays for the index
    arrays = check_enough_records(cfg, world) or {}
    note_unused(cfg, rank)  # clip.* settings it ignores
    folder = resume_folder(cfg)
    # the records files' bytes in brief, saved with every step folder (rank 0's, which a resume reads): a renamed copy
    # is the same data
    files = file_prints(cfg) if rank == 0 else None
    if folder is not None:  # before the model and data are built
        ckpt.check_step_folder(folder, rank, bool(cfg.dist.deepspeed), world)
        if cfg.dist.deepspeed:  # another stage's shards: a bare AssertionError inside DeepSpeed's load
            from rsvlm.train.deepspeed_config import check_zero_stage

            check_zero_stage(folder, cfg, world)
        check_changes(folder, cfg, rank, files)
    data = read_train_data(cfg, rank, world, arrays)  # and checked, before the model is built and out_dir written
    del arrays
    note_schedule(cfg, rank)
    model, processor = build_model(cfg, device, shapes, rank, scans)
    if folder is not None and rank == 0:
        fill_note(folder, model)
    del shapes  # a meta LLM, not held for the run
    processor.missing_bands = cfg.data.missing_bands  # a band an image lacks: a bad sample ("error") or filled
    if dict(processor.n_tokens) != data.n_tokens:  # the index's lengths were counted from the config
        raise RuntimeError(f"the model counts {processor.n_tokens} visual tokens per image, the config {data.n_tokens}")
    out_dir = start_out_dir(cfg, rank, world)  # after the build and its checks: a refusal leaves nothing behind
    write_setup_log(out_dir, said, rank, world)
    # with the prompt format's share: the index's estimate left out the system prompt (120 tokens of rsvlm's)
    if rank == 0 and (note := past_context(data.sample_lengths, cfg.data.max_length, context_length(model.llm))):
        run_warning(note)
    if cfg.gradient_checkpointing:
        model.enable_gradient_checkpointing()
    torch.manual_seed(cfg.seed + 1000 * rank)  # per-rank stream for dropout etc.

    index, report, no_stem, weights = data.index, data.report, data.no_stem, data.weights
    loc_start = processor.tokenizer.convert_tokens_to_ids(loc_token(0))
    pids = pointer_ids(processor.tokenizer, processor.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN))
    grid = model.loc_pointer.grid if model.loc_pointer is not None else None  # tokens per image side
    pointer_sum, pointer_n = 0.0, 0
    views = MODES[cfg.data.augment] if cfg.data.augment != "none" else ("",)
    dataset = D.SFTDataset(index, data.roots, processor, cfg.model.prompt, cfg.data.max_length, views,
                           band_dropout=cfg.data.band_dropout, seed=cfg.seed)
    lengths = index["length"][:]  # lists: datasets' Column reads the table row by row at each use
    modalities = index["modality"][:]
    engine = make_engine(model, cfg, world)
    counts_group = host_group(world, cfg.dist.timeout_s)
    records = D.index_digest(index)  # what the batch plans are drawn from
    base = step_base(cfg) if rank == 0 else None  # once: each step folder's rsvlm_base.json
    state = {"step": 0, "epoch": 0, "micro_in_epoch": 0, "samples": 0, "bad": 0, "bad_ids": [], "tokens": 0,
             "batch_plan": D.BATCH_PLAN}
    moved = None  # what differs in the records from the step folder's (None: the same, or a fresh start)
    if folder is not None:
        fresh = [dict(g) for g in engine.optimizer.param_groups]  # this run's optim settings
        engine.load(folder)
        ckpt.reapply_optim(engine.optimizer, engine.scheduler, fresh, cfg.optim.lr, lr_lambda(cfg))
        ckpt.load_rng(folder, rank)
        state = ckpt.load_trainer_state(folder, rank)
        moved = D.other_records(state.get("records"), records)  # every rank: past_end_note reads it
        if rank == 0:
            print(f"[rsvlm.train] resumed from {folder} at step {state['step']}", file=sys.stderr)
            if moved is not None:
                print(f"[rsvlm.train] warning: ckpt.resume: {moved}", file=sys.stderr)
            if (note := base_moved(folder, base)) is not None:  # was: resumed on it without a word
                print(f"[rsvlm.train] warning: ckpt.resume: {note}", file=sys.stderr)
    state["records"] = records  # saved with every step folder, for a resume to compare
    state["files"] = files
    if cfg.ckpt.resume and rank == 0:
        note_resume(cfg, folder is not None, state["step"])

    def plan(epoch: int, version: int) -> list[list[int]]:
        batches = D.epoch_batches(lengths, cfg.batch_size, world, rank, cfg.seed, epoch,
                                  cfg.data.batching == "length_grouped", cfg.data.group_factor, weights,
                                  modalities, version)
        return D.with_views(batches, len(lengths), len(views), cfg.seed, epoch)

    planned: list[list[int]] = []

    def loader(epoch: int, start: int):
        """(DataLoader, epoch): the first epoch from ``epoch`` on whose plan holds a batch. Weighted draws
        (with replacement) may leave an epoch without a full one by chance: it is passed over, said on
        stderr, and ``D.EMPTY_EPOCHS`` in a row stop the run; the same counts every epoch (no weights) at once."""
        # an epoch begun under a checkpoint's plan ends under it (plan 1: none saved); a new one takes today's
        state["batch_plan"] = state.get("batch_plan", 1) if start else D.BATCH_PLAN
        for e in range(epoch, epoch + (D.EMPTY_EPOCHS if weights is not None else 1)):
            if batches := plan(e, state["batch_plan"]):
                break
        else:
            raise no_full_batch(report.path, modalities, cfg.batch_size, world, cfg.data.batching == "length_grouped",
                                weights is not None)
        if start and (note := ended_epoch_note(state, moved is not None)):  # more records: went on mid-plan
            if rank == 0:
                print(f"[rsvlm.train] note: ckpt.resume: {note}", file=sys.stderr)
            state["micro_in_epoch"] = 0
            return loader(epoch + 1, 0)
        if start and (note := past_end_note(state, len(batches), moved is not None)):  # was "epoch 2" at once
            if rank == 0:
                print(f"[rsvlm.train] note: ckpt.resume: {note}", file=sys.stderr)
            state["micro_in_epoch"] = 0
            return loader(epoch, 0)  # today's plan, as any epoch begun here
        if start and rank == 0 and (note := old_plan_note(state, folder, len(batches))):  # none: its epoch all drawn
            print(f"[rsvlm.train] note: ckpt.resume: {note}", file=sys.stderr)
        if e > epoch and rank == 0:  # counted from 1, as metrics.jsonl and summary.json count them
            which = f"epochs {epoch + 1}–{e}" if e - epoch > 1 else f"epoch {e}"
            print(f"[rsvlm.train] {which}: the weighted draws filled no global batch of {cfg.batch_size * world}; "
                  f"passed over to epoch {e + 1}", file=sys.stderr)
        dataset.set_epoch(e)  # band dropout draws anew each epoch (before the workers copy the dataset)
        # the whole epoch's (an all-bad micro-batch's modalities are read from it); its length for past_end_note
        planned[:], state["epoch_micro_batches"] = batches, len(batches)
        return torch.utils.data.DataLoader(
            dataset, batch_sampler=batches[start:], num_workers=cfg.data.num_workers,
            collate_fn=functools.partial(D.collate, pad_id=processor.tokenizer.pad_token_id),
            pin_memory=device.type == "cuda", persistent_workers=False, worker_init_fn=ignore_sigterm), e

    metrics = Metrics(out_dir, rank, world, cfg.max_steps, state["step"], cfg.log.progress, cfg.log.tensorboard)
    profiler = None
    if cfg.log.profile_steps and cfg.max_steps - state["step"] < PROFILE_AFTER + cfg.log.profile_steps:  # resumed late
        if rank == 0:
            print(f"[rsvlm.train] log.profile_steps={cfg.log.profile_steps} profiles this run's steps "
                  f"{PROFILE_AFTER + 1} to {PROFILE_AFTER + cfg.log.profile_steps}, but it has "
                  f"{max(0, cfg.max_steps - state['step'])} left after step {state['step']}: no profile.txt is written",
                  file=sys.stderr)
    elif cfg.log.profile_steps:
        profiler = StepProfiler(out_dir, cfg.log.profile_steps, rank, cuda=device.type == "cuda",
                                wait=PROFILE_AFTER - 1)
    engine.module.train()
    dl, state["epoch"] = loader(state["epoch"], state["micro_in_epoch"])
    it = iter(dl)
    stand_ins = StandIns(dataset, modalities, world, processor.tokenizer.pad_token_id)
    nonfinite, checked = torch.zeros((), dtype=torch.bool, device=device), state["step"]  # since the last check
    whole_epoch = state["micro_in_epoch"] == 0  # this run reads the current epoch from its start
    t_start, steps_at_start, tokens_at_start = time.perf_counter(), state["step"], state["tokens"]
    stopping = False  # a SIGTERM every rank has heard of: stop at the end of this step
    if stop is not None:
        stop.defer()  # a first SIGTERM from here on is taken at a step boundary (a second stops at once)
    try:
        while state["step"] < cfg.max_steps:
            try:
                batch = next(it)
            except StopIteration:
                # else, with data.max_bad_fraction=1, it read the data forever
                if stand_ins.last_good is None and whole_epoch:
                    check_bad(state, cfg, final=True)  # the usual verdict, where the limit is below all
                    raise TooManyBadSamples(f"{report.path}: no sample of a whole epoch could be used ({state['bad']} "
                                            f"bad); the first: {state.get('first_bad')}") from None
                state["epoch"], state["micro_in_epoch"], whole_epoch = state["epoch"] + 1, 0, True
                dl, state["epoch"] = loader(state["epoch"], 0)
                it = iter(dl)
                continue
            state["micro_in_epoch"] += 1
            state["samples"] += batch["n_samples"]
            dataset.note_checked(batch["png_checked"])  # a worker's: the next epoch's workers skip these PNGs' check
            count_dropped(state, batch, rank, cfg.data.max_length)
            empty = batch["input_ids"].shape[0] == 0
            stand_in = stand_ins.update(batch, planned[state["micro_in_epoch"] - 1])
            stopping |= check_micro_batch(state, cfg, empty and stand_in is None, world,
                                          counts_group,  # alike on every rank
                                          stop=stop is not None and stop.requested)
            weight = 1.0
            if empty:
                if stand_in is None:  # one process (several stopped together above)
                    continue
                batch, weight = stand_in, 0.0
            start = answer_window(batch["labels"])  # prompts and images need no logits
            seq = batch["input_ids"].shape[1]
            use_pointer = cfg.loss.pointer_weight > 0
            out = engine.forward(**_to(batch, device), logits_to_keep=seq - start,
                                 **({"output_hidden_states": True} if use_pointer else {}))
            # labels stay on the CPU: lm_losses moves them itself, and finds location tokens without a sync
            loss, per_sample = lm_losses(out.logits, batch["labels"][:, start:], loc_start, cfg.loss.loc_sigma)
            total = loss  # the LM loss alone is what metrics log as "loss"
            if use_pointer:
                ptr = pointer_loss(out.hidden_states[-1],  # (B,T,D)
                                   pointer_targets(batch["input_ids"], batch["labels"], pids, grid))
                if ptr is not None:
                    total = loss + cfg.loss.pointer_weight * ptr
                    pointer_sum, pointer_n = pointer_sum + ptr.detach(), pointer_n + 1  # a tensor: no sync
            nonfinite |= ~torch.isfinite(total.detach())  # no sync: read at log lines and checkpoints
            lr = engine.lr  # the rate this step uses: micro_step moves the schedule on at the step
            stepped = engine.micro_step(total * weight)
            if weight:
                mask = batch["attention_mask"]
                state["tokens"] += int(mask.sum())
                state["slots"] = state.get("slots", 0) + mask.numel()
                metrics.add_batch(loss, per_sample, batch["tasks"],
                                  batch["modalities"], int(mask.sum()), mask.numel())
            if not stepped:
                continue
            state["step"] += 1
            metrics.step()
            if profiler is not None:
                profiler.step()
            stop_now = stop_due(stopping, state["step"], cfg.max_steps)
            # the step a run stops at is logged, as its last one is (the window since the last line was lost)
            log_now = state["step"] % cfg.log.every == 0 or state["step"] == cfg.max_steps or stop_now
            save_now = save_due(cfg.ckpt.every, state["step"], cfg.max_steps, stop_now)
            if log_now or save_now:
                check_finite(nonfinite, cfg, checked, state["step"], world)
                checked = state["step"]
            if log_now:
                extra = {"epoch": state["epoch"] + 1}  # counted from 1 (state's is the plan's index, from 0)
                if pointer_n:
                    extra["pointer_loss"] = float(pointer_sum) / pointer_n
                    pointer_sum, pointer_n = 0.0, 0
                metrics.log(state["step"], lr, extra)
            saved = save_checkpoint(engine, cfg, state, rank, world, base) if save_now else None
            if stop_now:
                leave(saved, world)
            if cfg.slow_step_s:
                time.sleep(cfg.slow_step_s)
    except (KeyboardInterrupt, Terminated) as e:  # was said as "interrupted; continue from step_N" alone
        e.trained_steps = state["step"] - steps_at_start  # none: rsvlm train says so (was "Ctrl-C after step 0")
        if rank == 0 and e.trained_steps and isinstance(e, KeyboardInterrupt):
            metrics.close()  # the bar's last line before the note, not after it (closing twice is harmless)
            if (note := interrupted_note(state["step"], out_dir, steps_at_start, launcher_says())) is not None:
                print(note, file=sys.stderr)  # none under scripts/launch.py where nothing is lost: its last line says it
        raise
    finally:  # a run stopped early (SIGTERM, Ctrl-C, an error) stops the profiler too, writing what it profiled
        if profiler is not None:
            profiler.close()
        metrics.close()
    if end_save_due(cfg.ckpt.every, state["step"] > steps_at_start, folder is not None and continues_own(cfg)):
        save_checkpoint(engine, cfg, state, rank, world, base)
    final = save_final(engine, cfg, rank)
    summary = summarize(state, report, world, time.perf_counter() - t_start, state["step"] - steps_at_start,
                        tokens_at_start)
    summary["final"], summary["no_stem_records"] = str(final), dict(sorted(no_stem.items()))
    summary["unpaired_change_records"] = len(data.unpaired)
    if device.type == "cuda":  # this rank's peak; ranks differ little under ZeRO
        summary["peak_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
        summary["peak_reserved_gib"] = torch.cuda.max_memory_reserved(device) / 2**30
    if rank == 0:
        write_summary(out_dir, summary)
    # the verdict before "done": a run that fails says so once, naming the model it saved
    check_bad({**state, "bad": summary["bad_samples"], "samples": summary["samples"], "bad_ids": summary["bad_ids"],
               "first_bad": summary["first_bad"]}, cfg, final=True, saved=final)  # alike on every rank
    if rank == 0:
        cut = f", {summary['cut_samples']} cut to data.max_length" if summary["cut_samples"] else ""
        # counted apart from malformed lines since stop 76: the done line left them unsaid
        unpaired = (f", {counted(len(data.unpaired), '[change] record')} of other than two images left out"
                    if data.unpaired else "")
        print(f"[rsvlm.train] done: {counted(summary['steps'], 'step')}, {counted(summary['bad_samples'], 'bad sample')} "
              f"skipped{cut}, {counted(report.n_skipped, 'malformed record')}{unpaired}; model in {final}",
              file=sys.stderr)
    if world > 1:
        barrier(world)
        torch.distributed.destroy_process_group()  # else gloo's threads can abort a rank at exit (SIGABRT)
    return summary

