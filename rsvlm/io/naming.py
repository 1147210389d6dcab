"""How the bands a ``SceneReader`` reads are named (``BandNaming``, which it builds once its bands are planned):
as given by ``bands=`` (``--bands``), refused where their count is not the bands read, with the way out; else from
the file: Landsat band files by their mission, one band a file by the file names, a lone Sentinel-2 band file, the
bands' descriptions, SAR polarisations, the file's colour interpretation (an RGBN file's 4th band read as NIR); bare
band numbers (``b4``) by the mission the file names say (``products.band_numbers``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rsvlm.io import modality as md
from rsvlm.io import products as pr
from rsvlm.io.bandnames import (
    band_name_from_file,
    default_description,
    polarisation_from_file,
    polarisation_in,
)
from rsvlm.io.checks import n_bands

SAR_EXAMPLE = {1: "VV", 2: "VV,VH", 4: "HH,HV,VH,VV"}  # a --bands count's example for unnamed SAR bands


def msi_example(n: int) -> str:
    """A --bands example of ``n`` real Sentinel-2 names for unnamed msi bands: its 13 (Level-1C) or 12 (Level-2A,
    no B10) in their order, red and NIR for 2, its 10 m set for 4, the default model's 6; else its first ``n`` (B1,B2
    named no mission's bands, and B1 … B12 read by number is no Level-2A stack)."""
    l2a = [b for b in pr.S2_ORDER if b != "B10"]
    own = {2: ["B04", "B08"], 4: ["B02", "B03", "B04", "B08"], 6: ["B02", "B03", "B04", "B08", "B11", "B12"], 12: l2a}
    names = own.get(n) or (list(pr.S2_ORDER[:n]) if n <= len(pr.S2_ORDER) else [f"b{i + 1}" for i in range(n)])
    return ",".join(names)


def canonical(band: str) -> str:
    """A band name given (``--bands``, a chat's ``/image … sar vh``) as the file's and the model's own spell it: a
    polarisation in capitals (``vh`` → ``VH``), a Sentinel-2 number zero-padded in capitals (``b04`` → ``B04``,
    ``b8a`` → ``B8A``); any other as given (``b4`` stays a bare number, ``red`` a word)."""
    b = band.strip()
    return b.upper() if re.fullmatch(r"vv|vh|hh|hv|b0[1-9]|b8a", b, re.I) else band  # (b10: a bare number, b1 … b12 unnamed)


def unnamed_msi_note(names: list[str]) -> str:
    """The note on msi bands the file names none of (``b1 … bN``): what they are taken for, and the ``--bands``
    that says otherwise (a PlanetScope 4-band file's blue, green, red, NIR; an 8-band one's)."""
    n = len(names)
    own = {4: "B,G,R,NIR (PlanetScope's 4 bands) or B02,B03,B04,B08 (Sentinel-2's 10 m bands)",
           8: "coastal,B,green_i,G,yellow,R,B05,NIR (PlanetScope's 8 bands)"}.get(n, msi_example(n))
    from rsvlm.io.vis import UNNAMED_RGB  # the drawing's own choice, so that the note says what overlays show

    rgb = UNNAMED_RGB.get(n, (3, 2, 1))
    drawn = f", and which overlays draw {', '.join(names[i] for i in rgb)} as red, green, blue" if n >= 4 else ""
    return (f"the file names none of its {n} bands: read as {', '.join(names) if n < 4 else f'{names[0]} … {names[-1]}'}"
            f", which a model takes in the order of its own msi bands only where it has {n} (else it asks for names)"
            f"{drawn}; name them with --bands, e.g. --bands {own}")


@dataclasses.dataclass(frozen=True)
class BandNaming:
    """What a scene's bands are named from: its source ``src``, the bands read (``indexes``, 0-based) as
    ``modality``, the files (``paths``; ``name`` as said), the modality guess's ``landsat`` bands, lone Sentinel-2
    band (``s2_band``) and ``inferred``; ``sample(nodata)``, the reader's read for the checks of which values a band
    holds (raw (C, h, w), valid: ``SceneReader.unblended``, its stretch's sample unless the file has overviews);
    bands left out of the read: the file's (``left_out``, described or ``band k``) and band files
    (``gain_left_out``: Landsat 7's ``B6_VCID_2``), for a ``--bands`` count's refusal."""

    src: object
    indexes: list[int]
    modality: str
    paths: list[Path]
    name: str
    landsat: list | None
    s2_band: str | None
    inferred: bool
    sample: Callable
    left_out: list[str]
    gain_left_out: list[str]

    def names(self, bands, mission) -> tuple[list[str], list[str]]:
        """The bands' names, and the notes that say where they come from: given, else from the file; bare band
        numbers (``b4``) by the mission the file names say (``products.band_numbers``), since Landsat 7's band 4
        is Sentinel-2's B08."""
        names, notes = self._named(bands)
        unnamed = ([f"b{i + 1}" for i in self.indexes], [f"b{i + 1}" for i in range(len(names))])
        if names in unnamed:  # the reader's own names for unnamed bands (or a user's spelling of them)
            if bands is None and self.modality == "msi" and len(names) > 1:
                notes.append(unnamed_msi_note(names))  # a PlanetScope B, G, R, NIR: what it is read and drawn as
            return names, notes
        out, note = pr.band_numbers(names, mission)
        low = [b.lower() for b in out]
        if bands is not None and (dup := [b for i, b in enumerate(out) if low.count(low[i]) > 1 and low.index(low[i]) == i]):
            raise ValueError(f"{self.name}: band names {list(bands)} name {', '.join(dup)} twice; "
                             "band matching would take one and leave the other unread")
        return out, [*notes, *[note] * bool(note)]

    def _named(self, bands) -> tuple[list[str], list[str]]:
        """The names given, else the file's, and the notes on them (``names`` less the bare numbers)."""
        n, notes = len(self.indexes), []
        if bands is not None:
            if len(bands) != n:
                raise ValueError(self.count_error(bands))
            return [canonical(str(b)) for b in bands], notes
        if self.landsat and len(self.indexes) == len(self.landsat):
            names, missions, nums = zip(*self.landsat)
            plural = "s" if len(names) > 1 else ""
            notes.append(f"{' / '.join(dict.fromkeys(missions))} band{plural} {', '.join(nums)} "
                         f"named {', '.join(names)}")
            return list(names), notes
        if len(self.paths) == self.src.count > 1:  # one band a file (not I and Q files read as one complex band)
            return [band_name_from_file(self.paths[i]) for i in self.indexes], notes  # (an alpha file left out)
        if self.s2_band and self.modality == "msi":
            return [self.s2_band], notes
        desc = [self.src.descriptions[i] for i in self.indexes]
        if any(desc) and all(default_description(d, i + 1) for d, i in zip(desc, self.indexes)):
            notes.append(f"band description{'s' * (n > 1)} {', '.join(desc)} {'are' if n > 1 else 'is'} a "
                         f"writer's default (GDAL's ENVI writes {'them' if n > 1 else 'it'}): no name"
                         f"{'s' * (n > 1)}, the band{'s are' if n > 1 else ' is'} read as unnamed")  # no R in 'Band 1'
            desc = [None] * n
        pols = [polarisation_in(d) for d in desc]  # Sigma0_VV: the stem's VV, which it did not match
        if self.modality == "sar" and all(pols) and len(set(pols)) == n and pols != desc:
            notes.append(f"band{'s' * (n > 1)} named {', '.join(pols)} from the description{'s' * (n > 1)} "
                         f"{', '.join(desc)}")
            return pols, notes
        if all(desc) and len(set(desc)) == n:
            return list(desc), notes
        colour = [self.src.colour_names[i] for i in self.indexes]
        if self.modality == "optical" and sorted(colour, key=str) == ["B", "G", "R"] and colour != ["R", "G", "B"]:
            notes.append(f"bands stored {', '.join(colour)} (the file's colour interpretation)")
            return colour, notes  # a BGR file: its blue band was named R, fed to the model's red and drawn red
        if self.modality == "optical":
            return ["R", "G", "B"], notes
        if self.modality == "sar" and n == 1 and (pol := polarisation_from_file(self.paths[0])):
            notes.append(f"band named {pol} from the file name")
            return [pol], notes
        if self.modality != "msi":  # a grey image stored as RGB is not a red SAR or thermal band
            if self.modality == "sar" and n == 2 and self.inferred and self.src.dtype == "uint8":
                raw = self.sample(None)[0]  # (2, h, w)
                if len(np.unique(raw[0])) > 2 and (note := md.unflagged_alpha_note(self.src, True, raw[1], 2)):
                    notes.append(note)  # grey + an alpha not flagged: a SAR pair, unsaid
            return [f"b{i + 1}" for i in self.indexes], notes
        if len({c for c in colour if c}) != sum(map(bool, colour)) or not any(colour):
            return [f"b{i + 1}" for i in self.indexes], notes
        # beside R, G, B a band without a colour is "band4", not "b4": band matching reads b4 as
        # Sentinel-2's red B04, and an RGBN file's NIR took the place of its red band
        named = [c or f"band{i + 1}" for c, i in zip(colour, self.indexes)]
        # the reader's ``sample`` (its stretch's, read once, where the file has no overviews): its own 256-px read of
        # the 4th band had decoded a pixel-interleaved 6000² GeoTIFF without overviews a second time (1.5 s)
        if n == 4 and sorted(colour[:3], key=str) == ["B", "G", "R"] and colour[3] is None:
            band4 = self.sample(None)[0][3]  # (h, w)
            if len(np.unique(band4)) > 2:  # 0/255: an alpha unflagged
                named[3] = "NIR"  # NAIP's and 4-band aerial RGBN files' order: left out, B08 was filled from red
                notes.append(f"the 4th band, with no colour beside {', '.join(colour[:3])}, read as NIR (NAIP "
                             "and 4-band aerial files store it so); if it is not, name the bands with --bands")
            elif note := md.unflagged_alpha_note(self.src, self.inferred, band4):
                notes.append(note)
        return named, notes

    def count_error(self, bands) -> str:
        """Why ``bands`` (a count other than the bands read) are refused, and the way out: as many names, or none
        (the names the image then gets, where the file has any; "--bands" as ``advice`` turns it for a chat: one
        mention, its example, which a chat says as the /image command)."""
        n = len(self.indexes)
        own = self._named(None)[0]  # (its notes belong to a read without --bands)
        generic = own == [f"b{i + 1}" for i in self.indexes]
        example = ",".join(own) if not generic else SAR_EXAMPLE.get(n) if self.modality == "sar" else None
        example = example or (msi_example(n) if self.modality == "msi" else ",".join(f"B{i + 1}" for i in range(n)))
        # an alpha band, Earth Engine's QA bands, Landsat 7's B6_VCID_2 file: --bands names the bands read alone
        out = [*self.gain_left_out, *[f"{', '.join(self.left_out)} of the file"] * bool(self.left_out)]
        left = f" ({', '.join(out)} left out of the read)" if out else ""
        if len(set(self.indexes)) == 1 < n:  # a grey file as optical: "has 3 bands" of a 1-band file, unexplained
            left += f" (its one band, grey, read as each of {', '.join(own)})"
        how = "1 name" if n == 1 else f"{n} names in the order of the bands"  # (one band: "give 1 names")
        return (f"{self.name}: {len(bands)} band name{'s' * (len(bands) != 1)} {list(bands)} given; the image has "
                f"{n_bands(n)} as {self.modality}{left}: give {how} (e.g. --bands {example}), or give none"
                + ("" if generic else f" ({'it is' if n == 1 else 'they are'} then read as {', '.join(own)})"))
