"""Grammar-constrained decoding (rsvlm.model.grammar): whatever the model prefers, the geometry it
writes decodes without a problem and closes within max_new_tokens."""

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import blank_image

from rsvlm import geometry
from rsvlm.config import load_config
from rsvlm.data.conversation import image_turn
from rsvlm.model import ChatSession, VLMConfig, create_model
from rsvlm.model.grammar import GeometryGrammar, GrammarConstraint, shape_scores
from rsvlm.tokens import NUM_BINS, loc_token

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


@pytest.fixture(scope="module")
def model_proc():
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY))
    model.eval()
    return model, proc


def random_walk(tok, eos: int, vocab: int, budget: int, rng: random.Random) -> list[int]:
    """Tokens chosen at random among the allowed ones, mostly rsvlm's own, until EOS or the budget."""
    con = GrammarConstraint(tok, {eos}, 1, budget)
    loc0 = tok.convert_tokens_to_ids(loc_token(0))
    ours = set(range(loc0, loc0 + NUM_BINS)) | set(tok.convert_tokens_to_ids(
        [f"<{c}{t}>" for t in ("ref", "box", "obb", "point", "poly", "mask") for c in ("", "/")]
        + ["<grid>", "</grid>", "<row>", "<run>"]))
    # text tokens ending in "<" may start a tag the next ones go on with ("<", "bo"): at the answer's
    # end the codec reads that as a cut tag (grammar: Cannot); a lone "<" alone would be text
    cut_tag = {i for i in range(len(tok)) if i not in ours and tok.decode([i]).endswith("<")}
    out: list[int] = []
    while len(out) < budget:
        allowed = [i for i in con([out], vocab)[0].nonzero().flatten().tolist() if i not in cut_tag]
        assert allowed, f"no token allowed after {out}"
        special = [i for i in allowed if i in ours]
        if eos in allowed and rng.random() < 0.03:
            break
        pick = rng.choice(special if special and rng.random() < 0.9 else allowed)
        if pick == eos:
            break
        out.append(pick)
    return out


def test_random_walks_through_the_grammar_always_decode_cleanly(model_proc):
    model, _ = model_proc
    tok = model.tokenizer
    vocab = model.llm.get_output_embeddings().weight.shape[0]
    rng = random.Random(0)
    kinds, at_limit = set(), 0
    for _ in range(300):
        budget = rng.randint(1, 90)
        ids = random_walk(tok, tok.eos_token_id, vocab, budget, rng)
        assert len(ids) <= budget
        text = tok.decode(ids, skip_special_tokens=False)
        parsed = geometry.decode(text, width=96, height=80)
        assert parsed.problems == [], (text, parsed.problems)
        geometry.objects_to_mask(parsed.objects, 96, 80)  # every shape rasterises (mask rows fit)
        kinds |= {o["kind"] for o in parsed.objects}
        at_limit += len(ids) == budget and bool(parsed.objects)
    assert kinds == {"box", "obb", "point", "poly", "mask"}
    assert at_limit > 20  # many walks ran into the budget and still closed their shapes


def test_box_corners_are_ordered_and_a_mask_ends_after_its_rows(model_proc):
    model, _ = model_proc
    tok = model.tokenizer
    vocab = model.llm.get_output_embeddings().weight.shape[0]
    g = GeometryGrammar(tok, vocab, {tok.eos_token_id})
    loc0 = g.ids.loc0

    def allowed_after(tokens, left=1 << 30):
        con = GrammarConstraint(tok, {tok.eos_token_id}, 1, len(tokens) + left)
        return con([tokens], vocab)[0]

    ok = allowed_after([g.ids.open["box"], loc0 + 300, loc0 + 40])
    assert not ok[loc0 + 299] and ok[loc0 + 300] and ok[loc0 + 999] and not ok[g.ids.close["box"]]
    # <mask><grid> 0 0 10 10 C=4 R=3 </grid><row> 1 2 : one column left in the row
    head = [g.ids.open["mask"], g.ids.grid, *(loc0 + v for v in (0, 0, 10, 10, 4, 3)), g.ids.grid_end, g.ids.row, loc0 + 1, loc0 + 2]
    ok = allowed_after(head)
    assert ok[loc0 + 1] and not ok[loc0 + 2] and ok[g.ids.row] and ok[g.ids.run] and not ok[g.ids.close["mask"]]
    ok = allowed_after(head + [g.ids.run])  # two rows remain: repeat one or two times
    assert ok[loc0 + 1] and ok[loc0 + 2] and not ok[loc0 + 3] and not ok[loc0]
    ok = allowed_after(head + [g.ids.run, loc0 + 2])
    assert ok.nonzero().flatten().tolist() == [g.ids.close["mask"]]
    # with two tokens left (K, </mask>) the repeat must cover every remaining row
    ok = allowed_after(head + [g.ids.run], left=2)
    assert ok.nonzero().flatten().tolist() == [loc0 + 2]
    # outside shapes: no locations, no closing tags; a shape that cannot close in time is not opened
    ok = allowed_after([], left=7)
    assert not ok[loc0] and not ok[g.ids.close["box"]] and ok[g.ids.open["box"]] and not ok[g.ids.open["obb"]]
    assert ok[tok.eos_token_id]


def image_batch(proc, question: str) -> dict:
    """``question``'s batch as a chat's first turn about a blank image (ChatSession asks about an image)."""
    turn = image_turn(question, ["optical"], proc.prompt)
    return proc(proc.chat_prompt([{"role": "user", "content": turn}]), blank_image())


def bias_logits(model, bias: dict[int, float]):
    """A forward hook on the LM head that adds ``bias`` to the chosen logits (removed by the caller)."""
    add = torch.zeros(model.llm.get_output_embeddings().weight.shape[0])
    for i, v in bias.items():
        add[i] = v
    return model.llm.get_output_embeddings().register_forward_hook(lambda m, a, out: out + add.to(out.dtype))


def test_generate_and_chat_keep_a_model_that_prefers_stray_locations_to_the_grammar(model_proc):
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = bias_logits(model, {g.ids.loc0 + 5: 100.0, g.ids.open["box"]: 50.0})
    try:
        batch = proc(proc.chat_prompt([{"role": "user", "content": "[ground] the ship"}]))
        free = model.generate(**batch, max_new_tokens=14, constrain=False).text[0]
        held = model.generate(**batch, max_new_tokens=14).text[0]
        chat = ChatSession(model, proc, max_new_tokens=14).ask("[ground] the ship", images=blank_image())
    finally:
        hook.remove()
    assert free == loc_token(5) * 14
    assert geometry.decode(free, 100, 100).problems  # stray locations, no shape
    want = "<box>" + loc_token(5) * 4 + "</box>"
    assert held.startswith(want * 2)  # two boxes fit in 14 tokens; a third would not close in time
    parsed = geometry.decode(held, 100, 100)
    assert parsed.problems == [] and [o["kind"] for o in parsed.objects] == ["box", "box"]
    assert chat.startswith(want * 2)


def test_shape_scores_are_each_shapes_geometric_mean_probability():
    pieces = ["There", "<ref>", "ship", "</ref>", "<box>", "<loc_1>", "<loc_2>", "<loc_3>", "<loc_4>", "</box>",
              "<point>", "<loc_5>", "<loc_6>", "</point>", "<poly>", "<loc_7>"]
    lps = [-0.1 * (i + 1) for i in range(len(pieces))]
    first, second = math.exp(sum(lps[0:10]) / 10), math.exp(sum(lps[10:14]) / 4)
    assert shape_scores(pieces, lps) == pytest.approx([first, second])  # the open <poly> has none
    assert shape_scores(["plain", "text"], [-1.0, -2.0]) == []


def test_generate_reports_each_tokens_log_prob_and_a_score_per_shape(model_proc):
    """The log-probs generate reports are those of a teacher-forced pass, renormalised over what the
    grammar allows; each box's score is its span's geometric-mean probability."""
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = bias_logits(model, {g.ids.open["box"]: 30.0, g.ids.loc0 + 5: 4.0, g.ids.loc0 + 900: 4.0})
    try:
        batch = image_batch(proc, "[det] every ship")
        out = model.generate(**batch, max_new_tokens=14)
        chat = ChatSession(model, proc, max_new_tokens=14)
        chat.ask("[det] every ship", images=blank_image())
        toks, lps = out.tokens[0], out.logprobs[0]
        ids = torch.cat([batch["input_ids"], torch.tensor([toks])], 1)
        with torch.no_grad():
            logits = model.llm(inputs_embeds=model.embed_inputs(ids, batch["images"])).logits[0].float()
    finally:
        hook.remove()
    n = batch["input_ids"].shape[1]
    con = GrammarConstraint(model.tokenizer, model.eos_ids(), 1, 14)
    vocab = len(model.tokenizer)
    want = []
    for k, t in enumerate(toks):
        step = logits[n - 1 + k, :vocab].masked_fill(~con([toks[:k]], vocab)[0], float("-inf"))
        want.append(torch.log_softmax(step, -1)[t].item())
    assert len(lps) == len(toks) and lps == pytest.approx(want, abs=1e-4)
    assert min(lps) < -0.5  # two locations compete: the scores are not all 1
    assert out.scores[0] == pytest.approx([math.exp(sum(lps[:6]) / 6), math.exp(sum(lps[6:12]) / 6)])
    assert all(s < 0.9 for s in out.scores[0])
    assert chat.last_scores == pytest.approx(out.scores[0], abs=1e-5)  # the chat's cached path agrees
    assert [o["kind"] for o in geometry.decode(out.text[0], 96, 96).objects] == ["box", "box"]


def det_and_ground_records(root: Path) -> list[dict]:
    """A det and a ground record on one black 64 px image written under ``root``."""
    from PIL import Image

    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(root / "a.png")
    return [{"id": f"r-{task}", "task": task, "images": [{"path": "a.png", "modality": "optical"}],
             "meta": {"width": 64, "height": 64},
             "conversations": [{"from": "human", "value": f"<image>\n[{task}] Detect every ship."},
                               {"from": "gpt", "value": "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>"}]}
            for task in ("det", "ground")]


def test_eval_writes_scored_objects_for_detection_records(model_proc, tmp_path):
    from eval.common import Item, pred_objects
    from rsvlm.evaluate import answer_batch

    model, proc = model_proc
    recs = det_and_ground_records(tmp_path)
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = bias_logits(model, {g.ids.open["box"]: 30.0, g.ids.loc0 + 5: 4.0, g.ids.loc0 + 900: 4.0})
    try:
        det, ground = answer_batch(model, proc, recs, tmp_path, max_new_tokens=14)
    finally:
        hook.remove()
    assert "objects" not in ground  # only detection ranks by score
    decoded = geometry.decode(det["answer"], 64, 64).objects
    assert len(det["objects"]) == len(decoded) == 2
    assert [o["coords"] for o in det["objects"]] == [o["coords"] for o in decoded]
    assert all(0 < o["score"] < 1 for o in det["objects"])
    got = pred_objects(Item(recs[0], json.loads(json.dumps(det)), 0))
    assert [o["score"] for o in got.objects] == [o["score"] for o in det["objects"]]


def one_box_then_stop(model, g):
    """A hook on the LM head: the prompt's last position opens a box, every later step prefers EOS,
    then location 5, then another box: left alone the model writes one box and stops."""
    first = torch.zeros(model.llm.get_output_embeddings().weight.shape[0])
    first[g.ids.open["box"]] = 60.0
    later = torch.zeros_like(first)
    later[list(model.eos_ids())] = 50.0
    later[g.ids.loc0 + 5], later[g.ids.open["box"]] = 40.0, 30.0
    prefill = [False]  # the LLM's input is the whole prompt (the head sees its last position alone)

    def see(_m, _args, kwargs):
        prefill[0] = kwargs["inputs_embeds"].shape[1] > 1

    handles = [model.llm.register_forward_pre_hook(see, with_kwargs=True),
               model.llm.get_output_embeddings().register_forward_hook(
                   lambda m, a, out: out + (first if prefill[0] else later).to(out.dtype))]

    class Hooks:
        def remove(self):
            for h in handles:
                h.remove()

    return Hooks()


def test_min_shapes_keeps_an_answer_writing_objects_its_own_belief_scores_low(model_proc):
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    box = "<box>" + loc_token(5) * 4 + "</box>"
    batch = proc(proc.chat_prompt([{"role": "user", "content": "[det] every ship"}]))
    hook = one_box_then_stop(model, g)
    try:
        alone = model.generate(**batch, max_new_tokens=30)
        pushed = model.generate(**batch, max_new_tokens=30, min_shapes=3)
        short = model.generate(**batch, max_new_tokens=14, min_shapes=5)  # a third box would not close
        mixed = model.generate(**proc([proc.chat_prompt([{"role": "user", "content": q}]) for q in ("a", "b")]),
                               max_new_tokens=30, min_shapes=[0, 2])
    finally:
        hook.remove()
    assert alone.text[0] == box and len(alone.scores[0]) == 1
    assert pushed.text[0] == box * 3  # EOS was the model's choice after each box; the push overrode it
    first, *more = pushed.scores[0]
    assert first == pytest.approx(alone.scores[0][0])  # the answer up to where it stopped is the same
    assert all(s < first / 5 for s in more)  # the pushed <box> is scored by the model, EOS being likelier
    assert short.text[0] == box * 2 and geometry.decode(short.text[0], 96, 96).problems == []
    assert [t.count("<box>") for t in mixed.text] == [1, 2]


def test_min_shapes_leaves_an_answer_without_objects_alone(model_proc):
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = bias_logits(model, {i: 50.0 for i in model.eos_ids()} | {g.ids.open["box"]: 30.0})
    try:
        out = model.generate(**proc(proc.chat_prompt([{"role": "user", "content": "[det] every ship"}])),
                             max_new_tokens=30, min_shapes=3)
    finally:
        hook.remove()
    assert out.text[0] == "" and out.scores[0] == []  # "None." stays none: a push never starts an answer


def test_eval_min_objects_pushes_detection_answers_only(model_proc, tmp_path):
    from rsvlm.evaluate import answer_batch

    model, proc = model_proc
    recs = det_and_ground_records(tmp_path)
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = one_box_then_stop(model, g)
    try:
        det, ground = answer_batch(model, proc, recs, tmp_path, max_new_tokens=30, min_objects=3)
    finally:
        hook.remove()
    assert ground["answer"].count("<box>") == 1
    assert det["answer"].count("<box>") == 3 and len(det["objects"]) == 3
    assert det["objects"][0]["score"] > 5 * max(o["score"] for o in det["objects"][1:])


def test_predict_min_objects_reaches_single_images_and_tiles(model_proc, tmp_path):
    from PIL import Image

    from rsvlm.io import read_image
    from rsvlm.predict import ask, tile_predictor

    model, proc = model_proc
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png", modality="optical")
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = one_box_then_stop(model, g)
    try:
        plain, _ = ask(model, proc, [img], "[det] Find the ships.", 30)
        more, scores = ask(model, proc, [img], "[det] Find the ships.", 30, min_objects=3)
        ground, _ = ask(model, proc, [img], "[ground] the ship", 30, min_objects=3)
        answers: list = []
        tiled = tile_predictor(model, proc, "[det] Find the ships.", 30, answers, min_objects=2)([img, img])
    finally:
        hook.remove()
    assert plain.count("<box>") == 1 and more.count("<box>") == 3 and len(scores) == 3
    assert ground.count("<box>") == 1  # only detection questions are pushed
    assert [len(objs) for objs in tiled] == [2, 2]


def test_chat_min_objects_pushes_det_turns_and_scores_as_generate_does(model_proc):
    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    hook = one_box_then_stop(model, g)
    try:
        want = model.generate(**image_batch(proc, "[det] every ship"), max_new_tokens=30, min_shapes=3)
        chat = ChatSession(model, proc, max_new_tokens=30, min_objects=3)
        det = chat.ask("[det] every ship", images=blank_image())
        det_scores = chat.last_scores
        ground = chat.ask("[ground] the ship")
    finally:
        hook.remove()
    assert det == want.text[0] and det.count("<box>") == 3
    assert det_scores == pytest.approx(want.scores[0], abs=1e-5)  # the cached chat path agrees
    assert ground.count("<box>") == 1


def test_class_questions_ask_a_question_naming_no_class_once_per_class():
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.inference import class_questions, plural

    prompt = PromptConfig(det_classes=["ship", "storage tank", "ferry"])
    msgs = [{"role": "user", "content": "SAR image: <image>\n[det] List all objects. Use oriented boxes."}]
    asked = class_questions(msgs, prompt)
    assert [m[-1]["content"] for m in asked] == [
        "SAR image: <image>\n[det] Detect all ships. Use oriented boxes.",
        "SAR image: <image>\n[det] Detect all storage tanks. Use oriented boxes.",
        "SAR image: <image>\n[det] Detect all ferries. Use oriented boxes."]
    assert msgs[0]["content"].endswith("List all objects. Use oriented boxes.")  # the input is left as it was
    for named in ("[det] Find all ships.", "[det] Where are the Storage Tanks?", "[ground] the ship", "[cls] Classify."):
        assert class_questions([{"role": "user", "content": named}], prompt) is None
    assert class_questions(msgs, PromptConfig()) is None  # a model without classes
    assert [plural(w) for w in ("plane", "bus", "ferry", "bay", "match")] == ["planes", "buses", "ferries", "bays",
                                                                            "matches"]


def test_join_shapes_keeps_each_answers_scores_with_its_shapes():
    from rsvlm.inference import join_shapes

    a = ("<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>", [0.5])
    b = ("<ref>plane</ref><box><loc_2><loc_2><loc_8><loc_8></box><box><loc_3><loc_3><loc_7><loc_7></box>", [0.4, 0.1])
    assert join_shapes([a, ("None.", []), b]) == (a[0] + b[0], [0.5, 0.4, 0.1])
    assert join_shapes([("None.", []), ("There are none.", [])]) == ("None.", [])


def test_det_by_class_asks_each_class_in_one_batch_and_joins_the_boxes(model_proc):
    from rsvlm.inference import generate_answers

    model, proc = model_proc
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    saved = proc.prompt.det_classes
    proc.prompt.det_classes = ["ship", "plane", "storage tank"]
    hook = one_box_then_stop(model, g)
    try:
        qs = ["[det] Detect all objects.", "[det] Find all ships.", "[count] How many planes?"]
        out = generate_answers(model, proc, [[{"role": "user", "content": q}] for q in qs], [[], [], []], 30,
                               by_class=True)
        plain = generate_answers(model, proc, [[{"role": "user", "content": qs[0]}]], [[]], 30)
    finally:
        hook.remove()
        proc.prompt.det_classes = saved
    (every, s_every), (ships, s_ships), (count, _) = out
    assert every.count("<box>") == 3 and len(s_every) == 3  # one box per class asked
    assert ships.count("<box>") == 1 and len(s_ships) == 1  # a class was named: asked as it is
    assert plain[0][0].count("<box>") == 1
    assert geometry.decode(every, 96, 96).problems == []


def test_default_model_lists_the_generators_object_classes():
    import yaml

    from data_gen.synth.classes import OBJECT_CLASSES

    root = Path(__file__).resolve().parents[1]
    shipped = yaml.safe_load((root / "rsvlm" / "assets" / "default_model" / "config.yaml").read_text())
    recipe = yaml.safe_load((root / "configs" / "default" / "model.yaml").read_text())
    assert shipped["prompt"]["det_classes"] == recipe["prompt"]["det_classes"] == list(OBJECT_CLASSES)


def test_chat_det_by_class_says_and_keeps_the_joined_answer(model_proc, tmp_path):
    import io

    from PIL import Image

    from rsvlm.chat import ChatREPL

    model, proc = model_proc
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "a.png")
    g = GeometryGrammar(model.tokenizer, model.llm.get_output_embeddings().weight.shape[0], model.eos_ids())
    saved = proc.prompt.det_classes
    proc.prompt.det_classes = ["ship", "plane"]
    out = io.StringIO()
    hook = one_box_then_stop(model, g)
    try:
        repl = ChatREPL(model, proc, out=out, max_new_tokens=30, by_class=True)
        repl.load_image([str(tmp_path / "a.png"), "optical"])
        every = repl.ask("[det] Detect all objects.")
        n_every = len(repl.last["objects"])
        ships = repl.ask("[det] Find all ships.")
    finally:
        hook.remove()
        proc.prompt.det_classes = saved
    assert every.count("<box>") == 2 and n_every == 2  # one per class, what /vis and /geojson draw
    assert "asked class by class: " + every in out.getvalue()
    assert ships.count("<box>") == 1 and len(repl.last["objects"]) == 1  # a named class: the streamed answer


def test_an_answer_ended_because_the_budget_hid_a_shape_is_not_finished(model_proc):
    """Under the grammar a cut answer reads as complete: with 3 tokens left no box can open, so
    a model that wants one writes EOS instead. decode reports that answer as not finished."""
    from types import SimpleNamespace

    from rsvlm.model.generation import GenerationConfig, decode

    model, _ = model_proc
    tok, eos = model.tokenizer, model.tokenizer.eos_token_id
    vocab = len(tok)
    box = tok.convert_tokens_to_ids("<box>")

    def run(budget: int, box_logit: float):
        def llm(inputs_embeds, **_):
            logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V): wants <box>, then EOS
            logits[..., box], logits[..., eos] = box_logit, 1.0
            return SimpleNamespace(logits=logits)

        con = GrammarConstraint(tok, {eos}, 1, budget)
        cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
        return decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                      cfg, {eos}, constraint=con)

    cut = run(3, 5.0)
    assert cut.tokens == [[eos]] and cut.finished == [False]  # the model ranked <box> over its EOS
    done = run(3, 0.5)
    assert done.tokens == [[eos]] and done.finished == [True]  # it wanted to stop anyway
    con = GrammarConstraint(tok, {eos}, 1, 100)
    con([[]], vocab)
    logits = torch.zeros(vocab)
    logits[box] = 5.0
    assert not con.cut_by_budget(0, logits)  # nothing hidden with 100 tokens left


def test_a_label_opens_and_runs_on_only_while_a_shape_fits_after_it(model_proc):
    """A ``<ref>`` opened with too few tokens left for a shape after ``</ref>`` ended the answer on a
    label with nothing located; the budget now hides it, and a model that wanted it is reported cut."""
    from types import SimpleNamespace

    from rsvlm.model.generation import GenerationConfig, decode

    model, _ = model_proc
    tok, eos = model.tokenizer, model.tokenizer.eos_token_id
    vocab = model.llm.get_output_embeddings().weight.shape[0]
    ref, end_ref, point = (tok.convert_tokens_to_ids(t) for t in ("<ref>", "</ref>", "<point>"))
    word = tok.convert_tokens_to_ids(tok.tokenize("ship"))[0]

    def allowed_after(tokens, left):
        return GrammarConstraint(tok, {eos}, 1, len(tokens) + left)([tokens], vocab)[0]

    assert not allowed_after([], 6)[ref] and allowed_after([], 7)[ref]  # <ref>ship</ref><point>2</point> is 7
    assert allowed_after([ref], 6)[word] and not allowed_after([ref], 5)[word]  # the label stops in time
    assert allowed_after([ref, word], 5).nonzero().flatten().tolist() == [end_ref]
    assert allowed_after([ref, word, end_ref], 4)[point]  # and a point still fits after it

    def run(budget: int):
        def llm(inputs_embeds, **_):
            logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V): wants <ref>, then EOS
            logits[..., ref], logits[..., eos] = 5.0, 1.0
            return SimpleNamespace(logits=logits)

        con = GrammarConstraint(tok, {eos}, 1, budget)
        cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
        return decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                      cfg, {eos}, constraint=con)

    cut = run(6)
    assert cut.tokens == [[eos]] and cut.finished == [False]  # no dangling label; reported cut
    # a label the budget closed while the model would have gone on with it is cut; one it ended anyway is not
    con = GrammarConstraint(tok, {eos}, 1, 7)
    con([[ref, word]], vocab)  # 5 left: nothing but </ref>
    on, done = torch.zeros(vocab), torch.zeros(vocab)
    on[word], done[end_ref] = 2.0, 2.0
    assert con.cut_by_budget(0, on) and not con.cut_by_budget(0, done)
    free = GrammarConstraint(tok, {eos}, 1, 100)
    free([[ref, word]], vocab)
    assert not free.cut_by_budget(0, on)  # room to go on: the model's own choice
