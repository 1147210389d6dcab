"""Stop 69, bench scripts: every option says what it is and its default in ``--help``, and missing_bands keeps its
records and predictions with ``--keep DIR`` as the other benches that answer a test set do (the pages' bench
commands and --keep's refusal are tested in test_bench_tour69.py)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from test_bench_args import bench_main
from test_bench_tour51 import sar_records

REPO = Path(__file__).resolve().parents[1]


def test_every_option_of_every_bench_script_says_what_it_is_and_its_default_in_help():
    """bench/missing_bands.py listed --model, --batch-size and --max-new-tokens in --help with no word (the
    default model and the defaults were in the source alone), as did six of bench/tiling.py's; 13 options of 8 other
    scripts (constrained_decoding's --scenes, synth_throughput's --n, ...) said no default, which argparse does not
    show. An option whose default is None, False or [] has none to say (bench/eval_start.py's --n and --repeats
    said none till stop 69's lead)."""
    silent, unsaid = [], []
    for script in sorted((REPO / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument"):
                continue
            kw, name = {k.arg: k.value for k in node.keywords}, f"{script.relative_to(REPO)} {ast.unparse(node.args[0])}"
            helped = ast.unparse(kw["help"]).replace("default model", "") if "help" in kw else ""
            if not helped:
                silent.append(name)
            elif ("default" in kw and ast.unparse(kw["default"]) not in ("None", "False", "[]")
                  and "default" not in helped and "SUPPRESS" not in helped):
                unsaid.append(name)
    assert not silent and not unsaid, (silent, unsaid)


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
