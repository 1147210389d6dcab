"""Build (and run) the DeepSpeed or torchrun command for a training recipe.

    python scripts/launch.py configs/train/recipes/geochat-7b-sft.yaml --gpus-per-node 8 --dry-run
    python scripts/launch.py RECIPE --nodes 2 --gpus-per-node 8 --hostfile hostfile [key=value …]

A recipe states its global batch in a header comment (``# global_batch: 144``); the launcher keeps
it fixed whatever the world size by passing ``grad_accum = global / (batch_size × world)``, and
refuses a world size that does not divide it (contrastive pretraining, ``objective: clip``, too:
its accumulation contrasts the whole global batch). The recipe is loaded with ``TrainConfig`` first,
and its DeepSpeed JSON filled for this world size, so a broken recipe or DeepSpeed config fails
here, before any process starts; so do (unless ``--dry-run``) an ``out_dir`` that holds a run, a
``ckpt.resume`` step folder saved by another number of processes or ZeRO stage, a missing or empty
records file, a model section ``rsvlm train``'s preflight refuses (``check_model``: its values, files, LoRA targets
and ``init_from``), and records that fill no global batch over the world size (the records are read and
measured here once, as each rank reads them again; measuring needs the tokenizer on this machine: where it
cannot be loaded here, that one check is left to the ranks, and said).

Multi-node: DeepSpeed reads a hostfile (lines ``HOST slots=GPUS``) and starts the ranks over ssh
(pdsh); torchrun is started once per node by you, with ``NODE_RANK`` set on each and the first
host as rendezvous. Limits: no SLURM integration; ``--dry-run`` does not check that the hosts
are reachable.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.progress import counted
from rsvlm.train.launch_checks import check_deepspeed, check_model, quiet_deepspeed
from rsvlm.train.launcher_run import launcher_shell, script_python, wait_for  # noqa: F401 (tests import them here)

LAUNCHERS = ("deepspeed", "torchrun")


@dataclass
class LaunchPlan:
    command: list[str]
    world_size: int
    micro_batch: int
    grad_accum: int
    global_batch: int
    out_dir: str = ""  # the recipe's (after overrides), for the line that says where to resume


def recipe_global_batch(path: str | Path) -> int:
    """The ``# global_batch: N`` header of a recipe (``train.config.header_global_batch``, which rsvlm train's
    note on a run of another global batch reads too); ValueError where it has none."""
    from rsvlm.train.config import header_global_batch

    if not (n := header_global_batch(path)):  # 0 passed as grad_accum=0
        raise ValueError(f"{path}: no '# global_batch: N' header comment with N >= 1; the launcher needs the global "
                         "batch")
    return n


def fitting(global_batch: int, world: int) -> str:
    """What to change where ``batch_size × world`` does not divide the global batch: the batch sizes that do for
    this world size, or, where none can (the world size does not divide it), the world sizes that can."""
    divisors = [d for d in range(1, global_batch + 1) if global_batch % d == 0]
    if global_batch % world == 0:
        fit = [d for d in divisors if (global_batch // world) % d == 0]
        return f"batch_size values that fit: {', '.join(map(str, fit))} (a batch_size=N override)"
    return (f"no batch_size fits {world} processes, as {world} does not divide {global_batch}; world sizes that "
            f"do: {', '.join(map(str, [d for d in divisors if d <= 4 * world][:12]))} (--nodes × --gpus-per-node), "
            "or change the recipe's '# global_batch: N' header")


def read_hostfile(path: str | Path) -> list[tuple[str, int]]:
    """DeepSpeed hostfile → [(host, slots)]; blank lines and # comments skipped."""
    if not Path(path).is_file():  # was "[Errno 2] No such file or directory: 'hosts'"
        raise ValueError(f"hostfile {path}: no such file (one 'HOST slots=N' line per node)")
    hosts = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"(\S+)\s+slots=(\d+)", line)
        if not m:
            raise ValueError(f"{path}:{n}: expected 'HOST slots=N', got {line!r}")
        hosts.append((m.group(1), int(m.group(2))))
    if not hosts:
        raise ValueError(f"{path}: no hosts")
    return hosts


def build(recipe: str | Path, launcher: str = "deepspeed", nodes: int = 1, gpus_per_node: int = 8,
          hostfile: str | None = None, master_addr: str | None = None, master_port: int = 29500,
          overrides: list[str] | None = None, check_hostfile: bool = True, check_out: bool = False) -> LaunchPlan:
    """The launch command for ``recipe`` on ``nodes`` × ``gpus_per_node`` processes; ``check_out``: refuse an
    ``out_dir`` (``check_out_dir``, read-only), then a missing or empty records file or a missing image root
    (``check_data_paths``), a ``ckpt.resume`` step folder the ranks cannot resume (``run.check_resume``: its
    files, world size, ZeRO stage, model section), and for the LM objective records files of no usable record,
    fewer than one global batch or none of whose images is there (``inputs.check_enough_records``) or that fill
    no global batch as the config draws them (``check_data_plan``), as its ranks would refuse them, before any
    of them starts (``check_here``; on several nodes its refusal says it checked this host's paths)."""
    from dataclasses import replace

    from rsvlm.config import load_config
    from rsvlm.overrides import parse_override
    from rsvlm.train import recipe_values
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.flags import config_by
    from rsvlm.train.inputs import check_paths_at_once
    from rsvlm.train.run import check_engine

    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {LAUNCHERS}, got {launcher!r}")
    if nodes < 1 or gpus_per_node < 1:
        raise ValueError(f"nodes and gpus_per_node must be >= 1, got {nodes}, {gpus_per_node}")
    overrides = list(overrides or [])
    for text in overrides:  # it would follow the launcher's own and change the global batch unseen
        if parse_override(text)[0] == ["grad_accum"]:
            raise ValueError(f"{text}: the launcher sets grad_accum from the recipe's '# global_batch: N' header "
                             "for the world size; change batch_size, the GPU count or the header instead")
    cfg = load_config(TrainConfig, recipe, overrides, typed_in="command line")
    try:  # expanded as the ranks' preflight does (data.train=~/x was refused here), refused in rsvlm train's words
        recipe_values(cfg, str(recipe), overrides)
    except ValueError as e:  # model.encoders.defualt.width=8: named the entry alone, as if the recipe held it
        if type(e) is ValueError:  # recipe_values named what set it
            raise
        raise ValueError(f"{config_by(e, str(recipe), overrides)}{e}") from None
    world = nodes * gpus_per_node
    global_batch = recipe_global_batch(recipe)
    micro = cfg.batch_size
    if global_batch % (micro * world):
        raise ValueError(f"{recipe}: global batch {global_batch} is not a multiple of batch_size {micro} "
                         f"× world size {world}; {fitting(global_batch, world)}")
    accum = global_batch // (micro * world)
    cfg = replace(cfg, grad_accum=accum)  # as the ranks get it (the grad_accum override below)
    try:  # the ranks' own check (run.check_launch), here before they start: else every rank refused it
        check_engine(cfg, world, ddp=cfg.objective == "clip")
    except ValueError as e:
        raise ValueError(f"{recipe}: {e}") from None
    # a missing file with check_out: after check_paths_at_once, which names it with any other missing path
    later = check_out and cfg.dist.deepspeed and not Path(cfg.dist.deepspeed).is_file()
    if not later:
        check_deepspeed(recipe, cfg, world)
    if nodes > 1 and launcher == "deepspeed" and not hostfile:
        raise ValueError("more than one node with deepspeed needs --hostfile")
    explicit_master = master_addr
    if hostfile and check_hostfile:
        hosts = read_hostfile(hostfile)
        if len(hosts) < nodes or any(s < gpus_per_node for _, s in hosts[:nodes]):
            raise ValueError(f"{hostfile}: {hosts} does not give {counted(nodes, 'node')} with {gpus_per_node} "
                             "slots each")
        master_addr = master_addr or hosts[0][0]
    if check_out:  # every missing path in one message (a real-scale recipe named one per try), then the rest
        on_this_host(lambda: check_paths_at_once(cfg, alone=True), nodes)  # a lone model path too: else the ranks'
        on_this_host(lambda: check_model(cfg, str(recipe), overrides), nodes)  # else found by every rank once started
        if later:
            on_this_host(lambda: check_deepspeed(recipe, cfg, world), nodes)
        if nodes == 1:  # this host runs the ranks; on several nodes it may be a login node without GPUs
            check_host_devices(cfg, launcher)
        on_this_host(lambda: check_here(cfg, world), nodes)
    train = ["--config", str(recipe), f"grad_accum={accum}", *overrides]
    if launcher == "deepspeed":
        cmd = ["deepspeed"]
        if nodes > 1:  # DeepSpeed takes the hostfile's first host as master unless told otherwise
            cmd += ["--hostfile", str(hostfile), "--num_nodes", str(nodes)]
            if explicit_master:
                cmd += ["--master_addr", explicit_master]
        cmd += ["--num_gpus", str(gpus_per_node), "--master_port", str(master_port), "--module", "rsvlm.train"]
    else:
        cmd = ["torchrun", "--nnodes", str(nodes), "--nproc_per_node", str(gpus_per_node)]
        if nodes > 1:
            if not master_addr:  # a dry run reads no missing hostfile: it was said to be missing as an option
                raise ValueError(f"hostfile {hostfile}: no such file, where torchrun's rendezvous host (the first) "
                                 "comes from; give it, or --master-addr" if hostfile else
                                 "more than one node with torchrun needs --master-addr or --hostfile")
            cmd += ["--node_rank", "${NODE_RANK}", "--master_addr", master_addr]
        cmd += ["--master_port", str(master_port), "-m", "rsvlm.train"]
    return LaunchPlan(cmd + train, world, micro, accum, global_batch, str(cfg.out_dir))


def on_this_host(check, nodes: int) -> None:
    """``check()``; on several nodes its refusal ends in what checking on this host means (``elsewhere``): the
    paths are this host's, which the nodes may not share."""
    try:
        check()
    except (ValueError, OSError) as e:
        if nodes == 1:
            raise
        raise with_tail(e, elsewhere(nodes)) from e


def check_host_devices(cfg, launcher: str = "torchrun") -> None:
    """ValueError where ``dist.backend=nccl`` (or ``device=cuda``) meets a host with no visible GPU: on one node
    this host runs the ranks, each of which failed with NCCL's (or torch's) long error. torchrun's ranks see what
    this process sees; deepspeed's do not where ``CUDA_VISIBLE_DEVICES`` is set (``--num_gpus`` makes it drop the
    variable and give each rank GPUs of its own), so that case is left to them."""
    import os

    import torch

    if launcher == "deepspeed" and os.environ.get("CUDA_VISIBLE_DEVICES"):
        return
    if torch.cuda.is_available():
        return
    if cfg.dist.backend == "nccl":
        raise ValueError("dist.backend=nccl needs CUDA, and no GPU is visible on this host, where the ranks run; "
                         "use dist.backend=gloo (or auto, which picks gloo without a GPU)")
    if cfg.device == "cuda":
        raise ValueError("device=cuda but no GPU is visible on this host, where the ranks run; use device=auto or cpu")


def check_here(cfg, world: int) -> None:
    """The ranks' checks of paths and records, on this host: an ``out_dir`` holding another run, a missing or
    empty records file or image root (``check_data_paths``), a ``ckpt.resume`` step folder of another world size or
    ZeRO stage, then the records themselves (``check_clip_pairs`` for contrastive pretraining, else
    ``inputs.check_enough_records`` and ``check_data_plan``)."""
    from rsvlm.train.run import check_data_paths, check_out_dir, check_resume

    check_out_dir(cfg)
    check_data_paths(cfg)  # else each rank refused it, then "no step folder was saved" from main
    check_resume(cfg, world)  # a step folder of another world size or ZeRO stage
    if cfg.objective == "clip":
        check_clip_pairs(cfg, world)
    else:
        from rsvlm.train.inputs import check_enough_records

        check_data_plan(cfg, world, check_enough_records(cfg, world))


def elsewhere(nodes: int) -> str:
    """The end of a refusal of ``check_here`` on a run of several ``nodes``: it checked the paths as this host sees
    them, and what to do where this host is none of the nodes."""
    import socket

    return (f" (checked on this host, {socket.gethostname()}: the ranks on each of the {nodes} nodes read the same "
            "paths; where this host is not one of the nodes and does not see their files, print the command with "
            "--dry-run, which checks no path, and run it where they are: deepspeed's on the first node, torchrun's "
            "on each)")


def with_tail(e: Exception, tail: str) -> Exception:
    """``e`` with ``tail`` after its message: of its own class (``NoImageFound`` stays one, its attributes kept)
    where that takes one message, else of the nearest class above it that does (UnicodeDecodeError's takes five)."""
    for kind in type(e).__mro__:
        try:
            out = kind(f"{e}{tail}")
        except TypeError:
            continue
        out.__dict__.update(vars(e))
        return out
    raise e  # not reached: BaseException takes one message


def check_data_plan(cfg, world: int, arrays: dict | None) -> None:
    """The ranks' own data checks (``sft_index.read_train_data``: too many malformed or unfit records, a
    modality split that fills no global batch over ``world`` processes, ``data.batching=naive`` over several
    modalities), here before any process starts: each rank refused them alike, then the launcher's report
    followed. ValueError naming the verdict; the notes it prints are left to the ranks' first, which says them."""
    import contextlib
    import io
    from dataclasses import replace

    from rsvlm.processes import SameOnEveryRank
    from rsvlm.train.sft_index import read_train_data

    quiet = replace(cfg, log=replace(cfg.log, progress=False))
    if (processor := here_processor(cfg)) is None:
        return
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            read_train_data(quiet, 0, world, arrays, processor)
    except SameOnEveryRank as e:  # DataPlanError, TooManyBadSamples: as rsvlm train says them
        raise ValueError(f"{type(e).__name__}: {e}") from None


def check_clip_pairs(cfg, world: int) -> None:
    """Contrastive pretraining's data checks (``clip.read_pairs``: no image there, fewer than 2 caption pairs a
    process, too many malformed records), here before any process starts; its notes are left to the ranks."""
    import contextlib
    import io

    from rsvlm.train.clip import read_pairs
    from rsvlm.train.run import MalformedRecords

    try:  # TooFewRecords and NoImageFound are a ValueError and an OSError, said as the LM objective's are
        with contextlib.redirect_stderr(io.StringIO()):
            read_pairs(cfg, world, rank=1)
    except MalformedRecords as e:  # a RuntimeError, as rsvlm train says it
        raise ValueError(f"{type(e).__name__}: {e}") from None


def here_processor(cfg):
    """``sft_index.data_processor(cfg)``, whose tokenizer measures the records; None, said on stderr, where the
    tokenizer is no path on this machine and cannot be loaded here (a hub name not cached on a login node, a
    node-local path): each rank measures them then, before it trains. A path here (folder or file) that cannot be
    read is refused (ValueError, naming it)."""
    from rsvlm.model.llm import llm_tokenizer
    from rsvlm.model.llm_files import home_expanded
    from rsvlm.train.sft_index import data_processor

    llm = cfg.model.llm
    key, path = (("model.llm.tokenizer", llm.tokenizer) if llm.tokenizer
                 else ("model.llm.name_or_path", llm.name_or_path))
    try:
        tokenizer = llm_tokenizer(llm)
    except (ValueError, OSError) as e:
        if Path(home_expanded(path)).exists():  # a folder, or a file (tokenizer.json named): the ranks' too
            raise
        why = (str(e).splitlines() or [type(e).__name__])[0][:160]
        print(f"launch: note: {key}={path} cannot be loaded on this machine ({why}); the "
              "records' token lengths, and whether they fill a global batch as the ranks draw them, are left to the "
              "ranks, which check them before training (the other checks ran here). To check them here too, this "
              "machine needs the tokenizer's files (tokenizer.json or tokenizer.model, with tokenizer_config.json) "
              "in the Hugging Face cache or at that path", file=sys.stderr)
        return None
    return data_processor(cfg, tokenizer)


def launcher_path(name: str) -> str | None:
    """``name`` on PATH, else beside the running Python (a virtualenv's bin/ that is not activated)."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def parser() -> argparse.ArgumentParser:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recipe")
    ap.add_argument("overrides", nargs="*", metavar="key=value", help="passed on to rsvlm.train")
    ap.add_argument("--launcher", choices=LAUNCHERS, default="deepspeed")
    ap.add_argument("--nodes", type=int, default=1)
    ap.add_argument("--gpus-per-node", type=int, default=8)
    ap.add_argument("--hostfile", help="DeepSpeed hostfile (HOST slots=N per line); needed for --nodes > 1")
    ap.add_argument("--master-addr", help="rendezvous host (default: the hostfile's first host)")
    ap.add_argument("--master-port", type=int, default=29500)
    ap.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    ap.add_argument("--verbose", action="store_true", help="keep the deepspeed launcher's INFO lines (it is given "
                    "--log_level=warning otherwise; the ranks' own follow log.verbose)")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    from rsvlm.train.flags import recipe_flag

    if why := recipe_flag(sys.argv[1:] if argv is None else list(argv), ap._option_string_actions, "launch.py"):
        ap.error(why)
    args = ap.parse_intermixed_args(argv)  # key=value may follow the options
    if not 0 < args.master_port < 65536:
        ap.error(f"--master-port {args.master_port}: give a TCP port, 1 to 65535")
    for flag, n in (("--nodes", args.nodes), ("--gpus-per-node", args.gpus_per_node)):
        if n < 1:  # was "nodes and gpus_per_node must be >= 1", the names of build()'s arguments
            ap.error(f"{flag} {n}: give 1 or more")
    from rsvlm.overrides import warnings_as_lines

    try:
        with warnings_as_lines("launch"):  # an override's warning: one line, as rsvlm train's
            plan = build(args.recipe, args.launcher, args.nodes, args.gpus_per_node, args.hostfile, args.master_addr,
                         args.master_port, args.overrides, check_hostfile=not args.dry_run or
                         bool(args.hostfile and Path(args.hostfile).is_file()), check_out=not args.dry_run)
    except (ValueError, OSError) as e:
        from rsvlm.train.flags import other_file  # a DeepSpeed JSON or a data_gen YAML given as the recipe

        print(f"launch: {e}{other_file(getattr(e, 'keys', ()), args.recipe)}", file=sys.stderr)
        return 2
    print(f"# {counted(plan.world_size, 'process')} × micro-batch {plan.micro_batch} × grad_accum {plan.grad_accum} "
          f"= global batch {plan.global_batch}", file=sys.stderr)
    plan.command = quiet_deepspeed(plan.command, args.verbose)
    line = shlex.join(plan.command).replace("'${NODE_RANK}'", "${NODE_RANK}")
    print(line)
    if args.dry_run:
        return 0
    exe = launcher_path(plan.command[0])
    if exe is None:
        print(f"launch: {plan.command[0]} not found on PATH nor beside {sys.executable}", file=sys.stderr)
        return 2
    shell = launcher_shell(exe, line[len(plan.command[0]):])
    # shell: ${NODE_RANK}; exec: the launcher takes the shell's place, so a signal sent to proc reaches it.
    # LAUNCHED: the ranks leave the Ctrl-C resume line to wait_for's last line (it was said twice)
    from rsvlm.train.stopping import LAUNCHED

    env = {**os.environ, LAUNCHED: "1"}
    return wait_for(lambda: subprocess.Popen(shell, shell=True, env=env), plan)


if __name__ == "__main__":
    sys.exit(main())
