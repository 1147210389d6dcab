"""Review of stop 80's early --ship refusal: it refuses only when nothing will have made OUT/final, so a run
that names merge_chat, or one after an earlier run built OUT/final, still reaches its stages."""

from __future__ import annotations

import pytest
from script_loader import load_script


@pytest.mark.parametrize("earlier_final, only", [(False, ["merge_chat"]), (True, ["one"])])
def test_ship_is_refused_only_when_no_model_will_be_there(tmp_path, monkeypatch, capsys, earlier_final, only):
    build = load_script("build_default_model", monkeypatch)
    out, ran = tmp_path / "out", []
    monkeypatch.setattr(build, "ROOT", tmp_path)  # the bundled model ship would replace: a stand-in
    monkeypatch.setattr(build, "missing_inputs", lambda out, names, bc: [])

    def merge_chat(out, bc, scale):  # writes OUT/final, as the real merge_chat does
        ran.append("merge_chat")
        (out / "final").mkdir(parents=True, exist_ok=True)
        (out / "final" / "config.yaml").write_text("built\n")

    monkeypatch.setattr(build, "STAGES", {"one": lambda out, bc, scale: ran.append("one"), "merge_chat": merge_chat})
    if earlier_final:
        (out / "final").mkdir(parents=True)
        (out / "final" / "config.yaml").write_text("built earlier\n")
    code = build.main(["eval_tta=none", "--out", str(out), "--only", *only, "--ship"])
    assert ran == only  # was it refused up front, nothing would have run
    assert code == 1 and "no built model to ship" not in capsys.readouterr().err  # ship's later card check stops it


@pytest.mark.parametrize("form", ["run_final", "home", "bundled"])
def test_the_probes_model_check_takes_the_forms_the_docs_show(tmp_path, monkeypatch, form):
    """A run's final/ (docs/default-model/prompt.md's `--model runs/x20a/final`), a ~ path and the bundled model's
    folder pass the --model check: the run stops later, at the data file's bad line, not at --model."""
    probe = load_script("probe_sensor_word", monkeypatch)
    monkeypatch.setenv("HOME", str(tmp_path))
    from rsvlm.loading import bundled_model_dir

    model = {"run_final": str(tmp_path / "runs" / "x20a" / "final"), "home": "~/m", "bundled": str(bundled_model_dir())}[form]
    for folder in (tmp_path / "runs" / "x20a" / "final", tmp_path / "m"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text("")
    data = tmp_path / "d.jsonl"
    data.write_text("{not json\n")
    with pytest.raises(SystemExit) as e:
        probe.main(["--model", model, "--data", str(data)])
    assert "not valid JSON" in str(e.value.code) and "--model" not in str(e.value.code)


@pytest.mark.parametrize("script", ["probe_sensor_word", "probe_pointer_cells"])
def test_an_empty_model_is_refused_not_read_as_the_bundled_one(tmp_path, monkeypatch, capsys, script):
    """`--model "$M"` with M unset probed the bundled model, unsaid; rsvlm's own commands refuse it."""
    probe = load_script(script, monkeypatch)
    data = tmp_path / "d.jsonl"
    data.write_text("{not json\n")
    with pytest.raises(SystemExit) as e:
        probe.main(["--model", "", "--data", str(data)])
    assert e.value.code == 2 and "error: --model is empty; give a checkpoint folder" in capsys.readouterr().err
