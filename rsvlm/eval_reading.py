"""Reading a test record's images for ``rsvlm eval`` (``record_images``) and tallying what reading
them noted over a run (``ReadNotes``), said once at its end."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rsvlm import inference as inf
from rsvlm.data.records import as_record_fields


def record_images(record: dict, root: Path, notes: list[str] | None = None,
                  input_sizes: dict[str, int] | None = None) -> list:
    """A record's images as ImageInputs, each read whole as ``rsvlm predict`` reads it: shrunk to
    ``inf.READ_MAX_SIDE`` pixels a side where larger (a full Sentinel-2 tile read whole took GBs per
    record; the model shrinks it to its input anyway); ValueError naming the file where one has no valid
    pixel (every pixel nodata or not finite), which predict refuses too: it reads as zeros, and the
    model would answer about a black image. What reading noted is added to ``notes``, and with the
    model's ``input_sizes`` (by modality) a scene so much larger that small objects vanish
    (``inf.size_note``)."""
    from rsvlm.data.records import image_paths

    out = []
    for files, im in zip(image_paths(record, root), record["images"]):
        img = inf.read_spec(inf.ImageSpec(files, im.get("modality"), im.get("bands")), max_side=inf.READ_MAX_SIDE)
        if notes is not None:
            size = inf.size_note(img, input_sizes[img.modality]) if img.modality in (input_sizes or {}) else None
            notes += img.notes + ([size] if size else [])
        if err := inf.all_nodata(img):
            raise ValueError(err)
        out.append(inf.model_input(img))
    return out


# reading notes that name bands or give the stretch, said of nearly every image as it should be: not tallied
_ROUTINE = re.compile(r"stretch \(|band \S+ read as \S+$|bands? named .* from |Landsat [\w /]+ bands? [\d, ]+ named ")


_NUMBER = re.compile(r"\d+(?:\.\d+)?")  # a number in a note, its decimals too


@dataclass
class ReadNotes:
    """What reading the images of a run's records noted (``rsvlm.io`` notes: a file of several images,
    a modality inferred, no valid pixel; ``band_notes``: a band filled), by kind: the records of each
    and the first one's id and note, each number in it that differs over the kind's records given as
    its range. Routine notes (``_ROUTINE``) are left out."""

    kinds: dict[str, list] = field(default_factory=dict)  # kind -> [records, first id, first note, lows, highs]

    def add(self, rid: str, notes: list[str]) -> None:
        for kind, note in {self.kind(n): n for n in reversed(notes) if not _ROUTINE.match(n)}.items():
            nums = [(float(x), x) for x in _NUMBER.findall(note)]  # (value, as written: "04", "12.5")
            entry = self.kinds.setdefault(kind, [0, rid, note, nums, nums])
            entry[0] += 1
            if entry[3] is not None:  # None: notes of this kind whose numbers don't line up
                same = len(nums) == len(entry[3])
                entry[3] = list(map(min, entry[3], nums)) if same else None
                entry[4] = list(map(max, entry[4], nums)) if same else None

    @staticmethod
    def spread(note: str, lows: list[tuple] | None, highs: list[tuple] | None) -> str:
        """``note`` with each number that differs over its kind's records as a range, each end as a note
        wrote it ("512–4000x640–3000 px shrunk whole", where the first record's "4000x3000" was said of
        them all; "B04–08"; "8.75–12.5"); as it is where the kind's notes hold different counts of numbers."""
        if lows is None:
            return note
        spans = iter(zip(lows, highs))

        def said(m: re.Match) -> str:
            (lo, lo_text), (hi, hi_text) = next(spans)
            return f"{lo_text}–{hi_text}" if lo != hi else m.group()

        return _NUMBER.sub(said, note)

    @staticmethod
    def kind(note: str) -> str:
        """A note up to its first ``:``, ``(`` or ``;``, its numbers as N: "the file holds N images"."""
        return " ".join(re.sub(r"\d+", "N", re.split(r"[:(;]", note, maxsplit=1)[0]).split())

    def summary(self, n_records: int, most: int = 8) -> str | None:
        """A line, then one per kind (the ``most`` of most records), its advice said for records
        (``as_record_fields``); None without a note."""
        rows = sorted(self.kinds.values(), key=lambda v: -v[0])
        more = f"\n  and {len(rows) - most} more kind(s) of note" if len(rows) > most else ""
        return f"reading the images of the {n_records} record(s) of this run noted:" + "".join(
            f"\n  {n} record(s): {as_record_fields(self.spread(note, lows, highs))[:240]} (first: {rid})"
            for n, rid, note, lows, highs in rows[:most]) + more if rows else None
