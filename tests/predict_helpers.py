"""Stand-ins for rsvlm predict's model side, shared by the front tests (not fixtures: conftest holds those)."""

from __future__ import annotations


def scored_boxes(monkeypatch):
    """predict's tile_predictor replaced: each tile answers one box, scored 0.9 in the left column, else 0.2."""
    import rsvlm.predict as predict

    def predictor(model, processor, question, max_new_tokens, answers, *a, **k):
        def run(tiles):
            out = []
            for t in tiles:
                score = 0.9 if t.window[0] == 0 else 0.2
                answers.append({"window": list(t.window), "answer": "<box>", "problems": []})
                out.append([{"kind": "box", "label": "ship", "coords": [4.0, 4.0, 12.0, 12.0], "score": score}])
            return out
        return run

    monkeypatch.setattr(predict, "tile_predictor", predictor)
