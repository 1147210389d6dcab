"""The checkpoint scripts used as a demanding user would: memory_plan's counts against a real tiny
build, export_step's and average_checkpoints' refusals, compare_checkpoints on odd inputs."""

from __future__ import annotations

from script_loader import REPO, load_script


def test_memory_plan_counts_a_tiny_model_as_its_real_build(monkeypatch):
    import torch

    from rsvlm.model import create_model

    plan = load_script("memory_plan", monkeypatch)
    cfg = plan.model_config(REPO / "configs/model/tiny.yaml", "lora")  # no tokenizer in the table: llm.config's vocab
    inv = plan.inventory(plan.offline(cfg), "tiny", plan.tokenizer_len(cfg.llm.name_or_path))
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    rows = model.llm.get_input_embeddings().weight.shape[0]
    assert rows == 260 + len(model.special.added)
    assert inv.vocab_rows == rows  # was 2,312: the meta build's resized 1,286 rows + the added tokens again
    assert inv.total == sum(p.numel() for p in model.parameters())
    assert inv.trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)
