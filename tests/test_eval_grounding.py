"""eval.grounding on hand-computed cases, in pixels, on non-square images."""

import json

import pytest

from eval import grounding
from rsvlm import geometry

W, H = 800, 400  # non-square: x bins are 0.8 px, y bins 0.4 px


def _c(b, size):
    return (b + 0.5) / 1000 * size


GT = [_c(100, W), _c(200, H), _c(300, W), _c(600, H)]  # [80.4, 80.2, 240.4, 240.2]: 160 x 160 px


def _record(rid, boxes, w=W, h=H, modality="optical"):
    objs = [{"kind": "box", "label": None, "coords": b} for b in boxes]
    return {"id": rid, "images": [{"path": "x.png", "modality": modality}],
            "conversations": [{"from": "human", "value": "<image>\n[ground] the red roof"},
                              {"from": "gpt", "value": geometry.encode(objs, w, h)}],
            "task": "ground", "meta": {"width": w, "height": h}}


def _run(tmp_path, recs, preds, *extra):
    gt, pr = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr.write_text("".join(json.dumps(p) + "\n" for p in preds))
    return grounding.main(["--gt", str(gt), "--pred", str(pr), *extra])


def test_pixel_objects_against_token_reference(tmp_path):
    """The reference is tokens, the prediction pixels: IoU is only right if the reference is
    denormalised with the right axis sizes. Shifted 40 px right: 120 x 160 overlap, IoU 0.6."""
    pred = {"id": "r", "objects": [{"kind": "box", "coords": [GT[0] + 40, GT[1], GT[2] + 40, GT[3]]}]}
    s = _run(tmp_path, [_record("r", [GT])], [pred])
    assert s["mIoU"] == pytest.approx(120 * 160 / (2 * 160 * 160 - 120 * 160))  # 0.6
    assert s["acc50"] == 1.0
    # had the reference stayed in bins (100, 200, 300, 600), the IoU would be about 0.09
    wrong = geometry.box_iou([100, 200, 300, 600], pred["objects"][0]["coords"])
    assert abs(wrong - s["mIoU"]) > 0.3


def test_shift_on_the_short_axis(tmp_path):
    """A 100 px downward shift on a 400 px-high image: overlap 160 x 60, IoU 60/260."""
    pred = {"id": "r", "objects": [{"kind": "box", "coords": [GT[0], GT[1] + 100, GT[2], GT[3] + 100]}]}
    s = _run(tmp_path, [_record("r", [GT])], [pred])
    assert s["mIoU"] == pytest.approx(60 / 260)
    assert s["acc50"] == 0.0


def test_geochat_scale_per_axis(tmp_path):
    """GeoChat {<10><20><30><60>} on 800 x 400 is [80, 80, 240, 240] px (x by W, y by H)."""
    s = _run(tmp_path, [_record("r", [GT])], [{"id": "r", "answer": "{<10><20><30><60>}"}], "--format", "geochat")
    ix, iy = 240 - 80.4, 240 - 80.2
    assert s["mIoU"] == pytest.approx(ix * iy / (160 * 160 + 160 * 160 - ix * iy))
    # with the axes swapped the box would be [40, 160, 120, 480]: IoU near 0.1
    assert s["mIoU"] > 0.99 and s["acc50"] == 1.0


def test_multi_target_missing_and_unparseable(tmp_path):
    second = [_c(600, W), _c(100, H), _c(700, W), _c(200, H)]  # 80 x 40 px
    tall = [_c(100, 300), _c(200, 900), _c(300, 300), _c(600, 900)]
    recs = [_record("two", [GT, second]), _record("miss", [GT]), _record("bad", [GT]), _record("tall", [tall], 300, 900)]
    preds = [
        # both targets found exactly plus one extra box: record IoU (1 + 1) / 3, not acc
        {"id": "two", "answer": geometry.encode([{"kind": "box", "coords": b} for b in (second, GT, [0, 0, 10, 10])],
                                                W, H)},
        {"id": "bad", "answer": "<box><loc_100><loc_2"},
        {"id": "tall", "answer": geometry.encode([{"kind": "box", "coords": tall}], 300, 900)},
    ]
    s = _run(tmp_path, recs, preds)
    assert s["n_missing"] == 1 and s["n_unparseable"] == 1 and s["n_records"] == 4
    assert s["mIoU"] == pytest.approx((2 / 3 + 0 + 0 + 1) / 4)
    assert s["acc50"] == pytest.approx(1 / 4)
    assert s["object_recall50"] == pytest.approx(3 / 5)  # 5 reference boxes, 3 found
    assert s["object_precision50"] == pytest.approx(3 / 4)  # 4 predicted boxes


def test_obb_prediction_against_box_reference(tmp_path):
    """An obb equal to the reference box's corners scores IoU 1 by polygon IoU."""
    corners = [[GT[0], GT[1]], [GT[2], GT[1]], [GT[2], GT[3]], [GT[0], GT[3]]]
    s = _run(tmp_path, [_record("r", [GT], modality="sar")], [{"id": "r", "objects": [{"kind": "obb", "coords": corners}]}])
    assert s["mIoU"] == pytest.approx(1.0)
    assert set(s["by_modality"]) == {"sar"}


def test_realdata_sirst_self_prediction(tmp_path, realdata):
    import xml.etree.ElementTree as ET

    from PIL import Image

    xml = realdata / "ir_sirst" / "Misc_100.xml"
    if not xml.is_file():
        pytest.skip(f"{xml} absent")
    w, h = Image.open(realdata / "ir_sirst" / "Misc_100.png").size
    bb = ET.parse(xml).find(".//bndbox")
    box = [float(bb.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
    rec = _record("sirst", [box], w, h, modality="ir")
    s = _run(tmp_path, [rec], [{"id": "sirst", "answer": rec["conversations"][1]["value"]}])
    assert (w, h) == (332, 213)
    assert s["acc50"] == 1.0 and s["mIoU"] == pytest.approx(1.0)


def test_malformed_objects_are_unparseable(tmp_path):
    preds = [{"id": "r", "objects": [{"kind": "box", "coords": [1, 2, 3]}]},
             {"id": "s", "objects": [{"kind": "obb", "coords": [[0, 0], [1, 0], [1, 1]]}]}]
    s = _run(tmp_path, [_record("r", [GT]), _record("s", [GT])], preds)
    assert s["n_unparseable"] == 2 and s["mIoU"] == 0.0
