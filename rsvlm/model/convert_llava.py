"""Import LLaVA-1.5 checkpoints (HF ``LlavaForConditionalGeneration``, or original LLaVA / GeoChat).

The result is an rsvlm checkpoint with one ``hf_clip`` encoder (transformers' ``CLIPVisionModel``,
kept as is rather than ported into open_clip, so the weights and numerics are LLaVA's own), the
``mlp2x_gelu`` projector, the Llama (or Mistral) LLM, an ``optical`` stem whose band mixing is the
identity and whose normalisation is CLIP's mean/std (from the source's preprocessor config where it has one),
LLaVA's image resizing ("pad" to square for the original layout, "crop" as CLIPImageProcessor does
for HF), and the ``llava_v1`` prompt format.

    convert_llava("llava-1.5-7b-hf/", "ckpt/")                 # HF layout: read by transformers
    convert_llava("geochat-7B/", "ckpt/", vision_tower="clip-vit-large-patch14-336/")

Limits: LLaVA-1.5 only (no AnyRes / LLaVA-NeXT, no "full" feature selection); the original layout
needs the CLIP tower locally (``vision_tower`` or a local ``mm_vision_tower`` path) unless its weights
are inside the checkpoint; LLaVA's own splitting of the prompt around ``<image>`` is not reproduced
(the text is tokenised whole, as HF's LlavaProcessor does).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
import warnings
from pathlib import Path

import torch

from rsvlm.data.conversation import PromptConfig
from rsvlm.model.llm import LLMConfig
from rsvlm.model.projector import ProjectorConfig
from rsvlm.model.stem import CLIP_MEAN, CLIP_STD, StemConfig
from rsvlm.model.vision import VisionConfig, read_state_dict
from rsvlm.model.vlm import TrainableConfig, VLMConfig
from rsvlm.model.weights import most_saved_dtype, named_dtype, open_safetensors
from rsvlm.progress import counted


def check_shards(src: Path, pattern: str = "*.index.json") -> None:
    """FileNotFoundError naming the shards an index (``pattern``) in ``src`` lists that are not there (an
    interrupted download: the LLM's missing weights were reported as a list of tensor names), and
    ValueError naming a ``.safetensors`` file that cannot be opened (a cut one; only headers are read)."""
    for index in sorted(src.glob(pattern)):
        missing = [f for f in index_shards(index) if not (src / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{src}: {counted(len(missing), 'weight shard')} that {index.name} lists {'is' if len(missing) == 1 else 'are'} missing: "
                                    f"{', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
    for f in sorted(src.glob("*.safetensors")):
        with open_safetensors(f):
            pass


def index_shards(index: Path) -> list[str]:
    """The weight files a sharded-weights index (``*.index.json``) lists, sorted; ValueError naming it when it is
    not one (cut, or without a ``weight_map``)."""
    weight_map = read_json_object(index).get("weight_map")
    if not isinstance(weight_map, dict):
        raise ValueError(f"{index}: no weight_map (not a sharded-weights index)")
    return sorted(set(map(str, weight_map.values())))


def read_json_object(path: Path) -> dict:
    """A JSON object file as a dict; ValueError naming the file when it is not one."""
    try:
        conf = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(conf, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(conf).__name__}")
    return conf


@contextlib.contextmanager
def _valid_config(path: Path):
    """A field of ``path`` (a config.json) of the wrong type (``"hidden_size": "64"``) as a ValueError naming
    the file: huggingface_hub's validation error was a two-screen traceback out of ``rsvlm convert-llava``."""
    from huggingface_hub.errors import StrictDataclassError

    try:
        yield
    except StrictDataclassError as e:
        raise ValueError(f"{path}: not a valid config ({' '.join(str(e).split())})") from e


def _read_weights(src: Path) -> dict[str, torch.Tensor]:
    """Every tensor of ``src``'s weight files: the shards its index lists where it has one (others,
    e.g. a stale consolidated file beside new shards, are left out with a warning naming them);
    a tensor in two files is a ValueError (one silently replaced the other)."""
    check_shards(src)
    files = sorted(src.glob("*.safetensors")) or sorted(src.glob("pytorch_model*.bin"))
    if not files:
        raise FileNotFoundError(f"{src}: no *.safetensors or pytorch_model*.bin weights")
    index = src / f"{'model.safetensors' if files[0].suffix == '.safetensors' else 'pytorch_model.bin'}.index.json"
    if index.is_file():
        listed = set(index_shards(index))
        left = [f.name for f in files if f.name not in listed]
        if left:
            warnings.warn(f"{src}: {', '.join(left)} not listed in {index.name}: left out", stacklevel=3)
        files = [f for f in files if f.name in listed]
    sd: dict[str, torch.Tensor] = {}
    where: dict[str, str] = {}
    for f in files:
        part = read_state_dict(f, advice="re-save it with safetensors where it was made (save_pretrained(..., "
                               "safe_serialization=True)), or use the model's safetensors release")  # weights_only
        twice = sorted(set(part) & set(sd))
        if twice:
            raise ValueError(f"{src}: {counted(len(twice), 'tensor')} in both {where[twice[0]]} and {f.name} "
                             f"(e.g. {twice[0]}); remove the stale file")
        sd.update(part)
        where.update(dict.fromkeys(part, f.name))
    return sd


def _check_shapes(expected: dict[str, torch.Tensor], sd: dict[str, torch.Tensor], src: Path, what: str) -> None:
    """ValueError naming each tensor of ``sd`` whose shape differs from the model's (``load_state_dict``
    raised a RuntimeError for those even with ``strict=False``)."""
    bad = [f"{k} {tuple(v.shape)} (expected {tuple(expected[k].shape)})" for k, v in sd.items()
           if k in expected and tuple(v.shape) != tuple(expected[k].shape)]
    if bad:
        raise ValueError(f"{src}: {what} weights do not fit its config.json: {bad[:5]}"
                         f"{f' (+{len(bad) - 5} more)' if len(bad) > 5 else ''}")


def _preprocess(src: Path, default_resize: str) -> StemConfig:
    mean, std, resize = list(CLIP_MEAN), list(CLIP_STD), default_resize
    pp = src / "preprocessor_config.json"
    if pp.is_file():
        p = read_json_object(pp)
        mean, std = list(p.get("image_mean", mean)), list(p.get("image_std", std))
        resize = "crop" if p.get("do_center_crop", True) else "stretch"
    return StemConfig(modality="optical", bands=["R", "G", "B"], mean=mean, std=std, encoder="default",
                      resize=resize, interpolation="bicubic")


def _source_dtype(src: Path, conf: dict) -> torch.dtype:
    """The floating dtype most of ``src``'s safetensors weights are stored in (headers only), else the one
    its config.json names (``.bin`` weights), else float32."""
    return most_saved_dtype(sorted(src.glob("*.safetensors"))) or named_dtype(conf) or torch.float32


def check_key_typos(path: Path, conf: dict, part: str = "", model_type: str | None = None) -> None:
    """ValueError naming ``path`` and ``part`` + the key where a key of ``conf`` (``path``'s config or a part of it,
    e.g. its ``vision_config.``) is not a field of the transformers config class of its ``model_type`` (or
    ``model_type``) but is close to one: a typo ('hidden_sise') built that field at its default, found later as
    weights of another shape (or, for a vision_config, converted at CLIP's 768-wide default) with no hint."""
    from transformers import CONFIG_MAPPING

    from rsvlm.model.llm_files import unknown_config_keys

    model_type = model_type or conf.get("model_type")
    if model_type not in CONFIG_MAPPING:
        return
    for key, close in unknown_config_keys(model_type, conf):
        if close:
            raise ValueError(f"{path}: {part}{key} is not a {CONFIG_MAPPING[model_type].__name__} field; "
                             f"did you mean {part}{close[0]}?")


def _vision_cfg(hf_vision: dict, feature_layer: int) -> VisionConfig:
    hf = {k: v for k, v in hf_vision.items() if not k.startswith("_") and k not in
          ("architectures", "model_type", "transformers_version", "dtype", "torch_dtype")}
    return VisionConfig(type="hf_clip", hf_config=hf, width=hf["hidden_size"], patch_size=hf["patch_size"],
                        image_size=hf["image_size"], feature_layer=feature_layer)


def _hf_layout(src: Path, dtype):
    from transformers import LlavaForConditionalGeneration

    conf = read_json_object(src / "config.json")
    if isinstance(conf.get("vision_config"), dict):  # a typo was "weights do not fit", no hint (mismatch_note
        vision = conf["vision_config"]                 # names text_config's typos only)
        check_key_typos(src / "config.json", vision, "vision_config.", vision.get("model_type", "clip_vision_model"))
    if conf.get("vision_feature_select_strategy", "default") != "default":
        raise ValueError(f"{src}: vision_feature_select_strategy {conf['vision_feature_select_strategy']!r} "
                         "is not supported (only 'default': patch tokens without CLS)")
    layer = conf.get("vision_feature_layer", -2)
    if not isinstance(layer, int):
        raise ValueError(f"{src}: multi-layer vision features {layer} are not supported")
    if conf.get("projector_hidden_act", "gelu") != "gelu" or not conf.get("multimodal_projector_bias", True):
        raise ValueError(f"{src}: only LLaVA-1.5's gelu projector with biases is supported")
    if not (any(src.glob("*.safetensors")) or any(src.glob("pytorch_model*.bin"))):  # transformers: an OSError
        raise FileNotFoundError(f"{src}: no *.safetensors or pytorch_model*.bin weights")   # naming 5 file kinds
    check_shards(src)
    from rsvlm.model.llm_files import mismatch_note
    from rsvlm.model.quiet import bars_after, load_report_held

    # "Loading weights: 100%" for a small model: a 7B one still shows its progress; transformers' load report is
    # shown unless the error below says it (a config typo was its table then a RuntimeError traceback, a missing
    # LM head a table only, and a conversion with that head at random)
    with bars_after(2.0), load_report_held() as report:
        llava, info = LlavaForConditionalGeneration.from_pretrained(src, dtype=dtype or torch.float32,
                                                                    output_loading_info=True, ignore_mismatched_sizes=True)
    if info.get("mismatched_keys"):
        raise ValueError(mismatch_note(str(src), llava, info["mismatched_keys"], key=""))
    if info["missing_keys"]:
        lacks = sorted(info["missing_keys"])
        raise ValueError(f"{src}: its weights lack {counted(len(lacks), 'tensor')} of the {type(llava).__name__} its config.json "
                         f"builds (first: {', '.join(lacks[:3])}), which would be converted at random")
    report.release()
    vision = {f"encoders.default.model.{k}": v for k, v in llava.model.vision_tower.state_dict().items()}
    proj = llava.model.multi_modal_projector
    vision.update({"projectors.default.net.0.weight": proj.linear_1.weight, "projectors.default.net.0.bias": proj.linear_1.bias,
                   "projectors.default.net.2.weight": proj.linear_2.weight, "projectors.default.net.2.bias": proj.linear_2.bias})
    lm = {f"model.{k}": v for k, v in llava.model.language_model.state_dict().items()}
    lm["lm_head.weight"] = llava.lm_head.weight
    text = llava.config.text_config.to_dict()
    vcfg = _vision_cfg(llava.config.vision_config.to_dict(), layer)
    return vcfg, text, vision, lm, _preprocess(src, "crop")


def _original_layout(src: Path, vision_tower: str | Path | None):
    conf = read_json_object(src / "config.json")
    sd = _read_weights(src)
    if conf.get("mm_vision_select_feature", "patch") != "patch":
        raise ValueError(f"{src}: mm_vision_select_feature {conf['mm_vision_select_feature']!r} is not supported")
    ptype = conf.get("mm_projector_type", "linear")
    if ptype not in ("linear", "mlp2x_gelu"):
        raise ValueError(f"{src}: mm_projector_type {ptype!r} is not supported (linear, mlp2x_gelu)")
    vision = {}
    for k, v in sd.items():
        if k.startswith("model.mm_projector."):
            rest = k[len("model.mm_projector."):]
            vision[f"projectors.default.net.{'0.' + rest if ptype == 'linear' else rest}"] = v
    tower_prefix = "model.vision_tower.vision_tower."
    tower = {k[len(tower_prefix):]: v for k, v in sd.items() if k.startswith(tower_prefix)}
    if vision_tower and not Path(vision_tower).is_dir():
        raise FileNotFoundError(f"vision_tower (--vision-tower) {vision_tower}: not a folder (a local CLIP in HF layout)")
    named = vision_tower or conf.get("mm_vision_tower")
    tower_dir = Path(named) if named else None  # Path("") would be the working directory
    if tower_dir is not None and tower_dir.is_dir():
        if not (tower_dir / "config.json").is_file():
            raise FileNotFoundError(f"vision tower {tower_dir}: no config.json (a local CLIP in HF layout)")
        tconf = read_json_object(tower_dir / "config.json")
        hf_vision = given = dict(tconf.get("vision_config", tconf))  # given: its typos are checked without defaults
        if tconf.get("model_type") in ("clip", "clip_vision_model"):  # a diff-saved config leaves out defaults
            from transformers import CLIPVisionConfig

            hf_vision = {**{k: v for k, v in CLIPVisionConfig().to_dict().items()
                            if k in ("hidden_size", "patch_size", "image_size")}, **hf_vision}
        lacking = [k for k in ("hidden_size", "patch_size", "image_size") if k not in hf_vision]
        other = _not_clip(tconf)
        if lacking:  # what it is instead: an LLM's folder said only "(no ['patch_size', 'image_size'])"
            raise ValueError(f"vision tower {tower_dir}/config.json: not a CLIP vision config (no {lacking}"
                             f"{'; it is ' + other if other else ''})")
        if other:  # a SigLIP was built as a CLIP and refused on its weights' shapes, naming neither
            raise ValueError(f"vision tower {tower_dir}: {other}, not a CLIP one; --vision-tower takes a CLIP ViT in "
                             "HF layout (LLaVA-1.5's and GeoChat's clip-vit-large-patch14-336) (docs/models.md)")
        check_key_typos(tower_dir / "config.json", given, "vision_config." if "vision_config" in tconf else "",
                        "clip_vision_model")  # was named as encoders.default.hf_config.KEY, not the tower's file
    elif tower:
        raise ValueError(f"{src}: pass vision_tower= (rsvlm convert-llava --vision-tower DIR), a local CLIP "
                         "in HF layout, for the tower's config.json")
    else:
        raise FileNotFoundError(f"{src}: vision tower {conf.get('mm_vision_tower')!r} is not a local directory; "
                                "pass vision_tower= (rsvlm convert-llava --vision-tower DIR) pointing at a local "
                                "CLIP in HF layout (docs/models.md)")
    # no projector: was found after the LLM was built and saved ("vision weights do not fit: missing [projectors…]");
    # checked after the tower, whose refusal names the flag to pass (--vision-tower DIR)
    if not vision:
        apart = [f.name for f in sorted(src.glob("mm_projector*.bin"))]
        raise ValueError(f"{src}: holds no projector weights (no model.mm_projector.* tensor)" + (
            f"; {apart[0]} beside it is a projector saved apart (LLaVA's stage-1 pretraining), which rsvlm does not "
            "read" if apart else "") + "; give the folder of the whole LLaVA-1.5 / GeoChat checkpoint (LLM and projector)")
    if not tower:  # only a local tower_dir comes here without tower weights in src (refused above otherwise)
        tower = _read_weights(tower_dir)
        warnings.warn(f"{src}: holds no vision tower weights; {tower_dir}'s are used as they are (its positions, "
                      "not a size the source's code resized them to at load, as GeoChat's does to 504 px; "
                      "load_pretrained(OUT, overrides=['encoders.default.image_size=504']) resizes them)",
                      stacklevel=3)
    tower = {k.removeprefix("vision_model."): v for k, v in tower.items() if not k.startswith("text_model.")}
    pos = tower.get("embeddings.position_embedding.weight")
    if pos is not None:  # GeoChat-style towers carry position tables for a larger input
        hf_vision["image_size"] = int(math.isqrt(pos.shape[0] - 1)) * hf_vision["patch_size"]
    vision.update(_tower_keys(hf_vision, tower))
    lm = {k: v for k, v in sd.items() if not k.startswith(("model.mm_projector.", "model.vision_tower."))}
    text = {k: v for k, v in conf.items() if not k.startswith(("mm_", "_")) and k not in
            ("architectures", "model_type", "image_aspect_ratio", "tune_mm_mlp_adapter", "freeze_mm_mlp_adapter",
             "use_mm_proj", "image_grid_pinpoints", "transformers_version", "torch_dtype", "dtype")}
    text["model_type"] = _ORIGINAL_LLMS.get(conf.get("model_type"), "llama")  # llava_mistral was built as Llama
    check_key_typos(src / "config.json", text)  # a typo was "LLM weights do not fit its config.json", no hint
    vcfg = _vision_cfg(hf_vision, conf.get("mm_vision_select_layer", -2))
    resize = "pad" if conf.get("image_aspect_ratio", "pad") == "pad" else "crop"
    stem = _preprocess(tower_dir, resize) if tower_dir is not None and tower_dir.is_dir() else _preprocess(src, resize)
    stem.resize = resize
    return vcfg, text, vision, lm, stem, ptype


_FAMILIES = (("a LLaVA", "llava"), ("a language model", "forcausallm"), ("a SigLIP2 tower", "siglip2"),
             ("a SigLIP tower", "siglip"), ("a DINOv2 tower", "dinov2"), ("an InternViT tower", "intern_vit"),
             ("an InternViT tower", "internvision"), ("an InternViT tower", "internvl_vision"),
             ("a whole InternVL model (an InternViT tower and an LLM)", "internvl"),  # was "a tower", as was AIMv2
             ("an AIMv2 tower", "aimv2"))  # first match names it


def _not_clip(tconf: dict) -> str | None:
    """What a tower's config.json names that is not a CLIP (its model_type, or its vision_config's, and its
    architectures), e.g. "a SigLIP tower (model_type siglip_vision_model, SiglipVisionModel)"; None for a CLIP or a
    config naming neither (a diff-saved one is taken as a CLIP)."""
    kinds = [k for k in (tconf.get("model_type"), (tconf.get("vision_config") or {}).get("model_type")) if k]
    arch = [a for a in tconf.get("architectures") or [] if isinstance(a, str)]
    if all(k in ("clip", "clip_vision_model") for k in kinds) and all(a.startswith("CLIP") for a in arch):
        return None
    kind = (kinds or ["none"])[0]
    said = f"{kind} {arch}".lower()  # a LLaVA or an LLM folder given as the tower was "a tower (model_type llava…)"
    family = next((f for f, word in _FAMILIES if word in said), "a tower")
    from rsvlm.model.ckpt_files import language_model_note

    if family == "a tower" and language_model_note(kind):  # an LLM's config.json with no architectures
        family = "a language model"
    return f"{family} (model_type {kind}{', ' + ', '.join(arch) if arch else ''})"


def _tower_keys(hf_vision: dict, tower: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Tower tensors renamed to this transformers version's CLIPVisionModel names (with or without
    the ``vision_model.`` level), under the rsvlm encoder prefix."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    keep = {k: v for k, v in hf_vision.items() if k not in ("architectures", "transformers_version", "model_type")}
    with torch.device("meta"):
        expected = CLIPVisionModel(CLIPVisionConfig(**keep)).state_dict().keys()
    by_short = {k.removeprefix("vision_model."): k for k in expected}
    return {f"encoders.default.model.{by_short.get(k, k)}": v for k, v in tower.items()}


def _no_llava_folder(src: Path) -> str:
    """Why ``src``, without a config.json, is no LLaVA folder: not there, a file, an rsvlm checkpoint already."""
    if not src.exists():
        return f"{src}: no such folder (the LLaVA checkpoint's folder, holding its config.json)"
    if not src.is_dir():
        return f"{src}: a file; give the LLaVA checkpoint's folder (the one holding its config.json)"
    if (src / "config.yaml").is_file() and (src / "vision.safetensors").is_file():
        return f"{src}: an rsvlm checkpoint already (config.yaml, vision.safetensors): load it as it is (--model {src})"
    return f"{src}: no config.json; not a LLaVA checkpoint directory"


# an original-layout LLaVA's model_type: the transformers LLM its weights convert into (Mistral's are Llama's names
# and shapes, its sliding_window kept); another llava_* (llava_qwen, llava_mpt) is refused by not_llava15
_ORIGINAL_LLMS = {"llava_llama": "llama", "llava_mistral": "mistral"}


def not_llava15(conf: dict) -> str | None:
    """What in a LLaVA ``config.json`` says it is another LLaVA than 1.5 (a NeXT / OneVision / VipLLaVA
    model_type, an original layout on an LLM other than Llama / Mistral such as ``llava_qwen``, an HF layout's
    SigLIP tower, anyres tiles, a spatial patch merge), else None."""
    found = _not_llava15(conf)
    return found[0] if found else None


_TILED = ("llava_next", "llava_next_video", "llava_onevision")  # HF model_types of LLaVAs that tile an image


def _not_llava15(conf: dict) -> tuple[str, bool] | None:
    """``not_llava15``'s why, and whether it is a LLaVA that tiles an image (a NeXT's, a OneVision's), else None."""
    kind = conf.get("model_type")
    if "vision_config" in conf and isinstance(kind, str) and "llava" in kind and kind != "llava":
        return f"model_type {kind!r} is not LLaVA-1.5's ('llava')", kind in _TILED
    if "vision_config" not in conf and isinstance(kind, str) and kind.startswith("llava_") \
            and kind not in _ORIGINAL_LLMS:
        code = conf.get("auto_map") if isinstance(conf.get("auto_map"), dict) else {}
        run = f" (its auto_map's code, {', '.join(map(str, code.values()))}, is never run: rsvlm passes no " \
              "trust_remote_code)" if code else ""
        return f"model_type {kind!r} is a LLaVA on another LLM than Llama or Mistral{run}", False
    if isinstance(conf.get("vision_config"), dict) and (tower := _not_clip(conf["vision_config"])):
        return f"its vision_config is {tower}, not LLaVA-1.5's CLIP ViT", False  # was "vision weights do not fit
        # its config.json: position_embedding (4, 32) (expected (5, 32))", after the LLM was built
    for key, bad in (("image_aspect_ratio", "anyres"), ("mm_patch_merge_type", "spatial")):
        if isinstance(conf.get(key), str) and conf[key].startswith(bad):
            return f"{key} {conf[key]!r} is LLaVA-1.6 (NeXT)'s", True
    return None


def convert_llava(src_dir: str | Path, out_dir: str | Path, vision_tower: str | Path | None = None,
                  dtype: torch.dtype | None = None) -> Path:
    """Write an rsvlm checkpoint equivalent to the LLaVA checkpoint in ``src_dir``, its weights in
    ``dtype`` (default: the dtype the source stores them in)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from rsvlm.model.checkpoint import check_new_folder, save_pretrained, undone_on_failure
    from rsvlm.model.factory import create_model

    src, out = Path(src_dir), Path(out_dir)
    if not (src / "config.json").is_file():
        raise FileNotFoundError(_no_llava_folder(src))
    check_new_folder(out, "converted checkpoint", "convert")
    conf = read_json_object(src / "config.json")
    if "vision_config" not in conf and "mm_vision_tower" not in conf and "mm_hidden_size" not in conf:
        from rsvlm.model.ckpt_files import language_model_note

        lm = language_model_note(conf.get("model_type"))
        raise ValueError(f"{src}: neither the HF Llava layout (vision_config) nor the original LLaVA layout "
                         f"(mm_vision_tower) — not a LLaVA checkpoint{f' but a {lm}' if lm else ''}")
    if src.resolve() in out.resolve().parents:  # a model inside a model: a glob of the source's weights sees both
        raise ValueError(f"{out}: inside the LLaVA checkpoint {src}; convert into a folder outside it")
    if other := _not_llava15(conf):  # a LLaVA-NeXT was converted as a 1.5 without a word (HF), or was told
        why, tiled = other             # "unexpected ['model.image_newline']" (original), a llava_qwen "LLM weights
        raise ValueError(f"{src}: {why}; only LLaVA-1.5 and GeoChat convert" + (  # do not fit llama: unexpected […]"
            " (tiles and an image_newline token have no rsvlm counterpart)" if tiled else ""))
    if not any((src / f).is_file() for f in ("tokenizer.json", "tokenizer.model", "vocab.json")):  # after the kind:
        raise FileNotFoundError(f"{src}: no tokenizer (tokenizer.json, tokenizer.model or vocab.json); "  # an InternVL
                                "copy the LLaVA's tokenizer files there")  # was told to copy "the LLaVA's" there
    ptype = "mlp2x_gelu"
    if "vision_config" in conf:
        if vision_tower:
            warnings.warn(f"{src}: an HF-layout LLaVA carries its own vision tower; vision_tower {vision_tower} "
                          "is not used", stacklevel=2)
        with _valid_config(src / "config.json"):
            vcfg, text, vision, lm, stem = _hf_layout(src, dtype)
    else:
        vcfg, text, vision, lm, stem, ptype = _original_layout(src, vision_tower)
    stage = Path(tempfile.mkdtemp(prefix="llava-base-", dir=out.parent if out.parent.exists() else None))
    try:
        text = dict(text)
        model_type = text.pop("model_type", "llama")
        with _valid_config(src / "config.json"):
            llm = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **{
                k: v for k, v in text.items() if k not in ("architectures", "transformers_version")}),
                dtype=dtype or torch.float32)
        _check_shapes(llm.state_dict(), lm, src, "LLM")
        res = llm.load_state_dict(lm, strict=False)
        missing = [k for k in res.missing_keys if not (k == "lm_head.weight" and llm.config.tie_word_embeddings)]
        if missing or res.unexpected_keys:
            raise ValueError(f"{src}: LLM weights do not fit {model_type}: missing {missing[:5]}, "
                             f"unexpected {res.unexpected_keys[:5]}")
        from rsvlm.model.quiet import bars_after, deepspeed_cpu_note_quietly

        with bars_after(2.0), deepspeed_cpu_note_quietly():  # as save_pretrained writes it: no bar, no DeepSpeed note
            llm.save_pretrained(stage)
        AutoTokenizer.from_pretrained(src).save_pretrained(stage)
        cfg = VLMConfig(encoders={"default": vcfg}, stems={"optical": stem},
                        projector=ProjectorConfig(type=ptype, pool=1),
                        llm=LLMConfig(name_or_path=str(stage), chat_template="llava_v1"),
                        trainable=TrainableConfig(encoder="frozen", stem="frozen", projector="full", llm="frozen"),
                        prompt=PromptConfig(annotate_modality=False))  # LLaVA saw a bare "<image>\n"
        model, _ = create_model(cfg, dtype=dtype)
        _check_shapes(model.state_dict(), vision, src, "vision")
        res = model.load_state_dict(vision, strict=False)
        missing = [k for k in res.missing_keys if not k.startswith(("llm.", "stems."))]
        if missing or res.unexpected_keys:
            raise ValueError(f"{src}: vision weights do not fit: missing {missing[:5]}, "
                             f"unexpected {res.unexpected_keys[:5]}")
        # converted in float32 unless dtype is given, saved as the source stored it (an fp16 7B came out at 28 GB)
        with undone_on_failure(out):
            return save_pretrained(model.to(dtype or _source_dtype(src, conf)), out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
