"""scripts/ toured by hand (tour 75): export_step says what STEP is before judging --out against it,
make_samples writes into the repository only when told to, probe_sensor_word says what its counts are of."""

from __future__ import annotations

import json

import pytest
from script_loader import load_script


def _model_folder(root):
    """A folder shaped like a model (a run's final/): config.yaml and vision.safetensors."""
    import torch
    from safetensors.torch import save_file

    root.mkdir(parents=True)
    (root / "config.yaml").write_text("encoders: {}\n")
    save_file({"v": torch.ones(2)}, str(root / "vision.safetensors"))
    return root


def test_export_of_a_model_folder_into_itself_says_it_is_a_model_not_a_step(tmp_path, monkeypatch, capsys):
    exp = load_script("export_step", monkeypatch)
    model = _model_folder(tmp_path / "final")
    # was: '--out final/x: inside the step folder final, which ckpt.keep deletes …' of a folder that is no step
    assert exp.main([str(model), "--out", str(model / "x")]) == 2
    err = capsys.readouterr().err
    assert f"{model}: not a step folder but a model folder already" in err and "inside the step folder" not in err
    assert not (model / "x").exists()


def test_export_of_a_missing_step_into_it_says_it_is_missing(tmp_path, monkeypatch, capsys):
    exp = load_script("export_step", monkeypatch)
    gone = tmp_path / "checkpoints" / "step_9"
    assert exp.main([str(gone), "--out", str(gone / "model")]) == 2
    err = capsys.readouterr().err
    assert f"{gone}: no such folder" in err and "inside the step folder" not in err  # was: 'inside the step folder'
    assert not gone.exists()


def test_export_into_a_real_step_folder_is_still_refused(tmp_path, monkeypatch, capsys):
    exp = load_script("export_step", monkeypatch)
    step = tmp_path / "checkpoints" / "step_4"
    step.mkdir(parents=True)
    (step / "train_config.yaml").write_text("model: {}\n")
    assert exp.main([str(step), "--out", str(step / "model")]) == 2
    assert f"--out {step / 'model'}: inside the step folder {step}" in capsys.readouterr().err


def test_make_samples_needs_out_and_draws_nothing_without_it(monkeypatch, capsys):
    # --out defaulted to rsvlm/assets/samples: a trial run rewrote the bundled samples in the repository
    samples = load_script("make_samples", monkeypatch)
    monkeypatch.setattr("data_gen.synth.run.synthesize", lambda *a, **k: pytest.fail("scenes drawn"))
    with pytest.raises(SystemExit) as e:
        samples.main(["--seed", "1"])
    assert e.value.code == 2 and "--out" in capsys.readouterr().err


def test_sensor_probe_says_how_many_questions_its_counts_are_of(tmp_path, monkeypatch, capsys):
    probe = load_script("probe_sensor_word", monkeypatch)
    rows = []
    for i, sensor in enumerate(("optical", "sar", "optical")):
        meta = {"qtype": "modality"} if i < 2 else {"qtype": "presence"}
        rows.append({"id": f"r{i}", "task": "vqa", "meta": meta, "images": [{"path": "x.png", "modality": sensor}],
                     "conversations": [{"from": "human", "value": "<image>\n[vqa] What sensor took this image?"},
                                       {"from": "gpt", "value": "optical"}]})
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: (None, type("P", (), {
        "prompt": type("Q", (), {"modality_after": False})()})()))
    # every variant scored alike but the one answering 'optical', so each question's choice is 'optical'
    monkeypatch.setattr(probe, "answer_logprobs", lambda m, p, rows, root: {
        r["id"]: (0.0 if r["id"].endswith("|optical") else -1.0) for r in rows})
    result = probe.main(["--data", str(data)])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"2 sensor questions of {data}; its other 1 record not asked; each asked under the 4 ")
    assert result["n_questions"] == 2 and sum(result["summary"].values()) == 8


def test_average_of_one_checkpoint_names_it_in_a_usage_line(tmp_path, monkeypatch, capsys):
    avg = load_script("average_checkpoints", monkeypatch)
    one = _model_folder(tmp_path / "a")
    with pytest.raises(SystemExit) as e:  # was 'error: averaging needs at least two checkpoints', naming none
        avg.main([str(one), "--out", str(tmp_path / "avg")])
    assert e.value.code == 2 and f"models: only {one} given; give at least two checkpoints" in capsys.readouterr().err
    assert not (tmp_path / "avg").exists()


def test_pointer_probe_says_how_many_records_held_the_coordinates(tmp_path, monkeypatch, ckpt, capsys):
    # '16 coordinates' of a file whose other records hold none read as if every record were scored
    from test_probe_pointer_cells import ground_records

    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    rows = data.read_text().splitlines()
    plain = json.loads(rows[0])
    plain.update(id="plain", task="vqa", conversations=[{"from": "human", "value": "<image>\n[vqa] Is it a field?"},
                                                         {"from": "gpt", "value": "Yes."}])
    data.write_text("\n".join([*rows, json.dumps(plain)]) + "\n")
    assert probe.main(["--model", str(ckpt), "--data", str(data), "--out", str(tmp_path / "r.json")]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(
        "16 coordinates in 4 records; 1 with none in their answers; probability on the true cell")
    res = json.loads((tmp_path / "r.json").read_text())
    assert (res["n"], res["records"], res["without_coordinates"]) == (16, 4, 1)


def test_load_time_takes_turns_and_counts_its_processes_on_a_bar(tmp_path, monkeypatch, capsys):
    # six processes of a minute each ran with nothing on the screen, every baseline one before every one of this tree
    from script_loader import load_bench

    bench = load_bench("load_time", monkeypatch)
    order = []
    monkeypatch.setattr(bench, "export", lambda rev, into: into)
    monkeypatch.setattr(bench, "measure", lambda src, model, repeats: order.append(src == bench.ROOT) or
                        {"load": 2.0 - len(order) / 10, "cpu": 1.0, "rss_mb": 1.0})
    assert bench.main(["--repeats", "2"]) == 0
    out, err = capsys.readouterr()
    assert order == [False, True, False, True]
    assert "loads: 100% 4/4" in err and "process" in err
    assert "| bundled | HEAD | 1.70 |" in out and "| bundled | working tree | 1.60 |" in out  # the best of each


def test_compare_sizes_each_listed_difference_against_the_tensor(tmp_path, monkeypatch, capsys):
    # '0.01' alone: noise on weights of 100, or a weight of 0.01 moved by all of itself, read the same
    import torch
    from safetensors.torch import save_file

    cmp = load_script("compare_checkpoints", monkeypatch)
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    big, small = torch.full((4,), 100.0), torch.tensor([0.02, -0.01, 0.0, 0.0])
    save_file({"big": big, "small": small, "zero": torch.zeros(2), "same": torch.ones(2)}, str(a))
    save_file({"big": big + torch.tensor([0.5, 0.0, 0.0, 0.0]), "small": small + torch.tensor([0.0, 0.01, 0.0, 0.0]),
               "zero": torch.tensor([0.0, 0.25]), "same": torch.ones(2)}, str(b))
    assert cmp.main([str(a), str(b)]) == 1
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("3 of 4 tensors differ")
    assert lines[at + 1].startswith("of those listed, |Δ| against the tensor's largest |value| in A")
    assert lines[at + 2:] == ["  a.safetensors: big  0.5% of 100, 1 of 4 values",
                              "  a.safetensors: zero  all zero in A, |Δ| 0.25, 1 of 2 values",
                              "  a.safetensors: small  50% of 0.02, 1 of 4 values"]


def test_compare_of_equal_checkpoints_adds_no_scale_lines(tmp_path, monkeypatch, capsys):
    import torch
    from safetensors.torch import save_file

    cmp = load_script("compare_checkpoints", monkeypatch)
    for name in ("a", "b"):
        save_file({"w": torch.tensor([1.0, float("nan")])}, str(tmp_path / f"{name}.safetensors"))
    assert cmp.main([str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")]) == 0
    assert capsys.readouterr().out.strip().endswith("identical")


def test_eval_start_refuses_n_with_gt_and_counts_its_scorers(tmp_path, monkeypatch, capsys):
    from script_loader import load_bench

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in bench.synthetic(16)))
    with pytest.raises(SystemExit) as e:  # --n was ignored with --gt: the whole file read, the table unsaid of it
        bench.main(["--gt", str(gt), "--n", "4"])
    assert e.value.code == 2 and f"--n 4: the synthetic set's size, and --gt {gt} is read whole" in capsys.readouterr().err
    assert bench.main(["--gt", str(gt), "--repeats", "1"])["rows"]
    assert f"reads: 100% {len(bench.SCORERS)}/{len(bench.SCORERS)}" in capsys.readouterr().err
