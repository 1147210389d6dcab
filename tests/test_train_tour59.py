"""Training rough edges found on tour 59: a binary file given as records, epochs counted 1-based for
humans, band dropout's messages naming the bands, every shipped config loading into its dataclass."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main

REPO = Path(__file__).resolve().parents[1]


def _argv(tmp_path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", *extra], out


@pytest.mark.parametrize("make, says", [
    (lambda d: d / "images" / "im0.png", "it holds a PNG image (first bytes b'\\x89PNG"),
    (lambda d: (d / "x.jsonl.gz").write_bytes(gzip.compress(bytes(range(256)) * 4)) and d / "x.jsonl.gz",
     "it holds binary data (first bytes b'\\x00\\x01"),
    (lambda d: (d / "z.jsonl").write_bytes(b"PK\x03\x04" + bytes(60)) and d / "z.jsonl", "it holds a zip archive"),
])
def test_a_binary_records_file_is_refused_before_anything_is_written(tmp_path, capsys, make, says):
    """An image given as data.train passed preflight, then failed once out_dir was written ("no usable record …
    not UTF-8 text"): it is refused first, naming the key, the file and what it holds."""
    argv, out = _argv(tmp_path, "max_steps=1")
    wrong = make(tmp_path / "d")
    assert train_main([*argv, f"data.train={wrong}"]) == 2
    err = capsys.readouterr().err
    assert f"data.train: {wrong} is not a records file" in err and says in err, err
    assert not out.exists()
    assert train_main([*argv, f"data.extra=[{{path: {wrong}}}]"]) == 2  # another records file alike
    assert f"data.extra[0].path: {wrong} is not a records file" in capsys.readouterr().err


def test_text_records_with_a_character_cut_at_the_sniffed_end_or_in_utf16_are_not_binary(tmp_path):
    from rsvlm.train.inputs import binary_found

    path = tmp_path / "r.jsonl"
    first = '{"t": "' + "a" * (65535 - 7) + 'é"}\n'  # é's two bytes are bytes 65535 and 65536: cut by the sniff
    path.write_text(first + json.dumps({"id": "ü"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes()[: 1 << 16].decode()
    assert binary_found(path) is None
    utf16 = tmp_path / "w.jsonl"  # PowerShell's `>` writes UTF-16 with its BOM, which the reader takes (14cb555)
    utf16.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    assert b"\x00" in utf16.read_bytes()[:100] and binary_found(utf16) is None
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert binary_found(gz) is None


def test_epochs_are_counted_from_1_alike_in_metrics_and_summary(tmp_path):
    """summary.json said "epochs": 0 for a run inside its first epoch (the plan's index), and metrics.jsonl's
    "epoch" counted from 0 too; both count from 1 now, the summary's that of the last step."""
    argv, out = _argv(tmp_path, "max_steps=3")  # 8 records, 4 a step: steps 1–2 in epoch 1, step 3 in epoch 2
    assert train_main(argv) == 0
    epochs = [json.loads(x)["epoch"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 1, 2]
    assert json.loads((out / "summary.json").read_text())["epochs"] == epochs[-1]


def _msi_records(root: Path, named: bool, n: int = 4) -> Path:
    """``root/train.jsonl``: n 4-band MSI GeoTIFFs without band descriptions, the records naming their bands or not."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    root.mkdir(parents=True)
    lines = []
    for i in range(n):
        data = np.random.default_rng(i).random((4, 32, 32), dtype=np.float32) * 0.3  # (C,H,W) reflectance
        with rasterio.open(root / f"m{i}.tif", "w", driver="GTiff", width=32, height=32, count=4, dtype="float32",
                           crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
            ds.write(data)
        image = {"path": f"m{i}.tif", "modality": "msi", **({"bands": ["B02", "B03", "B04", "B08"]} if named else {})}
        lines.append({"id": f"m{i}", "task": "cls", "images": [image], "conversations": [
            {"from": "human", "value": "<image>\n[cls] What scene is this?"}, {"from": "gpt", "value": "farmland"}]})
    (root / "train.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root / "train.jsonl"


def test_band_dropout_names_the_unnamed_bands_it_cannot_thin_and_counts_them(tmp_path, capsys):
    """data.band_dropout={msi: 1} over GeoTIFFs whose bands have no names trained every sample on all four
    bands without a word (the stem reads unnamed bands by their order: no subset can be told apart). The first
    is named on stderr with its bands and the stem's, and every such image counted in summary.json."""
    argv, out = _argv(tmp_path, "max_steps=2", "data.band_dropout={msi: 1.0}")
    assert train_main([*argv, f"data.train={_msi_records(tmp_path / 'unnamed', named=False)}"]) == 0
    said = [x for x in capsys.readouterr().err.splitlines() if "data.band_dropout" in x]
    assert len(said) == 1 and ": sample m" in said[0] and ".tif: 4 unnamed bands (b1, b2, b3, b4), read as the stem's B02, B03, " \
        "B04, B08 by their order" in said[0] and 'name them in the record\'s image "bands"' in said[0], said
    assert json.loads((out / "summary.json").read_text())["band_dropout_unnamed"] == 8  # 2 steps of 4

    named = _msi_records(tmp_path / "named", named=True)
    assert train_main([*argv, f"data.train={named}", "overwrite=true"]) == 0
    assert "data.band_dropout" not in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["band_dropout_unnamed"] == 0


def _kind(rel: Path) -> str | None:
    """The dataclass a YAML under configs/ is loaded into, by where it lies (None: none known)."""
    top, name = rel.parts[0], rel.name
    if top == "model" or rel == Path("default/model.yaml"):
        return "model"  # VLMConfig
    if top == "data" or (top == "default" and name.startswith("data_")):
        return "synth"  # data_gen's SynthConfig
    if rel == Path("default/build.yaml"):
        return "build"  # scripts/build_stages.py's BuildConfig
    return "train" if top in ("train", "default") else None


CONFIG_YAMLS = sorted(p.relative_to(REPO / "configs") for p in (REPO / "configs").rglob("*.yaml"))


def test_the_config_walk_finds_every_kind():
    kinds = {_kind(p) for p in CONFIG_YAMLS}
    assert kinds == {"model", "synth", "build", "train"} and len(CONFIG_YAMLS) >= 30, kinds


@pytest.mark.parametrize("rel", CONFIG_YAMLS, ids=str)
def test_every_yaml_under_configs_loads_and_validates_against_its_dataclass(rel, monkeypatch):
    """Each shipped YAML is built into its config and checked as a run would check it, nothing run and no
    model built (``_validate``)."""
    kind = _kind(rel)
    assert kind is not None, f"configs/{rel}: no dataclass is known for it; add it to _kind"
    _validate(REPO / "configs" / rel, kind, monkeypatch)


def _validate(path: Path, kind: str, monkeypatch) -> None:
    """A training config by check_config, the model checks and the preflight's other checks of the config alone
    (data.max_length over one image's tokens; a contrastive step's pairs), with no setting its loop ignores and
    its DeepSpeed JSON filled for the recipe's global batch; a model config by the model checks; a data_gen
    config by the checks ``synthesize`` runs; build.yaml by the build script's own checks."""
    from rsvlm.config import load_config
    from rsvlm.model.checks import check_model_config

    if kind == "model":
        from rsvlm.model.vlm import VLMConfig

        cfg = load_config(VLMConfig, path)
        assert check_model_config(cfg, prefix="") is None and cfg.stems
    elif kind == "synth":
        from data_gen.synth.config import SynthConfig
        from data_gen.synth.run import check_config as check_synth

        check_synth(load_config(SynthConfig, path))
    elif kind == "build":
        from script_loader import load_script

        build = load_script("build_stages", monkeypatch)
        bc = load_config(build.BuildConfig, path)
        assert build.check_settings(bc) is None and build.check_extra(bc) is None
    else:
        from rsvlm.train.clip import check_clip_batch
        from rsvlm.train.config import TrainConfig, check_config, unused_settings
        from rsvlm.train.max_length import check_max_length

        cfg = load_config(TrainConfig, path)
        check_config(cfg)
        assert check_model_config(cfg.model, lm=cfg.objective != "clip") is None
        check_clip_batch(cfg) if cfg.objective == "clip" else check_max_length(cfg)
        assert unused_settings(cfg) == [], f"{path} sets what its {cfg.objective} loop does not read"
        if cfg.dist.deepspeed:  # the launcher's numbers: the recipe's global batch over 8 GPUs
            from script_loader import load_script

            launch = load_script("launch", monkeypatch)
            assert (REPO / cfg.dist.deepspeed).is_file(), cfg.dist.deepspeed
            monkeypatch.chdir(REPO)
            launch.build(path, gpus_per_node=8)


@pytest.mark.parametrize("rel, change, says", [
    ("data/default.yaml", {"modalities": ["optical", "optics"]}, "modalities ['optical', 'optics']: each must be"),
    ("train/sft_tiny.yaml", {"data": {"max_length": 8}}, "data.max_length=8 cannot hold one image"),
    ("train/pretrain_encoder_tiny.yaml", {"batch_size": 1, "grad_accum": 1}, "a contrastive step needs 2 or more"),
])
def test_the_config_walk_refuses_a_config_a_run_would_refuse(tmp_path, monkeypatch, rel, change, says):
    """The walk loaded a data_gen YAML and never checked it (a modality it cannot render passed), and left out
    the preflight's data.max_length and contrastive-batch checks: a shipped config a run refuses passed it."""
    import yaml

    def merged(a: dict, b: dict) -> dict:
        return {**a, **{k: merged(a.get(k) or {}, v) if isinstance(v, dict) else v for k, v in b.items()}}

    bad = tmp_path / Path(rel).name
    bad.write_text(yaml.safe_dump(merged(yaml.safe_load((REPO / "configs" / rel).read_text()), change)))
    with pytest.raises(ValueError, match=re.escape(says)):
        _validate(bad, _kind(Path(rel)), monkeypatch)


def test_an_empty_out_dir_is_refused_rather_than_writing_the_run_into_the_current_folder(tmp_path, monkeypatch,
                                                                                          capsys):
    """``out_dir=`` (a variable that expanded to nothing) trained 200 steps and wrote final/, checkpoints/,
    metrics.jsonl, summary.json and train_config.yaml into the folder the command ran in."""
    argv, _ = _argv(tmp_path, "max_steps=1")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    for empty in ("out_dir=", "out_dir= "):
        assert train_main([*argv, empty]) == 2
        assert "out_dir: no folder given" in capsys.readouterr().err
    assert not list(work.iterdir())


@pytest.mark.parametrize("given, says", [
    ("configs/deepspeed/zero2.json", "is a DeepSpeed config: give a training recipe (configs/train/*.yaml) to --config, "
                                     "and this file as dist.deepspeed="),
    ("configs/data/default.yaml", "is a data_gen config, which makes records: python -m data_gen synth --out DIR"),
    ("configs/default/build.yaml", "is the default model's build settings: python scripts/build_default_model.py"),
])
def test_a_file_of_another_kind_given_as_the_recipe_is_said_to_be_one(given, says, capsys, monkeypatch, tmp_path):
    """A DeepSpeed JSON given to --config listed its ten keys as unknown to TrainConfig, and no more; the error
    says what the file is and where it goes, from rsvlm train and from scripts/launch.py alike."""
    from script_loader import load_script

    path = str(REPO / given)
    assert train_main(["--config", path]) == 2
    err = capsys.readouterr().err
    assert "unknown keys" in err and f"; {path} {says}" in err, err
    launch = load_script("launch", monkeypatch)
    assert launch.main([path, "--dry-run"]) == 2
    assert f"; {path} {says}" in capsys.readouterr().err
    assert train_main(["--config", str(REPO / "configs/model/tiny.yaml")]) == 2  # its own hint, no other
    assert " is a " not in capsys.readouterr().err


@pytest.mark.parametrize("weights, says", [
    ("{optics: 2}", "data.modality_weights['optics']: the model has no stem for 'optics' (model.stems: "),
    ("{optical+lidar: 2}", "data.modality_weights['optical+lidar']: the model has no stem for 'lidar'"),
])
def test_a_modality_weight_for_no_stem_is_refused_before_the_model_is_built(tmp_path, capsys, weights, says):
    """data.modality_weights={optics: 2} built the model and wrote out_dir, then failed (exit 1) once the
    records were read: no record can be of a modality the model has no stem for."""
    argv, out = _argv(tmp_path, "max_steps=1")
    assert train_main([*argv, f"data.modality_weights={weights}"]) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    check_config(load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl",  # sets of stems and text pass
                                                             "data.modality_weights={optical+sar: 2, text: 1}"]))


def test_the_progress_bar_shows_the_epoch_metrics_jsonl_logs(tmp_path):
    """The bar showed loss, LR and throughput but no epoch: a long run's place in its data was in metrics.jsonl
    only. It shows the line's epoch, counted from 1 as there."""
    import torch

    from rsvlm.train.logging import Metrics

    m = Metrics(tmp_path, rank=0, world_size=1, total_steps=4, progress=True)
    m.add_batch(torch.tensor(1.0), torch.tensor([1.0]), ["cls"], ["optical"], 3, 4)
    m.step()
    rec = m.log(1, 1e-3, {"epoch": 2})
    assert rec["epoch"] == 2 and "epoch=2" in m.bar.postfix, m.bar.postfix
    m.close()


def test_a_records_file_with_a_line_in_latin_1_is_text_the_reader_reads_not_binary(tmp_path):
    """The preflight called any JSONL whose first 64 KiB held a byte that is no UTF-8 "binary data" and refused
    it, where the reader skips that one line as malformed (data.max_bad_fraction) and trains on the rest: a
    record saved in Latin-1 stopped the run. Binary is a NUL, a known kind's first bytes, or mostly undecodable."""
    import random

    from rsvlm.data.records import ReadReport, read_records
    from rsvlm.train.inputs import binary_found

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    lines = data.read_bytes().splitlines(keepends=True)
    latin = json.dumps({**json.loads(lines[2]), "id": "café"}, ensure_ascii=False).encode("latin-1") + b"\n"
    data.write_bytes(b"".join([*lines[:2], latin, *lines[2:]]))
    report = ReadReport(str(data))
    assert len(list(read_records(data, strict=False, report=report))) == 8 and report.n_skipped == 1
    assert binary_found(data) is None
    noise = tmp_path / "noise.jsonl"  # random bytes without a NUL or a known kind's first bytes: still binary
    noise.write_bytes(bytes(random.Random(0).randrange(1, 256) for _ in range(4096)))
    assert binary_found(noise).startswith("binary data (first bytes ")
