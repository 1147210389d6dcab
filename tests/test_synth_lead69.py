"""Stop 69 follow-ups in records and instruction data: a JSONL line cut inside a string is said as the file's cut
last line is (not "Invalid control character"), and ``data_gen chat`` keeps one system turn, first."""

from conftest import write_jsonl

from rsvlm.data.records import json_line, load_records


def test_a_line_cut_inside_a_string_says_so_as_the_last_line_does(tmp_path):
    # the line's newline was read into the string: "Invalid control character at column 10" for line 1, while the
    # same cut on the last line (no line end) said "Unterminated string"; CR LF alike
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": "a\n{"id": "b\r\n{"id": "c')
    recs, report = load_records(path, strict=False)
    said = ("not valid JSON (Unterminated string starting at column 8); the line ends inside it: cut short? (a line "
            "break inside a string is written \\n)")
    assert recs == [] and report.examples == [f"{path}:{n}: {said}" for n in (1, 2, 3)]


def test_a_line_cut_after_a_value_names_its_own_column():
    # '{"id": 1' then a newline was "Expecting ',' delimiter at column 1": the column of the line after it
    for line in ('{"id": 1\n', '{"id": 1\r\n', '{"id": 1'):
        try:
            json_line(line)
        except ValueError as e:
            assert str(e).startswith("not valid JSON (Expecting ',' delimiter at column 9); the line ends before its "
                                     "record does"), line  # stop 80: a record split over lines is said
        else:
            raise AssertionError(line)


def _rec(rid: str, q: str, system: str | None = None, image: str = "a.png") -> dict:
    turns = [{"from": "human", "value": f"<image>\n[vqa] {q}?"}, {"from": "gpt", "value": "yes"}]
    return {"id": rid, "images": [{"path": image, "modality": "optical"}], "task": "vqa",
            "conversations": ([{"from": "system", "value": system}] if system is not None else []) + turns}


def _chat(tmp_path, rows, capsys, *args):
    from data_gen.instructions.chat import main

    src = write_jsonl(tmp_path / "src.jsonl", rows)
    assert main(["--src", src, "--out", str(tmp_path / "c.jsonl"), "--no-progress", *args]) == 0
    chats, _ = load_records(tmp_path / "c.jsonl", strict=True)
    return chats, capsys.readouterr()


def test_chat_keeps_one_system_turn_first(tmp_path, capsys):
    # records with a system turn (a converted "messages" record of role system) were chained with each one's
    # system turn in place: system turns in the middle, which training reads only as the first turn
    rows = [_rec(f"r{i}", f"Q{i}", system="Answer briefly.") for i in range(3)]
    chats, _ = _chat(tmp_path, rows, capsys, "--turns", "3")
    (chat,) = chats
    froms = [t["from"] for t in chat["conversations"]]
    assert froms == ["system"] + ["human", "gpt"] * 3
    assert chat["conversations"][0]["value"] == "Answer briefly."


def test_chat_joins_records_of_one_system_turn_only_and_says_so(tmp_path, capsys):
    # records of one image under two system turns (and none) are chained apart: no question is moved under
    # another's instruction, and none of them is lost unsaid
    rows = ([_rec(f"s{i}", f"S{i}", system="Answer briefly.") for i in range(2)]
            + [_rec(f"t{i}", f"T{i}", system="Answer in full sentences.") for i in range(2)]
            + [_rec(f"n{i}", f"N{i}") for i in range(2)])
    chats, out = _chat(tmp_path, rows, capsys, "--turns", "2")
    by_first = {c["meta"]["turn_ids"][0][0]: c for c in chats}
    assert sorted(by_first) == ["n", "s", "t"]
    for c in chats:
        assert {i[0] for i in c["meta"]["turn_ids"]} == {c["meta"]["turn_ids"][0][0]}
        assert [t["from"] for t in c["conversations"]].count("system") == (c["meta"]["turn_ids"][0][0] != "n")
        assert all(t["from"] != "system" for t in c["conversations"][1:])
    assert "records of 1 image differ in their opening system turn" in out.err
    assert "3 conversations of 6 of 6 records" in out.out


def test_a_palette_labels_transparent_pixels_are_no_class(tmp_path):
    # a label drawn on a transparent layer whose hidden colour is white (a Photoshop export): --palette read its
    # alpha-0 pixels by that colour, the whole background traced as the white class
    import numpy as np
    from convert_helpers import convert, objs, palette_label, same_ring

    label = np.zeros((48, 64, 4), np.uint8)
    label[..., :3] = 255  # (H, W, RGBA) white, transparent
    label[10:30, 10:40] = (255, 0, 0, 255)  # an opaque red building
    args = palette_label(tmp_path, label, "RGBA", {"building": [255, 0, 0], "cloud": [255, 255, 255]})
    stats, recs = convert(tmp_path / "o", "masks", *args)
    assert [r["id"] for r in recs] == ["seg-a-building-poly"]
    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], [[10, 10], [40, 10], [40, 30], [10, 30]], 64)
    assert stats["notes"]["label_pixels_transparent"] == 48 * 64 - 20 * 30
    assert "unknown_label_value" not in stats.get("skipped", {})


def test_a_grey_palettes_la_label_reads_its_transparent_pixels_as_no_class(tmp_path):
    # the same with grey levels (LA): transparent 255s were "tree" all over the background
    import numpy as np
    from convert_helpers import convert, palette_label

    label = np.zeros((48, 64, 2), np.uint8)
    label[..., 0] = 255  # (H, W, LA) grey 255, transparent
    label[5:20, 5:25] = (1, 255)
    stats, recs = convert(tmp_path / "o", "masks", *palette_label(tmp_path, label, "LA", {"water": 1, "tree": 255}))
    assert [r["id"] for r in recs] == ["seg-a-water-poly"]


def test_an_rgba_geotiff_label_under_a_grey_palette_reads_its_alpha_band(tmp_path):
    # its alpha band was taken for a colour: "a colour label (4 bands that differ)", the label skipped unread
    import numpy as np
    import rasterio
    from convert_helpers import convert, png
    from rasterio.enums import ColorInterp

    png(tmp_path / "images" / "a.png", 64, 48)
    (tmp_path / "labels").mkdir()
    grey = np.zeros((48, 64), np.uint8)
    grey[10:30, 10:40] = 2
    grey[0:5, :] = 7  # hidden under alpha 0: no class, nor an unknown value
    alpha = np.where(np.arange(48)[:, None] < 5, 0, 255).astype(np.uint8) * np.ones((1, 64), np.uint8)
    with rasterio.open(tmp_path / "labels" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=4,
                       dtype="uint8", photometric="RGB", alpha="YES") as ds:  # GDAL's extra sample: alpha
        ds.write(np.stack([grey, grey, grey, alpha]))  # (4, H, W)
    with rasterio.open(tmp_path / "labels" / "a_mask.tif") as ds:
        assert ds.colorinterp[3] == ColorInterp.alpha
    write_jsonl(tmp_path / "p.json", [{"field": 2}])
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"))
    assert [r["id"] for r in recs] == ["seg-a-field-poly"]
    assert stats["notes"]["label_pixels_transparent"] == 5 * 64 and not stats.get("skipped")
