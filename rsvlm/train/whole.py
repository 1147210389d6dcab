"""Which PNGs a training run has found whole, in a table of a fixed size set by the number of records.

The image reader checks a PNG's pixel data whole (``rsvlm.io.pngcheck.check_whole_png``) at a cost of
30-65% of a decode; training reads each image again every epoch, so it remembers the files it found whole.
A set of their (path, size, mtime_ns) keys grew by an entry of some 250 bytes a file, and by one more for
each file rewritten, for as long as the run went on, and was copied to every epoch's DataLoader workers.
``WholeFiles`` holds an 8-byte digest of each key in a table of ``SLOTS_PER_RECORD`` slots a record, made
once: a key whose two buckets are full takes the place of another, which is then checked again at its next
read (a cost, never a PNG let through: only a key's own digest says it was found whole). A file
rewritten since (another size or mtime) has another key, so it is checked anew.

A resumed run starts with an empty table: it checks each PNG once more, on its first read.
"""

from __future__ import annotations

import hashlib

import numpy as np

SLOTS_PER_RECORD = 4  # 32 bytes a record or so: pairs and band files fit with few evictions
WAYS = 4  # slots a bucket
MIN_SLOTS = 1 << 10


def key_digest(key) -> int:
    """A stable non-zero int64 of a ``pngcheck.file_key`` (the same in every process, unlike ``hash``)."""
    d = int.from_bytes(hashlib.blake2b(repr(tuple(key)).encode(), digest_size=8).digest(), "little", signed=True)
    return d or 1


class WholeFiles:
    """The set protocol ``check_whole_png`` uses (``in``, ``add``) over a table made for ``n_records`` records
    (``SLOTS_PER_RECORD`` slots each, at least ``MIN_SLOTS``, in buckets of ``WAYS``): a key may sit in either
    of two buckets its digest picks, and where both are full it takes a slot of the first, whose key is then
    checked again at its next read. ``len()``: the slots taken."""

    def __init__(self, n_records: int):
        buckets = max(1, max(MIN_SLOTS, SLOTS_PER_RECORD * n_records) // WAYS)
        self.table = np.zeros((1 << (buckets - 1).bit_length(), WAYS), dtype=np.int64)  # (buckets, WAYS), 0: empty

    def _buckets(self, d: int) -> tuple[np.ndarray, np.ndarray]:
        mask = len(self.table) - 1
        return self.table[d & mask], self.table[(d >> 32) & mask]  # views: writes land in the table

    def __contains__(self, key) -> bool:
        d = key_digest(key)
        return any(d in b.tolist() for b in self._buckets(d))

    def add(self, key) -> None:
        d = key_digest(key)
        buckets = self._buckets(d)
        held = [b.tolist() for b in buckets]
        if any(d in h for h in held):
            return
        for b, h in zip(buckets, held):
            if 0 in h:
                b[h.index(0)] = d
                return
        # both full: the key held there is checked again at its next read. The slot is told by the digest's top
        # bits, which neither bucket index reads: d % WAYS repeats d & mask's low bits, so every key of a first
        # bucket took the same slot, the other slots keeping their keys for good (a rewritten file's dead ones too)
        buckets[0][(d >> 56) % WAYS] = d  # bits 56-63: read by the second index past 2**24 buckets alone

    def __len__(self) -> int:
        return int(np.count_nonzero(self.table))
