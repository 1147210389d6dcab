"""What both training loops (``loop.train`` and ``clip.train_clip``) do alike around their steps:
the processes (and the launcher's variables), the preflight, AdamW with its schedule, and the verdicts
on malformed records, unreadable samples and non-finite losses (the ``out_dir`` and resume checks:
``resume``)."""

from __future__ import annotations

import math
import os
import sys
from datetime import timedelta
from pathlib import Path

import torch

from rsvlm.data.records import ReadReport
from rsvlm.processes import SameOnEveryRank, env_int, process_rank
from rsvlm.progress import counted
from rsvlm.train import checkpoint as ckpt
from rsvlm.train.config import TrainConfig
from rsvlm.train.init_from import check_init_from, check_lora_base
from rsvlm.train.inputs import RefusedData, check_data_paths, check_paths_at_once, image_root_hint
from rsvlm.train.logging import check_tensorboard
from rsvlm.train.max_length import check_max_length
from rsvlm.train.resume import check_out_dir, model_changes, resume_folder  # preflight looks them up here


class TooManyBadSamples(SameOnEveryRank, RuntimeError):
    """More than ``data.max_bad_fraction`` of the samples seen could not be used."""


class MalformedRecords(RefusedData, TooManyBadSamples):
    """More than ``data.max_bad_fraction`` of the record lines are malformed: found once they are read, before
    the model is built or ``out_dir`` written (``rsvlm train`` exits 2)."""


class NonFiniteLoss(SameOnEveryRank, ValueError):
    """A training loss was NaN or infinite: the update it made leaves the weights unusable."""


def check_finite(bad: torch.Tensor | bool, cfg: TrainConfig, since: int, step: int, world: int) -> None:
    """(collective) Stop the run, naming the checkpoint to go back to, when a loss of steps ``since``+1 to
    ``step`` was not finite on any rank (``bad``: a 0-d bool tensor kept on the device, so that only
    this check waits for it). Under fp16, DeepSpeed's loss scaler passes over such steps itself."""
    if cfg.precision == "fp16":
        return
    if torch.is_tensor(bad) and world > 1:  # every rank reaches the same verdict
        bad = bad.to(torch.int32)
        torch.distributed.all_reduce(bad, op=torch.distributed.ReduceOp.MAX)
    if not bool(bad):
        return
    hint = ckpt.resume_hint(cfg.out_dir)
    again = (f"{hint} and " if hint.startswith("continue") else f"{hint}; train again with ") + (
        "a lower optim.lr or optim.max_grad_norm, a longer optim.warmup_steps, or precision=fp32")
    raise NonFiniteLoss(f"the loss was not finite (NaN or inf) in step{'s' if step - since > 1 else ''} "
                        f"{f'{since + 1}…' if step - since > 1 else ''}{step}, which leaves the weights unusable; "
                        f"stopped before saving them: {again}")


def lr_lambda(cfg: TrainConfig):
    warm, total, floor = cfg.optim.warmup_steps, cfg.max_steps, cfg.optim.min_lr_ratio

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        if cfg.optim.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warm) / max(1, total - warm))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return f


def note_schedule(cfg: TrainConfig, rank: int) -> None:
    """(rank 0) Say when ``optim.lr`` is 0 (nothing is trained), or the warm-up outlasts the run (its LR never
    reaches ``optim.lr``, nor decays), or, with a cosine schedule, ends at its last step (that step runs at
    ``optim.lr``: the decay never starts)."""
    warm, total = cfg.optim.warmup_steps, cfg.max_steps
    if not rank and not cfg.optim.lr:  # allowed (a throughput run), but was unsaid: a run's compute for no change
        print("[rsvlm.train] warning: optim.lr=0: no step changes a weight; final/ is the model as it was built "
              "(and resumed)", file=sys.stderr)
    if rank or not warm or warm < total - 1 or not cfg.optim.lr:
        return
    if warm == total - 1:
        if cfg.optim.schedule == "cosine":
            print(f"[rsvlm.train] warning: optim.warmup_steps={warm} with max_steps={total}: the warm-up ends at the "
                  f"last step, which runs at optim.lr={cfg.optim.lr:g}; the cosine decay never starts", file=sys.stderr)
        return
    top = cfg.optim.lr * lr_lambda(cfg)(total - 1)
    print(f"[rsvlm.train] warning: optim.warmup_steps={warm} is not below max_steps={total}: the whole run is "
          f"warm-up, its LR rising to {top:.3g} at the last step, never to optim.lr={cfg.optim.lr:g}"
          + ("" if cfg.optim.schedule == "constant" else ", and the cosine decay never starts"), file=sys.stderr)


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig):
    """AdamW with weight decay on matrices only (every parameter with ``optim.decay_1d``), and the
    warm-up + cosine/constant schedule."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params:
        raise ValueError("no trainable parameter: check model.trainable")
    decay = cfg.optim.weight_decay
    groups = [{"params": [p for _, p in params if p.ndim >= 2], "weight_decay": decay},
              {"params": [p for _, p in params if p.ndim < 2], "weight_decay": decay if cfg.optim.decay_1d else 0.0}]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.optim.lr, betas=tuple(cfg.optim.betas),
                            eps=cfg.optim.eps)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg))


def check_launch(cfg: TrainConfig, ddp: bool = False) -> tuple[int, int, bool]:
    """(world size, local rank, whether CUDA is used) from the launcher's variables; ValueError, before
    any process group forms, for a launch this config cannot run. ``ddp``: several processes are allowed
    without DeepSpeed (plain ``torch.distributed``)."""
    _, world = process_rank()  # RANK checked against WORLD_SIZE too, as rsvlm eval does
    if one_of_several_asked():  # was: one process trained, and the run looked like the N asked for
        raise ValueError("accelerate launch was asked for several processes (it set MASTER_ADDR) but started "
                         "this one alone, without RANK and WORLD_SIZE, as its CPU launcher does: start CPU ranks with "
                         "torchrun --nproc_per_node N -m rsvlm.train … or scripts/launch.py RECIPE --gpus-per-node N "
                         "--launcher torchrun (docs/distributed.md)")
    check_engine(cfg, world, ddp)
    unset = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not os.environ.get(k, "").strip()]
    if world > 1 and unset:  # was torch's env:// ValueError once the run had started, on every rank
        raise ValueError(f"WORLD_SIZE={world} is set but {' and '.join(unset)} "
                         f"{'is' if len(unset) == 1 else 'are'} not (each process needs its RANK, and the same "
                         "MASTER_ADDR and MASTER_PORT to meet at); start the job with scripts/launch.py (or torchrun / "
                         "deepspeed), which sets them all")
    port = os.environ.get("MASTER_PORT", "").strip()
    if (world > 1 or cfg.dist.deepspeed) and port and not (port.isdigit() and 0 < int(port) < 65536):
        # was torch's "invalid literal for int() with base 10: 'x'" (or "port must have value …") on every rank
        raise ValueError(f"MASTER_PORT={port} is not a port number (1 to 65535); start the job with "
                         "scripts/launch.py --master-port N (or torchrun / deepspeed), which sets it")
    cuda = torch.cuda.is_available() and cfg.device in ("auto", "cuda")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device=cuda but no CUDA device is visible (device=auto uses one when there is)")
    if cfg.dist.backend == "nccl" and not cuda and (world > 1 or cfg.dist.deepspeed):  # was torch's error per rank
        why = "device=cpu" if cfg.device == "cpu" else "no GPU is visible"
        raise ValueError(f"dist.backend=nccl needs CUDA, and this run is on the CPU ({why}); use dist.backend=gloo "
                         "(or auto)")
    local = env_int("LOCAL_RANK", 0)
    if cuda and local >= (n := torch.cuda.device_count()):
        raise ValueError(f"LOCAL_RANK={local}, but {counted(n, 'GPU')} {'is' if n == 1 else 'are'} visible: start "
                         f"at most {counted(n, 'process')} per machine")
    if cfg.dist.deepspeed and not any(k in os.environ for k in ("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK")):
        raise ValueError(f"dist.deepspeed={cfg.dist.deepspeed} needs a launcher, even for one process: "
                         "deepspeed --num_gpus N -m rsvlm.train …, torchrun --nproc_per_node N -m rsvlm.train … "
                         "or scripts/launch.py")
    return world, local, cuda


def one_of_several_asked() -> bool:
    """Whether ``accelerate launch --num_processes N`` (N > 1) started this process alone: on the CPU it starts
    one, with accelerate's variables and MASTER_ADDR but no RANK or WORLD_SIZE (accelerate 1.x)."""
    env = os.environ
    return ("ACCELERATE_MIXED_PRECISION" in env and bool(env.get("MASTER_ADDR", "").strip())
            and not any(env.get(k, "").strip() for k in ("RANK", "WORLD_SIZE")))


def check_engine(cfg: TrainConfig, world: int, ddp: bool = False) -> None:
    """ValueError for ``world`` processes this config cannot run: the LM loop has no plain-DDP path, so
    several need ``dist.deepspeed`` (``ddp``: plain ``torch.distributed`` is allowed, as contrastive
    pretraining runs). ``check_launch`` and ``scripts/launch.py`` both ask it."""
    if world > 1 and not cfg.dist.deepspeed and not ddp:
        raise ValueError(f"{world} processes but no dist.deepspeed config (the LM loop has no plain-DDP path); "
                         "pass dist.deepspeed=configs/deepspeed/zero2.json (or zero3*.json)")


class ProcessGroupError(RuntimeError):
    """The processes of a run could not meet, or lost one of them."""


def lost_group(e: BaseException) -> bool:
    """Whether ``e`` is the process group's failure rather than the run's: torch's distributed errors, and
    gloo's transport errors (a plain RuntimeError naming gloo's source: "Connection closed by peer")."""
    return isinstance(e, (ProcessGroupError, torch.distributed.DistError)) or (
        isinstance(e, RuntimeError) and "/gloo/" in str(e))


def lost_group_line(e: BaseException, out_dir: str | Path) -> str:
    """The one line for ``lost_group(e)``: what failed, what it means and how to start the job."""
    if isinstance(e, ProcessGroupError):
        return f"{e}; {ckpt.resume_hint(out_dir)}"
    said = str(e).splitlines()[0] if str(e) else type(e).__name__
    said = said.split("] ", 1)[-1] if said.startswith("[") else said  # gloo's source path and line
    launched = any(k in os.environ for k in ("TORCHELASTIC_RUN_ID", "LOCAL_SIZE"))  # torchrun's, deepspeed's
    how = ("the launcher stops the others" if launched else "ranks started by hand (RANK/WORLD_SIZE set per process) "
           "are not stopped together when one fails, so start the job with scripts/launch.py (or torchrun / deepspeed)")
    return (f"the process group failed ({said}): another process of the run died, was killed or cannot be reached "
            f"(its own output says why); {how}; {ckpt.resume_hint(out_dir)}")


def meet(init, device: torch.device | None = None) -> None:
    """``init()`` (the process group's rendezvous) on a helper thread that SIGINT and SIGTERM are kept from, while
    this one waits in Python, where their handlers run: a rank waiting in torch's C++ rendezvous took them only
    when it gave up (rank 0 alone: 12 s; a rank whose rank 0 never started: 4 min at dist.timeout_s=120, with a
    C++ stack dump). The helper cannot be stopped: the process exits around it. A CUDA ``device`` is made the
    helper's current GPU too: each thread has its own, GPU 0 at first, so whatever NCCL's set-up took from it
    (a context, a guessed device) would be GPU 0 on every rank. Not tried on NCCL here (no GPU)."""
    import signal
    import threading

    box: list[BaseException] = []

    def run() -> None:
        if hasattr(signal, "pthread_sigmask"):  # none on Windows: its AttributeError stopped every launch
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # the kernel picks this one
        try:
            if device is not None and device.type == "cuda":
                torch.cuda.set_device(device)  # as setup_distributed set it on the main thread
            init()
        except BaseException as e:  # raised again here, on the main thread
            box.append(e)

    helper = threading.Thread(target=run, name="rsvlm-rendezvous", daemon=True)
    helper.start()
    try:
        while helper.is_alive():
            helper.join(0.2)
    except BaseException as e:  # a stop taken while waiting (SIGTERM's Terminated, Ctrl-C): for exit_if_meeting
        e.in_rendezvous = True
        raise
    if box:
        raise box[0]


def exit_if_meeting(code: int) -> None:
    """Exits the process at once (``os._exit(code)``, streams flushed) where the exception being handled
    (``sys.exc_info``) stopped ``meet``'s wait, or its helper is still waiting: Python's exit then took 4 s to 6 s
    more in torch's teardown. Returns otherwise. (Rank 0's helper ends as the stop comes: asking the helper alone
    missed it.)"""
    if meeting():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def meeting() -> bool:
    """Whether the exception being handled stopped ``meet``'s wait, or its helper is still waiting."""
    import threading

    return getattr(sys.exc_info()[1], "in_rendezvous", False) or any(
        t.name == "rsvlm-rendezvous" and t.is_alive() for t in threading.enumerate())


def setup_distributed(cfg: TrainConfig, ddp: bool = False,
                      said: list[str] | None = None) -> tuple[int, int, torch.device]:
    """(rank, world size, device); initialises the process group under torchrun/deepspeed, waiting
    ``dist.timeout_s`` there and at every collective (``check_launch``'s refusals first); ProcessGroupError
    where the others do not join within it. ``said``: where DeepSpeed's build chatter is held
    (``chatter.kept``; for ``out_dir/setup.log``) unless ``log.verbose``; None: printed as DeepSpeed prints it."""
    world, local, cuda = check_launch(cfg, ddp)
    device = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    backend = cfg.dist.backend if cfg.dist.backend != "auto" else ("nccl" if cuda else "gloo")
    if world == 1 and not cfg.dist.deepspeed:
        return 0, 1, device
    timeout = timedelta(seconds=cfg.dist.timeout_s)
    try:
        if cfg.dist.deepspeed:
            import deepspeed  # outside kept: its logger's handler keeps the sys.stdout of its import

            from rsvlm.train.chatter import kept, quiet_deepspeed_logger

            quiet_deepspeed_logger(cfg.log.verbose)

            with kept(None if cfg.log.verbose else said):  # each rank's "… built successfully", every start
                meet(lambda: deepspeed.init_distributed(dist_backend=backend, timeout=timeout), device)
        else:
            meet(lambda: torch.distributed.init_process_group(backend, timeout=timeout), device)
    except torch.distributed.DistError as e:  # was a DistStoreError traceback ("1/2 clients joined")
        where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
        raise ProcessGroupError(f"the {world} processes did not all meet at {where} within dist.timeout_s="
                                f"{cfg.dist.timeout_s:g} ({e}): were the others started, with the same MASTER_ADDR "
                                "and MASTER_PORT? scripts/launch.py (or torchrun / deepspeed) starts them all") from e
    return torch.distributed.get_rank(), torch.distributed.get_world_size(), device


def preflight(cfg: TrainConfig, scans: dict | None = None, expanded: bool = False) -> torch.nn.Module | None:
    """Every refusal that needs nothing built and nothing written, each naming what to change: the
    config's values (the model section's: ``check_model_config``, and the local model files it names:
    ``check_model_files``, ``check_lora_base``), the records files and image roots, ``out_dir``, the
    launcher's variables and the ``dist.deepspeed`` file, (LM loop) ``init_from`` and ``log.tensorboard``,
    (contrastive) the pairs per step, and the step folder ``ckpt.resume`` names (its files, its number of
    processes, its model section); the LM loop's ``train`` then reads the records (``check_enough_records``:
    one global batch, a file's images there) before it builds or writes anything. ``rsvlm train`` exits 2 on
    them (ValueError, FileNotFoundError, FileExistsError, PermissionError), 1 on a failure once the run has
    started; ``train`` runs it first, unless its caller has (``checked=True``). Returns the LLM its LoRA checks
    built on the meta device (``checks.check_lora_names``; None where they built none), for ``create_model``'s
    ``shapes``: the training build made it a second time. ``scans``: the dict its checks fill with another
    model's config fields (``llm_files.scanned``); the caller hands the same dict to ``train(scans=)`` so the
    build does not look them up again (a fresh one where None)."""
    from rsvlm.model.checks import check_model_config
    from rsvlm.train.config import check_config, expand_home

    if not expanded:  # rsvlm train's recipe_values has: again, a $ an expanded value holds was expanded or refused
        expand_home(cfg)  # a config's ~ is the home folder, as on the command line
    check_config(cfg)
    clip = cfg.objective == "clip"  # the contrastive loop builds encoders and stems only
    scans = {} if scans is None else scans  # another model's config fields, looked up once (llm_files.scanned)
    check_model_config(cfg.model, lm=not clip, scans=scans)  # else found while the model is built, once out_dir is written
    check_paths_at_once(cfg)  # several missing: all named at once, else one by one below
    check_model_paths(cfg)
    check_data_paths(cfg)
    check_out_dir(cfg)
    world, _, _ = check_launch(cfg, ddp=clip)
    if cfg.dist.deepspeed:  # its file, JSON and batch numbers; were found once the model was built
        from rsvlm.train.deepspeed_config import load_deepspeed_config

        try:
            load_deepspeed_config(cfg.dist.deepspeed, cfg, world)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"dist.deepspeed: {e}") from None
        except ValueError as e:
            raise ValueError(f"dist.deepspeed: {e}") from None
    if clip:
        from rsvlm.train.clip import check_clip_batch

        check_clip_batch(cfg)
    else:
        check_max_length(cfg)
        if cfg.log.tensorboard:
            check_tensorboard()
    shapes, towers = check_model_build(cfg, scans)  # last of the config's: builds the meta LLM
    if not clip:
        if env_int("RANK", 0) == 0 and (note := lora_rank_note(shapes, cfg, towers)):
            print(f"[rsvlm.train] warning: {note}", file=sys.stderr)
    check_resume(cfg, world, env_int("RANK", 0))  # the rank the launcher set; train checks again with the group's
    return shapes


def check_model_paths(cfg: TrainConfig) -> None:
    """The model section's local files (``check_model_files``) and (LM loop) a LoRA base of pickled weights alone
    (``check_lora_base``): preflight's, and ``scripts/launch.py``'s before it starts any process."""
    from rsvlm.model.checks import check_model_files

    check_model_files(cfg.model, lm=cfg.objective != "clip")
    if cfg.objective != "clip":  # a .bin-only base of a LoRA LLM: its adapter-only final/ was refused by every later load
        check_lora_base(cfg)


def check_model_build(cfg: TrainConfig, scans: dict | None = None) -> tuple[torch.nn.Module | None, dict]:
    """The checks that build the model on the meta device: the LoRA targets (``check_lora_names``, which builds
    the meta LLM) and (LM loop) ``init_from`` against that build (``check_init_from``); (that LLM or None, the meta
    towers). Preflight's, and ``scripts/launch.py``'s before it starts any process (a bad model section was found
    by every rank once started)."""
    from rsvlm.model.checks import check_lora_names, meta_towers

    clip = cfg.objective == "clip"
    towers = meta_towers(cfg.model)  # built once for their LoRA targets, rank note and init_from check
    shapes = check_lora_names(cfg.model, lm=not clip, towers=towers, scans=scans)
    if not clip:  # its meta model takes a copy of that LLM (it was built a third time there), and these towers
        check_init_from(cfg, shapes, towers, scans)
    return shapes, towers


def lora_rank_note(llm: torch.nn.Module | None, cfg: TrainConfig,
                   towers: dict[str, torch.nn.Module] | None = None) -> str | None:
    """What to say where a LoRA rank (``model.llm.lora_r``; with ``trainable.encoder=lora``, each
    ``model.encoders.NAME.lora_r``) is above min(in, out) of layers its LoRA adapts (``llm``: the meta LLM, None
    where it is not checked; ``towers``: ``checks.meta_towers``, built here where not given): the update B·A there
    cannot pass that rank, so the rest only adds parameters, and lora_alpha / lora_r scales the update down all
    the same. None where none is."""
    parts = []  # (key, lora_r, lora_alpha, module, its LoRA targets)
    if llm is not None and cfg.model.trainable.llm == "lora":
        c = cfg.model.llm
        parts.append(("model.llm", c.lora_r, c.lora_alpha, llm, c.target_modules))
    if towers is None:
        from rsvlm.model.checks import meta_towers

        towers = meta_towers(cfg.model)
    for name, enc in towers.items():
        vc = cfg.model.encoders[name]
        parts.append((f"model.encoders.{name}", vc.lora_r, vc.lora_alpha, enc, vc.lora_target_modules))
    notes = [n for part in parts if (n := _rank_note(*part))]
    return "; ".join(notes) or None


def _rank_note(key: str, rank: int, alpha: int, module: torch.nn.Module, targets: list[str]) -> str | None:
    """``lora_rank_note``'s words for one part (``key``: where its lora_r is set)."""
    from rsvlm.model.llm import target_matches  # peft's rule for a list of names, as check_lora_targets uses

    modules = dict(module.named_modules())
    hit = {n for t in targets for n in target_matches(modules, t)}
    ranks: dict[str, int] = {}  # per kind (k_proj), the narrowest of its layers: they need not be alike
    for n, m in modules.items():
        if n in hit and isinstance(m, torch.nn.Linear):
            kind = n.rsplit(".", 1)[-1]
            ranks[kind] = min(ranks.get(kind, rank), m.in_features, m.out_features)
    if not (low := {k: r for k, r in ranks.items() if r < rank}):
        return None
    return (f"{key}.lora_r={rank} is above the rank an update of "
            f"{', '.join(f'{k} ({r})' for k, r in sorted(low.items()))} can have (min of its in and out features): "
            f"the rest only adds parameters, and lora_alpha/lora_r={alpha / rank:.3g} scales "
            f"the update down all the same; lora_r={min(low.values())} or less is of full use in every adapted layer")


def check_resume(cfg: TrainConfig, world: int, rank: int = 0) -> None:
    """The step folder ``ckpt.resume`` names (none: nothing): its files (``rank``'s), their headers, the number
    of processes and (DeepSpeed) the ZeRO stage that saved it, and its model section (``model_changes``);
    preflight's, and ``scripts/launch.py``'s before it starts ``world`` processes."""
    folder = resume_folder(cfg)
    if folder is None:
        return
    if cfg.objective == "clip":
        from rsvlm.train.clip_ckpt import check_clip_folder

        check_clip_folder(folder, world)
    else:
        ckpt.check_step_folder(folder, rank, bool(cfg.dist.deepspeed), world)
        try:  # a file cut short: was exit 1 once the model and data were built
            ckpt.check_step_readable(folder, rank, bool(cfg.dist.deepspeed))
        except ValueError as e:
            raise ValueError(f"ckpt.resume: {e}") from None
        if cfg.dist.deepspeed:  # another ZeRO stage's shards: exit 1 from train, after the launch
            from rsvlm.train.deepspeed_config import check_zero_stage

            check_zero_stage(folder, cfg, world)
    model_changes(folder, cfg)


def check_malformed(report: ReadReport, cfg: TrainConfig, rank: int) -> None:
    """(rank 0) Print the records summary where it says more than "all read"; fail before training
    when more than ``data.max_bad_fraction`` of the record lines were malformed."""
    if report.notable and rank == 0:
        first = f"; first: {report.examples[0]}" if report.examples else ""  # was a list's repr
        print(f"[rsvlm.train] {report.summary()}{first}", file=sys.stderr)
    if report.n_lines and report.n_skipped / report.n_lines > cfg.data.max_bad_fraction:
        raise MalformedRecords(f"{report.n_skipped} of {report.n_lines} record lines are malformed (> data."
                               f"max_bad_fraction={cfg.data.max_bad_fraction}): {report.summary()}; first: "
                               f"{report.examples[0] if report.examples else '?'}")


def over_bad_limit(seen: int, bad: int, cfg: TrainConfig, final: bool) -> bool:
    """Whether ``bad`` of ``seen`` samples is over ``data.max_bad_fraction`` (mid-run only from 50 samples on,
    so one early bad one is no verdict)."""
    return (final or seen >= 50) and seen > 0 and bad / seen > cfg.data.max_bad_fraction


def check_bad(state: dict, cfg: TrainConfig, final: bool, saved: Path | None = None) -> None:
    """Fail once the bad share exceeds the limit (``over_bad_limit``); ``saved``: where the end of the run
    saved the model all the same, named in the error."""
    seen, bad = state["samples"], state["bad"]
    if over_bad_limit(seen, bad, cfg, final):
        first = f"; the first: {state['first_bad']}" if state.get("first_bad") else ""
        kept = f" (the model trained on the rest is saved all the same: {saved})" if saved else ""
        raise TooManyBadSamples(f"{bad} of {seen} samples could not be used (> data.max_bad_fraction="
                                f"{cfg.data.max_bad_fraction}); first ids: {list(dict.fromkeys(state['bad_ids']))[:10]}"
                                f"{first}{kept}{no_image_found(state, cfg)}")


def no_image_found(state: dict, cfg: TrainConfig) -> str:
    """Where no sample's image was found (an image root moved, or the records' folder not theirs): where relative
    image paths are read from, or that no root is used for absolute ones (``inputs.image_root_hint``); as the
    end of the bad-samples refusal; "" otherwise."""
    if state["bad"] < state["samples"]:
        return ""
    return image_root_hint(cfg, str(state.get("first_bad")))


def host_group(world: int, timeout_s: float):
    """(collective) A gloo group for counts kept on the host, where the backend is another (nccl), so
    that summing them waits for no device (up to ``timeout_s``, as the default group); None (the default
    group) for gloo or one process."""
    if world == 1 or torch.distributed.get_backend() == "gloo":
        return None
    return torch.distributed.new_group(backend="gloo", timeout=timedelta(seconds=timeout_s))


def check_micro_batch(state: dict, cfg: TrainConfig, stuck: bool, world: int, group=None, stop: bool = False) -> bool:
    """(collective, once per micro-batch) The LM loop's mid-run verdicts, reached alike on every rank so
    that none stops while the others wait in a collective: the bad share of the samples of all ranks
    (``check_bad``), and ``stuck``, a rank whose micro-batch had no readable sample and no readable record
    of its modalities to stand in for it (one process passes over it instead). Returns whether any rank
    was asked to ``stop`` (SIGTERM), so that all stop at the same step."""
    if world == 1:
        check_bad(state, cfg, final=False)
        return stop
    summed = torch.tensor([state["samples"], state["bad"], int(stuck), int(stop)], dtype=torch.int64)  # on the host
    torch.distributed.all_reduce(summed, group=group)
    samples, bad, n_stuck, n_stop = summed.tolist()
    if not (n_stuck or over_bad_limit(samples, bad, cfg, final=False)):
        return bool(n_stop)
    parts = [None] * world  # the ids of every rank, for the message (all ranks are here alike)
    torch.distributed.all_gather_object(parts, (state["bad_ids"], state.get("first_bad")), group=group)
    merged = {"samples": samples, "bad": bad, "bad_ids": [i for p in parts for i in p[0]],
              "first_bad": next((p[1] for p in parts if p[1]), None)}
    check_bad(merged, cfg, final=False)
    raise TooManyBadSamples(f"{n_stuck} of {world} processes had a micro-batch of bad samples only and no readable "
                            "record of its modalities to stand in for it "
                            f"({bad} bad of {samples}; the first: {merged['first_bad']}); fix or drop those records, "
                            "or raise batch_size")
