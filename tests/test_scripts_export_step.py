"""scripts/export_step.py on Ctrl-C: one line, exit 130, and no half-written model folder left."""

from __future__ import annotations

from script_loader import load_script


def test_ctrl_c_removes_a_half_written_export_but_never_a_users_files(tmp_path, monkeypatch, capsys):
    export = load_script("export_step", monkeypatch)

    def interrupted(step, out):
        (tmp_path / "new" / "tokenizer").mkdir(parents=True)  # what save_pretrained writes before config.yaml
        raise KeyboardInterrupt

    monkeypatch.setattr("rsvlm.train.loop.export_step", interrupted)
    step = tmp_path / "step_000002"  # a step folder (the script checks for one first); --out outside it
    step.mkdir()
    (step / "train_config.yaml").write_text("")
    assert export.main([str(step), "--out", str(tmp_path / "new")]) == 130  # was: a KeyboardInterrupt traceback
    assert not (tmp_path / "new").exists()  # was: left, so the rerun was refused as 'not empty'
    assert capsys.readouterr().err.startswith("interrupted; nothing exported")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("")
    assert export.main([str(step), "--out", str(tmp_path / "used")]) == 130
    assert (tmp_path / "used" / "mine.txt").exists()
