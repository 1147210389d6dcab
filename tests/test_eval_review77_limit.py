import json

from conftest import finished_eval, write_jsonl


def test_a_limit_past_the_set_is_stamped_as_the_records_answered(tmp_path, monkeypatch, capsys):
    """--limit 500 on a 2-record set was stamped 500: eval.report's table showed limit=500 beside a full run."""
    from eval import classification, report
    from rsvlm.cli import main

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    write_jsonl(out, rows)
    assert main([*argv, "--limit", "500"]) == 0
    assert "rsvlm eval: --limit 500 > 2 records: answering all 2" in capsys.readouterr().err
    assert json.loads((tmp_path / "p.jsonl.run.json").read_text())["limit"] == 2
    scores = classification.main(["--gt", argv[2], "--pred", str(out)])
    assert "limit=2" in report.run_row(scores["run"])["options"]
