"""Tour 76 (chat): ``/vis`` titles the question's shapes in pixels and says the region asked was drawn where the
answer has no geometry; a ``[change]`` question holding a region is said to be no trained phrasing, once a chat; a
count of "cars" names the model's small vehicles."""

from __future__ import annotations

import pytest
from test_predict_edges import chat_repl

BOX = "<box><loc_100><loc_100><loc_500><loc_500></box>"  # 9.6,6.4,48,32 in the 96x64 geotiff


def test_vis_titles_the_region_in_pixels_and_says_it_was_drawn(ckpt, geotiff, tmp_path, monkeypatch):
    import rsvlm.io as rio

    drawn = {}
    monkeypatch.setattr(rio, "draw_overlay", lambda img, objects, out, **kw: drawn.update(objects=objects, **kw))
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff)])
    assert repl.handle(f"[regcap] What is in {BOX}?")
    repl.last["objects"] = []  # a caption: no geometry
    assert repl.handle(f"/vis {tmp_path / 'o.png'}")
    assert drawn["title"].splitlines()[0] == "[regcap] What is in box 10,6,48,32 px?", drawn["title"]  # was tokens
    assert [o["label"] for o in drawn["objects"]] == ["region asked"]
    # was "(no geometry in the last answer)" over a drawn region
    assert "wrote " + str(tmp_path / "o.png") + " (the region asked drawn; no geometry in the last answer)" in out.getvalue()


def test_a_change_region_is_said_untrained_once_a_chat(ckpt, geotiff):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff)])
    repl.load_image([str(geotiff)])
    for _ in range(2):
        assert repl.handle(f"[change] What changed in {BOX}?")
    assert out.getvalue().count("note: [change] with a region is no phrasing the model learnt") == 1
    assert repl.handle("[change] What changed between the two images?")
    assert out.getvalue().count("no phrasing the model learnt") == 1


@pytest.mark.parametrize("question, ask", [("[count] How many cars are there?", "small vehicles"),
                                           ("[count] How many vessels are there?", "ships")])
def test_a_count_of_cars_names_small_vehicles(ckpt, geotiff, question, ask):
    repl, out = chat_repl(ckpt)
    repl.session.processor.prompt.det_classes = ["plane", "ship", "small vehicle"]
    repl.load_image([str(geotiff)])
    assert repl.handle(question)
    assert f"ask '[count] How many {ask} are there?'" in out.getvalue(), out.getvalue()  # was planes, the first
