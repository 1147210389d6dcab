"""Rough-edge tour 71 of training and the launch path: the launcher's up-front data checks for contrastive
pretraining, and what it says of them on several nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records

REPO = Path(__file__).resolve().parents[1]


def clip_recipe(tmp_path: Path) -> Path:
    """pretrain_encoder_tiny.yaml with its launch header (global batch 32)."""
    path = tmp_path / "clip.yaml"
    path.write_text((REPO / "configs" / "train" / "pretrain_encoder_tiny.yaml").read_text())
    return path


def test_the_launcher_checks_contrastive_records_before_it_starts_any_rank(tmp_path, monkeypatch, capsys):
    """objective clip skipped the launcher's records checks: an image root holding none of the images, or too
    few caption pairs, was refused by every rank alike once torchrun had started them, then the launcher's
    report ('no step folder was saved'). Now the launcher refuses them first (exit 2), as for the LM loop."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    data = make_records(tmp_path / "d", n=12, ir_every=0)  # 4 caption records
    (tmp_path / "empty").mkdir()
    base = [str(clip_recipe(tmp_path)), "--launcher", "torchrun", "--gpus-per-node", "2", "batch_size=16",
            f"data.train={data}", f"out_dir={tmp_path / 'out'}"]
    monkeypatch.setattr(launch, "wait_for", lambda start, plan: pytest.fail(f"started {plan.command}"))
    assert launch.main([*base, f"data.root={tmp_path / 'empty'}"]) == 2
    err = capsys.readouterr().err
    assert "launch: none of the image files is there" in err and "data.root" in err, err
    few = make_records(tmp_path / "f", n=3, ir_every=0)  # 3 records, 1 caption record: fewer than 2 a process
    assert launch.main([*base, f"data.train={few}"]) == 2
    err = capsys.readouterr().err
    assert "1 single-image caption pair;" in err and "needs at least 4" in err, err
    bad = tmp_path / "bad.jsonl"  # 12 good records, 13 malformed lines: over data.max_bad_fraction
    bad.write_text(data.read_text() + "{not json\n" * 13)
    assert launch.main([*base, f"data.train={bad}", f"data.root={data.parent}"]) == 2
    err = capsys.readouterr().err
    assert "MalformedRecords: 13 of 25 record lines are malformed" in err, err
    assert not (tmp_path / "out").exists()


def test_the_launcher_starts_contrastive_pretraining_on_fit_records(tmp_path, monkeypatch, capsys):
    """The checks pass good records on (and say nothing of them: the ranks say their notes)."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    data = make_records(tmp_path / "d", n=12, ir_every=0)  # 4 caption records
    started = []
    monkeypatch.setattr(launch, "wait_for", lambda start, plan: started.append(plan.command) or 0)
    assert launch.main([str(clip_recipe(tmp_path)), "--launcher", "torchrun", "--gpus-per-node", "2",
                        "batch_size=16", f"data.train={data}", f"out_dir={tmp_path / 'out'}"]) == 0
    assert started and "grad_accum=1" in started[0]
    assert "caption pair" not in capsys.readouterr().err


def test_a_multi_node_launch_says_its_path_checks_are_this_hosts(tmp_path, monkeypatch, capsys):
    """The launcher checks records and images where it runs, which on several nodes may be no node (a login host
    with DeepSpeed's pdsh): its refusal read as if the nodes lacked them. It now names this host, says every node
    reads the same paths and how to launch without the check; one node's refusal is as it was."""
    import socket

    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    (tmp_path / "empty").mkdir()
    hostfile = tmp_path / "hosts"
    hostfile.write_text("node1 slots=1\nnode2 slots=1\n")
    monkeypatch.setattr(launch, "wait_for", lambda start, plan: pytest.fail(f"started {plan.command}"))
    base = [str(clip_recipe(tmp_path)), "--gpus-per-node", "1", "batch_size=16", f"data.train={data}",
            f"data.root={tmp_path / 'empty'}", f"out_dir={tmp_path / 'out'}"]
    assert launch.main([*base, "--nodes", "2", "--hostfile", str(hostfile)]) == 2
    err = capsys.readouterr().err
    assert "none of the image files is there" in err, err
    assert f"checked on this host, {socket.gethostname()}" in err and "each of the 2 nodes" in err, err
    assert "--dry-run" in err, err
    assert launch.main([*base, "--launcher", "torchrun", "batch_size=32"]) == 2
    err = capsys.readouterr().err
    assert "none of the image files is there" in err and "checked on this host" not in err, err


def test_one_list_names_every_records_file_with_its_key_root_and_weight(tmp_path):
    """``records_sources`` (keys and paths, for the checks) and ``sft_index.data_sources`` (paths, roots and
    weights, for the index) listed the same files twice, and the contrastive pairs and the resume's file prints
    a third and fourth time: one list now, each file with its key, image root and weight, which all of them read."""
    from rsvlm.config import load_config
    from rsvlm.train.clip_data import caption_pool
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import records_sources
    from rsvlm.train.resume import file_prints

    data = make_records(tmp_path / "d", n=12, ir_every=0)
    extra = make_records(tmp_path / "e", n=6, ir_every=0)
    moved = tmp_path / "moved"
    moved.mkdir()
    (tmp_path / "e" / "images").rename(moved / "images")
    cfg = load_config(TrainConfig, clip_recipe(tmp_path), [
        f"data.train={data}", f"data.extra=[{{path: {extra}, root: {moved}, weight: 3.0}}]"])
    got = [(s.key, s.path, s.root_key, s.image_root, s.weight) for s in records_sources(cfg)]
    assert got == [("data.train", str(data), "data.root", data.parent, 1.0),
                   ("data.extra[0].path", str(extra), "data.extra[0].root", moved, 3.0)]
    assert len(file_prints(cfg)) == 2 and None not in file_prints(cfg)
    pairs, weights, _ = caption_pool(cfg)  # 4 + 2 caption pairs, the extra's read under its own root
    assert sorted({str(root) for _, _, root in pairs}) == sorted({str(data.parent), str(moved)})
    assert weights.tolist() == [1.0] * 4 + [3.0] * 2


def test_final_carries_the_merge_record_of_a_merged_llm_base(tmp_path):
    """A stage on a merged model (init_from=MERGED, model.llm.name_or_path=MERGED/llm) wrote a final/ without
    MERGED's merged_lora.json: the adapters folded into the LLM it stands on were no longer recorded, so one put
    back into its adapter/ loaded twice unrefused, and a merge of it recorded only its own. A stage whose LLM base
    is another model's carries no such record (those adapters are not in its weights)."""
    import contextlib
    from types import SimpleNamespace

    from rsvlm.config import load_config
    from rsvlm.model.weights import MERGED, merged_adapters, record_merged
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import save_final

    merged, other = tmp_path / "merged", tmp_path / "base"
    (merged / "llm").mkdir(parents=True)
    (merged / "config.yaml").write_text("llm: {name_or_path: llm}\n")  # a checkpoint, as merge-lora writes one
    other.mkdir()
    record_merged(merged, {"a" * 64, "b" * 64})

    class Engine:  # save_final's engine: the model saved, under the gathered weights
        module = SimpleNamespace(save_pretrained=lambda out, adapter_only: Path(out).mkdir(parents=True))

        @contextlib.contextmanager
        def gathered(self):
            yield

    def final(name: str, base: Path) -> Path:
        cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", [
            f"out_dir={tmp_path / name}", f"init_from={merged}", f"model.llm.name_or_path={base}"])
        return save_final(Engine(), cfg, rank=0)

    assert merged_adapters(final("on_llm", merged / "llm")) == {"a" * 64, "b" * 64}
    assert merged_adapters(final("on_root", merged)) == {"a" * 64, "b" * 64}
    assert not (final("elsewhere", other) / MERGED).exists()


def test_a_zero_section_without_a_stage_is_refused_naming_it(tmp_path):
    """A ``zero_optimization`` section without ``"stage"`` (offload settings copied from a stage-3 example, the stage
    line left behind) ran DeepSpeed's stage 0: no ZeRO sharding, its offload settings passed over, unsaid."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    ds = json.loads((REPO / "configs" / "deepspeed" / "zero3_offload.json").read_text())
    del ds["zero_optimization"]["stage"]
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(ds))
    cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", ["batch_size=2"])
    with pytest.raises(ValueError, match=r'zero_optimization has no "stage" \(keys: .*offload_optimizer.*stage 0'):
        load_deepspeed_config(str(path), cfg, 2)
    ds["zero_optimization"]["stage"] = 3  # as shipped: filled
    path.write_text(json.dumps(ds))
    assert load_deepspeed_config(str(path), cfg, 2)["zero_optimization"]["stage"] == 3


def test_a_list_items_key_is_told_to_give_the_list_without_a_far_suggestion():
    """``data.extra[0].weight=2`` was told "did you mean optim.weight_decay=2?" (a key of another section, matched
    on ``weight``) before the right hint, to give the whole list ``data.extra=[…]``: the list's hint stands alone."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", ["data.extra[0].weight=2"])
    assert "give the whole list, data.extra=[…]" in str(e.value) and "did you mean" not in str(e.value), e.value
    with pytest.raises(ConfigError, match=r"did you mean optim\.lr=2\?"):  # a near key elsewhere: as before
        load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", ["optim.lrr=2"])


def test_a_new_stem_without_its_modality_is_told_to_name_it():
    """``model.stems.dem.bands=[…]`` (a new stem, near no other) was told "model.stems.dem.modality is 'optical'; it
    must equal its key 'dem'", with no word that optical is the default an override's new stem takes."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    def refusal(*overrides: str) -> str:
        cfg = load_config(TrainConfig, REPO / "configs" / "train" / "sft_tiny.yaml", list(overrides))
        with pytest.raises(ValueError) as e:
            check_config(cfg)
        return str(e.value)

    said = refusal("model.stems.dem.bands=[B1]", "model.stems.dem.mean=[0.5]", "model.stems.dem.std=[0.2]")
    assert "optical is the default: give a new stem its modality too, model.stems.dem.modality=dem" in said, said
    assert "did you mean optical" in refusal("model.stems.opticl.bands=[R,G,B]")  # a misspelt stem: as before
    assert refusal("model.stems.sar.modality=ir").endswith("it must equal its key 'sar'")  # no default involved


def test_a_missing_deepspeed_config_names_those_beside_it(tmp_path, monkeypatch, capsys):
    """``dist.deepspeed=configs/deepspeed/zero9.json`` was "DeepSpeed config not found" alone: the configs in that
    folder (the shipped zero2.json … zero3_offload.json) are named now."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    monkeypatch.chdir(REPO)
    assert launch.main(["configs/train/sft_tiny.yaml", "--launcher", "torchrun", "--gpus-per-node", "2",
                        "batch_size=2", "dist.deepspeed=configs/deepspeed/zero9.json", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "DeepSpeed config not found: configs/deepspeed/zero9.json" in err, err
    assert "configs/deepspeed holds zero2.json, zero2_offload.json, zero3.json, zero3_offload.json" in err, err
