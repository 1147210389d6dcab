"""Scripts, tour 76: launch.py names the key a flag like --lr stands for; compare_checkpoints.py sizes both sides
whole; probe_pointer_cells.py counts records cut before their first coordinate apart from those with none."""
import json

import pytest
import torch
from script_loader import load_script


@pytest.mark.parametrize("words, said", [
    (["--lr", "1e-4"], "--lr is no option of launch.py; the recipe's keys go as key=value: did you mean optim.lr=1e-4?"),
    (["--learning-rate=2e-5"], "--learning-rate is no option of launch.py; the recipe's keys go as key=value: "
                               "did you mean optim.lr=2e-5?"),
    (["--lora_r", "8"], "--lora_r is no option of launch.py; the recipe's keys go as key=value: did you mean model.llm.lora_r=8?"),
])
def test_launch_names_the_key_a_flag_near_one_stands_for(monkeypatch, capsys, words, said):
    """'--lr 1e-4' was argparse's 'unrecognized arguments: --lr 1e-4 data.train=x.jsonl', naming no key."""
    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:
        launch.main(["configs/train/sft_tiny.yaml", *words, "data.train=x.jsonl", "--dry-run"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and said in err and "unrecognized" not in err, err


def test_launch_leaves_an_abbreviated_option_and_an_unknown_flag_to_argparse(monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    for words, said in ((["--nod", "2"], "did you mean --nodes?"), (["--epochs", "3"], "unrecognized arguments")):
        with pytest.raises(SystemExit):
            launch.main(["configs/train/sft_tiny.yaml", *words, "--dry-run"])
        err = capsys.readouterr().err
        assert said in err and "the recipe's keys go" not in err, err


def test_compare_says_each_side_s_whole_size(tmp_path, monkeypatch, capsys):
    """Only the listed tensors were sized: a float16 copy, or a side that lost a weight file, showed no total."""
    from safetensors.torch import save_file

    for side, dtype, files in (("a", torch.float32, ("w", "v")), ("b", torch.float16, ("w",))):
        (tmp_path / side).mkdir()
        for name in files:
            save_file({"x": torch.ones(10, 10, dtype=dtype), "y": torch.zeros(5, dtype=dtype)},
                      tmp_path / side / f"{name}.safetensors")
    compare = load_script("compare_checkpoints", monkeypatch)
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr()
    a_bytes = sum(f.stat().st_size for f in (tmp_path / "a").iterdir())
    b_bytes = (tmp_path / "b" / "w.safetensors").stat().st_size
    assert (f"size: A 210 values in 2 files, {a_bytes / 1e3:.3g} kB; B 105 values in 1 file, {b_bytes} B"
            in out.err), out.err
    assert "size:" not in out.out


def test_the_pointer_probe_counts_records_cut_before_any_coordinate_apart(tmp_path, monkeypatch, capsys):
    """A record whose answer was cut at the LLM's context before its box was counted 'with none in their
    answers', though it held one: it is counted apart, as cut before any."""
    from test_probe_pointer_cells import ground_records, model

    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    long = dict(rows[0], id="long")
    box = rows[0]["conversations"][1]["value"]
    long["conversations"] = [rows[0]["conversations"][0], {"from": "gpt", "value": "a field " * 100 + box}]
    plain = dict(rows[1], id="plain", task="vqa",
                 conversations=[{"from": "human", "value": "<image>\n[vqa] Is there a field?"},
                                {"from": "gpt", "value": "Yes."}])
    data.write_text("".join(json.dumps(r) + "\n" for r in [*rows, long, plain]))
    res = probe.cell_stats(*model(), data, progress=False)
    assert res["cut"] == 1, {k: v for k, v in res.items() if k not in ("llm", "pointer", "both")}
    assert res["cut_before_any"] == 1 and res["without_coordinates"] == 1 and res["records"] == 4
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: model())
    assert probe.main(["--data", str(data)]) == 0
    assert "in 4 records; 1 with none in their answers; 1 cut at the LLM's context before any;" in capsys.readouterr().out


def test_a_sigterm_that_reaches_a_finished_run_says_there_is_nothing_to_continue(tmp_path):
    """A 2-process run whose SIGTERM came as its ranks were exiting (summary.json and final/ written) was told
    'continue from …/step_000010 with ckpt.resume=auto', a resume with nothing left to train."""
    from test_train_utils import sigterm_to_launch

    run = tmp_path / "run"  # a run that has finished, stopped by the SIGTERM as it exits
    status, err = sigterm_to_launch(
        tmp_path, f"#!/bin/sh\ntrap 'exit 143' TERM\nmkdir -p {run}/final {run}/checkpoints/step_000010\n"
        f"echo '{{}}' > {run}/summary.json\necho up > {tmp_path}/up\nwhile :; do sleep 0.1; done\n", run)
    assert status == 143, err
    assert err.strip().splitlines()[-1] == (
        f"launch: SIGTERM passed on to torchrun, which stopped with status 143; it had finished before that "
        f"({run / 'summary.json'} written; its model is in {run / 'final'}): nothing to continue"), err
