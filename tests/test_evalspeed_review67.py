"""Review of stop 67's evaluation-speed tour: what a scorer keeps on an item (``eval.answers.kept``) is keyed by
all that the reading depends on, so a second reading of another kind gets its own, not the first one's."""

from conftest import eval_record

POLY = "<ref>ship</ref><poly><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300><loc_100><loc_300></poly>"


def test_a_prediction_read_in_another_format_is_read_again():
    """The reading of a prediction is kept per format: an answer in GeoChat's boxes reads as no object in rsvlm's
    grammar and as one box in GeoChat's, whichever was asked first on the item."""
    from eval import common

    it = common.Item(eval_record("a", "ground", "[ground] The ship.", "<box><loc_1><loc_1><loc_3><loc_3></box>"),
                     {"id": "a", "answer": "{<10><10><30><30>}"}, 0)
    assert common.pred_objects(it, "rsvlm").objects == []
    got = common.pred_objects(it, "geochat").objects
    assert [o["kind"] for o in got] == ["box"]
    assert common.pred_objects(it, "rsvlm").objects == []  # and the first reading is still its own


def test_an_empty_references_unit_follows_the_class_the_whole_set_asks_for():
    """Segmentation's units of a record are kept per asked class: scored alone, an empty reference to "Segment the
    ships." asks for no known class (unassigned); scored again beside a reference of ships, for "ship". The second
    scoring of the same items must not reuse the first one's unassigned unit."""
    from eval import common, segmentation

    ships = common.Item(eval_record("s", "seg", "[seg] Segment the ships.", POLY),
                        {"id": "s", "answer": POLY}, 0)
    empty = common.Item(eval_record("e", "seg", "[seg] Segment the ships.", "None."),
                        {"id": "e", "answer": "None."}, 1)
    alone = segmentation.score([empty])
    assert alone["n_empty_references_unassigned"] == 1
    again = segmentation.score([ships, empty])
    fresh = segmentation.score([common.Item(it.record, it.pred, it.order) for it in (ships, empty)])
    assert again["n_empty_references_unassigned"] == fresh["n_empty_references_unassigned"] == 0
    assert again == fresh
