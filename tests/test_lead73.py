"""Lead fixes of stop 73 that fall between areas."""
import pytest


def test_make_samples_names_the_option_once(tmp_path, monkeypatch, capsys):
    # synth's refusal now starts "--n N:" itself; make_samples prefixed it again: "--n 20000000: --n 20000000: at most …"
    from script_loader import load_script

    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        samples.main(["--out", str(tmp_path / "out"), "--n", "20000000"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("--n 20000000") == 1 and "at most 10000000 scenes" in err


def test_training_questions_spell_a_class_plural_as_inference_asks_it():
    # phrasings.plural was cls + "s": a converter's "bus" was learnt as "buss", "ferry" as "ferrys", while
    # rsvlm.answering fills the det question's {pl} with progress.plural ("buses", "ferries")
    from data_gen.instructions import phrasings
    from data_gen.synth.classes import OBJECT_CLASSES
    from rsvlm.progress import plural

    assert [phrasings.plural(c) for c in ("bus", "ferry", "box", "ship", "storage tank")] == [
        "buses", "ferries", "boxes", "ships", "storage tanks"]
    assert all(phrasings.plural(c) == plural(c) == c + "s" for c in OBJECT_CLASSES)  # the synthetic set reads as it did


def test_setup_says_a_missing_python_is_not_found_without_pasting_the_shells_error(tmp_path):
    # version() pasted bash's own error into the refusal: "is …/setup.sh: line 9: nosuchpy: command not found\nnot found"
    import os
    import shutil
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "scripts").mkdir()
    shutil.copy(repo / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    r = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], env={**os.environ, "PYTHON": "nosuchpy"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "error: nosuchpy is not found; rsvlm needs Python >= 3.10" in r.stderr, r.stderr
    assert "command not found" not in r.stderr and not (tmp_path / ".venv").exists()


def test_torch_is_required_where_weights_only_holds():
    # rsvlm reads .pt/.bin (GeoChat's, optimizer.pt of older step folders) with torch.load(weights_only=True), which
    # torch < 2.6 lets a crafted file bypass (CVE-2025-32434); pyproject allowed torch>=2.4
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.version import Version

    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python >= 3.11's")
    deps = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = next(Requirement(d) for d in deps if Requirement(d).name == "torch")
    assert not torch.specifier.contains(Version("2.5.1")) and torch.specifier.contains(Version("2.6.0"))


def test_a_bar_without_a_total_counts_in_words_on_a_stream_that_takes_unicode(tmp_path):
    # tqdm takes str(bar_format) where the stream takes unicode (a real stderr, UTF-8): the count's format lost its
    # .format and read "reading: |          | 5/? [...]"; a StringIO (no encoding) hid it
    from rsvlm.progress import bar

    path = tmp_path / "log.txt"
    with open(path, "w", encoding="utf-8") as f:
        for _ in bar(iter(range(5)), desc="reading", unit="record", file=f, every=0.0):
            pass
        for _ in bar(iter(range(1)), desc="one", unit="record", file=f, every=0.0):
            pass
    log = path.read_text(encoding="utf-8")
    assert "reading: 5 records [" in log and "one: 1 record [" in log and "5/?" not in log, log


def test_rsvlm_eval_asks_a_spaced_tag_as_the_task_chat_and_predict_read_it_as():
    # chat and predict read "[ det ] ships" as [det] since 362b7c7e (rsvlm.tokens.tagged); rsvlm eval's own tag
    # pattern took no space inside the brackets and asked such a record as free chat
    from rsvlm.eval_answers import tagged_record

    def first_turn(value):
        record, unknown = tagged_record({"id": "a", "conversations": [{"from": "human", "value": value},
                                                                     {"from": "gpt", "value": "None."}]})
        return record["conversations"][0]["value"], unknown

    assert first_turn("<image>\n[ det ] ships") == ("<image>\n[det] ships", None)
    assert first_turn("<image>\n[ DET ]ships") == ("<image>\n[det] ships", None)
    assert first_turn("<image>\n[det] ships") == ("<image>\n[det] ships", None)
    assert first_turn("<image>\n[ refer ] the ship") == ("<image>\n[ refer ] the ship", "[ refer ]")


def test_a_tiled_run_counts_only_tiles_whose_views_were_left_out_not_those_only_repaired():
    # a tile whose tta_note only says its shapes were repaired on decoding (f5590106) was counted as "fused without
    # some view answers", as rsvlm eval's closing line did before f183bea5
    import types

    from rsvlm.predict_tiles import tile_run_notes
    from rsvlm.tta_text import repaired_note

    only_repaired = repaired_note([("view h", "<obb> [1, 2, 3, 4, 5, 6, 7, 8] has crossing edges; swapped")])
    tiles = [{"tta_note": only_repaired}, {"tta_note": "test-time augmentation: 1 of 7 view answers left out (v: empty)"},
             {}]
    said: list[str] = []
    tile_run_notes(tiles, types.SimpleNamespace(max_new_tokens=8, out=None), None, lambda s, *a: said.append(s))
    fused = [s for s in said if "fused without some view answers" in s]
    assert len(fused) == 1 and fused[0].startswith("note: 1 of 3 tiles fused without some view answers"), said
    assert "left out (v: empty)" in fused[0], fused


def test_every_converter_option_says_what_it_does():
    # `data_gen convert dota --help` listed --modality bare, levir-cd --form and --budget, coco --skip-crowd, masks
    # --form; dota's --overlap read "at most half of --tile … (default 200, at most a quarter of --tile)"
    from data_gen.convert import build_parser

    bare = [(name, a.option_strings[0]) for name, sub in build_parser().commands.items() for a in sub._actions
            if a.option_strings and a.dest != "help" and not a.help]
    assert bare == []
    overlap = next(a.help for a in build_parser().commands["dota"]._actions if "--overlap" in a.option_strings)
    assert "at most a quarter" not in overlap and "or a quarter of --tile where that is less" in overlap


def test_a_class_with_several_objects_gets_no_ground_record_and_it_is_counted(tmp_path):
    # "Where is the ship?" over two ships names no one ship: no [ground] record, as before, but unsaid (DOTA P1888's
    # 64 vehicles of 2 classes wrote no [ground] record and "notes": {} while docs/data-convert.md lists [ground])
    from convert_helpers import convert, png

    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text(
        "10 10 30 10 30 20 10 20 ship 0\n50 10 70 10 70 20 50 20 ship 0\n10 50 40 50 40 70 10 70 plane 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"))
    assert [r["id"] for r in recs if r["task"] == "ground"] == ["dota-a-ground-plane"]
    assert stats["notes"] == {"ground_left_out_for_several": 1}
