"""Which PNGs a training run has found whole, in a table of a fixed size set by the number of records.

The image reader checks a PNG's pixel data whole (``rsvlm.io.pngcheck.check_whole_png``) at a cost of
30-65% of a decode; training reads each image again every epoch, so it remembers the files it found whole.
A set of their (path, size, mtime_ns) keys grew by an entry of some 250 bytes a file, and by one more for
each file rewritten, for as long as the run went on, and was copied to every epoch's DataLoader workers.
``WholeFiles`` holds an 8-byte digest of each key in a table of ``SLOTS_PER_RECORD`` slots a record, made
once: a key whose two slots are taken by others takes the place of one of them, which is then checked again
at its next read (a cost, never a PNG let through: only a key's own digest says it was found whole). A file
rewritten since (another size or mtime) has another key, so it is checked anew.

A resumed run starts with an empty table: it checks each PNG once more, on its first read.
"""

from __future__ import annotations

import hashlib

import numpy as np

SLOTS_PER_RECORD = 8  # room for records of several images (pairs, band files) with few evictions
MIN_SLOTS = 1 << 10


def key_digest(key) -> int:
    """A stable non-zero int64 of a ``pngcheck.file_key`` (the same in every process, unlike ``hash``)."""
    d = int.from_bytes(hashlib.blake2b(repr(tuple(key)).encode(), digest_size=8).digest(), "little", signed=True)
    return d or 1


class WholeFiles:
    """The set protocol ``check_whole_png`` uses (``in``, ``add``) over a table made for ``n_records``
    records (``SLOTS_PER_RECORD`` slots each, a power of two, at least ``MIN_SLOTS``): two slots a key,
    picked from its digest. ``len()``: the slots taken."""

    def __init__(self, n_records: int):
        size = max(MIN_SLOTS, 1 << (SLOTS_PER_RECORD * max(1, n_records) - 1).bit_length())
        self.table = np.zeros(size, dtype=np.int64)  # (size,) digests, 0: empty

    def _slots(self, d: int) -> tuple[int, int]:
        mask = len(self.table) - 1
        return d & mask, (d >> 32) & mask

    def __contains__(self, key) -> bool:
        d = key_digest(key)
        return any(int(self.table[s]) == d for s in self._slots(d))

    def add(self, key) -> None:
        d = key_digest(key)
        first, second = self._slots(d)
        if int(self.table[first]) in (0, d):
            self.table[first] = d
        elif int(self.table[second]) in (0, d):
            self.table[second] = d
        else:  # both taken by others: this key takes the first; the one it held is checked again next time
            self.table[first] = d

    def __len__(self) -> int:
        return int(np.count_nonzero(self.table))
