"""Image modalities a record leaves unsaid (DESIGN.md "Modalities"), found before any pixel is read
for training: by the reader's own rule (``rsvlm.io.SceneReader``, the one ``rsvlm predict`` and
``rsvlm eval`` infer with), once per file, counted in the run's ``ReadReport``.

    finder = ModalityFinder()
    record = finder.fill(record, root, report)   # images[i].modality: given, inferred, or None
    finder.close()                               # ends the progress bar, if one was shown
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rsvlm.data.records import ReadReport, image_paths, with_modalities

UNKNOWN = "unknown"  # the label (index group, score table) of an image whose modality is neither given nor found
_WHY = re.compile(r"modality inferred as (\w+) from (.+?)(?: \(|[:;]|$)")
_STATS_SIDE = 8  # SceneReader computes a stretch on opening; the modality needs none of it


def modality_label(modalities: list[str | None]) -> str:
    """A group name for an image list's modalities: ``sar``, ``optical+sar``, ``unknown`` for one
    neither given nor found, ``text`` for none."""
    return "+".join(sorted({m or UNKNOWN for m in modalities})) or "text"


def inferred_why(notes: list[str]) -> str:
    """What a reader's notes say the modality was inferred from ("1 band float32"), or ""."""
    return next((m.group(2) for n in notes if (m := _WHY.match(n))), "")


@dataclass
class ModalityFinder:
    """Infers, file by file, the modality of each image a record leaves unsaid (cached by path);
    a progress bar shows once inferring has taken a few seconds."""

    seen: dict[tuple[str, ...], str | None] = field(default_factory=dict)
    bar: Any = field(default=None, repr=False)

    def fill(self, record: dict, root: str | Path, report: ReadReport) -> dict:
        """``record`` with its unsaid modalities inferred (``with_modalities``); an image whose file
        cannot be opened keeps None, counted in ``report``: its record is kept, and fails when read
        as any unreadable image does."""
        if all(im["modality"] is not None for im in record["images"]):
            return record
        found = [im["modality"] or self.infer(files, report)
                 for files, im in zip(image_paths(record, root), record["images"])]
        return with_modalities(record, found)

    def infer(self, files: list[Path], report: ReadReport) -> str | None:
        """The modality the reader infers for ``files`` (one image: a file, or one file per band)."""
        key = tuple(map(str, files))
        if key in self.seen:
            return self.seen[key]
        from rsvlm.io import ReadConfig, SceneReader

        name = ", ".join(key)
        try:
            with SceneReader(list(key) if len(key) > 1 else key[0], None, None,
                             ReadConfig(stats_max_side=_STATS_SIDE)) as scene:
                found, why = scene.modality, inferred_why(scene.notes) or "its header"
        except (OSError, ValueError) as e:  # missing, truncated, not an image: the sample fails when read
            found, why = None, f"{type(e).__name__}: {e}"
        report.note_inferred(name, found, why)
        self.seen[key] = found
        self._tick()
        return found

    def _tick(self) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(desc="inferring image modalities", unit="file", delay=2.0)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
