"""Preflight tour 67: the training preflight builds each LoRA encoder tower on the meta device once, for its LoRA
targets (``checks.check_lora_names``), its rank note and the ``init_from`` check (``create_model``'s ``towers``)."""

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def counting_builds(monkeypatch) -> list:
    """The VisionConfigs of each encoder built for a check (``build_encoder`` as ``rsvlm.model.checks`` and
    ``rsvlm.model.vision`` call it; the model's own build, ``RSVLM``'s, is not counted)."""
    import rsvlm.model.checks
    import rsvlm.model.vision

    built = []
    real = rsvlm.model.vision.build_encoder

    def counted(vc):
        built.append(vc)
        return real(vc)

    monkeypatch.setattr(rsvlm.model.vision, "build_encoder", counted)
    monkeypatch.setattr(rsvlm.model.checks, "build_encoder", counted)
    return built


def test_preflight_with_init_from_builds_each_lora_tower_once(tmp_path, monkeypatch):
    """With trainable.encoder=lora and init_from set, each encoder was built on meta for its checks twice: by
    preflight (its LoRA targets, the rank note) and again by check_init_from's create_model (check_lora_names)."""
    from rsvlm.model import create_model
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    argv = [f"data.train={data}", f"out_dir={tmp_path / 'out'}"]
    src, _ = create_model(load_config(TrainConfig, recipe(tmp_path), argv).model)
    src.save_pretrained(tmp_path / "src")
    built = counting_builds(monkeypatch)
    cfg = load_config(TrainConfig, recipe(tmp_path), [*argv, f"init_from={tmp_path / 'src'}",
                                                      "model.trainable.encoder=lora"])
    preflight(cfg)
    assert len(built) == len(cfg.model.encoders), built
    assert all(vc.pretrained is None for vc in built)


def test_init_from_still_checks_the_vision_side_on_preflights_towers(tmp_path):
    """The meta build that checks init_from's tensors takes preflight's towers for its LoRA checks; a source of
    another encoder width is still refused before anything is written."""
    from rsvlm.model import create_model
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    argv = [f"data.train={data}", f"out_dir={tmp_path / 'out'}"]
    src, _ = create_model(load_config(TrainConfig, recipe(tmp_path), argv).model)
    src.save_pretrained(tmp_path / "src")
    cfg = load_config(TrainConfig, recipe(tmp_path), [*argv, f"init_from={tmp_path / 'src'}",
                                                      "model.trainable.encoder=lora", "model.encoders.default.width=48",
                                                      "model.encoders.default.heads=2"])
    with pytest.raises(ValueError, match="tensors of another shape"):
        preflight(cfg)
    assert not (tmp_path / "out").exists()


def test_check_lora_names_checks_the_towers_given_without_building_them(monkeypatch):
    """check_lora_names(towers=) checks those towers' LoRA targets, naming the key, and builds none."""
    from rsvlm.model.checks import check_lora_names, meta_towers

    cfg = load_config(TrainConfig, recipe_path := "configs/train/sft_tiny.yaml",
                      ["model.trainable.encoder=lora", "model.trainable.llm=frozen"]).model
    towers = meta_towers(cfg)
    assert set(towers) == set(cfg.encoders) and all(p.is_meta for t in towers.values() for p in t.parameters())
    built = counting_builds(monkeypatch)
    assert check_lora_names(cfg, towers=towers) is None
    bad = load_config(TrainConfig, recipe_path, ["model.trainable.encoder=lora", "model.trainable.llm=frozen",
                                                 "model.encoders.default.lora_target_modules=[nothing]"]).model
    with pytest.raises(ValueError, match="model.encoders.default.lora_target_modules"):
        check_lora_names(bad, towers=towers)
    assert built == []


def test_init_from_check_reads_no_encoder_pretrained_weights(tmp_path, monkeypatch):
    """check_init_from's meta build loaded each encoder's pretrained file whole (every tensor of an open_clip
    release, for shapes it does not change); preflight now reads its header only, and still refuses a source of
    another shape."""
    from safetensors.torch import save_file

    import rsvlm.model.vision
    from rsvlm.model import create_model
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    argv = [f"data.train={data}", f"out_dir={tmp_path / 'out'}"]
    src, _ = create_model(load_config(TrainConfig, recipe(tmp_path), argv).model)
    src.save_pretrained(tmp_path / "src")
    weights = tmp_path / "open_clip.safetensors"  # an open_clip release's layout (visual.*) for the tiny tower
    save_file({f"visual.{k}": v.contiguous() for k, v in src.encoders["default"].visual.state_dict().items()}, weights)
    read = []
    real = rsvlm.model.vision.read_state_dict
    monkeypatch.setattr(rsvlm.model.vision, "read_state_dict", lambda p: read.append(p) or real(p))
    pretrained = f"model.encoders.default.pretrained={weights}"
    cfg = load_config(TrainConfig, recipe(tmp_path), [*argv, f"init_from={tmp_path / 'src'}", pretrained])
    preflight(cfg)
    assert read == []
    cfg = load_config(TrainConfig, recipe(tmp_path), [*argv, f"init_from={tmp_path / 'src'}", pretrained,
                                                      "model.encoders.sar.width=48", "model.encoders.sar.heads=2"])
    with pytest.raises(ValueError, match="tensors of another shape"):
        preflight(cfg)
    assert read == []
