"""Stop 81, lead (routed by P3): objects_to_geojson now repairs a self-crossing polygon and leaves out one of no
area, saying so in the collection's notes; predict --geojson dropped those notes (its own replaced them) and chat's
/geojson wrote them to the file unsaid. Both say them now."""
import json

BOW_TIE = {"kind": "poly", "label": "pier", "coords": [[2.0, 2.0], [20.0, 20.0], [20.0, 2.0], [2.0, 20.0]]}


def _bow_tie(monkeypatch):
    from rsvlm import inference as inf

    monkeypatch.setattr(inf, "locate", lambda answer, img, scores=None: {
        "answer": answer, "text": "", "objects": inf.with_map_coords([dict(BOW_TIE)], img, []), "problems": []})


def test_predict_and_chat_say_a_repaired_geojson_shape(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from test_chat_tour54 import chat_main

    from rsvlm.cli import main

    _bow_tie(monkeypatch)
    gj = tmp_path / "p.geojson"
    assert main(["predict", "--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--task", "seg",
                 "--max-new-tokens", "2", "--geojson", str(gj)]) == 0
    err = capsys.readouterr().err
    assert "note: GeoJSON: 1 of 1 shapes repaired" in err, err
    fc = json.loads(gj.read_text())
    assert fc["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert any("1 of 1 shapes repaired" in n for n in fc["notes"]), fc["notes"]  # kept in the file as well
    gj2 = tmp_path / "c.geojson"
    assert chat_main(["--model", str(ckpt), "--device", "cpu", "--image", str(geotiff), "--max-new-tokens", "2"],
                     ["[seg] piers", f"/geojson {gj2}"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "  note: GeoJSON: 1 of 1 shapes repaired" in out, out
