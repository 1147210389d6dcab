import pytest

from rsvlm.data.conversation import IGNORE_INDEX, encode_conversation, record_messages
from rsvlm.tokenizer import load_tokenizer, train_tokenizer
from rsvlm.tokens import IMAGE_TOKEN, NUM_BINS, all_special_tokens, loc_token

CORPUS = [
    "There are three small vehicles in the parking lot.",
    "A harbour with two ships and a storage tank.",
    "What sensor took this image? SAR.",
    "Detect every plane. How many buildings are there? 12",
] * 50


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    train_tokenizer(CORPUS, d, vocab_size=400)
    return d


def test_trained_tokenizer_round_trips_offline(tok_dir):
    tok = load_tokenizer(tok_dir)
    text = "<image>\n[det] <ref>ship</ref><box><loc_0><loc_12><loc_500><loc_999></box> 3 ships"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    for t in all_special_tokens():
        assert len(tok(t, add_special_tokens=False)["input_ids"]) == 1, t
    locs = tok.convert_tokens_to_ids([loc_token(i) for i in range(NUM_BINS)])
    assert locs == list(range(locs[0], locs[0] + NUM_BINS))
    # unseen characters never become <unk> (byte fallback)
    assert tok.decode(tok("Zürich 東京", add_special_tokens=False)["input_ids"]) == "Zürich 東京"


def test_labels_cover_only_assistant_tokens(tok_dir):
    tok = load_tokenizer(tok_dir)
    img_id = tok.convert_tokens_to_ids(IMAGE_TOKEN)
    rec = {"images": [{"modality": "sar"}], "conversations": [
        {"from": "human", "value": "<image>\n[count] How many ships?"},
        {"from": "gpt", "value": "3"},
        {"from": "human", "value": "[vqa] Is there a plane?"},
        {"from": "gpt", "value": "no"}]}
    msgs = record_messages(rec)
    assert msgs[0]["content"].startswith("SAR image: <image>")
    out = encode_conversation(tok, msgs, img_id, [5])
    ids, labels = out["input_ids"], out["labels"]
    assert ids.count(img_id) == 5 and len(ids) == len(labels)
    trained = tok.decode([t for t, lab in zip(ids, labels) if lab != IGNORE_INDEX])
    assert trained.replace(tok.eos_token, "|").split() == ["3|", "no|"]
    assert all(lab == IGNORE_INDEX for t, lab in zip(ids, labels) if t == img_id)


def test_placeholder_mismatch_is_an_error(tok_dir):
    tok = load_tokenizer(tok_dir)
    msgs = [{"role": "user", "content": "<image> <image> hi"}, {"role": "assistant", "content": "x"}]
    with pytest.raises(ValueError, match="2 image placeholder"):
        encode_conversation(tok, msgs, tok.convert_tokens_to_ids(IMAGE_TOKEN), [4])


def test_answer_lead_gives_an_answers_first_word_its_mid_sentence_tokens(tok_dir):
    """rsvlm's template puts the answer straight after a line break, where sentencepiece has no
    word boundary: the first word comes out as pieces used nowhere else ("ships" is not ``▁ships``).
    ``prompt.answer_lead=" "`` gives it the token it has mid-sentence, and the answer's tokens
    still follow the generation prompt's exactly (what training labels and eval feeds)."""
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.model.processor import Processor

    tok = load_tokenizer(tok_dir)
    question = [{"role": "user", "content": "[vqa] What is in the harbour?"}]

    def answer_ids(lead):
        proc = Processor({}, {}, {}, tok, tok.convert_tokens_to_ids(IMAGE_TOKEN), template="rsvlm",
                         prompt=PromptConfig(answer_lead=lead))
        head = tok(proc.chat_prompt(question, add_generation_prompt=True))["input_ids"]
        full = tok(proc.chat_prompt(question + [{"role": "assistant", "content": "ships"}],
                                    add_generation_prompt=False))["input_ids"]
        assert full[:len(head)] == head
        return full[len(head):]

    mid = tok("two ships", add_special_tokens=False)["input_ids"][1:]  # "▁ships" as in running text
    assert answer_ids(" ")[:len(mid)] == mid
    assert answer_ids(None)[:len(mid)] != mid  # the template's own lead, "": another split


def test_answer_lead_needs_a_registry_template(tok_dir):
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.model.processor import Processor

    tok = load_tokenizer(tok_dir)
    assert tok.chat_template  # the tokenizer's own: it writes answers itself
    with pytest.raises(ValueError, match="answer_lead needs a registry chat template"):
        Processor({}, {}, {}, tok, tok.convert_tokens_to_ids(IMAGE_TOKEN), prompt=PromptConfig(answer_lead=" "))


def test_special_tokens_in_the_corpus_spend_no_vocabulary(tmp_path):
    text = "<image>\n[det] Detect ships. <ref>ship</ref><box><loc_5><loc_16><loc_700><loc_999></box>"
    tok = train_tokenizer(["There are three small vehicles in the parking lot.", text] * 100, tmp_path, vocab_size=320)
    pieces = tok.convert_ids_to_tokens(list(range(tok.vocab_size)))  # sentencepiece's own, before the added ones
    assert not [p for p in pieces if p.strip("▁") in ("loc", "box", "ref", "><", "</", "image")], pieces[-40:]
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    with pytest.raises(ValueError, match="model_type 'bpe2' is not one of bpe, unigram, char, word"):
        train_tokenizer(["a b c"] * 10, tmp_path / "x", model_type="bpe2")  # was sentencepiece's INVALID_ARGUMENT
