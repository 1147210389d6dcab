"""Stop 69, benchmark pages and bench/missing_bands.py: the pages' bench commands give options their scripts have,
every bench option says what it is in ``--help``, and missing_bands keeps its records and predictions with
``--keep DIR`` as the other benches that answer a test set do."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from test_bench_args import bench_main
from test_bench_tour51 import sar_records

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "docs" / "benchmarks.md", *sorted((REPO / "docs" / "benchmarks").glob("*.md"))]


def test_every_bench_command_of_the_pages_gives_options_its_script_has():
    """tests/test_docs_tour54.py checks the options of ``python bench/X.py`` in four docs, not these pages; a
    command split with ``\\`` is read whole."""
    wrong, seen = [], 0
    for page in PAGES:
        text = re.sub(r"\\\n\s*", " ", page.read_text())
        for m in re.finditer(r"python bench/([\w/]+)\.py([^\n`#]*)", text):
            source = (REPO / "bench" / f"{m.group(1)}.py").read_text()
            wrong += [f"{page.name}: bench/{m.group(1)}.py {o}" for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*",
                                                                                     m.group(2))
                      if f'"{o}"' not in source]
            seen += 1
    assert seen > 15 and not wrong, wrong


def test_every_bench_script_has_a_page_that_names_it():
    """bench/load_time.py was in the index with "not measured here yet" and no page: its figures had nowhere to go."""
    pages = " ".join(p.read_text() for p in PAGES[1:])
    scripts = sorted(p.name for p in (REPO / "bench").iterdir()
                     if p.suffix in (".py", ".sh") and p.name not in ("common.py", "__init__.py"))
    assert "load_time.py" in scripts and not [s for s in scripts if f"bench/{s}" not in pages]
    assert "not measured here yet" not in PAGES[0].read_text()


def test_every_option_of_every_bench_script_says_what_it_is_in_help():
    """bench/missing_bands.py listed --model, --batch-size and --max-new-tokens in --help with no word (the
    default model and the defaults were in the source alone), as were six of bench/tiling.py's."""
    silent = []
    for script in sorted((REPO / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument" and node.args
                    and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("--")
                    and not any(k.arg == "help" for k in node.keywords)):
                silent.append(f"{script.relative_to(REPO)} {node.args[0].value}")
    assert not silent, silent


def test_missing_bands_keeps_every_runs_predictions_where_keep_says(tmp_path, monkeypatch, capsys, ckpt):
    """missing_bands answered in a temporary folder, removed at the end, with no way to keep it; and its "VV only"
    and "VH only" predictions shared one file name (sar-1-copy.jsonl), so a kept folder would hold one of them."""
    data, keep = sar_records(tmp_path, [["VV", "VH"], ["VV", "VH"]]), tmp_path / "kept"
    argv = ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"]
    bench_main("missing_bands", monkeypatch, [*argv, "--keep", str(keep)])
    out, err = capsys.readouterr()
    assert sorted(p.name for p in keep.iterdir()) == ["sar-VH-copy.jsonl", "sar-VH-mean.jsonl", "sar-VV-copy.jsonl",
                                                      "sar-VV-mean.jsonl", "sar-all-error.jsonl", "sar.jsonl"]
    assert all(len(p.read_text().splitlines()) == 2 for p in keep.iterdir())
    kept = [json.loads(line) for line in (keep / "sar.jsonl").read_text().splitlines()]
    assert all(Path(r["images"][0]["path"]).is_absolute() and Path(r["images"][0]["path"]).is_file() for r in kept)
    assert f"missing_bands: the records and predictions are kept in {keep}" in err and "| sar | VV only |" in out
    bench_main("missing_bands", monkeypatch, argv)
    assert "now removed; --keep DIR keeps them" in capsys.readouterr().err


def test_missing_bands_refuses_a_keep_folder_with_files_before_loading_the_model(tmp_path, monkeypatch, capsys):
    from rsvlm import inference

    def no_load(*a, **k):
        raise AssertionError("the model was loaded before --keep was checked")

    monkeypatch.setattr(inference, "load_model", no_load)
    data = sar_records(tmp_path, [["VV", "VH"]])
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "sar.jsonl").write_text("{}\n")
    with pytest.raises(SystemExit) as e:
        bench_main("missing_bands", monkeypatch, ["--data", str(data), "--keep", str(tmp_path / "old")])
    assert e.value.code == 2 and f"--keep {tmp_path / 'old'}: not empty" in capsys.readouterr().err
