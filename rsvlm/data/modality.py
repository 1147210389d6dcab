"""Image modalities a record leaves unsaid (DESIGN.md "Modalities"), found before any pixel is read
for training: by the reader's own rule (``rsvlm.io.SceneReader``, the one ``rsvlm predict`` and
``rsvlm eval`` infer with), once per file, counted in the run's ``ReadReport``.

    with ModalityFinder() as finder:                 # leaving it ends the progress bar, if one was shown
        record = finder.fill(record, root, report)   # images[i].modality: given or inferred; RecordError

A file that cannot be opened leaves its record's modality unknown: ``fill`` raises ``RecordError``
naming it, and the readers skip that record and count it (``UNOPENED``), as read_records does a
malformed line; a run whose data.root is wrong is told so before the first step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rsvlm.data.records import ReadReport, RecordError, as_record_fields, image_paths, with_modalities

UNKNOWN = "unknown"  # the score tables' label of an image whose modality is neither given nor found
UNOPENED = "image that cannot be opened to infer its modality"  # the skip reason of ``fill``'s RecordError
_WHY = re.compile(r"modality inferred as (\w+) from (.+?)(?: \(|[:;]|$)")
_STATS_SIDE = 8  # SceneReader computes a stretch on opening; the modality needs none of it


def inferred_why(notes: list[str]) -> str:
    """What a reader's notes say the modality was inferred from ("1 band float32"), or ""."""
    return next((m.group(2) for n in notes if (m := _WHY.match(n))), "")


@contextmanager
def damaged_files(files) -> Iterator[None]:
    """Lets a reader's unexpected error on a damaged file (an IndexError from a TIFF decoder) out as a
    ValueError naming ``files``, as the readers' own errors (OSError, ValueError) are, so that the data paths
    count that record or sample as unreadable: it stopped a training run with a traceback naming no record."""
    try:
        yield
    except (OSError, ValueError):
        raise
    except Exception as e:  # noqa: BLE001 — any error of a decoder on bytes it did not expect
        raise ValueError(f"{files}: cannot be read, damaged? ({type(e).__name__}: {e})") from e


@dataclass
class ModalityFinder:
    """Infers, file by file, the modality of each image a record leaves unsaid (cached by path);
    a progress bar shows once inferring has taken a few seconds."""

    seen: dict[tuple[str, ...], str | None] = field(default_factory=dict)  # files -> modality (None: see errors)
    errors: dict[tuple[str, ...], str] = field(default_factory=dict)  # files -> why they cannot be opened
    bar: Any = field(default=None, repr=False)

    def fill(self, record: dict, root: str | Path, report: ReadReport) -> dict:
        """``record`` with its unsaid modalities inferred (``with_modalities``); RecordError naming
        the file where one cannot be opened."""
        if all(im["modality"] is not None for im in record["images"]):
            return record
        found = []
        for i, (files, im) in enumerate(zip(image_paths(record, root), record["images"])):
            m = im["modality"] or self.infer(files, report)
            if m is None:  # missing, truncated, not an image
                raise RecordError(f"record {record['id']}: images[{i}] does not name its modality, and it cannot be "
                                  f"inferred: {self.errors[tuple(map(str, files))]}", UNOPENED)
            found.append(m)
        return with_modalities(record, found)

    def infer(self, files: list[Path], report: ReadReport) -> str | None:
        """The modality the reader infers for ``files`` (one image: a file, or one file per band); None
        where they cannot be opened (``errors`` says why)."""
        key = tuple(map(str, files))
        if key in self.seen:
            return self.seen[key]
        from rsvlm.io import ReadConfig, SceneReader

        try:
            with damaged_files(", ".join(key)), SceneReader(list(key) if len(key) > 1 else key[0], None, None,
                                                            ReadConfig(stats_max_side=_STATS_SIDE)) as scene:
                self.seen[key] = scene.modality
                report.note_inferred(", ".join(key), scene.modality, inferred_why(scene.notes) or "its header")
        except (OSError, ValueError) as e:  # a DEM's or a mask's advice: the record's field, not --modality
            self.seen[key], self.errors[key] = None, f"{type(e).__name__}: {as_record_fields(str(e))}"
        self._tick()
        return self.seen[key]

    def _tick(self) -> None:
        if self.bar is None:
            from rsvlm.progress import bar

            self.bar = bar(desc="inferring image modalities", unit="file", delay=2.0)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> ModalityFinder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
