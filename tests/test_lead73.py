"""Lead fixes of stop 73 that fall between areas."""
import pytest


def test_make_samples_names_the_option_once(tmp_path, monkeypatch, capsys):
    # synth's refusal now starts "--n N:" itself; make_samples prefixed it again: "--n 20000000: --n 20000000: at most …"
    from script_loader import load_script

    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        samples.main(["--out", str(tmp_path / "out"), "--n", "20000000"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("--n 20000000") == 1 and "at most 10000000 scenes" in err
