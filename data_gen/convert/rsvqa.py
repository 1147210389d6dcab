"""RSVQA LR / HR JSON (``*_questions.json``, ``*_answers.json``, ``*_images.json``) → ``[vqa]``.

``--src`` is the folder with the JSON files; ``--prefix`` picks one split (``LR_split_test``,
``USGS_split_val``, …; default: every ``*_questions.json`` there). ``--images`` holds
``{img_id}.tif`` (``Images_LR/`` or ``Data/``). One record per active question of an active
image, with its first active answer verbatim; the question type (presence, count, comparison,
rural_urban, area) is counted in the notes as ``type:…``.

A split is its images: RSVQA's ``*_images.json`` lists every image of the dataset and marks those
of the split ``active`` (its own loaders read only those), so a question about an image it marks
inactive belongs to another split and is skipped (``inactive_image``). Without that file the
questions' own flags decide, noted as ``no_images_json``.

Bad entries: ``inactive`` (marked inactive by RSVQA), ``inactive_image``, ``no_answer``, ``invalid_record``
(one the records loader would refuse: ``<image>`` in the question),
``unparsable_question``, ``missing_image``, ``unreadable_image`` (truncated or not an image;
counted per question), ``wrong_band_count`` (cannot be read as ``--modality``; per question).
"""

from __future__ import annotations

from pathlib import Path

from data_gen.convert.common import ConversionError, Output, make_meta, make_record, refused
from data_gen.convert.images import readable_size
from data_gen.convert.lookup import find_image, index_images
from data_gen.convert.text import read_json
from rsvlm.tokens import MODALITIES


def add_arguments(p) -> None:
    p.add_argument("--src", required=True, type=Path, help="folder with the RSVQA JSON files")
    p.add_argument("--prefix", default=None, help="split prefix, e.g. LR_split_test (default: all)")
    p.add_argument("--images", required=True, type=Path, help="folder with {img_id}.tif")
    p.add_argument("--modality", default="optical", choices=MODALITIES, help="modality of every image (default: optical)")


def _load(src: Path, prefix: str, kind: str) -> list[dict]:
    data = read_json(src / f"{prefix}_{kind}.json")
    if not isinstance(data, dict) or not isinstance(data.get(kind), list):
        raise ConversionError(f"{src / f'{prefix}_{kind}.json'}: expected an object with a '{kind}' list")
    return data[kind]


def _inactive_images(src: Path, prefix: str, out: Output) -> set:
    """Ids of the images ``{prefix}_images.json`` marks inactive (another split's); an empty set,
    noted as ``no_images_json``, where the file is absent."""
    if not (src / f"{prefix}_images.json").is_file():
        out.note("no_images_json")
        return set()
    return {im["id"] for im in _load(src, prefix, "images")
            if isinstance(im, dict) and isinstance(im.get("id"), (int, str)) and im.get("active", True) is False}


def _first_ids(ids: list, few: int = 3) -> str:
    """``ids`` as a list of its first ``few`` and a count of the rest: a question of 400 answers_ids printed them all
    in its ``no_answer`` message; an id is cut at 20 characters (a dict given as an id)."""
    shown = ", ".join(_cut(repr(i)) for i in ids[:few])
    return f"[{shown}]" if len(ids) <= few else f"[{shown}, … {len(ids)} in all]"


def _cut(text: str) -> str:
    """``text`` cut at 20 characters: a dict given as an id was printed whole."""
    return text if len(text) <= 20 else text[:19] + "…"


def run(args, out: Output) -> None:
    src = Path(args.src)
    prefixes = [args.prefix] if args.prefix else sorted(  # not ._X_questions.json (a Mac's zip): it stopped the run
        p.name[: -len("_questions.json")] for p in out.drop_macos_metadata(sorted(src.glob("*_questions.json"))))
    if not prefixes:
        raise ConversionError(f"{src}: no *_questions.json")
    index = index_images(args.images, out)
    sizes: dict[Path, tuple[int, int] | ConversionError] = {}  # size, or why it cannot be used (readable_size)
    for prefix in prefixes:
        questions = _load(src, prefix, "questions")
        other_split = _inactive_images(src, prefix, out)
        answers = {a["id"]: a for a in _load(src, prefix, "answers")
                   if isinstance(a, dict) and isinstance(a.get("id"), (int, str))}
        for k, q in enumerate(out.bar(questions, f"rsvqa {prefix}", "question")):
            where = f"{src / prefix}_questions.json: questions[{k}]"
            if (not isinstance(q, dict) or not isinstance(q.get("question"), str)
                    or not isinstance(q.get("img_id"), (int, str)) or not isinstance(q.get("answers_ids", []), list)):
                out.skip("unparsable_question", where, "needs a 'question' string, an 'img_id' and an 'answers_ids' list")
                continue
            if not q.get("active", True):
                out.skip("inactive", where)
                continue
            if q["img_id"] in other_split:
                out.skip("inactive_image", where, f"image {q['img_id']} is inactive in {prefix}_images.json")
                continue
            ans = [answers[i] for i in q.get("answers_ids", [])
                   if isinstance(i, (int, str)) and i in answers and answers[i].get("active", True)]
            if not ans or not str(ans[0].get("answer", "")).strip():
                ids = q.get("answers_ids", [])  # which: an id the answers file lacks, inactive ones, a blank one
                gone = [i for i in ids if not isinstance(i, (int, str)) or i not in answers]
                out.skip("no_answer", where, f"answers_ids {_first_ids(ids)}" + (
                    f": {', '.join(_cut(str(i)) for i in gone[:3])}{f' and {len(gone) - 3} more' if len(gone) > 3 else ''} "
                    f"not in {prefix}_answers.json" if gone else
                    ": a blank answer" if ans else ": all inactive" if ids else ""))
                continue
            image = find_image(index, f"{q['img_id']}.tif", out)
            if image is None:
                out.missing_image(where, f"{q['img_id']}.tif", args.images)
                continue
            if (size := readable_size(image, out, where, args.modality, sizes)) is None:
                continue
            w, h = size
            meta = make_meta("RSVQA", f"{prefix}_questions.json", w, h)
            rid = f"rsvqa-{prefix}-{q.get('id', k)}"
            turn = (q["question"].strip(), str(ans[0]["answer"]).strip())
            rec = make_record(rid, [{"path": image.name, "modality": args.modality}], [turn], "vqa", meta)
            if (why := refused(rec, where)) is not None:  # "<image>" in a question; checked before the copy
                out.skip("invalid_record", where, why)
                continue
            rec["images"][0]["path"] = out.copy_image(image)
            out.note(f"type:{q.get('type', 'unknown')}")
            out.add(rec, where)
