import io
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("RSVLM_REALDATA", REPO.parent / "shared" / "realdata"))


def realdata_missing(path: Path = REALDATA) -> str:
    """The one skip reason for a real-data file or folder not there (``path`` under ``REALDATA``)."""
    return f"real-data fixtures not found at {path} (set RSVLM_REALDATA to their folder)"


def needs_realdata(*parts: str):
    """A skipif mark for a test reading ``REALDATA/<parts>`` (the folder itself without ``parts``)."""
    path = REALDATA.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=realdata_missing(path))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real remote-sensing fixtures folder; tests using it skip where it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(realdata_missing())
    return REALDATA


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may reach a model or dataset hub, nor read the runner's terminal width, launcher or tqdm
    settings (a CI that sets COLUMNS or RANK would change help wrapping, progress or rank detection)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("COLUMNS", "80")
    for name in ("TQDM_DISABLE", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                 "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)


def pytest_configure(config):
    """Hypothesis tests try the same examples on every machine (a clean clone has no .hypothesis database)
    and are not failed for a loaded machine's slowness."""
    from hypothesis import HealthCheck, settings

    settings.register_profile("rsvlm", derandomize=True, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("rsvlm")


@pytest.fixture(scope="module")
def tiny_vlm():
    """(model, processor) of configs/model/tiny.yaml with random weights (seed 0), one per test module."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    return create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A tiny random checkpoint (configs/model/tiny.yaml) saved as rsvlm writes one."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    out = tmp_path_factory.mktemp("ckpt")
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny random Llama + byte tokenizer saved in HF layout: a stand-in for a downloaded base."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.llm import build_llm

    llm, tok, _ = build_llm(load_config(VLMConfig, REPO / "configs/model/tiny.yaml").llm)
    d = tmp_path_factory.mktemp("base")
    llm.save_pretrained(d)
    tok.save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def geotiff(tmp_path_factory):
    """A 96x64 random RGB GeoTIFF in UTM 31N, 0.5 m pixels."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path_factory.mktemp("img") / "scene.tif"
    data = np.random.default_rng(0).integers(0, 255, (3, 64, 96), dtype=np.uint8)  # (C, H, W)
    with rasterio.open(path, "w", driver="GTiff", width=96, height=64, count=3, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    return path


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    """(original-layout state dict, its config.json dict, a CLIP tower folder, the tokenizer) of a tiny random LLaVA."""
    import torch
    from test_model_llava import original_layout
    from transformers import LlavaForConditionalGeneration

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import IMAGE_TOKEN

    tok = byte_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    torch.manual_seed(0)
    hf = LlavaForConditionalGeneration(tiny_llava_config(tok)).eval()
    tower = tmp_path_factory.mktemp("clip")
    hf.model.vision_tower.save_pretrained(tower)
    sd, conf = original_layout(hf)
    return sd, conf, tower, tok


def tiny_llava_config(tok):
    """A tiny LlavaConfig (CLIP 32 px tower of 8 px patches, one-layer Llama) over tokenizer ``tok``."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    from rsvlm.tokens import IMAGE_TOKEN

    return LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32),
        text_config=LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                num_attention_heads=4, num_key_value_heads=2),
        image_token_id=tok.convert_tokens_to_ids(IMAGE_TOKEN))


def write_llava(folder, sd, conf, tok):
    """``folder`` made to hold an original-layout LLaVA checkpoint (``tiny_llava``'s parts): its weights,
    config.json and tokenizer."""
    import json

    from safetensors.torch import save_file

    folder.mkdir()
    save_file(sd, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(conf))
    tok.save_pretrained(folder)
    return folder


def load_script(name: str):
    """Import ``scripts/NAME.py`` as a module (scripts are not a package), once per session."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def sft_record(tmp_path):
    """``train.jsonl`` of one LLaVA-style record (its image need not exist: for runs refused before reading)."""
    path = tmp_path / "train.jsonl"
    path.write_text('{"id": "a", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\\nhi"}, '
                    '{"from": "gpt", "value": "ok"}]}\n')
    return path


def eval_record(rid: str, task: str, question: str, answer: str, **meta) -> dict:
    """A one-turn ground-truth record of ``task`` about ``rid``.png (1000 px square unless ``meta`` says)."""
    return {"id": rid, "task": task, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": answer}],
            "meta": {"width": 1000, "height": 1000, **meta}}


def write_jsonl(path, rows) -> str:
    """``rows`` written to ``path`` one JSON object a line; the path as a string."""
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


class Terminal(io.StringIO):
    """A text stream that says it is a terminal (progress bars and "asking view" lines show there)."""

    def isatty(self):
        return True


def finished_eval(tmp_path, monkeypatch):
    """A two-record cls test set, a stand-in model folder, rows answering both, ``rsvlm eval``'s argv and the
    list of load_model calls (each refused: no model here)."""
    from rsvlm import evaluate
    from rsvlm.predictions import asked_digest

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    recs = [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"]
    data, out = write_jsonl(tmp_path / "test.jsonl", recs), tmp_path / "p.jsonl"
    rows = [{"id": r["id"], "task": "cls", "answer": "lake", "asked_digest": asked_digest(evaluate.tagged_record(r)[0])}
            for r in recs]
    loads = []

    def load(*a, **k):
        loads.append(a)
        raise ValueError("stand-in: no model here")

    monkeypatch.setattr(evaluate.inf, "load_model", load)
    return ["eval", "--data", data, "--out", str(out), "--model", str(model)], out, rows, loads


def photo(side: int = 128, seed: int = 6):
    """A smooth photo-like RGB (H, W, 3) uint8: gradients and noise, as aerial imagery quantises."""
    import numpy as np

    y, x = np.mgrid[0:side, 0:side] / side
    rng = np.random.default_rng(seed)
    rgb = [np.sin(6 * x + 3 * y + p) * 60 + 110 + rng.normal(0, 12, (side, side)) for p in (0, 1, 2)]
    return np.clip(np.stack(rgb, -1), 0, 255).astype(np.uint8)


def peft_adapter(base_dir, out):
    """A plain peft LoRA adapter on ``base_dir`` saved at ``out`` (adapter_config.json, adapter_model.safetensors)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir), LoraConfig(r=2, target_modules=["q_proj"]))
    lora.save_pretrained(out)
    return out


def hub_cache(tmp_path, monkeypatch, repo_id, folder):
    """``folder``'s files as the Hugging Face cache's snapshot of the hub repo ``repo_id``; the hub offline."""
    import shutil

    import huggingface_hub

    repo = tmp_path / "cache" / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(folder, repo / "snapshots" / "0123abc")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abc")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return repo / "snapshots" / "0123abc"


class ClosedPipe:
    """A stream whose reader has gone (``… | head -1``): every write raises BrokenPipeError."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        pass


class KeptStream:
    """A stream still read (a log file): ``text`` is what was written to it."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text
        return len(text)

    def flush(self):
        pass


def one_stream_closed(monkeypatch, closed: str) -> tuple[KeptStream, str]:
    """``sys.<closed>`` loses its reader and the other stream is kept: (the kept stream, the stream's name as the
    message says it)."""
    import sys

    other = "stderr" if closed == "stdout" else "stdout"
    kept = KeptStream()
    monkeypatch.setattr(sys, closed, ClosedPipe())
    monkeypatch.setattr(sys, other, kept)
    return kept, {"stdout": "standard output", "stderr": "standard error"}[closed]


def usage_error(argv, capsys) -> str:
    """``rsvlm ARGV``'s standard error where its parser refuses ``argv`` (exit status 2)."""
    from rsvlm.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


def stubbed_command(monkeypatch, tmp_path, command: str, work) -> list[str]:
    """``rsvlm train``, ``merge-lora`` or ``convert-llava`` with ``work`` run in place of its job; the argv
    that reaches it (paths under ``tmp_path``)."""
    import rsvlm.cli as cli
    import rsvlm.train

    monkeypatch.setattr(rsvlm.train, "main", work)
    monkeypatch.setattr(cli, "run_merge_lora", work)
    monkeypatch.setattr(cli, "run_convert_llava", work)
    args = {"train": ["--config", "x.yaml"], "merge-lora": ["--model", str(tmp_path), "--out", str(tmp_path / "m")],
            "convert-llava": ["--src", str(tmp_path), "--out", str(tmp_path / "c")]}[command]
    return [command, *args]


def blank_image(w: int = 40, h: int = 40) -> list:
    """One blank optical image of ``w`` × ``h`` px, as ``tta.fused_answers`` takes a record's images."""
    import numpy as np

    from rsvlm.model import ImageInput

    return [ImageInput(np.zeros((3, h, w), np.float32))]  # (C,H,W)


def fused_text(question: str, plain: str, views: list[str]) -> str:
    """The ``--tta`` answer to ``question`` whose plain view answered ``plain`` and the other views ``views`` in
    order (a 40 × 40 px blank image; text answers only)."""
    from rsvlm import tta

    said = iter(views)
    msgs = [[{"role": "user", "content": f"<image>\n{question}"}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [(plain, [])])
    return fused.answer


def step_folders(root: Path) -> Path:
    """Two plain-engine step folders (1 and 2) of a one-layer model, as the LM loop saves them."""
    import torch

    from rsvlm.train import checkpoint as ckpt

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    for step in (1, 2):
        folder = ckpt.step_dir(root, step)
        folder.mkdir(parents=True)
        ckpt.save_plain(folder, model, opt, sched)
        ckpt.save_rng(folder, 0)
        ckpt.save_trainer_state(folder, {"step": step}, 0)
    return folder


def seam_masks(*masks, scene=(200, 100)) -> list:
    """Objects a 100-px tiling (--overlap 0) of ``masks`` (each (h, w) over the scene, one label) merges into."""
    from rsvlm.io import iter_windows, merge_tile_objects

    per = [((x0, y0, w, h), [{"kind": "mask", "label": "road", "mask": m[y0 : y0 + h, x0 : x0 + w].copy()}
                             for m in masks if m[y0 : y0 + h, x0 : x0 + w].any()])
           for x0, y0, w, h in iter_windows(*scene, 100, 0)]
    return merge_tile_objects(per, scene_size=scene)
