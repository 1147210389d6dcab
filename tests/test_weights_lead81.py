"""Stop 81, lead: ``average_checkpoints`` refused two merged fine-tunes whose config.yaml differ only in the LoRA
rank they were trained with (routed from tour 81's training tour): once merged (``trainable.llm: frozen``) the
adapters are in the weights and lora_r shapes none of them. Where LoRA is still trained, it stays refused."""
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _two(tmp_path: Path, llm_mode: str) -> tuple[Path, Path]:
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model, save_pretrained

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"trainable.llm={llm_mode}"]))
    for name in ("a", "b"):
        save_pretrained(model, tmp_path / llm_mode / name)
    conf = tmp_path / llm_mode / "b" / "config.yaml"
    cfg = yaml.safe_load(conf.read_text())
    cfg["llm"].update(lora_r=16, lora_alpha=32, lora_dropout=0.1)  # b was trained with another rank
    conf.write_text(yaml.safe_dump(cfg))
    return tmp_path / llm_mode / "a", tmp_path / llm_mode / "b"


def test_merged_fine_tunes_of_other_lora_ranks_average_and_trained_lora_stays_refused(tmp_path):
    from rsvlm.model.weights import average_checkpoints

    a, b = _two(tmp_path, "frozen")
    out = average_checkpoints([a, b], tmp_path / "avg", progress=False)
    assert (out / "config.yaml").read_bytes() == (a / "config.yaml").read_bytes()  # the first input's values
    a, b = _two(tmp_path, "full")  # a full fine-tune's lora settings are unused too, but not said frozen: refused
    with pytest.raises(ValueError, match=r"config.yaml differs from .*\(llm.lora_alpha: 8 → 32; llm.lora_dropout"):
        average_checkpoints([a, b], tmp_path / "avg2", progress=False)
    cfg = yaml.safe_load((b / "config.yaml").read_text())
    cfg["trainable"]["llm"] = "frozen"  # one side frozen alone: its LoRA settings still compared, and said
    (b / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=r"\(llm.lora_alpha: 8 → 32; .*llm.lora_r: 4 → 16; \+1 more\)"):
        average_checkpoints([a, b], tmp_path / "avg3", progress=False)
    a, b = _two(tmp_path, "frozen")
    cfg = yaml.safe_load((b / "config.yaml").read_text())
    cfg["projector"]["pool"] += 1  # frozen both, but another projector: refused, naming that alone
    (b / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ValueError, match=r"config.yaml differs from .* \(projector.pool: 1 → 2\): only"):
        average_checkpoints([a, b], tmp_path / "avg4", progress=False)
