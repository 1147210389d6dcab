"""Contrastive encoder pretraining from scratch (objective "clip"): image–caption pairs, open_clip's loss.

The vision side is rsvlm's own encoder (``model.encoders.default``) behind each modality's stem
preparation, mean-pooled and projected; the text side is open_clip's ``TextTransformer`` over the
configured tokenizer (the byte tokenizer when the LLM is built from a config). Captions are the
first answer of each ``cap`` record (every record's first answer when there is no ``cap`` record).
The result, ``out_dir/final/encoder.safetensors``, holds ``visual.*`` keys in open_clip's layout,
so ``model.encoders.default.pretrained=…/encoder.safetensors`` starts the alignment stage from it.

With ``clip.dense_weight > 0`` a linear head on every patch token also predicts, from the
record's ``meta.sem_mask``, for each of its ``dense_subgrid``² sub-cells either each semantic
class's share (``dense_target: share``, soft cross-entropy) or which classes are present at all
(``presence``, binary cross-entropy summed over classes), added with that weight, so the tokens
carry what is where. ``share`` lets a patch's land cover drown a 5-px object; ``presence`` on a
2×2 sub-grid makes every token say which objects it holds and in which quarter. With the encoder
frozen in the instruction stages the default model uses ``presence`` (build 9 in
docs/default-model.md; build 5, which trained the encoder on, lost by it). Records without a readable ``sem_mask`` count as bad samples.

With ``clip.box_weight > 0`` a second linear head says, per patch token, whether an object's box
centre lies in its patch (binary cross-entropy) and, where one does, that box's edges relative to
the patch (smooth L1, in patch units), from the record's ``meta.inst_mask``: the tokens then carry
where inside its patch an object is, which a 16-px token's class or presence alone does not say.

With ``ckpt.every`` > 0 the run saves the model, AdamW state, batch-sampling and torch RNG streams
and the loss history every that many steps (``out_dir/checkpoints/step_N``, as the LM loop does);
``ckpt.resume`` (``auto`` or a folder) continues from one, drawing the same batches as a run that
was never stopped.

Limits: one process; learned stems are not trained here (bands are mixed by the
stem's fixed initial map); the dense head is dropped after training (only the encoder is saved).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from rsvlm.config import save_config
from rsvlm.data.records import load_records


class ClipModel(nn.Module):
    def __init__(self, cfg, vocab_size: int, pad_id: int, eos_id: int):
        super().__init__()
        from open_clip.transformer import TextTransformer

        from rsvlm.model.vision import build_encoder

        self.encoder = build_encoder(cfg.model.encoders["default"])
        self.image_proj = nn.Linear(self.encoder.width, cfg.clip.embed_dim)
        self.text = TextTransformer(context_length=cfg.clip.context_length, vocab_size=vocab_size,
                                    width=cfg.clip.text_width, heads=cfg.clip.text_heads,
                                    layers=cfg.clip.text_layers, output_dim=cfg.clip.embed_dim,
                                    pad_id=pad_id, eos_id=eos_id, pool_type="eos")
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        n_dense = cfg.clip.dense_classes * cfg.clip.dense_subgrid ** 2
        self.dense_head = nn.Linear(self.encoder.width, n_dense) if cfg.clip.dense_weight else None
        self.box_head = nn.Linear(self.encoder.width, 5) if cfg.clip.box_weight else None

    def forward(self, pixels: torch.Tensor, text: torch.Tensor):
        # pixels: (B,3,S,S) stem-mixed encoder input; text: (B,L) ids ending in eos then pad
        tokens = self.encoder(pixels)  # (B,N,W)
        img = self.image_proj(tokens.mean(dim=1))  # (B,E)
        txt = self.text(text)  # (B,E)
        dense = self.dense_head(tokens) if self.dense_head is not None else None  # (B,N,s²·K)
        box = self.box_head(tokens) if self.box_head is not None else None  # (B,N,5)
        return F.normalize(img, dim=-1), F.normalize(txt, dim=-1), self.logit_scale.exp(), dense, box


def patch_targets(rec: dict, root: Path, grid: int, n_classes: int, subgrid: int = 1,
                  kind: str = "share") -> torch.Tensor:
    """(grid², subgrid², K) per sub-cell of each patch (row-major): each semantic class's share of
    its pixels (``kind="share"``) or 1/0 for whether the class has a pixel there (``"presence"``),
    from the record's ``meta.sem_mask``."""
    import numpy as np
    from PIL import Image

    rel = (rec.get("meta") or {}).get("sem_mask")
    if not rel:
        raise ValueError(f"{rec['id']}: no meta.sem_mask (needed by clip.dense_weight)")
    sem = torch.from_numpy(np.asarray(Image.open(root / rel), dtype=np.int64))  # (H,W)
    if int(sem.max()) >= n_classes:
        raise ValueError(f"{root / rel}: class id {int(sem.max())} >= clip.dense_classes={n_classes}")
    if kind not in ("share", "presence"):
        raise ValueError(f"clip.dense_target must be 'share' or 'presence', got {kind!r}")
    onehot = F.one_hot(sem, n_classes).permute(2, 0, 1).float()  # (K,H,W)
    pool = F.adaptive_avg_pool2d if kind == "share" else F.adaptive_max_pool2d
    g, s = grid, subgrid
    cells = pool(onehot[None], g * s)[0]  # (K,g·s,g·s)
    cells = cells.reshape(n_classes, g, s, g, s).permute(1, 3, 2, 4, 0)  # (g,g,s,s,K)
    return cells.reshape(g * g, s * s, n_classes)  # (g²,s²,K)


def box_targets(rec: dict, root: Path, grid: int) -> torch.Tensor:
    """(grid², 5) per patch (row-major): 1/0 for whether an object's box centre lies in it, then that
    box's x0, y0, x1, y1 relative to the patch's top-left corner, in patch units (0 where no centre
    lies; the largest box where several do), from the record's ``meta.inst_mask`` (0 = background)."""
    import numpy as np
    from PIL import Image
    from scipy import ndimage

    rel = (rec.get("meta") or {}).get("inst_mask")
    if not rel:
        raise ValueError(f"{rec['id']}: no meta.inst_mask (needed by clip.box_weight)")
    inst = np.asarray(Image.open(root / rel))  # (H,W) instance ids
    ph, pw = inst.shape[0] / grid, inst.shape[1] / grid  # one patch, in mask pixels
    out, area = torch.zeros(grid * grid, 5), torch.zeros(grid * grid)
    for sl in ndimage.find_objects(inst):  # each id's bounding slices in one pass; None for absent ids
        if sl is None:
            continue
        (y0, y1), (x0, x1) = (sl[0].start, sl[0].stop), (sl[1].start, sl[1].stop)
        row = min(int((y0 + y1) / 2 / ph), grid - 1)
        col = min(int((x0 + x1) / 2 / pw), grid - 1)
        k, a = row * grid + col, float((x1 - x0) * (y1 - y0))
        if a > area[k]:
            area[k] = a
            out[k] = torch.tensor([1.0, x0 / pw - col, y0 / ph - row, x1 / pw - col, y1 / ph - row])
    return out


def box_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Objectness BCE over all tokens plus smooth L1 on the box edges of the tokens holding a centre.
    pred, target: (B,N,5)."""
    pos = target[..., 0] > 0  # (B,N)
    loss = F.binary_cross_entropy_with_logits(pred[..., 0], target[..., 0])
    if pos.any():
        loss = loss + F.smooth_l1_loss(pred[pos][:, 1:], target[pos][:, 1:])
    return loss


def _tokenizer(cfg):
    from rsvlm.model.llm import byte_tokenizer

    path = cfg.model.llm.tokenizer or cfg.model.llm.name_or_path
    if path:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path)
    return byte_tokenizer()


def caption_pairs(records: list[dict]) -> list[tuple[dict, str]]:
    caps = [r for r in records if r["task"] == "cap"] or records
    out = []
    for r in caps:
        answer = next((t["value"] for t in r["conversations"] if t["from"] in ("gpt", "assistant")), None)
        if answer and len(r["images"]) == 1:
            out.append((r, answer))
    return out


def _pixels(rec: dict, root: Path, cfg, image_size: int) -> torch.Tensor:
    from rsvlm.inference import record_inputs
    from rsvlm.model.stem import mixing_init, prepare

    (img,) = record_inputs(rec, root)
    stem = cfg.model.stems.get(img.modality)
    if stem is None:
        raise ValueError(f"{img.name}: no stem for modality {img.modality!r}")
    x = prepare(stem, img.array, image_size, img.bands, img.name)  # (n_bands,S,S)
    return torch.einsum("oc,chw->ohw", mixing_init(stem, 3), x)  # (3,S,S)


def save_clip(cfg, model: nn.Module, opt, gen: torch.Generator, state: dict) -> Path:
    """A complete ``checkpoints/step_N`` folder (written to ``.tmp``, then renamed)."""
    from safetensors.torch import save_file

    from rsvlm.train import checkpoint as ckpt

    final = ckpt.step_dir(Path(cfg.out_dir) / "checkpoints", state["step"])
    tmp = ckpt.prepare_tmp(final)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
    torch.save(opt.state_dict(), tmp / "optimizer.pt")  # tensors and numbers only: read with weights_only
    save_file({"generator": gen.get_state()}, str(tmp / "sampler.safetensors"))
    ckpt.save_rng(tmp, 0)
    ckpt.save_trainer_state(tmp, state)
    save_config(cfg, tmp / "train_config.yaml")
    ckpt.commit(final, cfg.ckpt.keep)
    return final


def resume_clip(cfg, model: nn.Module, opt, gen: torch.Generator) -> dict:
    """Load the checkpoint ``ckpt.resume`` names into model, optimizer and sampler; its state, or {}."""
    from safetensors.torch import load_file

    from rsvlm.train import checkpoint as ckpt
    from rsvlm.train.loop import resume_folder

    folder = resume_folder(cfg)
    if folder is None:
        return {}
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder}: not a contrastive pretraining checkpoint (no model.safetensors)")
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    opt.load_state_dict(torch.load(folder / "optimizer.pt", map_location="cpu", weights_only=True))
    gen.set_state(load_file(str(folder / "sampler.safetensors"))["generator"])
    ckpt.load_rng(folder, 0)
    return ckpt.load_trainer_state(folder)


def train_clip(cfg) -> dict:
    from open_clip.loss import ClipLoss
    from safetensors.torch import save_file
    from tqdm.auto import tqdm

    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out_dir / "train_config.yaml")
    records, report = load_records(cfg.data.train, strict=False)
    pairs = caption_pairs(records)
    if len(pairs) < 2:
        raise ValueError(f"{cfg.data.train}: {len(pairs)} single-image caption pair(s); contrastive training needs more")
    root = Path(cfg.data.root or Path(cfg.data.train).parent)
    tok = _tokenizer(cfg)
    torch.manual_seed(cfg.seed)
    model = ClipModel(cfg, len(tok), tok.pad_token_id, tok.eos_token_id)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    loss_fn = ClipLoss()
    size = model.encoder.image_size
    gen = torch.Generator().manual_seed(cfg.seed)
    bad: list[str] = []
    losses, dense_losses, box_losses = [], [], []
    grid = size // model.encoder.patch_size
    cache: dict[int, tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]] = {}
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.precision == "bf16")
    start = resume_clip(cfg, model, opt, gen)
    if start:
        losses, dense_losses, box_losses, bad = (start[k] for k in ("losses", "dense_losses", "box_losses", "bad"))
        print(f"[rsvlm.train] resumed contrastive pretraining at step {start['step']}", file=sys.stderr)
    bar = tqdm(range(start.get("step", 0), cfg.max_steps), initial=start.get("step", 0), total=cfg.max_steps,
               desc="clip", disable=not cfg.log.progress)
    for step in bar:
        idx = torch.randperm(len(pairs), generator=gen)[: cfg.batch_size].tolist()
        pix, texts, targets, boxes = [], [], [], []
        for i in idx:
            rec, caption = pairs[i]
            try:
                if i not in cache:  # images are small; each is read once (bf16 copies, ~55 kB at 96 px)
                    x = _pixels(rec, root, cfg, size).to(torch.bfloat16)
                    t = (patch_targets(rec, root, grid, cfg.clip.dense_classes, cfg.clip.dense_subgrid,
                                       cfg.clip.dense_target) if model.dense_head is not None else None)
                    b = box_targets(rec, root, grid) if model.box_head is not None else None
                    cache[i] = (x, t, b)
                x, t, b = cache[i]
                pix.append(x.float())
                if t is not None:
                    targets.append(t)
                if b is not None:
                    boxes.append(b)
            except (OSError, ValueError) as e:
                bad.append(rec["id"])
                print(f"[rsvlm.train] skipped sample {rec['id']}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            texts.append(caption)
        if len(pix) < 2:
            continue
        ids = tok(texts, add_special_tokens=False)["input_ids"]
        L = cfg.clip.context_length
        text = torch.full((len(ids), L), tok.pad_token_id, dtype=torch.long)  # (B,L)
        for b, t in enumerate(ids):
            t = t[: L - 1] + [tok.eos_token_id]
            text[b, : len(t)] = torch.tensor(t)
        with autocast:
            img_f, txt_f, scale, dense, box = model(torch.stack(pix), text)
        loss = loss_fn(img_f.float(), txt_f.float(), scale)
        if dense is not None:
            target = torch.stack(targets)  # (B,N,s²,K)
            logits = dense.float().reshape(target.shape)  # (B,N,s²,K)
            if cfg.clip.dense_target == "share":
                dense_loss = -(target * F.log_softmax(logits, dim=-1)).sum(-1).mean()
            else:
                dense_loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1).mean()
            dense_losses.append(float(dense_loss.detach()))
            loss = loss + cfg.clip.dense_weight * dense_loss
        if box is not None:
            b_loss = box_loss(box.float(), torch.stack(boxes))  # (B,N,5) each
            box_losses.append(float(b_loss.detach()))
            loss = loss + cfg.clip.box_weight * b_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.max_grad_norm)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.4f}", **({"dense": f"{dense_losses[-1]:.3f}"} if dense_losses else {}),
                        **({"box": f"{box_losses[-1]:.3f}"} if box_losses else {}))
        if cfg.ckpt.every and (step + 1) % cfg.ckpt.every == 0 and step + 1 < cfg.max_steps:
            save_clip(cfg, model, opt, gen, {"step": step + 1, "losses": losses, "dense_losses": dense_losses,
                                             "box_losses": box_losses, "bad": bad})
    final = out_dir / "final"
    final.mkdir(parents=True, exist_ok=True)
    save_file({f"visual.{k}": v.contiguous() for k, v in model.encoder.visual.state_dict().items()},
              str(final / "encoder.safetensors"))
    save_config(cfg, final / "train_config.yaml")
    summary = {"steps": cfg.max_steps, "steps_this_run": cfg.max_steps - start.get("step", 0), "losses": losses, "dense_losses": dense_losses, "box_losses": box_losses, "bad_samples": len(bad), "bad_ids": sorted(set(bad)),
               "malformed_records": report.n_skipped, "final": str(final / "encoder.safetensors")}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary
