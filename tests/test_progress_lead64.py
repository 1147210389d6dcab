"""The eval scripts' record bar and loc_error's batch bar went on drawing tqdm's ``\\r`` redraws into a log
(``python -m eval.detection … 2> log``) after the rest moved to ``rsvlm.progress.bar`` (P's 13a65ef…)."""

import io


def test_eval_record_bar_into_a_log_is_plain_lines(monkeypatch):
    from eval.common import progress

    log = io.StringIO()  # no terminal
    monkeypatch.setattr("sys.stderr", log)
    for _ in progress(list(range(600)), "scoring"):  # 500 records and more: a bar
        pass
    out = log.getvalue()
    assert "\r" not in out and "600/600" in out, repr(out)


def test_no_bar_drawn_with_tqdm_directly_outside_the_known_few():
    """Every bar goes through rsvlm.progress.bar (memory_plan's too since 167af0a), but for the sites named here
    with their reason."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    known = {
        "rsvlm/progress.py": "the shared bar itself",
    }
    direct = re.compile(r"(?<![.\w])tqdm(\.tqdm)?\(")  # a bar made with tqdm itself (tqdm.write is no bar)
    found = sorted(str(p.relative_to(repo)) for d in ("rsvlm", "eval", "data_gen", "scripts", "bench")
                   for p in (repo / d).rglob("*.py") if direct.search(p.read_text()))
    assert set(found) <= set(known), [f for f in found if f not in known]


def test_synth_with_stderr_closed_makes_its_scenes(tmp_path, monkeypatch, capsys):
    """``python -m data_gen synth … 2>&-`` (sys.stderr None): synth's own terminal test raised AttributeError
    before the first scene, where the shared bar draws nothing."""
    import sys

    from data_gen.synth.run import synthesize

    monkeypatch.setattr(sys, "stderr", None)
    synthesize(tmp_path / "s", n=2, seed=1, verbose=False)
    assert len(list((tmp_path / "s" / "scenes").glob("*.json"))) == 2
    assert "synth:" not in capsys.readouterr().out  # its progress lines not moved to stdout
