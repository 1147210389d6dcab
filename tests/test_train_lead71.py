"""Training lead 71 (round 2): ``RSVLM.generate``'s stop string given as one str, ``min_shapes`` without the grammar,
and the shipped recipes (configs/) each loading and running on CPU as their headers say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_model():
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    return model.eval(), proc


def test_a_stop_string_given_as_one_str_stops_at_that_string_not_at_its_first_character(tiny_model):
    """``list(stop_strings or [])`` split stop_strings="<loc_7>" into its characters: the answer stopped at its
    first "<" (or "l", "o", ...) instead of where the whole string is."""
    import torch

    model, proc = tiny_model
    ids = torch.tensor([proc.tokenizer.encode("hello there")])  # (1,T)
    free = model.generate(ids, max_new_tokens=30, constrain=False).text[0]
    locs = re.findall(r"<loc_\d+>", free)
    assert len(locs) >= 2, free  # the tiny model's free answer, seeded: loc tokens among other text
    stop = next(s for s in locs[1:] if free.index(s) > free.index(locs[0]))  # its characters come earlier
    cut = model.generate(ids, max_new_tokens=30, constrain=False, stop_strings=stop).text[0]
    assert cut == free[:free.index(stop)] == model.generate(ids, max_new_tokens=30, constrain=False,
                                                             stop_strings=[stop]).text[0]
    assert len(cut) > free.index("<")  # not cut at the first of its characters


@pytest.mark.parametrize("mins", [2, [0, 3]])
def test_min_shapes_without_the_grammar_is_refused_not_ignored(tiny_model, mins):
    """``min_shapes`` only works through the geometry grammar; with constrain=False it was dropped without a word."""
    import torch

    model, proc = tiny_model
    ids = torch.tensor([proc.tokenizer.encode("[det] ships")] * 2)  # (2,T)
    with pytest.raises(ValueError, match=r"min_shapes=.* needs the geometry grammar.*constrain=False.*min_shapes=0"):
        model.generate(ids, max_new_tokens=4, constrain=False, min_shapes=mins)
    assert len(model.generate(ids, max_new_tokens=4, constrain=False, min_shapes=[0, 0]).text) == 2  # 0: as before


def test_a_multi_node_launch_keeps_the_kind_of_its_refusal_and_its_cause(tmp_path, monkeypatch):
    """On several nodes ``launch.build`` re-raised a missing records file (FileNotFoundError) or an image root of
    none of the images (NoImageFound) as a plain OSError, its original dropped (``from None``)."""
    from script_loader import load_script
    from test_train_utils import make_records

    from rsvlm.train.inputs import NoImageFound

    launch = load_script("launch", monkeypatch)
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    (tmp_path / "empty").mkdir()
    two = dict(launcher="torchrun", nodes=2, gpus_per_node=1, master_addr="127.0.0.1", check_out=True)
    base = [f"out_dir={tmp_path / 'out'}", "batch_size=2", f"dist.deepspeed={REPO / 'configs/deepspeed/zero2.json'}"]
    with pytest.raises(FileNotFoundError, match="checked on this host") as missing:
        launch.build(REPO / "configs/train/sft_tiny.yaml", overrides=[*base, f"data.train={tmp_path / 'nope.jsonl'}"], **two)
    assert isinstance(missing.value.__cause__, FileNotFoundError) and "nope.jsonl" in str(missing.value)
    with pytest.raises(NoImageFound, match="none of the image files is there.*checked on this host") as none:
        launch.build(REPO / "configs/train/sft_tiny.yaml", **two,
                     overrides=[*base, f"data.train={data}", f"data.root={tmp_path / 'empty'}"])
    assert type(none.value.__cause__) is NoImageFound


TINY_RECIPES = sorted((REPO / "configs" / "train").glob("*_tiny.yaml"))


@pytest.mark.parametrize("recipe", TINY_RECIPES, ids=lambda p: p.stem)
def test_each_tiny_recipes_header_data_command_writes_the_file_its_train_command_reads(recipe, tmp_path):
    """align_tiny's header trained on DIR/captions.jsonl, which its data command (data_gen synth) never writes (it
    writes train.jsonl, of every task, where the recipe says captions); two headers named no data command."""
    import json
    import shlex
    import subprocess
    import sys

    header = "".join(line[1:] for line in recipe.read_text().splitlines(keepends=True) if line.startswith("#"))
    made = re.search(r"python -m data_gen synth (--out DIR [^\n(]*)", header)
    assert made, f"{recipe.name}: its header names no data_gen synth command"
    args = [str(tmp_path) if a == "DIR" else a for a in shlex.split(made.group(1))]
    args[args.index("--n") + 1] = "3"  # a smoke set
    done = subprocess.run([sys.executable, "-m", "data_gen", "synth", *args, "--no-progress"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    named = set(re.findall(r"data\.train=DIR/(\S+)", header))
    assert named and all((tmp_path / n).is_file() for n in named), (named, sorted(p.name for p in tmp_path.iterdir()))
    if "caption records" in header:
        tasks = {json.loads(line)["task"] for n in named for line in (tmp_path / n).read_text().splitlines()}
        assert tasks == {"cap"}, tasks


def _one_process_commands(recipe: Path) -> list[tuple[str, str]]:
    """(config, overrides) of each ``rsvlm train`` / ``python -m rsvlm.train`` command ``recipe``'s header names."""
    header = " ".join(line.lstrip("#").strip() for line in recipe.read_text().splitlines() if line.startswith("#"))
    return re.findall(r"(?<![-\w])(?:rsvlm train|python -m rsvlm\.train) --config (\S+)((?: [\w.\[\]]+=\S+)*)", header)


@pytest.mark.parametrize("recipe", [p for p in sorted((REPO / "configs").rglob("*.yaml")) if _one_process_commands(p)],
                         ids=lambda p: p.stem)
def test_a_one_process_command_in_a_recipes_header_is_one_rsvlm_train_starts(recipe, monkeypatch):
    """qwen2.5-7b-qlora's header said to run it on one GPU as "python -m rsvlm.train --config THIS grad_accum=64",
    which is refused: the recipe sets dist.deepspeed, which needs a launcher even for one process."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import check_launch

    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    for path, overrides in _one_process_commands(recipe):
        given = (REPO / path) if path != "THIS" else recipe
        assert given == recipe, f"{recipe.name}: its header runs {path}"
        words = [w for w in overrides.split() if not w.startswith(("data.train=", "model.llm.name_or_path="))]
        check_launch(load_config(TrainConfig, recipe, words))  # one process, as rsvlm train starts it


def test_a_deepspeed_step_in_torchs_legacy_format_is_refused_saying_what_to_do(tmp_path):
    """Older rsvlm saved DeepSpeed's files in torch's legacy format; zero_to_fp32 failed on them with "mmap can only
    be used with files saved with `torch.save(…, _use_new_zipfile_serialization=True)`"."""
    import torch

    from rsvlm.train.deepspeed_config import zero_trainable

    state = tmp_path / "step_000002" / "deepspeed" / "state"
    state.mkdir(parents=True)
    torch.save({"module": {}}, state / "mp_rank_00_model_states.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"mp_rank_00_model_states.pt, …\) are in torch's legacy format.*resume the "
                                         r"run from this step with the number of processes it was saved by"):
        zero_trainable(tmp_path / "step_000002")


def test_align_tiny_trains_its_caption_records_whole(tmp_path):
    """align_tiny's data.max_length of 384 cut about a third of data_gen's captions (the end of each answer not
    trained), every run of the recipe."""
    import json
    import subprocess
    import sys

    from rsvlm.train import main

    made = subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path / "d"), "--n", "6",
                           "--seed", "0", "--tasks", "cap", "--no-progress"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    assert main(["--config", str(REPO / "configs/train/align_tiny.yaml"), f"data.train={tmp_path / 'd/train.jsonl'}",
                 f"out_dir={tmp_path / 'run'}", "max_steps=6", "log.progress=false"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["samples"] == 24 and summary["cut_samples"] == 0, summary["cut_ids"]
