"""Review 77 (Q2, eval round 3): a word no option took after another option (``--dir a --out r.md b``) was told to
go by ``--scores`` or by ``--dir`` on its own, beside the option already given (argparse refuses both together)."""

from __future__ import annotations

import pytest


def test_a_stray_word_after_the_given_option_is_said_to_go_with_it(tmp_path, capsys):
    from eval import report

    (tmp_path / "b").mkdir()
    with pytest.raises(SystemExit) as e:
        report.main(["--dir", str(tmp_path), "--out", str(tmp_path / "r.md"), str(tmp_path / "b")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path}/b: no option takes it; give it after --dir with the others: --dir {tmp_path} " \
           f"{tmp_path}/b\n" in err
    with pytest.raises(SystemExit):
        report.main(["--scores", "a.json", "--out", "r.md", "b.json"])
    assert "b.json: no option takes it; give it after --scores with the others: --scores a.json b.json" in \
        capsys.readouterr().err
