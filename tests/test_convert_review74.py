"""Review of tour 74's converters: a zip or tar member that is not there (missing_member) said for a tar written as
``tar czf`` writes it, folder entries and all, and its archive listed once, not once a record."""

import io
import json
import tarfile

from PIL import Image


def _tar(path, names, folders=("scenes",)):
    """A .tar.gz as ``tar czf`` writes one: each folder an entry of its own (``scenes``, no trailing /)."""
    buf = io.BytesIO()
    Image.new("RGB", (12, 8)).save(buf, "PNG")
    with tarfile.open(path, "w:gz") as t:
        for d in folders:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            t.addfile(info)
        for n in names:
            info = tarfile.TarInfo(n)
            info.size = len(buf.getvalue())
            t.addfile(info, io.BytesIO(buf.getvalue()))


def test_a_tar_with_folder_entries_says_its_missing_member(tmp_path):
    """The tar's folder entry ``scenes`` was taken for a nested archive holding scenes/b.png: None, so GDAL's
    "does not exist in the file system" as unreadable_image, as before tour 74's fix."""
    from data_gen.convert.images import _archive_files, missing_member

    _archive_files.cache_clear()
    _tar(tmp_path / "pack.tar.gz", ["scenes/a.png"])
    said = missing_member(f"/vsitar/{tmp_path}/pack.tar.gz/scenes/b.png")
    assert said is not None and said.endswith(f"{tmp_path / 'pack.tar.gz'} holds no scenes/b.png (it holds scenes/a.png)")
    assert missing_member(f"/vsitar/{tmp_path}/pack.tar.gz/scenes/a.png") is None


def test_llava_says_a_tar_member_that_is_not_there_is_missing(tmp_path, capsys):
    from data_gen.__main__ import main

    (tmp_path / "src").mkdir()
    _tar(tmp_path / "src" / "pack.tar.gz", ["scenes/a.png"])
    turns = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A field."}]
    recs = [{"id": f"r{k}", "image": f"/vsitar/pack.tar.gz/scenes/{n}.png", "conversations": turns}
            for k, n in enumerate("ab")]
    (tmp_path / "l.json").write_text(json.dumps(recs))
    assert main(["convert", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "src"),
                 "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"missing_image": 1}, stats
    assert "holds no scenes/b.png (it holds scenes/a.png)" in stats["skipped_examples"]["missing_image"]


def test_an_archive_is_listed_once_for_many_members_and_again_once_changed(tmp_path, monkeypatch):
    """Each record naming a member listed the whole archive again: a 247 MB .tar.gz of 5,000 images took 2 s a
    record only for that, beside GDAL's own read."""
    from data_gen.convert.images import _archive_files, missing_member
    from rsvlm.io import archives

    _archive_files.cache_clear()
    calls = []
    real = archives.archive_names
    monkeypatch.setattr(archives, "archive_names", lambda p: (calls.append(p), real(p))[1])
    tar = tmp_path / "pack.tar.gz"
    _tar(tar, [f"scenes/s{k}.png" for k in range(5)])
    said = [missing_member(f"/vsitar/{tar}/scenes/s{k}.png") for k in range(7)]
    assert said[:5] == [None] * 5 and "holds no scenes/s6.png" in said[6] and len(calls) == 1
    _tar(tar, [f"scenes/s{k}.png" for k in range(7)])  # rewritten, larger: listed again
    assert missing_member(f"/vsitar/{tar}/scenes/s6.png") is None and len(calls) == 2
