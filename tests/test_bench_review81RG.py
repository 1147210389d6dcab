"""Review 81 (RG) of stop 81's bench/build work: ``require_out_file`` (the benches', probes' and assays' ``--out``)
took a blank name, one ending in '/' and one too long for its file system; the two probes' argument checks are
one. (The build's quieting of eval.loc_error's stdout, whose ``--out -`` case this review fixed, is gone: loc_error no
longer prints the JSON it writes to a file; test_bench_tour81g tests that.)"""

from __future__ import annotations

import pytest
from script_loader import load_script
from test_probe_pointer_cells import ground_records


@pytest.mark.parametrize("out, says", [
    ("", "--out '' names no file (an unset shell variable?)"),  # was accepted: `if a.out:` then wrote nothing
    ("  ", "--out '  ' names no file"),  # was accepted: a file named '  ' written after the work
    ("{tmp}/r/", "--out {tmp}/r/ ends in '/', a folder's name: give a file in it, such as {tmp}/r/result.json"),
    ("{tmp}/" + "a" * 300 + ".json", "is 305 bytes long, more than the 255"),  # was an OSError traceback
])
def test_out_that_names_no_file_is_refused(tmp_path, capsys, out, says):
    from eval.model_args import require_out_file
    from rsvlm.argparsing import Parser

    with pytest.raises(SystemExit) as e:
        require_out_file(Parser(prog="x"), out.format(tmp=tmp_path))
    err = capsys.readouterr().err
    assert e.value.code == 2 and says.format(tmp=tmp_path) in err, err
    assert list(tmp_path.iterdir()) == []
    require_out_file(Parser(prog="x"), None)  # no --out: nothing to check


def test_a_probe_refuses_a_folder_s_name_as_out_before_loading(tmp_path, monkeypatch, capsys):
    probe = load_script("probe_pointer_cells", monkeypatch)
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    with pytest.raises(SystemExit) as e:  # was: the whole run, then a file named 'res' written for 'res/'
        probe.main(["--data", str(data), "--out", f"{tmp_path}/res/"])
    assert e.value.code == 2 and f"--out {tmp_path}/res/ ends in '/'" in capsys.readouterr().err
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("name", ["probe_pointer_cells", "probe_sensor_word"])
def test_both_probes_check_their_arguments_alike_before_loading(tmp_path, monkeypatch, capsys, name):
    probe = load_script(name, monkeypatch)
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    for argv, says in [(["--data", str(data), "--image-root", ""], "--image-root '' names no folder"),
                       (["--data", str(tmp_path)], f"--data {tmp_path}: a folder; give a JSONL file"),
                       (["--data", str(data), "--out", str(data)], f"--out {data} is the --data file"),
                       (["--data", str(data), "--model", ""], "--model is empty")]:
        with pytest.raises(SystemExit) as e:
            probe.main(argv)
        assert e.value.code == 2 and says in capsys.readouterr().err, (name, argv)


@pytest.mark.parametrize("name, extra", [("tta", ["--data", "{d}"]), ("det_decoding", ["--data", "{d}"]),
                                         ("missing_bands", ["--data", "{d}"]), ("constrained_decoding", [])])
def test_a_bench_refuses_an_empty_model_before_loading(tmp_path, monkeypatch, capsys, name, extra):
    from test_bench_args import bench_main

    from rsvlm import inference

    monkeypatch.setattr(inference, "load_model", lambda *a, **k: pytest.fail("loaded the bundled model"))
    (tmp_path / "d.jsonl").write_text("")
    with pytest.raises(SystemExit) as e:  # `--model "$M"`, M unset: was the bundled model, unsaid
        bench_main(name, monkeypatch, [*(x.format(d=tmp_path / "d.jsonl") for x in extra), "--model", ""])
    assert e.value.code == 2 and "--model is empty; give a checkpoint folder" in capsys.readouterr().err
