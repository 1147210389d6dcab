"""Review 73 of data: convert llava's GDAL names (a network name said so, a container's bytes counted, a skipped
record copying nothing), two JSON objects on one JSONL line, counts said in the singular and plural."""

import json
import zipfile

from PIL import Image


def _llava(tmp_path, names, bad=()):
    """l.json naming ``names`` as images, each under src/ (pack.zip holding a.png and b.png); a record whose index is
    in ``bad`` holds two placeholders for its one image (placeholder_mismatch)."""
    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (12, 8)).save(src / "a.png")
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.write(src / "a.png", "a.png")
        z.write(src / "a.png", "b.png")
    (src / "a.png").unlink()

    def turns(k):
        return [{"from": "human", "value": "<image>" * (2 if k in bad else 1) + "\nWhat is it?"},
                {"from": "gpt", "value": "A field."}]
    (tmp_path / "l.json").write_text(json.dumps([{"id": f"r{k}", "image": n, "conversations": turns(k)}
                                                 for k, n in enumerate(names)]))


def _convert(tmp_path, monkeypatch, *extra):
    from data_gen.__main__ import main

    monkeypatch.chdir(tmp_path)
    rc = main(["convert", "llava", "--src", "l.json", "--images", "src", "--out", "out", "--no-progress", *extra])
    return rc, json.loads((tmp_path / "out" / "stats.json").read_text()) if rc == 0 else None


def test_llava_network_names_are_said_as_such_not_as_a_missing_local_file(tmp_path, monkeypatch, capsys):
    # "/vsicurl/https:/example.com/a.tif: no such image", the // folded; a URL's "no such image under --images src"
    names = ["/vsicurl/https://example.com/a.tif", "/vsizip//vsis3/bucket/p.zip/a.tif", "https://example.com/a.png"]
    for k, name in enumerate(names):
        (tmp_path / str(k)).mkdir()
        _llava(tmp_path / str(k), [name])
        rc, _ = _convert(tmp_path / str(k), monkeypatch, "--strict")
        err = capsys.readouterr().err
        said = "a URL, and rsvlm reads local files only" if name.startswith("https") else "a file on the network ("
        assert rc == 2 and f"record 0: missing_image ({name}: {said}" in err, err  # the reader's words (a77d55e2)
        assert "download it first" in err and "no such image" not in err


def test_llava_counts_the_bytes_of_a_container_copied_whole_once(tmp_path, monkeypatch):
    _llava(tmp_path, ["/vsizip/pack.zip/a.png", "/vsizip/pack.zip/b.png"])
    rc, stats = _convert(tmp_path, monkeypatch)
    assert rc == 0 and stats["records"] == 2
    assert stats["notes"]["gdal_files_copied_whole_bytes"] == (tmp_path / "src" / "pack.zip").stat().st_size


def test_llava_record_skipped_after_reading_its_archive_copies_nothing(tmp_path, monkeypatch):
    # the archive was copied for the record, deleted when it was skipped (placeholder_mismatch), copied again by the
    # next: a 2 GB archive once per record skipped
    import shutil

    copies = []
    real = shutil.copyfile
    monkeypatch.setattr(shutil, "copyfile", lambda a, b, **k: (copies.append(str(a)), real(a, b, **k))[1])
    _llava(tmp_path, ["/vsizip/pack.zip/a.png", "/vsizip/pack.zip/b.png", "/vsizip/pack.zip/a.png"], bad={0, 1})
    rc, stats = _convert(tmp_path, monkeypatch)
    assert rc == 0 and stats["records"] == 1 and stats["skipped"] == {"placeholder_mismatch": 2}
    assert [c for c in copies if c.endswith("pack.zip")] == [str((tmp_path / "src" / "pack.zip").resolve())]
    assert stats["notes"]["gdal_names_read_from_their_copied_file"] == 1


def test_llava_placeholder_mismatch_counts_in_the_singular_and_plural(tmp_path, monkeypatch):
    # "(2 placeholders, 1 images)"
    _llava(tmp_path, ["/vsizip/pack.zip/a.png"], bad={0})
    _convert(tmp_path, monkeypatch)
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["skipped_examples"]["placeholder_mismatch"].endswith("(2 placeholders, 1 image)")


def test_two_json_objects_on_one_line_say_a_line_end_is_missing(tmp_path):
    # "not valid JSON (Extra data at column 10)" said nothing of cat a.jsonl b.jsonl, a.jsonl lacking its last "\n"
    import pytest

    from rsvlm.data.records import RecordError, load_records
    from rsvlm.data.records_shape import json_line

    rec = {"id": "a", "images": [{"path": "a.png"}], "task": None,
           "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "x"}]}
    one, two, three = (json.dumps({**rec, "id": k}) for k in "abc")
    (tmp_path / "x.jsonl").write_text(f"{one}\n{two}{three}\n")
    with pytest.raises(RecordError) as e:
        load_records(tmp_path / "x.jsonl")
    assert str(e.value).startswith(f"{tmp_path / 'x.jsonl'}:2: not valid JSON (Extra data at column {len(one) + 1}); "
                                   "a second JSON object starts there, on the same line (cat a.jsonl b.jsonl")
    for line in (f"{one}\ufeff{two}", f"{one} {two}"):  # a Windows editor's BOM opening the second file
        with pytest.raises(ValueError, match="a second JSON object starts there"):
            json_line(line)
    for line, said in ((f"{one},", "a trailing comma"), (f"{one} x", None)):
        with pytest.raises(ValueError) as e:
            json_line(line)
        assert ("second JSON object" in str(e.value)) is False and (said is None or said in str(e.value))


def test_counted_notes_agree_with_their_count():
    # "1 object(s) in a frame have no colour word: their optical pixels", "0 <image> placeholder(s) but 1 modalities"
    import pytest

    from data_gen.instructions.stats import Stats, format_report
    from rsvlm.data.conversation import annotate_images

    report = Stats().report()
    assert "colour    1 object in a frame has no colour word: its optical pixels read as another colour than its " \
           "paint" in format_report({**report, "colour_words_dropped": 1})
    assert "colour    3 objects in a frame have no colour word: their optical pixels read as another colour than " \
           "their paint" in format_report({**report, "colour_words_dropped": 3})
    with pytest.raises(ValueError, match="^0 <image> placeholders but 1 modality$"):
        annotate_images("no image", ["sar"])
    with pytest.raises(ValueError, match="^1 <image> placeholder but 2 modalities$"):
        annotate_images("<image>", ["sar", "optical"])


def test_records_counted_messages_agree_with_their_count(tmp_path):
    # "2 modalities for 1 image(s)", "1 question(s) of records with a task open with a tag", "0 <image>
    # placeholder(s) but 1 image(s)"
    import pytest

    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import RecordError, load_records, with_modalities

    rec = {"id": "a", "images": [{"path": "a.png", "modality": None}]}
    with pytest.raises(ValueError, match="^record a: 2 modalities for 1 image$"):
        with_modalities(rec, ["sar", "optical"])
    report = ReadReport("x.jsonl")
    report.unknown_tags_tagged["detect"] += 1
    assert "; 1 question of records with a task opens with a tag that is not a task ([detect] x1)" in report.summary()
    turns = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "x"}]
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "a", "images": [{"path": "a.png"}], "conversations": turns,
                                                  "task": None}) + "\n")
    with pytest.raises(RecordError, match="0 <image> placeholders but 1 image: put one"):
        load_records(tmp_path / "r.jsonl")


def test_read_report_counts_inferred_image_files_in_the_singular():
    # "x.jsonl: 1 records read, …; modality inferred for 1 image file(s) whose records do not name it"
    from rsvlm.data.read_report import ReadReport

    report = ReadReport("x.jsonl")
    report.inferred[("sar", "1 band float32")] += 1
    report.inferred_first = "a.tif"
    report.n_ok = 1
    assert report.summary().startswith("x.jsonl: 1 record read, 0 skipped; modality inferred for 1 image file whose "
                                       "records do not name it: sar 1 (1 band float32)")
