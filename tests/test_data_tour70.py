"""Data tour 70: Responses API content parts, binary labels read by their brightest channel, a GDAL mask band as
transparency, a class named by words that are classes, and chained records with a late system turn."""

from __future__ import annotations

from convert_helpers import llava_rows


def test_llava_reads_responses_api_content_parts(tmp_path):
    # OpenAI's Responses API: input_text / input_image / output_text were "a content part of type 'input_text'"
    rows = [{"id": "a", "image": "a.png", "messages": [
        {"role": "user", "content": [{"type": "input_image", "image_url": "data:..."},
                                     {"type": "input_text", "text": "What is this?"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "a church"}]}]}]
    stats, recs = llava_rows(tmp_path, rows)
    assert not stats["skipped"] and [r["conversations"] for r in recs] == [
        [{"from": "user", "value": "<image>\nWhat is this?"}, {"from": "assistant", "value": "a church"}]]
