"""Chat's cut objects table told of /geojson for an image with no map coordinates, where /geojson is refused (Z's
read of predict's like line, stop 76)."""

import io

from PIL import Image

from rsvlm import inference as inf


def test_a_cut_table_of_an_unreferenced_image_names_vis_not_geojson(ckpt, tmp_path, monkeypatch):
    from rsvlm.chat import ChatREPL

    png = tmp_path / "scene.png"
    Image.new("RGB", (64, 64), (90, 120, 60)).save(png)
    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2)
    repl.load_image([str(png), "optical"])
    many = [{"kind": "box", "label": "car", "coords": [i, 1.0, i + 2.0, 3.0]} for i in range(60)]
    monkeypatch.setattr(inf, "locate", lambda *a, **k: {"answer": "", "text": "", "objects": many, "problems": []})
    assert repl.ask("[det] cars") is not None
    said = out.getvalue()
    assert "… and 10 more objects, not shown (/vis draws them all)" in said, said
    assert "/geojson writes them all" not in said
    assert repl.handle("/geojson " + str(tmp_path / "o.geojson")) is not None
    assert "is not georeferenced" in out.getvalue() and not (tmp_path / "o.geojson").exists()
