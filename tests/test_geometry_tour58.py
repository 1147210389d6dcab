"""Tour 58: the tokenizer and the geometry codec used as a demanding user would (odd and bad input)."""

import pytest

from rsvlm.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def byte_dir(tmp_path_factory):
    """A tiny byte-level tokenizer saved in HF layout (no download)."""
    from rsvlm.model.llm import byte_tokenizer

    d = tmp_path_factory.mktemp("bytetok")
    byte_tokenizer().save_pretrained(d)
    return d


def test_load_tokenizer_names_a_folder_without_one_a_file_and_a_cut_file(tmp_path, byte_dir):
    ckpt = tmp_path / "ckpt"
    (ckpt / "tokenizer").mkdir(parents=True)
    # was transformers' "Couldn't instantiate the backend tokenizer … install sentencepiece or tiktoken"
    with pytest.raises(FileNotFoundError, match=r"ckpt holds no tokenizer .*rsvlm checkpoint, whose tokenizer is .*ckpt/tokenizer"):
        load_tokenizer(ckpt)
    with pytest.raises(FileNotFoundError, match=r"tokenizer: .*tokenizer.json is a file; give the folder"):  # "Repo id must be …"
        load_tokenizer(byte_dir / "tokenizer.json")
    cut = tmp_path / "cut"
    cut.mkdir()
    for f in byte_dir.iterdir():
        (cut / f.name).write_bytes(f.read_bytes())
    (cut / "tokenizer.json").write_bytes((byte_dir / "tokenizer.json").read_bytes()[:500])
    with pytest.raises(ValueError, match=r"tokenizer .*cut: cannot be read \(JSONDecodeError"):  # a bare JSONDecodeError
        load_tokenizer(cut)
    assert len(load_tokenizer(byte_dir)) > 1000  # the folder itself still loads, rsvlm's tokens added


def _word_tokenizer(extra: list[str]):
    """A word-level tokenizer whose vocabulary holds ``extra`` after <unk> and </s>."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({t: i for i, t in enumerate(["<unk>", "</s>", "ship", *extra])}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="</s>")


def test_a_base_vocabulary_with_some_loc_tokens_is_refused_before_it_is_changed():
    from rsvlm.tokens import NUM_BINS, add_special_tokens, loc_token

    tok = _word_tokenizer([loc_token(i) for i in range(10)])  # left over from a 10-bin experiment
    n = len(tok)
    with pytest.raises(RuntimeError, match=r"already has 10 of the 1000 <loc_N> tokens, not all at consecutive ids"):
        add_special_tokens(tok)  # was "did not receive consecutive ids", after adding 1000 tokens
    assert len(tok) == n
    full = _word_tokenizer([loc_token(i) for i in range(NUM_BINS)])  # all of them, in order: kept where they are
    assert add_special_tokens(full).loc_start == 3 and full.convert_tokens_to_ids("<loc_999>") == 3 + 999


def test_train_tokenizer_refuses_one_string_and_texts_that_are_not_strings(tmp_path):
    from rsvlm.tokenizer import train_tokenizer

    corpus = "There are three small vehicles in the parking lot. A harbour with two ships.\n" * 50
    with pytest.raises(ValueError, match=r"texts must be an iterable of strings, got a str \(one text: split"):
        train_tokenizer(corpus, tmp_path / "t", vocab_size=300)  # trained on its letters: "There" → T h e r e
    with pytest.raises(ValueError, match=r"texts must be an iterable of strings, got a PosixPath"):
        train_tokenizer(tmp_path / "corpus.txt", tmp_path / "t", vocab_size=300)
    with pytest.raises(ValueError, match=r"text 1 is a NoneType, not a str"):  # re's "expected string … 'NoneType'"
        train_tokenizer(["a ship", None], tmp_path / "t", vocab_size=300)
    assert not (tmp_path / "t").exists()


def test_encode_takes_a_mask_given_as_nested_lists_and_names_a_ragged_one():
    import numpy as np

    from rsvlm import geometry

    rows = [[0, 1, 1], [0, 1, 0]]  # a mask read from a JSON annotation
    want = geometry.encode([{"kind": "mask", "label": "roof", "mask": np.array(rows, dtype=bool)}], width=3, height=2)
    assert geometry.encode([{"kind": "mask", "label": "roof", "mask": rows}], width=3, height=2) == want  # "mask shape None"
    with pytest.raises(ValueError, match=r"object 0: mask is no \(height, width\) array"):
        geometry.encode([{"kind": "mask", "label": "roof", "mask": [[0, 1, 1], [0, 1]]}], width=3, height=2)


def test_train_tokenizer_learns_from_a_text_longer_than_sentencepieces_default_limit(tmp_path):
    from rsvlm.tokenizer import train_tokenizer

    long = "zebra xylophone quokka " * 300  # 6900 bytes: a long multi-turn conversation, the only one with these words
    assert len(long.encode()) > 4192  # sentencepiece's max_sentence_length, whose longer sentences it skipped unsaid
    tok = train_tokenizer(["a ship in the harbour", "two planes"] * 20 + [long], tmp_path / "t", vocab_size=300)
    assert tok.tokenize("zebra xylophone") == ["▁zebra", "▁xylophone"]  # was bytes: ▁ <0x78> <0x79> l o p h o n e


@pytest.mark.parametrize("size", [(0, 5), (712.0, 557), (True, 5)])
def test_objects_to_mask_refuses_an_image_size_that_is_no_positive_int(size):
    from rsvlm import geometry

    with pytest.raises(ValueError, match=r"image width must be a positive int"):  # 0: a (5, 0) mask; else a TypeError
        geometry.objects_to_mask([{"kind": "box", "coords": [0, 0, 3, 3]}], *size)


def _even_odd(rings, width, height):
    """Reference: pixel centres inside an odd number of rings' crossings, by brute force. (H, W) bool."""
    import numpy as np

    cx, cy = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)  # (H, W) each
    inside = np.zeros((height, width), dtype=bool)
    for ring in rings:
        if len(ring) < 3:
            continue
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
            if y0 == y1:
                continue
            crosses = (np.minimum(y0, y1) <= cy) & (cy < np.maximum(y0, y1))
            inside ^= crosses & (x0 + (cy - y0) * (x1 - x0) / (y1 - y0) <= cx)
    return inside


def test_fill_rings_matches_the_even_odd_rule_on_odd_rings():
    import random

    import numpy as np

    from rsvlm.geometry.shapes import fill_rings

    rng = random.Random(58)

    def coord(size):  # off the image, on a pixel edge or centre, anywhere
        return rng.choice([rng.uniform(-4, size + 4), rng.randint(0, size) + rng.choice([0, 0.5])])

    for _ in range(300):
        w, h = rng.randint(1, 30), rng.randint(1, 30)
        rings = [[[coord(w), coord(h)] for _ in range(rng.randint(1, 7))] for _ in range(rng.randint(1, 3))]
        assert np.array_equal(fill_rings(rings, w, h), _even_odd(rings, w, h)), (rings, w, h)


def test_fill_rings_on_a_large_image_costs_its_crossings_not_rows_times_columns(monkeypatch):
    """Counted, not timed (2 shared CPUs): each row searched every column's centre among its crossings,
    rows x columns values (4 s for a thin strip across a 12000 px scene, now 0.02 s)."""
    import types

    import numpy as np

    from rsvlm.geometry import shapes

    searched = []

    def searchsorted(a, v, *args, **kw):
        searched.append(np.size(v))
        return np.searchsorted(a, v, *args, **kw)

    counting = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    counting.searchsorted = searchsorted
    monkeypatch.setattr(shapes, "np", counting)
    n = 2000  # a thin diagonal strip: 2 crossings per row
    strip = [[[0, 0], [3, 0], [n, n - 3], [n, n], [n - 3, n]]]
    m = shapes.fill_rings(strip, n, n)
    assert sum(searched) <= 10 * n < n * n  # was n * n
    monkeypatch.undo()
    assert np.array_equal(m, _even_odd(strip, n, n))


def test_objects_to_mask_fills_a_box_in_place_not_through_an_image_sized_temporary():
    import tracemalloc

    from rsvlm import geometry

    w, h = 3000, 2000
    tracemalloc.start()
    try:
        m = geometry.objects_to_mask([{"kind": "box", "coords": [10.5, 20, 2000, 1500.5]}], w, h)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * w * h  # the mask itself; the two axes' product was a second (H, W) array
    assert m.sum() == 1990 * 1481 and m[20, 10] and not m[20, 9] and m[1500, 1999] and not m[1501, 1999]


def test_encode_refuses_rings_that_leave_out_the_exterior_coords_names():
    import numpy as np

    from rsvlm import geometry

    ext, hole = [[0, 0], [100, 0], [100, 100], [0, 100]], [[20, 20], [20, 40], [40, 40], [40, 20]]
    with pytest.raises(ValueError, match=r"object 0: coords is not rings\[0\]; rings holds the exterior first"):
        geometry.encode([{"kind": "poly", "label": "lake", "coords": ext, "rings": [hole]}], 200, 200)  # the hole was the lake
    want = geometry.encode([{"kind": "poly", "label": "lake", "coords": ext, "rings": [ext, hole]}], 200, 200)
    closed = {"kind": "poly", "label": "lake", "coords": ext + [ext[0]], "rings": np.array([ext, hole])}  # GeoJSON-closed
    assert want.count("<poly>") == 2 and geometry.encode([closed], 200, 200) == want


def test_rsvlm_chat_template_trains_an_answers_first_word(tmp_path):
    from rsvlm.data.conversation import IGNORE_INDEX, encode_conversation
    from rsvlm.tokenizer import train_tokenizer

    tok = train_tokenizer(["A harbour with two ships.", "What is in the harbour? ships"] * 40, tmp_path / "t", vocab_size=300)
    msgs = [{"role": "user", "content": "<image>\n[vqa] What is in the harbour?"}, {"role": "assistant", "content": "ships"}]
    out = encode_conversation(tok, msgs, tok.convert_tokens_to_ids("<image>"), [1])
    trained = [t for t, lab in zip(out["input_ids"], out["labels"]) if lab != IGNORE_INDEX]
    assert tok.convert_ids_to_tokens(trained)[:2] == ["▁ships", "</s>"]  # was "</s>" alone: "ASSISTANT: " ended on "▁"
    prompt = tok(tok.apply_chat_template(msgs[:1], tokenize=False, add_generation_prompt=True), add_special_tokens=False)
    assert out["input_ids"][: len(prompt["input_ids"]) + 1] == prompt["input_ids"] + trained[:1]  # the answer follows the prompt


def test_encode_says_flat_corner_numbers_go_in_pairs():
    from rsvlm import geometry

    dota = [674, 375, 683, 375, 684, 394, 675, 395]  # a DOTA label line's x1 y1 … x4 y4, passed as read
    with pytest.raises(ValueError, match=r"object 0: expected a list of \[x, y\] pairs, got \[674.*\(flat numbers: give them as pairs"):
        geometry.encode([{"kind": "obb", "label": "small vehicle", "coords": dota}], 712, 557)
    pairs = [dota[i:i + 2] for i in range(0, 8, 2)]
    assert geometry.encode([{"kind": "obb", "label": "small vehicle", "coords": pairs}], 712, 557).count("<loc_") == 8


def test_fill_rings_holds_a_jagged_rings_crossings_a_band_of_rows_at_a_time(monkeypatch):
    import tracemalloc

    import numpy as np

    from rsvlm.geometry import shapes

    rng = np.random.default_rng(58)
    ring = (rng.random((100, 2)) * 300).tolist()  # a freely decoded 100-vertex poly: ~10k crossings
    monkeypatch.setattr(shapes, "_BAND_CROSSINGS", 256)
    tracemalloc.start()
    try:
        m = shapes.fill_rings([ring], 300, 300)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300 * 300 + 200_000  # the mask and one band; all crossings at once held ~0.6 MB (1.3 GB on a 20000 px scene)
    assert np.array_equal(m, _even_odd([ring], 300, 300))
