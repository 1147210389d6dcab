"""Review 76 of the lead's and Z's fixes: chat's cut objects table names /geojson by the image /geojson writes from
(a pair's after image), so the note and the command agree both ways."""

import io

import numpy as np
import pytest
from PIL import Image

from rsvlm import inference as inf


@pytest.mark.parametrize("after_referenced", [True, False])
def test_a_pairs_cut_table_names_what_its_after_image_can_write(ckpt, geotiff, tmp_path, monkeypatch,
                                                                after_referenced):
    from rsvlm.chat import ChatREPL

    png = tmp_path / "scene.png"  # the GeoTIFF's size, no map coordinates
    Image.fromarray(np.full((64, 96, 3), 90, np.uint8)).save(png)
    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2)
    for path in ((png, geotiff) if after_referenced else (geotiff, png)):  # before, then after: a pair
        repl.load_image([str(path), "optical"])
    assert len(repl.images) == 2
    many = [{"kind": "box", "label": "car", "coords": [i, 1.0, i + 2.0, 3.0]} for i in range(60)]
    monkeypatch.setattr(inf, "locate", lambda *a, **k: {"answer": "", "text": "", "objects": many, "problems": []})
    assert repl.ask("[change] What changed?") is not None
    said = out.getvalue()
    rest = "/geojson writes them all" if after_referenced else "/vis draws them all"
    assert f"… and 10 more objects, not shown ({rest})" in said, said
    target = tmp_path / "o.geojson"
    assert repl.handle(f"/geojson {target}") is not None
    assert target.exists() == after_referenced, out.getvalue()  # the command does what the note said
