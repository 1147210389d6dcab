"""The documentation walk-through kept honest: every ``rsvlm SUB --option`` a doc names exists in SUB's
parser, the scripts and download command the docs give exist, and the fixes the walk found (the
converter's errors name the CLI flag, the codec refuses a lone dict and a zero image size)."""

from __future__ import annotations

import argparse
import json
import re
from importlib.metadata import distribution
from pathlib import Path

import pytest

from rsvlm import geometry
from rsvlm.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
        *sorted((REPO / "docs" / "benchmarks").glob("*.md")),
        *sorted((REPO / "docs" / "default-model").glob("*.md"))]  # the split pages too
SUBCOMMANDS = ("chat", "predict", "train", "eval", "merge-lora", "convert-llava")


def _parser_options() -> dict[str, set[str]]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: {s for a in p._actions for s in a.option_strings} for name, p in sub.choices.items()}


def _named_options(text: str) -> list[tuple[int, str, str]]:
    """(line, subcommand, option) for each ``--option`` after ``rsvlm SUB`` on a line, up to a backtick,
    a ``#`` comment or the next ``rsvlm``."""
    found = []
    pattern = re.compile(rf"rsvlm ({'|'.join(SUBCOMMANDS)})\b(.*?)(?=`|#|rsvlm |$)")
    for no, line in enumerate(text.splitlines(), 1):
        for m in pattern.finditer(line):
            found += [(no, m.group(1), o) for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(2))]
    return found


def test_the_option_finder_sees_options_and_stops_at_the_next_command():
    found = _named_options("rsvlm convert-llava --src A --vision-tower B, and rsvlm eval --limit 3 # --x\n"
                           "`rsvlm chat --image a.tif` then --outside")
    assert found == [(1, "convert-llava", "--src"), (1, "convert-llava", "--vision-tower"),
                     (1, "eval", "--limit"), (2, "chat", "--image")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_rsvlm_option_a_doc_names_exists(doc):
    opts = _parser_options()
    assert set(SUBCOMMANDS) <= set(opts)
    wrong = [f"{doc.relative_to(REPO)}:{no}: rsvlm {sub} {o}" for no, sub, o in _named_options(doc.read_text()) if o not in opts[sub]]
    assert not wrong, f"options the parser does not have: {wrong}"


def test_readme_command_line_names_every_subcommand_and_its_flags():
    """Each option of the README's command-line block, continuation lines included, is an option of
    the command it is listed under, or of each command its comment names (``# chat, predict, eval: …``)."""
    block = (REPO / "README.md").read_text().split("## Command line", 1)[1].split("```")[1]
    opts = _parser_options()
    named, current = set(), None
    for line in block.splitlines():
        code, _, comment = line.partition("#")
        head = re.match(rf"rsvlm ({'|'.join(SUBCOMMANDS)}) ", code)
        if head or not line.startswith(" "):
            current = head.group(1) if head else None
        said = re.match(r"\s*((?:chat|predict|eval)(?:, (?:chat|predict|eval))*)\b[^:]*:", comment)
        owners = re.findall(r"chat|predict|eval", said.group(1)) if said else [current] if current else []
        for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", code):
            for sub in owners:
                assert o in opts[sub], f"README lists {o} as an option of rsvlm {sub}: {line.strip()}"
                named.add((sub, o))
    assert {s for s, _ in named} == set(SUBCOMMANDS)
    assert {("convert-llava", "--vision-tower"), ("predict", "--max-new-tokens"), ("predict", "--tile"),
            ("eval", "--image-root"), ("chat", "--free-decoding")} <= named


def test_scripts_the_docs_run_exist_with_the_options_they_give():
    mine = [REPO / "README.md", *(REPO / "docs" / f for f in ("models.md", "memory.md", "geometry.md"))]
    seen = 0
    for doc in mine:
        for m in re.finditer(r"python (scripts|bench)/(\w+)\.py([^\n`#]*)", doc.read_text()):
            script = REPO / m.group(1) / f"{m.group(2)}.py"
            assert script.is_file(), f"{doc.name}: {script} does not exist"
            source = script.read_text()
            for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(3)):
                assert f'"{o}"' in source, f"{doc.name}: {script.name} has no option {o}"
            seen += 1
    assert seen >= 5


def test_the_weights_download_command_is_one_the_pinned_hub_client_installs():
    """docs/models.md said ``huggingface-cli download``; huggingface_hub 1.0 and later install ``hf``."""
    block = (REPO / "docs" / "models.md").read_text().split("## Files to fetch", 1)[1].split("```")[1]
    commands = {Path(line.split()[0]).name for line in block.splitlines() if " download " in line}
    scripts = {e.name for e in distribution("huggingface_hub").entry_points if e.group == "console_scripts"}
    assert commands and commands <= scripts, f"{commands} not among huggingface_hub's commands {scripts}"


def test_models_md_input_size_claim_holds_arch_with_image_size_builds_the_dims_tower():
    import torch

    from rsvlm.model.vision import OpenClipEncoder, VisionConfig

    text = (REPO / "docs" / "models.md").read_text()
    assert "`arch` fixes the input" not in text
    with torch.device("meta"):
        by_arch = OpenClipEncoder(VisionConfig(type="open_clip", arch="ViT-B-32", image_size=448))
        by_dims = OpenClipEncoder(VisionConfig(type="open_clip", width=768, layers=12, heads=12, patch_size=32,
                                               image_size=448, mlp_ratio=4.0))
        own = OpenClipEncoder(VisionConfig(type="open_clip", arch="ViT-B-32"))
    a, b = by_arch.state_dict(), by_dims.state_dict()
    assert by_arch.grid == by_dims.grid == (14, 14) and own.grid == (7, 7)  # 224 px without image_size
    assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}


def _llava_without_tower(root: Path) -> Path:
    """An original-layout LLaVA folder whose tower is only named (a hub id), as GeoChat's is."""
    import torch
    from safetensors.torch import save_file

    src = root / "geochat-7B"
    src.mkdir()
    (src / "config.json").write_text(json.dumps({"model_type": "llava", "mm_vision_tower": "openai/clip-vit-large-patch14-336",
                                                 "mm_projector_type": "mlp2x_gelu", "hidden_size": 8}))
    (src / "tokenizer.json").write_text("{}")
    save_file({"model.embed_tokens.weight": torch.zeros(4, 8)}, str(src / "model.safetensors"))
    return src


def test_convert_llava_without_a_local_tower_names_the_cli_flag(tmp_path, capsys):
    src = _llava_without_tower(tmp_path)
    assert main(["convert-llava", "--src", str(src), "--out", str(tmp_path / "ck")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rsvlm convert-llava: ") and "--vision-tower DIR" in err and "openai/clip" in err
    assert not (tmp_path / "ck").exists()
    assert main(["convert-llava", "--src", str(src), "--vision-tower", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "ck")]) == 2
    assert "(--vision-tower)" in capsys.readouterr().err


def test_encode_refuses_one_object_not_in_a_list():
    obj = {"kind": "box", "label": "ship", "coords": [1, 2, 3, 4]}
    assert geometry.encode([obj], width=10, height=10).startswith("<ref>ship</ref><box>")
    with pytest.raises(ValueError, match=r"a list of dicts, got a dict \(wrap one object in a list"):
        geometry.encode(obj, width=10, height=10)  # was "object 0: expected a dict, got str" (its first key)
    with pytest.raises(ValueError, match="a list of dicts, got a NoneType"):
        geometry.encode(None, width=10, height=10)
    assert geometry.encode(iter([obj]), width=10, height=10) == geometry.encode([obj], width=10, height=10)


@pytest.mark.parametrize("size", [0, -4, float("nan")])
def test_quantize_refuses_a_size_that_is_not_positive(size):
    with pytest.raises(ValueError, match="image size must be positive"):
        geometry.quantize(3.0, size)  # 0 was a ZeroDivisionError, -4 silently bin 0
    assert geometry.quantize(3.0, 10) == 300


def test_a_tower_taken_from_the_folder_not_the_checkpoint_is_said(tmp_path, tiny_llava):
    """docs/models.md's GeoChat conversion: a checkpoint without its tower gets the folder's tower at the
    folder's size, which GeoChat's own code would have resized to 504 px; that is said, not silent."""
    import warnings

    from safetensors.torch import load_file, save_file

    from rsvlm.model import convert_llava

    sd, conf, tower, tok = tiny_llava
    from conftest import write_llava

    src = write_llava(tmp_path / "bare", sd, conf, tok)
    with pytest.warns(UserWarning, match=r"holds no vision tower weights; .*clip.*'s are used as they are"):
        convert_llava(src, tmp_path / "ck1", vision_tower=tower)
    full = tmp_path / "full"  # the tower inside, as original LLaVA checkpoints save it: nothing to say
    full.mkdir()
    inside = {f"model.vision_tower.vision_tower.{k}": v for k, v in load_file(str(tower / "model.safetensors")).items()}
    save_file({**sd, **inside}, str(full / "model.safetensors"))
    (full / "config.json").write_text(json.dumps(conf))
    tok.save_pretrained(full)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        convert_llava(full, tmp_path / "ck2", vision_tower=tower)


def test_geometry_md_mask_arrays_integer_nonzero_is_on_float_must_be_binary():
    import numpy as np

    on = np.zeros((8, 10), bool)
    on[2:6, 3:5] = True
    want = geometry.encode([{"kind": "mask", "label": "roof", "mask": on}], width=10, height=8)
    for m in (on.astype(np.uint8) * 255, on.astype(np.int32), on.astype(np.float32)):
        assert geometry.encode([{"kind": "mask", "label": "roof", "mask": m}], width=10, height=8) == want
    with pytest.raises(ValueError, match="object 0: a float64 mask must hold 0 and 1 only"):
        geometry.encode([{"kind": "mask", "label": "roof", "mask": on * 0.9}], width=10, height=8)


@pytest.mark.parametrize("a", [[0, 0, 1], [0, 0, 1, 1, 7]])
def test_box_iou_refuses_a_box_that_is_not_four_numbers(a):
    assert geometry.box_iou([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 / 7)
    with pytest.raises(ValueError, match=r"box_iou takes two \[x1, y1, x2, y2\] boxes"):
        geometry.box_iou(a, [0, 0, 1, 1])  # was an IndexError, or the first 4 of 5 numbers


def test_every_repository_path_the_walk_through_names_exists():
    mine = [REPO / "README.md", *(REPO / "docs" / f for f in ("models.md", "memory.md", "geometry.md"))]
    named = {(doc.name, m.rstrip(".")) for doc in mine
             for m in re.findall(r"(?<![\w/.])(?:configs|tests|scripts|bench|rsvlm|docs)/[\w./-]+", doc.read_text())}
    placeholders = re.compile(r"(^|/)(NAME|CONFIG|DIR|CKPT|TASK)(\.|/|$)|\*")  # configs/train/NAME.yaml, …/*.yaml
    missing = sorted(f"{doc}: {p}" for doc, p in named if not placeholders.search(p) and not (REPO / p).exists())
    assert len(named) > 20 and not missing, missing
