"""Front door and overlays, lead 72 (round 3): the unscored note of --tta's fused masks, NaN in a binned overlay."""


from rsvlm.cli import main

POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


def test_masks_fused_over_tta_views_are_said_unscored_by_design(ckpt, geotiff, monkeypatch, capsys):
    """Polygons fused over --tta views (``fuse_masks``: pixel votes) carry no score by design; the note blamed "the
    answer's shapes did not match the model's per-shape scores one to one"."""
    from rsvlm import inference as inf
    from rsvlm.answering import Answer

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(POLY, [0.9]) for _ in msgs])
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "seg", "--device", "cpu",
                 "--tta", "flip", "--min-score", "0.5"]) == 0
    err = capsys.readouterr().err
    assert ("note: 1 of 1 object(s) have no score: 1 polygon(s) or mask(s) fused over the --tta views are pixel "
            "votes, which carry no score; --min-score keeps them") in err, err
    assert "did not match" not in err, err


def test_the_unscored_note_tells_fused_masks_from_mismatched_shapes():
    from rsvlm.output_options import unscored_note

    objects = [{"kind": "mask"}, {"kind": "poly"}, {"kind": "box"}, {"kind": "poly", "score": 0.3}]
    note = unscored_note(objects, fused=True)
    assert note.startswith("3 of 4 object(s) have no score: 2 polygon(s) or mask(s) fused over the --tta views are "
                           "pixel votes, which carry no score; 1 other(s): the answer's shapes did not match"), note
    assert "fused" not in unscored_note(objects)  # not fused: each is a mismatch, as before
