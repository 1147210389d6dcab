"""The per-patch targets of contrastive encoder pretraining (rsvlm.train.clip): class shares,
presence, box and object-centre targets, read from the synthetic scenes' masks."""

from __future__ import annotations

import pytest


def test_patch_targets_are_class_shares_per_patch(tmp_path):
    import numpy as np
    import torch
    from PIL import Image

    from rsvlm.train.clip import patch_targets

    sem = np.zeros((8, 8), np.uint8)
    sem[:4, :4] = 3  # top-left patch all water
    sem[4:, 4:6] = 5  # bottom-right patch half building
    Image.fromarray(sem).save(tmp_path / "sem.png")
    t = patch_targets({"id": "r", "meta": {"sem_mask": "sem.png"}}, tmp_path, grid=2, n_classes=12)[:, 0]  # (4,12)
    assert t.shape == (4, 12)
    assert torch.allclose(t.sum(1), torch.ones(4))
    assert t[0, 3] == 1 and t[1, 0] == 1 and t[3, 5] == 0.5 and t[3, 0] == 0.5
    with pytest.raises(ValueError, match="dense_target"):
        patch_targets({"id": "r", "meta": {"sem_mask": "sem.png"}}, tmp_path, grid=2, n_classes=12, kind="max")
    with pytest.raises(ValueError, match="sem_mask"):
        patch_targets({"id": "r", "meta": {}}, tmp_path, grid=2, n_classes=12)
    with pytest.raises(ValueError, match="dense_classes"):
        patch_targets({"id": "r", "meta": {"sem_mask": "sem.png"}}, tmp_path, grid=2, n_classes=4)


def test_presence_targets_flag_a_one_pixel_object_in_its_sub_cell(tmp_path):
    import numpy as np
    from PIL import Image

    from rsvlm.train.clip import patch_targets

    sem = np.zeros((8, 8), np.uint8)  # 2x2 patches of 4 px, each split into 2x2 sub-cells of 2 px
    sem[7, 2] = 9  # one small-vehicle pixel: bottom-left patch (index 2), its bottom-right sub-cell (3)
    Image.fromarray(sem).save(tmp_path / "sem.png")
    rec = {"id": "r", "meta": {"sem_mask": "sem.png"}}
    share = patch_targets(rec, tmp_path, grid=2, n_classes=12)  # (4,1,12)
    assert share[2, 0, 9] == 1 / 16  # a share target all but hides it
    t = patch_targets(rec, tmp_path, grid=2, n_classes=12, subgrid=2, kind="presence")  # (4,4,12)
    assert t.shape == (4, 4, 12)
    assert t[..., 9].nonzero().tolist() == [[2, 3]]
    assert t[..., 0].sum() == 16  # bare land is in every sub-cell, the vehicle's too (multi-label)


def test_box_targets_put_each_box_on_the_patch_of_its_centre(tmp_path):
    import numpy as np
    import torch
    from PIL import Image

    from rsvlm.train.clip import box_loss, box_targets

    inst = np.zeros((8, 8), np.uint8)  # 2x2 patches of 4 px
    inst[5:7, 1:3] = 4  # a 2x2 object, centre (2, 6): bottom-left patch (index 2)
    inst[0:4, 4:8] = 7  # a 4x4 object filling the top-right patch (index 1)...
    inst[2, 6] = 9  # ...and a 1-px one whose centre lies there too: the larger box wins
    Image.fromarray(inst).save(tmp_path / "inst.png")
    t = box_targets({"id": "r", "meta": {"inst_mask": "inst.png"}}, tmp_path, grid=2)  # (4,5)
    assert t[:, 0].tolist() == [0, 1, 1, 0]
    assert t[2].tolist() == [1, 0.25, 0.25, 0.75, 0.75]  # x0 1 px, y0 5 px → (1/4, 5/4 - 1) of its patch
    assert t[1].tolist() == [1, 0, 0, 1, 1]
    assert t[[0, 3]].abs().sum() == 0
    with pytest.raises(ValueError, match="inst_mask"):
        box_targets({"id": "r", "meta": {}}, tmp_path, grid=2)
    perfect = torch.cat([t[:, :1] * 40 - 20, t[:, 1:]], dim=1)[None]  # confident logits, exact boxes
    wrong = perfect.clone()
    wrong[0, 2, 1:] += 1  # one box a patch off
    assert box_loss(perfect, t[None]) < 1e-6 < box_loss(wrong, t[None])


def test_center_targets_mark_each_object_once_with_its_class(tmp_path):
    import numpy as np
    from PIL import Image

    from rsvlm.train.clip import center_targets, patch_targets

    inst, sem = np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8)  # 2x2 patches of 4 px, sub-cells of 2
    inst[0:2, 0:6], sem[0:2, 0:6] = 1, 9  # a 6x2 vehicle across three sub-cells and two patches: centre (3, 1)
    inst[5:7, 5:7], sem[5:7, 5:7] = 2, 10  # a 2x2 tank, centre (6, 6): bottom-right patch, its last sub-cell
    inst[4:8, 0:4], sem[4:8, 0:4] = 3, 5  # a building filling the bottom-left patch...
    sem[6:8, 2:4] = 9  # ...partly covered by a vehicle of no instance of its own: the building stays class 5
    Image.fromarray(inst).save(tmp_path / "inst.png")
    Image.fromarray(sem).save(tmp_path / "sem.png")
    rec = {"id": "r", "meta": {"inst_mask": "inst.png", "sem_mask": "sem.png"}}
    t = center_targets(rec, tmp_path, grid=2, n_classes=12, subgrid=2)  # (4,4,12)
    assert t.shape == (4, 4, 12) and t.sum() == 3
    assert t.nonzero().tolist() == [[0, 1, 9], [2, 3, 5], [3, 3, 10]]  # [patch, sub-cell, class]; the building's centre (2, 6)
    presence = patch_targets(rec, tmp_path, grid=2, n_classes=12, subgrid=2, kind="presence")
    assert presence[..., 9].sum() == 4  # presence flags every sub-cell the vehicles touch
    with pytest.raises(ValueError, match="sem_mask"):
        center_targets({"id": "r", "meta": {"inst_mask": "inst.png"}}, tmp_path, grid=2, n_classes=12)
    with pytest.raises(ValueError, match="dense_classes"):
        center_targets(rec, tmp_path, grid=2, n_classes=10)


def test_center_targets_count_what_the_generator_counts(tmp_path):
    """On the generator's own scenes (up to eight objects, some touching or covered), the centres
    of the asked class add up to every counting answer."""
    import json

    from data_gen.synth.classes import SEMANTIC_ID
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict
    from rsvlm.train.clip import center_targets

    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 96, "max_objects": 8, "pairs_fraction": 0},
                                  "split": {"val": 0.0, "test": 0.0},
                                  "instructions": {"records_per_image": 1, "task_weights": {"count": 1}}})
    synthesize(tmp_path, 40, 3, cfg, workers=1, progress=False, verbose=False)
    recs = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert len(recs) == 40 and sum(int(r["conversations"][1]["value"]) > 1 for r in recs) >= 5
    for r in recs:
        t = center_targets(r, tmp_path, grid=6, n_classes=12, subgrid=2)  # (36,4,12)
        assert t[..., SEMANTIC_ID[r["meta"]["target_class"]]].sum() == int(r["conversations"][1]["value"]), r["id"]


def test_count_points_answers_point_at_the_counted_objects_and_change_nothing_else(tmp_path):
    """``instructions.count_points``: each counting answer points at the asked class's box centres
    (the same targets as pretraining's centre head, within a pixel) and ends with their number;
    every other record, and every draw of the generator, is the same as without it."""
    import json

    from data_gen.synth.classes import SEMANTIC_ID
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from eval.text import parse_count
    from rsvlm import geometry
    from rsvlm.config import from_dict
    from rsvlm.train.clip import center_targets

    base = {"modalities": ["optical"], "scene": {"size": 96, "max_objects": 8, "pairs_fraction": 0},
            "split": {"val": 0.0, "test": 0.0}, "instructions": {"records_per_image": 2,
                                                                 "task_weights": {"count": 1, "cls": 1, "vqa": 1}}}
    recs = {}
    for on in (False, True):
        base["instructions"]["count_points"] = on
        synthesize(tmp_path / str(on), 30, 5, from_dict(SynthConfig, base), workers=1, progress=False, verbose=False)
        recs[on] = [json.loads(x) for x in (tmp_path / str(on) / "train.jsonl").read_text().splitlines()]
    assert [r["id"] for r in recs[True]] == [r["id"] for r in recs[False]]
    counted = 0
    for plain, pts in zip(recs[False], recs[True]):
        if plain["task"] != "count":
            assert pts == plain
            continue
        n, ans = int(plain["conversations"][1]["value"]), pts["conversations"][1]["value"]
        assert parse_count(ans) == n and ans.endswith(f" {n}" if n else "0"), ans
        dec = geometry.decode(ans, 96, 96)
        assert not dec.problems and len(dec.objects) == n and all(o["kind"] == "point" for o in dec.objects)
        ys = [o["coords"][1] for o in dec.objects]
        assert ys == sorted(ys)  # reading order
        t = center_targets(pts, tmp_path / "True", grid=1, n_classes=12, subgrid=96)[0, :, SEMANTIC_ID[pts["meta"]["target_class"]]]
        cells = [(int(i) // 96, int(i) % 96) for i in t.nonzero()[:, 0]]  # (row, col) pixels
        for o in dec.objects:
            x, y = o["coords"]
            assert min(abs(y - r - 0.5) + abs(x - c - 0.5) for r, c in cells) <= 2.5, (pts["id"], o, cells)
        counted += n
    assert counted >= 10


def test_point_count_share_asks_for_points_in_its_own_words_and_leaves_the_rest(tmp_path):
    """``instructions.point_count_share``: that share of counting records asks to point first (its
    own phrasings, subtask ``count_points``) and is answered with points and the number; the
    other counting records and every other record are exactly as without it. A share outside
    [0, 1] is refused."""
    import json

    from data_gen.instructions import phrasings as P
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from eval.text import parse_count
    from rsvlm.config import from_dict

    base = {"modalities": ["optical", "sar"], "scene": {"size": 96, "max_objects": 8, "pairs_fraction": 0},
            "split": {"val": 0.0, "test": 0.0}, "instructions": {"records_per_image": 2,
                                                                 "task_weights": {"count": 2, "cls": 1}}}
    recs = {}
    for share in (0.0, 0.5):
        base["instructions"]["point_count_share"] = share
        synthesize(tmp_path / str(share), 30, 7, from_dict(SynthConfig, base), workers=1, progress=False, verbose=False)
        recs[share] = [json.loads(x) for x in (tmp_path / str(share) / "train.jsonl").read_text().splitlines()]
    asked = 0
    for plain, mixed in zip(recs[0.0], recs[0.5], strict=True):
        if mixed["meta"]["subtask"] != "count_points":
            assert mixed == plain
            continue
        asked += 1
        q = mixed["conversations"][0]["value"].split("] ", 1)[1]
        cls = mixed["meta"]["target_class"]
        assert q in [t.format(s=cls, pl=P.plural(cls)) for t in P.COUNT_POINT]
        ans, n = mixed["conversations"][1]["value"], int(plain["conversations"][1]["value"])
        assert parse_count(ans) == n and ans.count("<point>") == n
    n_count = sum(r["task"] == "count" for r in recs[0.0])
    assert 0.25 * n_count < asked < 0.75 * n_count, (asked, n_count)
    base["instructions"]["point_count_share"] = 1.5
    with pytest.raises(ValueError, match="point_count_share"):
        synthesize(tmp_path / "bad", 2, 7, from_dict(SynthConfig, base), workers=1, progress=False, verbose=False)
