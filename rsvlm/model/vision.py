"""Vision encoders: an open_clip ViT (named architecture or custom dims) or transformers' CLIP tower.

Both return patch tokens from a chosen layer (LLaVA's penultimate by default), class token dropped:
``encoder(pixels (B,C,H,W)) -> (B, N, width)``, N = (H/patch)·(W/patch). Position embeddings are
interpolated on the fly for inputs whose grid differs from the one they were trained at.

Limits: only ViTs (no ResNet / timm towers); OpenAI's TorchScript ``.pt`` archives are not read
(convert them to a plain state dict first); the encoder registry is a plain dict, ``ENCODERS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn

from rsvlm.progress import counted

POS_EMBEDS = ("learned", "sincos2d")  # VisionConfig.pos_embed


@dataclass
class VisionConfig:
    type: str = "open_clip"  # key of ENCODERS: "open_clip" | "hf_clip"
    arch: str | None = None  # open_clip architecture name (e.g. "ViT-L-14-336"); None → dims below
    width: int = 64
    layers: int = 2
    heads: int = 4
    patch_size: int = 8
    image_size: int | None = None  # None: the arch's own size (custom dims: 32); else positions are interpolated
    mlp_ratio: float = 4.0
    quick_gelu: bool | None = None  # None: the arch's own (custom dims: GELU); OpenAI CLIP weights need True
    pretrained: str | None = None  # local open_clip state dict (.safetensors, or .pt/.bin read weights_only)
    feature_layer: int = -2  # hidden state index as in HF hidden_states: 0 = embeddings, -1 = last block
    pos_embed: str = "learned"  # one of POS_EMBEDS: "learned" | "sincos2d" (fixed, open_clip's sin_cos_2d)
    patch_skip: bool = False  # add the patch embeddings (gated, gate starts at 0) to the output tokens
    hf_config: dict[str, Any] | None = None  # CLIPVisionConfig kwargs for type "hf_clip"
    lora_r: int = 8  # used where the trainability of encoders is "lora"
    lora_alpha: int = 16
    lora_target_modules: list[str] = field(default_factory=lambda: ["c_fc", "c_proj"])  # hf_clip: fc1, fc2


def interpolate_pos_embed(pos: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int],
                          num_prefix: int = 1) -> torch.Tensor:
    """Bicubic resize of a (num_prefix + gh·gw, D) position table to another grid (prefix kept)."""
    if tuple(old_grid) == tuple(new_grid):
        return pos
    prefix, grid = pos[:num_prefix], pos[num_prefix:]
    d = grid.shape[-1]
    grid = grid.reshape(1, old_grid[0], old_grid[1], d).permute(0, 3, 1, 2)  # (1,D,gh,gw)
    grid = F.interpolate(grid.float(), size=tuple(new_grid), mode="bicubic", align_corners=False, antialias=True)
    grid = grid.permute(0, 2, 3, 1).reshape(new_grid[0] * new_grid[1], d).to(pos.dtype)
    return torch.cat([prefix, grid], dim=0)


def fit_pos_table(src: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor | None:
    """A learned position table of a square grid plus a class row, (1+g², D), resized to ``grid``
    (bicubic, as open_clip and GeoChat do); None when ``src`` is not such a table."""
    g = math.isqrt(src.shape[0] - 1) if src.dim() == 2 and src.shape[0] > 1 else 0
    if g * g + 1 != src.shape[0]:
        return None
    return interpolate_pos_embed(src, (g, g), grid)  # (1+gh·gw,D)


POS_KEYS = ("visual.positional_embedding", "model.embeddings.position_embedding.weight")  # open_clip, hf_clip


def fit_positions(encoders: nn.ModuleDict, state: dict[str, torch.Tensor], path: Path) -> None:
    """Saved position tables (``state``, keys ``encoders.NAME.…``, read from ``path``) of another grid than
    ``encoders`` build (an ``image_size`` override) made to fit, in ``state``: a learned table resized bicubically
    (``fit_pos_table``, as an encoder's ``pretrained`` file is), fixed 2-D sin-cos positions recomputed (the
    encoder's own)."""
    for name, enc in encoders.items():
        own = enc.state_dict(prefix=f"encoders.{name}.")
        for key in (f"encoders.{name}.{k}" for k in POS_KEYS):
            if key not in state or key not in own or state[key].shape == own[key].shape:
                continue
            # fixed, not learned: those of the new grid, computed (load_pretrained builds the encoder's own on meta)
            if getattr(enc, "fixed_positions", False):
                state[key] = _sincos_table(enc.width, enc.grid[0])
                continue
            fitted = fit_pos_table(state[key], enc.grid)
            if fitted is None:
                raise ValueError(f"{path}: {key} {tuple(state[key].shape)} is not a class row plus a square grid, so "
                                 f"it cannot be resized to the {own[key].shape[0] - 1} positions of "
                                 f"encoders.{name}.image_size {enc.image_size}")
            state[key] = fitted.to(state[key].dtype)


def _is_sincos(pos: torch.Tensor) -> bool:
    """Whether a (1+g², D) table is open_clip's fixed 2-D sin-cos positions of a g×g grid (to bf16 precision)."""
    g = math.isqrt(pos.shape[0] - 1) if pos.shape[0] > 1 else 0
    if g * g + 1 != pos.shape[0] or pos.shape[1] % 4:
        return False
    return torch.allclose(pos.float(), _sincos_table(pos.shape[1], g), atol=1e-2)


def _sincos_table(width: int, g: int) -> torch.Tensor:
    """open_clip's fixed 2-D sin-cos positions of a g×g grid with a class row, (1+g², width) float32: what an
    encoder with ``pos_embed: sincos2d`` builds."""
    from open_clip.pos_embed import get_2d_sincos_pos_embed

    return torch.from_numpy(get_2d_sincos_pos_embed(width, g, cls_token=True)).float()


def _unpickle_why(error: Exception, path: Path) -> str | None:
    """What ``torch.load(weights_only=True)`` refused in ``path`` (``error``), without its advice to load with
    ``weights_only=False`` (which runs the file's code: was quoted in the refusal, cut at 200 characters); None
    where it is no such refusal (a cut or damaged file: torch's EOFError, 'PytorchStreamReader failed …'). Told
    from the file's own pickle opcodes (``pickle_scan``), not torch's wording, which is the fallback alone."""
    import re

    from rsvlm.model.pickle_scan import foreign_global, is_torchscript

    text = str(error)
    if is_torchscript(path) or "TorchScript" in text:
        return "a TorchScript archive"
    said = re.search(r"GLOBAL ([\w.]+)", text)
    if found := foreign_global(path) or (said.group(1) if said else None):
        return f"pickled objects: {found}"
    return f"pickled objects ({type(error).__name__})" if "Weights only load failed" in text else None


def read_state_dict(path: str | Path, advice: str = "use the model's safetensors release (open_clip's "
                    "open_clip_model.safetensors, e.g. timm/vit_base_patch16_clip_224.openai)") -> dict[str, torch.Tensor]:
    """Tensors of a local checkpoint: safetensors, or a torch file read with ``weights_only=True``; one holding
    anything else (a TorchScript archive, pickled objects) is refused with ``advice`` (what to give instead)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":  # a cut download ("incomplete metadata") or a pickle so named: ValueError
        from rsvlm.model.weights import load_safetensors

        return load_safetensors(path)
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # TorchScript archives, pickled objects: refused (torch's advice to unpickle is not passed on)
        if (why := _unpickle_why(e, path)) is None:  # was called pickled objects, with the advice to re-save
            said = str(e).strip().split(". ")[0].splitlines()[0][:120] if str(e).strip() else ""
            raise ValueError(f"{path}: cannot be read as a torch file, cut or damaged ({type(e).__name__}"
                             f"{': ' + said if said else ''}); fetch or save it again") from e
        raise ValueError(f"{path}: not a plain tensor state dict ({why}, which rsvlm never unpickles); {advice}") from e
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(sd).__name__}")
    return sd


def shape_mismatches(state: dict[str, torch.Tensor], own: dict[str, torch.Tensor]) -> tuple[int, str]:
    """How many of ``state``'s tensors have another shape than ``own``'s of that name, and the first
    three as "NAME (shape) (the config builds (shape))" ("; "-joined, " …" after them where more)."""
    odd = [f"{k} {tuple(v.shape)} (the config builds {tuple(own[k].shape)})"
           for k, v in state.items() if k in own and v.shape != own[k].shape]
    return len(odd), "; ".join(odd[:3]) + (" …" if len(odd) > 3 else "")


def check_safetensors(path: str | Path, key: str) -> None:
    """ValueError naming ``key`` where the safetensors file ``path``'s header cannot be read or does not
    cover the file (a copy cut short); reads the header only (``weights.open_safetensors``)."""
    from rsvlm.model.weights import open_safetensors

    try:
        with open_safetensors(Path(path)):
            pass
    except ValueError as e:
        raise ValueError(f"{key}: {e}; was it cut short?") from None


def check_pretrained(cfg: VisionConfig, key: str = "encoders.NAME") -> None:
    """FileNotFoundError naming ``key.pretrained`` where it is set and no file is there; ValueError where a
    safetensors file is cut short (``check_safetensors``)."""
    if cfg.pretrained and not Path(cfg.pretrained).is_file():
        what = "is a folder, not a file" if Path(cfg.pretrained).is_dir() else "not found"
        raise FileNotFoundError(f"encoder pretrained: {cfg.pretrained} {what} ({key}.pretrained: an open_clip-layout "
                                "safetensors or torch state dict file)")
    if cfg.pretrained and Path(cfg.pretrained).suffix == ".safetensors":
        check_safetensors(cfg.pretrained, f"{key}.pretrained")


ARCH_DIMS = ("width", "layers", "heads", "patch_size", "mlp_ratio")  # an arch preset gives these


def check_arch_keys(cfg: VisionConfig, model_cfg: dict, key: str = "encoders.NAME") -> None:
    """ValueError naming ``key``'s fields that contradict the open_clip preset ``cfg.arch`` (``model_cfg``, from
    ``open_clip.get_model_config``): a dim of ``ARCH_DIMS`` set to neither its default nor the preset's (the
    preset won without a word), or ``quick_gelu: false`` for a QuickGELU preset (``…-quickgelu``).
    ``quick_gelu: true`` for a GELU preset is taken (OpenAI weights in ``ViT-L-14-336``)."""
    v = model_cfg["vision_cfg"]
    preset = {"width": v.get("width"), "layers": v.get("layers"), "patch_size": v.get("patch_size"),
              "mlp_ratio": v.get("mlp_ratio", 4.0),
              "heads": v["width"] // v.get("head_width", 64) if isinstance(v.get("width"), int) else None}
    defaults = {f.name: f.default for f in fields(VisionConfig)}
    odd = [f"{key}.{k} {getattr(cfg, k)} (the preset's: {preset[k]})" for k in ARCH_DIMS
           if getattr(cfg, k) != defaults[k] and getattr(cfg, k) != preset[k]]
    if cfg.quick_gelu is False and model_cfg.get("quick_gelu", False):
        odd.append(f"{key}.quick_gelu false (the preset is QuickGELU; for GELU use its plain arch, "
                   f"{cfg.arch.removesuffix('-quickgelu')!r})")
    if odd:
        raise ValueError(f"{key}.arch {cfg.arch!r} gives the tower's dims and activation, which {', '.join(odd)} "
                         f"contradict{'s' if len(odd) == 1 else ''}; drop them, or drop arch to build a tower of "
                         "your own dims")


HF_DIMS = {"width": "hidden_size", "layers": "num_hidden_layers", "heads": "num_attention_heads",
           "patch_size": "patch_size", "image_size": "image_size"}  # VisionConfig field → its hf_config key


def check_hf_keys(cfg: VisionConfig, key: str = "encoders.NAME") -> None:
    """ValueError naming ``key``'s fields that an hf_clip tower's ``hf_config`` overrules: one set (not its
    default) to another value than the ``hf_config`` key it stands for (``HF_DIMS``), which wins; an
    override of ``image_size`` alone was ignored without a word. So is a ``pos_embed`` other than learned."""
    if cfg.pos_embed != "learned":  # was built with CLIP's learned table, the setting ignored
        raise ValueError(f"{key}.pos_embed {cfg.pos_embed!r}: an hf_clip tower has CLIP's learned position table; "
                         "fixed sin-cos positions are open_clip's (type: open_clip), so use pos_embed: learned")
    hf = cfg.hf_config or {}
    defaults = {f.name: f.default for f in fields(VisionConfig)}
    odd = [k for k, h in HF_DIMS.items() if h in hf and getattr(cfg, k) not in (defaults[k], hf[h])]
    if odd:
        said = ", ".join(f"{key}.{k} {getattr(cfg, k)} (hf_config.{HF_DIMS[k]}: {hf[HF_DIMS[k]]})" for k in odd)
        raise ValueError(f"{key}: an hf_clip tower is sized by its hf_config, which {said} contradict"
                         f"{'s' if len(odd) == 1 else ''}; set {key}.hf_config.{HF_DIMS[odd[0]]} (and the field to match)")


def follow_hf_twins(saved: VisionConfig, cfg: VisionConfig) -> VisionConfig:
    """``cfg`` (``saved`` with overrides) where an override changed one of an hf_clip tower's twin keys
    (``HF_DIMS``: ``image_size`` and ``hf_config.image_size``, which convert-llava writes both) and not
    the other: the other follows, so one override loads a checkpoint at another size."""
    if cfg.type != "hf_clip" or not cfg.hf_config:
        return cfg
    hf, was, moved = dict(cfg.hf_config), saved.hf_config or {}, {}
    for k, h in HF_DIMS.items():
        field_moved, key_moved = getattr(cfg, k) != getattr(saved, k), hf.get(h) != was.get(h)
        if field_moved and not key_moved and h in hf and getattr(cfg, k) is not None:
            hf[h] = getattr(cfg, k)
        elif key_moved and not field_moved and getattr(saved, k) == was.get(h) and h in hf:
            moved[k] = hf[h]
    return replace(cfg, hf_config=hf, **moved)


def embed_patches(pixels: torch.Tensor, patch_size: int, conv: nn.Module, class_embedding: torch.Tensor,
                  pos_table: torch.Tensor, grid: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Either tower's first step: ``pixels`` (B,C,H,W), H and W multiples of ``patch_size``, through ``conv`` to
    the class token and patch tokens plus positions (``pos_table``, made for ``grid``, resized to this
    image's by ``interpolate_pos_embed``): (B,1+N,D), before the pre-norm; and the patch tokens (B,N,D)."""
    b, _, h, w = pixels.shape
    if h % patch_size or w % patch_size:
        raise ValueError(f"image size {h}x{w} is not a multiple of the patch size {patch_size}")
    patches = conv(pixels.to(conv.weight.dtype))  # (B,D,gh,gw)
    gh, gw = patches.shape[-2:]
    patches = patches.flatten(2).transpose(1, 2)  # (B,gh·gw,D)
    cls = class_embedding.to(patches.dtype).expand(b, 1, -1)  # (B,1,D)
    pos = interpolate_pos_embed(pos_table, grid, (gh, gw))  # (1+gh·gw,D)
    return torch.cat([cls, patches], dim=1) + pos.to(patches.dtype), patches


class OpenClipEncoder(nn.Module):
    """open_clip ``VisionTransformer`` run up to ``feature_layer``; returns patch tokens (no CLS)."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        from open_clip import get_model_config
        from open_clip.model import CLIPVisionCfg, _build_vision_tower

        if cfg.arch:
            model_cfg = get_model_config(cfg.arch)
            if model_cfg is None:
                raise ValueError(f"unknown open_clip architecture {cfg.arch!r}")
            vcfg = dict(model_cfg["vision_cfg"])
            if cfg.image_size is not None:
                vcfg["image_size"] = cfg.image_size
            check_arch_keys(cfg, model_cfg)
            embed_dim = model_cfg["embed_dim"]
            quick_gelu = model_cfg.get("quick_gelu", False) if cfg.quick_gelu is None else cfg.quick_gelu
        else:
            if cfg.width % cfg.heads:
                raise ValueError(f"vision width {cfg.width} is not divisible by heads {cfg.heads}")
            vcfg = dict(width=cfg.width, layers=cfg.layers, head_width=cfg.width // cfg.heads,
                        patch_size=cfg.patch_size, image_size=32 if cfg.image_size is None else cfg.image_size, mlp_ratio=cfg.mlp_ratio)
            embed_dim, quick_gelu = cfg.width, bool(cfg.quick_gelu)
        if isinstance(vcfg.get("layers"), (list, tuple)) or vcfg.get("timm_model_name"):
            raise ValueError(f"open_clip architecture {cfg.arch!r} is not a ViT; only ViTs are supported")
        vcfg["pos_embed_type"] = "sin_cos_2d" if cfg.pos_embed == "sincos2d" else "learnable"
        if cfg.pos_embed not in POS_EMBEDS:
            raise ValueError(f"pos_embed must be {' or '.join(map(repr, POS_EMBEDS))}, got {cfg.pos_embed!r}")
        self.visual = _build_vision_tower(embed_dim, CLIPVisionCfg(**vcfg), quick_gelu=quick_gelu)
        self.fixed_positions = cfg.pos_embed == "sincos2d"
        if self.fixed_positions:
            self.visual.positional_embedding.requires_grad_(False)
        self.visual.proj = None  # the contrastive head is unused; keeps trainable sets honest
        self.patch_size = int(vcfg["patch_size"])
        self.image_size = int(vcfg["image_size"] if isinstance(vcfg["image_size"], int) else vcfg["image_size"][0])
        self.width = int(vcfg["width"])
        n_layers = int(vcfg["layers"])
        self.n_blocks = cfg.feature_layer % (n_layers + 1)  # hidden_states[k] is after k blocks
        # shape (1,), not (): DeepSpeed's rank-0 broadcast cannot view a 0-d parameter as bytes
        self.gate = nn.Parameter(torch.zeros(1)) if cfg.patch_skip else None
        if cfg.pretrained:
            check_pretrained(cfg)
            self.load_open_clip(cfg.pretrained)

    @property
    def grid(self) -> tuple[int, int]:
        g = self.image_size // self.patch_size
        return g, g

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        gate = state_dict.get(prefix + "gate")
        if gate is not None and gate.dim() == 0:  # checkpoints written before the gate became (1,)
            state_dict[prefix + "gate"] = gate.reshape(1)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def load_open_clip(self, path: str | Path) -> dict[str, list[str]]:
        """Load the ``visual.*`` part of an open_clip state dict, or the encoder's of rsvlm's contrastive
        pretraining ``model.safetensors``; returns missing/unexpected keys."""
        sd = read_state_dict(path)
        sd = {k.removeprefix("module."): v for k, v in sd.items()}
        if any(k.startswith("encoder.visual.") for k in sd) and any(k.startswith("text.") for k in sd):
            # rsvlm's contrastive pretraining model.safetensors (ClipModel): its encoder's visual.* part, which
            # scripts/export_step.py writes out as encoder.safetensors (was: 'none of its tensors is …')
            sd = {k.removeprefix("encoder."): v for k, v in sd.items() if k.startswith("encoder.visual.")}
        if any(k.startswith("visual.") for k in sd):
            sd = {k[len("visual."):]: v for k, v in sd.items() if k.startswith("visual.")}
        sd.pop("proj", None)
        own = self.visual.state_dict()
        if not set(sd) & set(own):  # was: "missing vision keys [every one]", which said nothing of the file
            hf = any(k.startswith(("vision_model.", "model.vision_model.")) for k in sd)
            hint = "; a transformers CLIP: use the open_clip release (open_clip_model.safetensors)" if hf else ""
            if any(k.startswith("encoders.") for k in sd):  # a checkpoint's vision.safetensors
                hint = ("; an rsvlm checkpoint's vision.safetensors (encoders.NAME.*): start a run from that checkpoint "
                        "with init_from=DIR instead")
            raise ValueError(f"{path}: none of its {len(sd)} tensors is an open_clip vision tower's "
                             f"(first keys: {', '.join(sorted(sd)[:3])}){hint}")
        pos = sd.get("positional_embedding")
        if pos is not None and self.fixed_positions and pos.dim() == 2 and pos.shape[-1] == self.width:
            if not _is_sincos(pos):  # was loaded into the fixed table: frozen learned positions, not sin-cos ones
                raise ValueError(f"{path}: its positional_embedding is learned, and pos_embed sincos2d keeps fixed "
                                 "sin-cos positions in its place; set pos_embed: learned to start from it")
            del sd["positional_embedding"]  # sin-cos ones: this grid's are the encoder's own
            pos = None
        if pos is not None and pos.shape != self.visual.positional_embedding.shape:
            fitted = fit_pos_table(pos, self.grid)
            if fitted is None:
                raise ValueError(f"{path}: positional_embedding {tuple(pos.shape)} is not a class row plus a square grid")
            sd["positional_embedding"] = fitted
        n, odd = shape_mismatches(sd, own)
        if n:  # torch's size-mismatch RuntimeError named no file
            raise ValueError(f"{path}: {counted(n, 'tensor')} of another shape than the encoder config builds "
                             f"({odd}); a tower of another size? "
                             "Set encoders.NAME width/layers/heads/patch_size (or arch) to the checkpoint's")
        res = self.visual.load_state_dict(sd, strict=False)
        fixed = ("positional_embedding",) if self.fixed_positions else ()  # the encoder's own, not the file's
        report = {"missing": [k for k in res.missing_keys if k not in fixed], "unexpected": list(res.unexpected_keys)}
        if report["missing"]:
            raise ValueError(f"{path}: missing vision keys {report['missing'][:8]}")
        return report

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # pixels: (B,C,H,W), H and W multiples of patch_size
        v = self.visual
        x, patches = embed_patches(pixels, self.patch_size, v.conv1, v.class_embedding, v.positional_embedding, self.grid)
        x = v.ln_pre(x)
        ckpt = v.transformer.grad_checkpointing and self.training and torch.is_grad_enabled()
        for block in v.transformer.resblocks[: self.n_blocks]:
            x = torch.utils.checkpoint.checkpoint(block, x, use_reentrant=False) if ckpt else block(x)
        tokens = x[:, 1:]  # (B,N,D)
        if self.gate is not None:
            tokens = tokens + self.gate * patches
        return tokens


class HFClipEncoder(nn.Module):
    """transformers' ``CLIPVisionModel`` (LLaVA's tower): hidden_states[feature_layer], CLS dropped."""

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        from transformers import CLIPVisionConfig, CLIPVisionModel

        from rsvlm.model.llm_files import check_config_keys

        hf = dict(cfg.hf_config or {})
        check_config_keys("clip_vision_model", hf, "hf_config")  # was: a typo built a default-size tower
        check_hf_keys(cfg)
        hf.setdefault("hidden_size", cfg.width)
        hf.setdefault("num_hidden_layers", cfg.layers)
        hf.setdefault("num_attention_heads", cfg.heads)
        hf.setdefault("intermediate_size", int(hf["hidden_size"] * cfg.mlp_ratio))  # was cfg.width's, 4×64 for any
        hf.setdefault("patch_size", cfg.patch_size)
        hf.setdefault("image_size", 224 if cfg.image_size is None else cfg.image_size)
        self.model = CLIPVisionModel(CLIPVisionConfig(**hf))
        self.patch_size = int(hf["patch_size"])
        self.image_size = int(hf["image_size"])
        self.width = int(hf["hidden_size"])
        self.feature_layer = cfg.feature_layer
        self.n_blocks = cfg.feature_layer % (int(hf["num_hidden_layers"]) + 1)  # the layers the output needs
        if cfg.patch_skip or cfg.pretrained:
            raise ValueError("hf_clip encoders take weights from a converted checkpoint; "
                             "patch_skip and pretrained are open_clip-only")

    @property
    def grid(self) -> tuple[int, int]:
        g = self.image_size // self.patch_size
        return g, g

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # pixels: (B,C,H,W), H and W multiples of patch_size. CLIPVisionModel's own steps, but for positions of
        # another grid, resized by interpolate_pos_embed as OpenClipEncoder's and a loaded table are (HF's
        # interpolate_pos_encoding resized them another way: no antialias, so another cubic kernel)
        m, emb = self.model, self.model.embeddings
        x, _ = embed_patches(pixels, self.patch_size, emb.patch_embedding, emb.class_embedding,
                             emb.position_embedding.weight, self.grid)
        x = m.pre_layrnorm(x)  # hidden_states[0]
        for layer in m.encoder.layers[: self.n_blocks]:  # hidden_states[k] is after k layers
            x = layer(x, None)
        return x[:, 1:]  # (B,N,D)


ENCODERS = {"open_clip": OpenClipEncoder, "hf_clip": HFClipEncoder}


def enable_gradient_checkpointing(encoder: nn.Module) -> None:
    """Recompute the encoder's blocks in the backward pass instead of keeping their activations."""
    if isinstance(encoder, OpenClipEncoder):
        encoder.visual.transformer.grad_checkpointing = True
    else:
        enable_hf_checkpointing(encoder.model)


def enable_hf_checkpointing(model: nn.Module) -> None:
    """Non-reentrant checkpointing of a transformers model (or a peft model around one), through
    ``activation_checkpointing_enable`` where transformers has it: its older name
    ``gradient_checkpointing_enable`` warns (FutureWarning) in every run that turns it on."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:  # transformers before 5.2x
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def build_encoder(cfg: VisionConfig) -> nn.Module:
    if cfg.type not in ENCODERS:
        raise ValueError(f"unknown encoder type {cfg.type!r}; known: {sorted(ENCODERS)}")
    return ENCODERS[cfg.type](cfg)
