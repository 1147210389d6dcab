"""rsvlm eval's checks on --out and --data, made before the model loads (no model is needed)."""
import json

from rsvlm.cli import main

RECORD = {"id": "a", "images": [{"path": "a.png", "modality": "optical"}], "task": "cls",
          "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


def _eval(tmp_path, data, out):
    return main(["eval", "--model", str(tmp_path / "no-model"), "--data", str(data), "--out", str(out)])


def test_out_folder_empty_data_and_another_sets_answers_are_refused(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    (tmp_path / "preds").mkdir()
    assert _eval(tmp_path, data, tmp_path / "preds") == 2  # was an IsADirectoryError traceback
    assert "--out" in (err := capsys.readouterr().err) and "preds is a folder" in err

    old = tmp_path / "old.jsonl"  # answers of another test set: resuming would have mixed them in
    old.write_text(json.dumps({"id": "zz", "task": "cls", "answer": "forest"}) + "\n"
                   + json.dumps({"id": "a", "task": "cls", "answer": "lake"}) + "\n")
    assert _eval(tmp_path, data, old) == 2
    err = capsys.readouterr().err
    assert "old.jsonl already holds 1 answer to records not in" in err and f"(first: zz at {old}:1)" in err  # stop 79: and its line

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert _eval(tmp_path, empty, tmp_path / "p.jsonl") == 2  # was: "wrote p.jsonl", exit 0
    assert "empty.jsonl: no records to answer (an empty file)" in capsys.readouterr().err
    empty.write_text("{not json\n")
    assert _eval(tmp_path, empty, tmp_path / "p.jsonl") == 2
    err = capsys.readouterr().err
    assert "1 skipped" in err and "empty.jsonl:1: not valid JSON" in err


def test_a_partial_file_of_the_same_records_goes_on_to_the_model(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    part = tmp_path / "p.jsonl"
    part.write_text(json.dumps({"id": "a", "task": "cls", "answer": "lake"}) + "\n")
    assert _eval(tmp_path, data, part) == 2  # passed the checks, then failed on the missing model
    err = capsys.readouterr().err
    assert "no-model" in err and "already holds" not in err


def test_answers_of_other_weights_or_options_are_not_resumed(ckpt, tmp_path, capsys):
    import shutil

    import numpy as np
    from PIL import Image
    from safetensors.torch import load_file, save_file

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "id": "b"}) + "\n")
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--max-new-tokens", "2"]
    assert main([*argv, "--model", str(ckpt), "--limit", "1"]) == 0  # a run cut short: one answer of two
    assert json.loads((tmp_path / "p.jsonl.run.json").read_text())["options"]["max_new_tokens"] == 2

    copy = tmp_path / "copy"
    shutil.copytree(ckpt, copy)  # the same weights elsewhere: resumed
    assert main([*argv, "--model", str(copy), "--limit", "1"]) == 0
    assert "holds answers" not in capsys.readouterr().err

    f = copy / "vision.safetensors"  # retrained: other weights
    save_file({k: v + 1 for k, v in load_file(str(f)).items()}, str(f))
    assert main([*argv, "--model", str(copy)]) == 2
    assert f"{out} holds answers of other weights" in capsys.readouterr().err
    assert main([*argv[:-1], "8", "--model", str(ckpt)]) == 2
    assert "other options (--max-new-tokens 2 → 8)" in capsys.readouterr().err
    assert main([*argv, "--model", str(ckpt)]) == 0  # same weights and options: goes on to the second record
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]


def test_out_that_is_the_data_file_is_refused(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    before = data.read_text()
    assert _eval(tmp_path, data, data) == 2  # its ids read as answered: "wrote test.jsonl", nothing answered
    assert "holds records (conversations), not predictions" in capsys.readouterr().err
    assert data.read_text() == before and not (tmp_path / "test.jsonl.run.json").exists()


def test_a_run_killed_mid_line_resumes_without_losing_the_next_answer(ckpt, tmp_path):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "id": "b"}) + "\n")
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]
    assert main([*argv, "--limit", "1"]) == 0
    with out.open("a") as f:
        f.write('{"id": "b", "task": "c')  # killed while writing b's answer
    assert main(argv) == 0  # b's new answer was glued to the cut line: one unreadable line, b missing
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]


def test_a_binary_out_is_refused(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    png = tmp_path / "a.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x80\xff")
    assert _eval(tmp_path, data, png) == 2  # was a UnicodeDecodeError traceback
    assert "a.png is not a text file" in capsys.readouterr().err


def test_repeated_record_ids_are_warned_about_before_the_run(ckpt, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n")
    out = tmp_path / "p.jsonl"
    assert main(["eval", "--data", str(data), "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]) == 0
    err = capsys.readouterr().err  # was silent: the scorers then refused the file as ground truth
    assert "1 kept with an id already read (the first repeat: 'a'" in err and "give each record its own id" in err


def test_an_out_under_a_file_is_refused_before_the_model_loads(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    assert _eval(tmp_path, data, data / "p.jsonl") == 2  # was a FileExistsError traceback once the model loaded
    assert "cannot create its folder" in (err := capsys.readouterr().err) and "no-model" not in err


def test_records_whose_prompt_opens_with_an_unknown_tag_are_named_before_the_run(ckpt, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    rec = {**RECORD, "task": None, "conversations": [{"from": "human", "value": "<image>\n[detect] all ships"},
                                                     {"from": "gpt", "value": "none"}]}
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(rec) + "\n")
    out = tmp_path / "p.jsonl"
    assert main(["eval", "--data", str(data), "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]) == 0
    err = capsys.readouterr().err  # was silent: the record is answered as free chat, [detect] and all
    assert "1 kept as untagged chat whose prompt opens with a tag that is not a task ([detect] x1" in err


def test_missing_images_say_where_relative_paths_are_looked_for(tmp_path, capsys):
    from rsvlm.evaluate import run

    data = tmp_path / "sets" / "test.jsonl"  # LLaVA-style paths relative to an image folder elsewhere
    data.parent.mkdir()
    data.write_text(json.dumps({**RECORD, "images": [{"path": "cls_aid/a.png", "modality": "optical"}]}) + "\n")
    run(None, None, data, tmp_path / "p.jsonl", progress=False)  # no image is read, so no model runs
    err = capsys.readouterr().err
    assert f"1 record names image files by relative paths that do not exist; they are read against " \
           f"{data.parent.resolve()} (the --data file's folder): give --image-root" in err
    run(None, None, data, tmp_path / "r.jsonl", progress=False, image_root=tmp_path)  # given, and wrong
    err = capsys.readouterr().err  # was told to "give --image-root"
    assert f"1 record names image files by relative paths that are not under --image-root {tmp_path.resolve()} " \
           "(first: cls_aid/a.png): give the folder its paths start from" in err
    assert "give --image-root" not in err
    data.write_text(json.dumps({**RECORD, "images": [{"path": str(tmp_path / "a.png")}]}) + "\n")
    run(None, None, data, tmp_path / "q.jsonl", progress=False)
    assert "relative paths" not in capsys.readouterr().err  # an absolute path is looked for where it says


def test_records_without_a_task_are_named_before_the_run(tmp_path, capsys):
    from rsvlm.evaluate import run

    untagged = {**RECORD, "id": "b", "task": None,
                "conversations": [{"from": "human", "value": "<image>\nwhat is it?"}, {"from": "gpt", "value": "x"}]}
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n" + json.dumps(untagged) + "\n")
    run(None, None, data, tmp_path / "p.jsonl", progress=False)
    err = capsys.readouterr().err  # was answered as "task": null without a word, and no scorer took it
    assert "1 of 2 records has no task" in err and "first: b" in err
    assert [json.loads(x)["task"] for x in (tmp_path / "p.jsonl").read_text().splitlines()] == ["cls", None]


def test_image_root_reads_relative_paths_against_another_folder(ckpt, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    (tmp_path / "imgs" / "cls_aid").mkdir(parents=True)
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "imgs" / "cls_aid" / "a.png")
    data = tmp_path / "sets" / "test.jsonl"
    data.parent.mkdir()
    data.write_text(json.dumps({**RECORD, "images": [{"path": "cls_aid/a.png", "modality": "optical"}]}) + "\n")
    argv = ["eval", "--data", str(data), "--max-new-tokens", "2", "--model", str(ckpt)]
    assert main([*argv, "--out", str(tmp_path / "p.jsonl"), "--image-root", str(tmp_path / "imgz")]) == 2
    assert "--image-root" in capsys.readouterr().err and not (tmp_path / "p.jsonl").exists()
    assert main([*argv, "--out", str(tmp_path / "p.jsonl"), "--image-root", str(tmp_path / "imgs")]) == 0
    row = json.loads((tmp_path / "p.jsonl").read_text())
    assert row["id"] == "a" and "error" not in row  # without --image-root: "image not found"


def test_a_refused_run_leaves_no_folder_behind(tmp_path, capsys):
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(RECORD) + "\n")
    out = tmp_path / "runs" / "new" / "p.jsonl"
    assert _eval(tmp_path, data, out) == 2  # refused after the checks on --out: the model is missing
    assert "no-model" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # was left behind, empty
