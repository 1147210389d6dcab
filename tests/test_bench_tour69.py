"""docs/benchmarks.md is the index of the benchmarks; each one's tables and history live in docs/benchmarks/.
The index must lead to every page, name every bench script, and keep the section names other docs and the code
cite ("docs/benchmarks.md (g)", "GPU checks", "Missing bands", ...)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "docs" / "benchmarks.md"
PAGES = REPO / "docs" / "benchmarks"


def test_the_index_links_every_page_and_every_link_resolves():
    """The 1100-line docs/benchmarks.md held every table of every benchmark: a reader looking for one
    scrolled through all. Now the index links one page a benchmark."""
    index = INDEX.read_text()
    linked = set(re.findall(r"\]\(benchmarks/([\w-]+\.md)\)", index))
    pages = {p.name for p in PAGES.glob("*.md")}
    assert pages and linked == pages, (sorted(linked ^ pages))
    assert len(index.splitlines()) < 300  # an index, not the tables again
    for page in PAGES.glob("*.md"):
        text = page.read_text()
        assert "](../benchmarks.md)" in text, page.name
        for target in re.findall(r"\]\(([\w-]+\.md)\)", text):
            assert (PAGES / target).is_file(), f"{page.name} links {target}"


def test_every_bench_script_is_named_by_the_index_and_by_a_page():
    """bench/load_time.py had an index entry saying "not measured here yet" and no page: its figures had nowhere
    to go."""
    index, pages = INDEX.read_text(), " ".join(p.read_text() for p in PAGES.glob("*.md"))
    scripts = sorted(p.name for p in (REPO / "bench").iterdir()
                     if p.suffix in (".py", ".sh") and p.name not in ("common.py", "__init__.py"))
    assert "load_time.py" in scripts and "not measured here yet" not in index
    assert not [s for s in scripts if f"bench/{s}" not in index], "not in the index"
    assert not [s for s in scripts if f"bench/{s}" not in pages], "on no page"


def test_the_section_names_other_docs_cite_are_headings_of_the_index():
    """Other docs and the code point to "docs/benchmarks.md (g)", "GPU checks", "Missing bands", "Stop 68 — half
    precision", "Stop 68 — eval start-up", "section (b)": each is a heading of the index, which links its page."""
    heads = [h for h in INDEX.read_text().splitlines() if h.startswith("## ")]
    for name in ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)", "(h)", "Missing bands", "GPU training",
                 "GPU checks", "Scoring", "Stop 68 — half precision", "Stop 68 — tiling", "Stop 68 — eval start-up"]:
        assert any(h[3:].startswith(name) for h in heads), name


def common_options() -> dict[str, set[str]]:
    """The options each function of bench/common.py adds (``budget_option``: --budget), by the function's name."""
    tree = ast.parse((REPO / "bench" / "common.py").read_text())
    return {f.name: {a.value for c in ast.walk(f) if isinstance(c, ast.Call) and getattr(c.func, "attr", "") ==
                     "add_argument" for a in c.args[:1] if isinstance(a, ast.Constant)}
            for f in tree.body if isinstance(f, ast.FunctionDef)}


def test_every_bench_command_of_the_pages_names_a_script_that_exists_with_options_it_has():
    """tests/test_docs_tour54.py checks the options of ``python bench/X.py`` in four docs, not these pages; a
    command split with ``\\`` is read whole. A script's options are those its source adds and those the
    bench/common.py functions it calls add (--budget, --keep, --model were refused on a command line)."""
    absent, wrong, commands, shared = set(), [], 0, common_options()
    assert shared["budget_option"] == {"--budget"} and shared["keep_option"] == {"--keep"}
    assert shared["model_options"] == {"--model", "--batch-size", "--max-new-tokens"}
    for page in [INDEX, *sorted(PAGES.glob("*.md"))]:
        text = re.sub(r"\\\n\s*", " ", page.read_text())
        absent |= {s for s in re.findall(r"bench/([\w/]+\.(?:py|sh))", text) if not (REPO / "bench" / s).is_file()}
        for m in re.finditer(r"python bench/([\w/]+)\.py([^\n`#]*)", text):
            script = REPO / "bench" / f"{m.group(1)}.py"
            source = script.read_text() if script.is_file() else ""
            source += " ".join(f'"{o}"' for name, opts in shared.items() if re.search(rf"\b{name}\(", source)
                               for o in opts)
            wrong += [f"{page.name}: bench/{m.group(1)}.py {o}" for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*",
                                                                                     m.group(2))
                      if f'"{o}"' not in source]
            commands += 1
    assert commands > 15 and not absent and not wrong, (sorted(absent), wrong)


def test_tta_keeps_its_predictions_where_keep_says_and_says_where_they_went(tmp_path, monkeypatch, capsys, ckpt):
    """rsvlm eval's notes ('marked "cut": true in /tmp/tmpXXXX/dihedral.jsonl') named files of a temporary
    folder the bench removed as it ended: the user went to look and found nothing. ``--keep DIR`` keeps them, and
    without it stderr says the folder is gone."""
    from test_bench_args import bench_main
    from test_probe_pointer_cells import ground_records

    from rsvlm.tta import MODES

    data, keep = ground_records(tmp_path), tmp_path / "kept"
    argv = ["--data", str(data), "--model", str(ckpt), "--limit", "1", "--max-new-tokens", "2"]
    bench_main("tta", monkeypatch, [*argv, "--keep", str(keep)])
    out, err = capsys.readouterr()
    assert sorted(p.name for p in keep.iterdir()) == sorted(["loc.jsonl", "none.jsonl", *(f"{m}.jsonl" for m in MODES)])
    assert f"tta: the records and predictions are kept in {keep}" in err and "| none | " in out
    bench_main("tta", monkeypatch, argv)
    err = capsys.readouterr().err
    assert "now removed; --keep DIR keeps them" in err


def test_keep_refuses_a_used_or_unmakeable_folder_before_the_model_loads(tmp_path, monkeypatch, capsys):
    """rsvlm eval resumes the answers already in its --out file, and missing_bands writes its predictions over: a
    kept folder of an earlier run would have its answers scored and timed as this run's, or lost. Each bench that
    takes --keep refuses it before loading the model, in words that fit it (missing_bands was told 'rsvlm eval
    would resume the answers already there')."""
    import pytest
    from test_bench_args import bench_main

    from rsvlm import inference

    def no_load(*a, **k):
        raise AssertionError("the model was loaded before --keep was checked")

    monkeypatch.setattr(inference, "load_model", no_load)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "none.jsonl").write_text("{}\n")
    (tmp_path / "file").write_text("")
    (tmp_path / "d.jsonl").write_text("")
    data = ["--data", str(tmp_path / "d.jsonl")]
    for name, extra in [("tta", data), ("det_decoding", data), ("constrained_decoding", []), ("missing_bands", data)]:
        for keep, says in [("old", "not empty (an earlier run's files there would be resumed as this run's answers "
                                   "or written over); give a new or empty folder"),
                           ("file/x", "cannot make it")]:
            with pytest.raises(SystemExit) as e:
                bench_main(name, monkeypatch, [*extra, "--keep", str(tmp_path / keep)])
            assert e.value.code == 2 and f"--keep {tmp_path / keep}: {says}" in capsys.readouterr().err, name


def test_assay_scenes_say_why_fewer_records_were_made(tmp_path, monkeypatch, capsys):
    """count_assay asks two records of a scene of one task: one is made, and stderr said 'train: 2 of the 4
    records asked of 2 scenes were made ()', the reason left empty."""
    from test_bench_tour51 import bench_module

    common = bench_module("common", monkeypatch)
    common.synth_scenes(tmp_path / "train", 2, 0, ["modalities=[optical]", "scene.pairs_fraction=0",
                                                   "instructions.task_weights={count: 1}",
                                                   "instructions.records_per_image=2"])
    err = capsys.readouterr().err
    assert "train: 2 of the 4 records asked of 2 scenes were made (2: more asked of a scene than it has tasks to " \
           "ask, each asked once a scene)" in err, err
