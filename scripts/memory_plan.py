"""Per-GPU memory plan for the real-scale model configs: model states from DeepSpeed's own estimators
plus activation estimates, and the largest micro-batch that fits.

    .venv/bin/python scripts/memory_plan.py                      # every configs/model/*.yaml but tiny
    .venv/bin/python scripts/memory_plan.py configs/model/qwen2.5-7b.yaml --seq-len 4096 --llm full
    .venv/bin/python scripts/memory_plan.py configs/model/qwen2.5-7b.yaml --gpus 141 2x8x40 --batch-size 4  # GiB
    .venv/bin/python scripts/memory_plan.py configs/model/qwen2.5-7b.yaml --answer-len 256    # logits kept per sample
    .venv/bin/python scripts/memory_plan.py runs/NAME/final --llm lora       # a checkpoint folder, fine-tuned further

Each config is built on the meta device (no weights, no RAM) to count parameters exactly; the
embedding rows are then set to what the real tokenizer gives (``TOKENIZER_LEN`` + rsvlm's added
tokens), since a meta build without the tokenizer files uses a byte-level stand-in; a checkpoint (or a
local LLM folder) is built from its config.json and own tokenizer, its rows as saved.

Model states (bytes per GPU). DeepSpeed's estimators assume every parameter is trained; under LoRA
only the trainable part (adapters, new token rows, projector, stems) has gradients and Adam state,
so they are applied to the trainable count T, and the frozen count F is charged as bf16 weights
only (DeepSpeed's "optimizer offloaded" figure of F, which is exactly its 2-byte params term):

    zero2            est2(T, offload=False)                      + 2·F             (F replicated)
    zero2_offload    est2(T, offload=True)                       + 2·F
    zero3            est3(T, offload=False)                      + 2·F / world     (F partitioned)
    zero3_offload    est3(T, offload optimizer+params)           + 0               (F on CPU)
    qlora_4bit       est2(T, offload=False) + 0.5625·Q + 2·(F − Q)                 (Q: 4-bit Linears)
    qlora_8bit       est2(T, offload=False) + Q + 4·R + 2·(F − Q)                  (R: their output rows)

est2/est3 are ``estimate_zero2_model_states_mem_needs`` / ``estimate_zero3_model_states_mem_needs``
(the functions DeepSpeed's ``*_all_cold`` reporters loop over). NF4 costs 4 bits plus one fp32
absmax per 64 weights (0.5625 bytes; no double quantisation); LLM.int8 (``load_in_8bit``) one byte per
weight plus one fp32 scale per output row (bitsandbytes' ``Int8Params`` and its ``SCB``); lm_head and
embeddings stay bf16.

Activations (bytes per sample, bf16, fused attention (flash / SDPA, no s² score matrix), gradient
checkpointing on every LLM decoder layer; s tokens, h hidden, i MLP, g = kv_heads/heads, L layers,
a the answer window: the training loop keeps logits from the batch's first labelled position on
(``logits_to_keep``), by default s less the images' visual tokens, ``--answer-len`` where known):

    llm      2·s·h·L                    checkpointed layer inputs
           + 2·s·(6h + 2h·g + 4i)       one layer recomputed during backward
           + 14·a·V                     logits: bf16 out (held to the step's end), the loss's fp32
                                        log-softmax, and in backward its two fp32 gradients
    vision   2·n·w·B + 32·n·w per image when gradients reach the encoder (trainable stem or encoder):
                                        checkpointed block inputs (gradient checkpointing covers the
                                        encoders too) + one block's 16 (n, w) tensors recomputed
           + 2·n·w + 4·n'·h             projector input and hidden (n' tokens after pooling)
                                        (n, w, B of the stem whose image costs most, for every image)

Fits when states + micro·activations + reserve ≤ capacity, reserve = 10% + 2 GiB (CUDA context,
NCCL and DeepSpeed buckets, fragmentation); a recipe's batch_size (or --batch-size) is checked against
each row. The terms are summed, though not all live at once: their max came out under the one GPU
measurement (22.4 against 22.7 GiB, docs/memory.md). Limits: an estimate (1.06-1.55x a measured tiny
CPU step); KV-cache-free training only; sequence packing and padding waste are not modelled.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.flops import encoder_parts
from rsvlm.progress import counted

REPO = Path(__file__).resolve().parents[1]
GiB = 2**30
NF4_BYTES = 0.5 + 4 / 64
WEIGHT_FILES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".safetensors")
STRATEGIES = ("zero2", "zero2_offload", "zero3", "zero3_offload", "qlora_4bit", "qlora_8bit")
QUANTISED = {"qlora_4bit": "load_in_4bit", "qlora_8bit": "load_in_8bit"}  # strategy: the llm key that loads it
HARDWARE = ((1, 1, 24), (1, 1, 80), (8, 1, 80))  # (gpus per node, nodes, GiB per GPU: 24 GB and 80 GB cards)
# len(tokenizer) of each base LLM before rsvlm's tokens are added, keyed by the folder name of
# llm.name_or_path (the meta build has no tokenizer files; these are the published tokenizers).
TOKENIZER_LEN = {"vicuna-7b-v1.5": 32000, "Qwen2.5-1.5B-Instruct": 151665, "Qwen2.5-7B-Instruct": 151665}


def offline(cfg):
    """A copy of VLMConfig ``cfg`` buildable without weights: the LLM from its ``config`` dict, or (a
    checkpoint's) from the ``config.json`` and tokenizer of its local ``name_or_path`` folder, or of the
    Hugging Face cache's folder of a hub name there (as ``load_pretrained`` loads it; was refused)."""
    from rsvlm.model.ckpt_files import hub_snapshot

    name = cfg.llm.name_or_path
    if name:  # a peft adapter (a folder, a cached hub name): a run refuses it, so no plan (was planned)
        from rsvlm.model.checks import check_not_adapter

        check_not_adapter(name)
    saved = name and (Path(name).expanduser() / "config.json").is_file()  # ~/models/x: was refused
    snap = hub_snapshot(name) if name and not cfg.llm.config and not saved else None
    if not cfg.llm.config and not saved and snap is None:
        raise ValueError(f"no llm.config (the LLM's published architecture values, which a build without weight "
                         f"files needs), and llm.name_or_path {name!r} is no local folder with a config.json (a "
                         "checkpoint's llm/, or an adapter-only save's base model) nor a hub name in the Hugging "
                         "Face cache; give a checkpoint folder whose LLM is on this machine, or a config with "
                         "llm.config, e.g. the recipe a run's final/ keeps as train_config.yaml")
    keep = {"name_or_path": None, "tokenizer": None} if cfg.llm.config else {} if snap is None else {
        "name_or_path": str(snap), "tokenizer": str(snap) if cfg.llm.tokenizer in (None, name) else cfg.llm.tokenizer}
    llm = dataclasses.replace(cfg.llm, load_in_4bit=False, load_in_8bit=False, **keep)
    if not cfg.llm.config:  # a folder without a tokenizer: FileNotFoundError naming it, before the build
        from rsvlm.model.checks import check_llm_files

        check_llm_files(llm, weights=False)
    encoders = {k: dataclasses.replace(v, pretrained=None) for k, v in cfg.encoders.items()}
    return dataclasses.replace(cfg, llm=llm, encoders=encoders)


def build_meta(cfg):
    """The full-size RSVLM on the meta device (parameters have shapes, no storage)."""
    from rsvlm.model import create_model

    return create_model(cfg, device="meta")[0]  # a saved LLM: its config.json's shapes, no weights read


def hf_config(llm_config: dict):
    """The transformers config of ``llm.config`` (the published architecture values)."""
    from transformers import AutoConfig

    return AutoConfig.for_model(**llm_config)


def bare_llm_meta(llm_config: dict):
    """The base causal LM exactly as published (its own vocabulary), on the meta device."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(hf_config(llm_config))


def n_params(module, trainable: bool | None = None) -> int:
    return sum(p.numel() for p in module.parameters() if trainable is None or p.requires_grad == trainable)


@dataclass
class Inventory:
    name: str
    total: int  # parameters after the embedding rows are set to the real tokenizer
    trainable: int
    quantisable: int  # LLM Linear weights a 4/8-bit load quantises (decoder layers; not lm_head)
    quantisable_rows: int  # their output rows (one fp32 scale each in 8 bits)
    largest_layer: int  # largest single module (ZeRO-3 gathers one at a time)
    vocab_rows: int
    hidden: int
    inter: int
    layers: int
    kv_ratio: float
    vis_tokens: int  # per image, after pooling (vis_*: of the stem whose image costs most activation memory)
    vis_width: int
    vis_blocks: int  # ViT blocks run (up to feature_layer)
    vis_seq: int  # patch tokens + CLS at the encoder's input size
    vision_grads: bool  # gradients flow into the encoder (trainable stem or encoder)
    context: int = 0  # the LLM's max_position_embeddings (0: its config has none)

    @property
    def frozen(self) -> int:
        return self.total - self.trainable


def tokenizer_len(name_or_path: str | None) -> int | None:
    """Published tokenizer length of the base LLM ``llm.name_or_path`` names (None when unknown)."""
    return TOKENIZER_LEN.get(Path(str(name_or_path or "")).name)


def inventory(cfg, name: str, base_tokenizer_len: int | None = None, model=None) -> Inventory:
    """Parameter counts and shapes of ``cfg`` (made ``offline``) for the estimates.

    The embedding rows are set to ``base_tokenizer_len`` + rsvlm's added tokens (``llm.config``'s
    published ``vocab_size`` when the tokenizer length is unknown).
    """
    from torch import nn

    model = model if model is not None else build_meta(cfg)
    text = model.llm.config.get_text_config()
    h, tied = text.hidden_size, bool(getattr(text, "tie_word_embeddings", False))
    rows_now = model.llm.get_input_embeddings().weight.shape[0]
    # not text.vocab_size: the meta build resized it to its byte-level stand-in's rows (+ the added tokens
    # counted twice: 2,312 rows for tiny, whose real build has 1,286; 2,312 for any 128k-vocabulary LLM too)
    if cfg.llm.config:
        published = hf_config(cfg.llm.config).get_text_config().vocab_size
        rows = (base_tokenizer_len or published) + len(model.special.added)
    else:  # built from a saved LLM and its own tokenizer (a checkpoint's): the rows are the real ones
        rows = rows_now
    extra = (rows - rows_now) * h * (1 if tied else 2)
    linears = [m for n, m in model.llm.named_modules() if isinstance(m, nn.Linear) and "lora_" not in n
               and "lm_head" not in n]
    largest = max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())
    largest = max(largest, rows * h)
    t = cfg.trainable
    grads = t.encoder != "frozen" or t.stem != "frozen"
    shapes = []  # (visual tokens, width, blocks, patches + CLS) of each stem's image, the costliest planned for
    for stem, sc in cfg.stems.items():  # was the first stem's: a SAR encoder at twice the size went unseen
        enc = model.encoders[sc.encoder]
        shapes.append((model.n_visual_tokens(stem), enc.width, len(encoder_parts(enc)[1]),
                       (enc.image_size // enc.patch_size) ** 2 + 1))
    tokens, width, blocks, seq = max(shapes, key=lambda v: (image_activation_bytes(*v, h, grads), v[0]))
    return Inventory(
        name=name, total=n_params(model) + extra, quantisable=sum(m.weight.numel() for m in linears),
        quantisable_rows=sum(m.out_features for m in linears),
        trainable=n_params(model, True) + (extra if cfg.trainable.llm == "full" else 0),
        largest_layer=largest, vocab_rows=rows, hidden=h, inter=text.intermediate_size,
        layers=text.num_hidden_layers, kv_ratio=text.num_key_value_heads / text.num_attention_heads,
        vis_tokens=tokens, vis_width=width, vis_blocks=blocks, vis_seq=seq, vision_grads=grads,
        context=getattr(text, "max_position_embeddings", None) or 0)


def logit_positions(inv: Inventory, seq_len: int, images: int = 1, answer_len: int | None = None) -> int:
    """Positions whose logits one sample keeps: ``answer_len``, else all but the images' visual tokens
    (which come before any answer)."""
    return answer_len if answer_len is not None else max(1, seq_len - images * inv.vis_tokens)


def activation_bytes(inv: Inventory, seq_len: int, images: int = 1, answer_len: int | None = None) -> int:
    """Activation memory of one sample (formula in the module docstring; ``logit_positions`` for a)."""
    s, h, i, a = seq_len, inv.hidden, inv.inter, logit_positions(inv, seq_len, images, answer_len)
    llm = 2 * s * h * inv.layers + 2 * s * (6 * h + 2 * h * inv.kv_ratio + 4 * i) + 14 * a * inv.vocab_rows
    vis = image_activation_bytes(inv.vis_tokens, inv.vis_width, inv.vis_blocks, inv.vis_seq, h, inv.vision_grads)
    return int(llm + images * vis)


def image_activation_bytes(tokens: int, width: int, blocks: int, seq: int, hidden: int, grads: bool) -> int:
    """Activation memory of one image: projector input and hidden, and when ``grads`` the ViT's checkpointed
    block inputs and one block recomputed in backward."""
    return 2 * seq * width + 4 * tokens * hidden + (2 * seq * width * blocks + 32 * seq * width if grads else 0)


def model_state_bytes(inv: Inventory, strategy: str, gpus_per_node: int, nodes: int) -> tuple[int, int]:
    """(per-GPU bytes, per-node CPU bytes) of weights, gradients and optimizer state."""
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs as est3
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs as est2

    T, F = inv.trainable, inv.frozen
    kw = dict(num_gpus_per_node=gpus_per_node, num_nodes=nodes)
    if strategy in ("zero2", "zero2_offload", *QUANTISED):
        cpu, gpu = est2(total_params=T, cpu_offload=strategy == "zero2_offload", **kw)
        _, frozen_gpu = est2(total_params=F, cpu_offload=True, **kw)  # = 2·F: bf16 weights only
        if strategy == "qlora_4bit":
            frozen_gpu = int(NF4_BYTES * inv.quantisable + 2 * (F - inv.quantisable))
        elif strategy == "qlora_8bit":
            frozen_gpu = inv.quantisable + 4 * inv.quantisable_rows + 2 * (F - inv.quantisable)
        return gpu + frozen_gpu, cpu if strategy == "zero2_offload" else 0
    kw3 = dict(largest_layer_params=inv.largest_layer, **kw)
    if strategy == "zero3":
        _, gpu, _ = est3(total_params=T, cpu_offload=False, cpu_offload_params=False, **kw3)
        _, frozen_gpu, largest = est3(total_params=F, cpu_offload=True, cpu_offload_params=False, **kw3)
        return gpu + frozen_gpu - largest, 0  # the gathered largest layer is counted once
    if strategy == "zero3_offload":
        cpu, gpu, _ = est3(total_params=T, cpu_offload=True, cpu_offload_params=True, **kw3)
        return gpu, int(cpu + 2 * F / nodes)  # + the node's share of the frozen bf16 weights
    raise ValueError(f"unknown strategy {strategy!r}; known: {STRATEGIES}")


@dataclass
class PlanRow:
    strategy: str
    hardware: str
    state_gb: float  # per GPU
    act_gb: float  # per sample
    cpu_gb: float  # per node (offload only)
    max_micro: int  # 0: does not fit


def plan(inv: Inventory, seq_len: int, images: int = 1, strategies=STRATEGIES, hardware=HARDWARE,
         answer_len: int | None = None) -> list[PlanRow]:
    """One row per strategy and ``hardware`` entry (gpus per node, nodes, GiB per GPU)."""
    rows = []
    act = activation_bytes(inv, seq_len, images, answer_len)
    for strategy in strategies:
        for gpn, nodes, gb in hardware:
            state, cpu = model_state_bytes(inv, strategy, gpn, nodes)
            cap = int(gb * GiB)
            free = cap - int(0.10 * cap + 2 * GiB) - state  # the reserve: 10% + 2 GiB
            micro = max(0, math.floor(free / act)) if free > 0 else 0
            hw = f"{f'{nodes}×{gpn}' if nodes > 1 else gpn}×{gb:g} GB"
            rows.append(PlanRow(strategy, hw, state / GiB, act / GiB, cpu / GiB, micro))
    return rows


def markdown(inv: Inventory, rows: list[PlanRow], seq_len: int, answer: int | None = None,
             batch: int | None = None, note: str = "") -> str:  # batch: a line naming the rows it does not fit
    hws = list(dict.fromkeys(r.hardware for r in rows))
    kept = "; ".join(x for x in (note, answer is not None and f"{answer} with logits") if x)
    out = [f"### {inv.name}", "",
           f"{inv.total / 1e9:.3f} B parameters, {inv.trainable / 1e6:.1f} M trainable, "
           f"{inv.vis_tokens} visual tokens per image, sequence {seq_len} tokens{f' ({kept})' if kept else ''}, activations "
           f"{rows[0].act_gb:.2f} GiB per sample.", "",
           "| strategy | " + " | ".join(f"{h}: GiB/GPU (states) · max micro-batch" for h in hws) + " |",
           "| --- | " + " | ".join("---" for _ in hws) + " |"]
    for strategy in dict.fromkeys(r.strategy for r in rows):
        cells = []
        for h in hws:
            r = next(x for x in rows if x.strategy == strategy and x.hardware == h)
            fit = str(r.max_micro) if r.max_micro else "does not fit"
            cpu = f", CPU {r.cpu_gb:.0f} GiB/node" if r.cpu_gb else ""
            cells.append(f"{r.state_gb:.1f}{cpu} · {fit}")
        out.append(f"| {strategy} | " + " | ".join(cells) + " |")
    if batch is not None:
        short = [f"{r.strategy} on {r.hardware} (max {r.max_micro})" for r in rows if r.max_micro < batch]
        out += ["", f"Micro-batch {batch}: " + (f"does not fit {', '.join(short)}." if short else "fits every row.")]
    return "\n".join(out) + "\n"


def sequence(seq: int | None, context: int) -> tuple[int, str]:
    """(tokens per sample to plan, a note on them): ``seq`` where given, else 2048 cut to the LLM's ``context``."""
    if seq is None and 0 < context < 2048:  # the shipped model's 512: was planned at 2048
        return context, "the LLM's whole context, max_position_embeddings"
    return seq or 2048, f"longer than the LLM's {context}-token context" if (seq or 2048) > context > 0 else ""


def gpus(text: str) -> tuple[int, int, float]:
    """argparse type: GiB, GPUSxGiB or NODESxGPUSxGiB (141, 8x80, 2x8x80; the size may end in GiB or G, as the
    metavar writes it: 8x80GiB was refused) → (gpus per node, nodes, GiB per GPU)."""
    *counts, gib = text.lower().replace("×", "x").split("x")
    gib = gib.strip().removesuffix("gib").removesuffix("g")
    try:
        counts, size = [int(c) for c in counts], float(gib)
    except ValueError:
        size = None
    if size is None or len(counts) > 2 or any(c < 1 for c in counts) or not 0 < size < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: give GiB per GPU, GPUSxGiB or NODESxGPUSxGiB (e.g. 141, 8x80)")
    nodes, per_node = [1] * (2 - len(counts)) + counts
    return per_node, nodes, size


def positive(text: str) -> int:
    """argparse type: an integer >= 1."""
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def checkpoint_root(path: Path) -> Path | None:
    """The checkpoint folder ``path`` is or whose ``config.yaml`` it is (beside its vision.safetensors), else None."""
    if path.is_dir():
        return path
    return path.parent if path.name == "config.yaml" and (path.parent / "vision.safetensors").is_file() else None


def model_config(path: Path, llm: str | None = None):
    """The ``VLMConfig`` of a model YAML, of a training recipe's ``model:`` section, or of a checkpoint folder
    (its LLM and tokenizer paths taken from the folder); its LLM's trainability set to ``llm`` where given,
    else the file's own."""
    from rsvlm.config import load_config, load_yaml
    from rsvlm.model import VLMConfig
    from rsvlm.model.checkpoint import no_checkpoint, resolve_in
    from rsvlm.model.checks import check_model_config
    from rsvlm.train.config import TrainConfig, frozen_quantised_problem

    if path.suffix in WEIGHT_FILES:  # a .bin was read as YAML: 'top level must be a mapping, got str …'
        raise ValueError(f"{path}: a weights file, not a config (weights are never read here, pickles never "
                         "loaded); give a model YAML, a training recipe or a checkpoint folder")
    root = checkpoint_root(path)
    if root is not None:
        if not (root / "config.yaml").is_file():  # configs/model: was 'not an rsvlm checkpoint' alone
            why, yamls = no_checkpoint(root), sorted(p.name for p in root.glob("*.yaml"))
            if yamls and why.endswith("(no config.yaml)"):  # nothing else it looks like (a run's out_dir names its final/)
                why += (f"; it holds {counted(len(yamls), 'YAML file')} ({', '.join(yamls[:3])}{', …' if len(yamls) > 3 else ''}):"
                        + (f" give it as a file ({root / yamls[0]})" if len(yamls) == 1 else
                           f" give them as files ({root / '*.yaml'})"))
            raise ValueError(why)
        cfg = load_config(VLMConfig, root / "config.yaml", [f"trainable.llm={llm}"] if llm else [])
        llm = dataclasses.replace(cfg.llm, name_or_path=resolve_in(cfg.llm.name_or_path, root),
                                  tokenizer=resolve_in(cfg.llm.tokenizer, root))  # as load_pretrained reads them
        cfg = dataclasses.replace(cfg, llm=llm)
        check_model_config(cfg, "")
        return cfg
    recipe = isinstance(load_yaml(path).get("model"), dict)  # a recipe (configs/train/…): its model section
    cfg = (load_config(TrainConfig, path, [f"model.trainable.llm={llm}"] if llm else []).model if recipe
           else load_config(VLMConfig, path, [f"trainable.llm={llm}"] if llm else []))
    check_model_config(cfg, "model." if recipe else "")  # e.g. --llm full of a 4-bit LLM: was planned, not refused
    if why := frozen_quantised_problem(cfg, "model." if recipe else ""):  # training refuses it: was planned
        raise ValueError(why)
    return cfg


def recipe_sizes(path: Path) -> tuple[int | None, int | None]:
    """(``data.max_length``, ``batch_size``) of a recipe (or a checkpoint's train_config.yaml); Nones for a model config."""
    from rsvlm.config import load_config, load_yaml
    from rsvlm.train.config import TrainConfig

    root = checkpoint_root(path)
    path = root / "train_config.yaml" if root is not None else path
    if not path.is_file() or not isinstance(load_yaml(path).get("model"), dict):
        return None, None
    cfg = load_config(TrainConfig, path)
    if cfg.batch_size < 1:  # was planned as if it could train
        raise ValueError(f"{path}: batch_size must be >= 1, got {cfg.batch_size}")
    return cfg.data.max_length, cfg.batch_size


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", nargs="*",
                    help="model YAMLs, training recipes or checkpoint folders (default: configs/model/*.yaml "
                         "except tiny)")
    ap.add_argument("--seq-len", type=positive, help="tokens per sample, visual tokens included (default: a "
                    "recipe's data.max_length, else 2048 or the LLM's context where shorter)")
    ap.add_argument("--images", type=positive, default=1, help="images per sample (2 for change detection)")
    ap.add_argument("--batch-size", type=positive, metavar="N", help="micro-batch to check (default: a recipe's)")
    ap.add_argument("--answer-len", type=positive, metavar="N", help="positions per sample whose logits training "
                    "keeps: from the batch's first answer token to its end (default: --seq-len less visual tokens)")
    ap.add_argument("--llm", choices=("frozen", "lora", "full"),
                    help="LLM trainability to plan for (default: the config's own trainable.llm)")
    ap.add_argument("--gpus", type=gpus, nargs="+", metavar="[NODESx][GPUSx]GiB",
                    help="the GPUs to plan for, e.g. 141 (one 141 GiB GPU), 8x80, 2x8x80 (default: 24 80 8x80)")
    args = ap.parse_args(argv)
    from rsvlm.model.quiet import deepspeed_cpu_note_quietly

    # as rsvlm.cli: peft imports bitsandbytes, which logs that it cannot fetch an optional CPU kernel
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    with deepspeed_cpu_note_quietly():  # DeepSpeed's import said 'Setting accelerator to CPU' on stdout, in the plan
        return plans(args)


def plans(args: argparse.Namespace) -> int:
    """``main``'s work: the plan of each config in ``args`` on stdout, one line on stderr for a bad one."""
    from tqdm import tqdm

    from rsvlm.progress import bar

    paths = [Path(p) for p in args.configs] or sorted(p for p in (REPO / "configs/model").glob("*.yaml")
                                                       if p.stem != "tiny")
    todo = []  # (path, config, its offline copy, sequence length, micro-batch to check)
    for path in paths:  # every file read before the slow part starts
        try:  # an align recipe's 1024 tokens were planned at 2048; a config without llm.config nor a saved
            cfg, (seq, batch) = model_config(path, args.llm), recipe_sizes(path)  # LLM: one line, not a traceback
            todo.append((path, cfg, offline(cfg), args.seq_len or seq, args.batch_size or batch))
        except (ValueError, OSError) as e:  # ConfigError, or a file that is not YAML text
            print(f"memory_plan: {e}" if str(path) in str(e) else f"memory_plan: {path}: {e}", file=sys.stderr)
            return 2
    say = functools.partial(tqdm.write, file=sys.stderr)  # a print after the bar's text: a terminal's next redraw
    for path, cfg, build, seq, batch in bar(todo, desc="building on meta", unit="config", file=sys.stderr):  # wrote over it
        name = (checkpoint_root(path) or path.with_suffix("")).name
        inv = inventory(build, f"{name} (LLM {cfg.trainable.llm})", tokenizer_len(cfg.llm.name_or_path))
        seq, note = sequence(seq, inv.context)
        if seq <= args.images * inv.vis_tokens:  # else a plan for samples that cannot exist
            say(f"memory_plan: --seq-len {seq}: {path} puts {args.images} × {inv.vis_tokens} visual "
                "tokens in a sample; give a longer sequence (visual tokens included)")
            return 2
        answer = logit_positions(inv, seq, args.images, args.answer_len)
        if answer > seq - args.images * inv.vis_tokens:
            say(f"memory_plan: --answer-len {answer}: {path}'s samples of --seq-len {seq} hold "
                f"{seq - args.images * inv.vis_tokens} tokens beside their {args.images} × {inv.vis_tokens} "
                "visual tokens; give at most that")
            return 2
        loads = [k for k, key in QUANTISED.items() if getattr(cfg.llm, key)]  # what a 4/8-bit recipe runs, not bf16
        strategies = loads or (STRATEGIES if cfg.trainable.llm == "lora"  # QLoRA trains adapters
                               else [k for k in STRATEGIES if k not in QUANTISED])
        rows = plan(inv, seq, args.images, strategies, args.gpus or HARDWARE, answer)
        tqdm.write(markdown(inv, rows, seq, answer, batch, note), file=sys.stdout)
    return 0


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main))  # `… | head`: the rest to the null device
