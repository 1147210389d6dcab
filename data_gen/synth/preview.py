"""Overlay PNGs of written synthetic scenes: each modality with the ground truth drawn on it.

    python -m data_gen.synth.preview --dir DIR --out docs/img/data [--scenes s1-000003,…] [--scale 3]

Per scene one row: optical (oriented boxes), msi false colour (NIR, red, green), sar VV in dB
(-25…+5 dB stretch), ir (2-98 % stretch; a band of one value at the middle of its colour map, as
``rsvlm.io`` draws one mid-grey), the semantic map in its palette; pairs add a second row for t1
and the change mask. Reads the files as written, so it checks the writer too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, ImageDraw

from data_gen.synth.classes import MSI_BANDS, OBJECT_CLASSES, SEMANTIC_PALETTE
from rsvlm.argparsing import Parser
from rsvlm.io.scaling import percentile_range
from rsvlm.progress import counted

BOX_COLOURS = [(255, 60, 60), (255, 160, 0), (200, 60, 255), (255, 255, 0), (0, 230, 230), (255, 0, 160), (60, 160, 255)]


def _stretch(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return (np.clip((a - lo) / max(hi - lo, 1e-9), 0, 1) * 255).astype(np.uint8)


def modality_rgb(path: Path, modality: str) -> np.ndarray:
    """(H, W, 3) uint8 view of one image file."""
    if modality == "optical":
        return np.asarray(Image.open(path).convert("RGB"))
    a = tifffile.imread(path).astype(np.float32)
    if a.ndim == 2:  # one band (single-polarisation sar, ir as written): its first row was taken as the image
        a = a[None]  # (1, H, W)
    if a.ndim != 3 or modality == "msi" and len(a) < len(MSI_BANDS):
        raise ValueError(f"{modality} image of shape {a.shape}: expected (bands, height, width)"
                         + (f" with the {len(MSI_BANDS)} bands {', '.join(MSI_BANDS)}" if modality == "msi" else ""))
    if modality == "msi":  # false colour: NIR, red, green -> vegetation red, water black
        b = {n: a[i] / 10000 for i, n in enumerate(MSI_BANDS)}
        return np.stack([_stretch(b["B08"], 0, 0.5), _stretch(b["B04"], 0, 0.3), _stretch(b["B03"], 0, 0.3)], -1)
    if modality == "sar":
        db = 20 * np.log10(np.maximum(a[0], 1e-6))  # amplitude -> dB
        g = _stretch(db, -25, 5)
        return np.repeat(g[..., None], 3, -1)
    if modality == "ir":
        a = a[0]  # (H, W)
        lo, hi, _ = percentile_range(a, [2, 98], in_display_range=False)  # the reader's rule, one value included
        t = _stretch(a, lo, hi).astype(np.float32) / 255  # simple "hot" colour map
        return (np.stack([np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], -1) * 255).astype(np.uint8)
    raise ValueError(f"unknown modality {modality!r}")


def draw_objects(img: Image.Image, objects: list[dict], scale: float, obb: bool = True) -> None:
    d = ImageDraw.Draw(img)
    for o in objects:
        c = BOX_COLOURS[OBJECT_CLASSES.index(o["class"]) % len(BOX_COLOURS)]
        if obb:
            pts = [(x * scale, y * scale) for x, y in o["obb"]]
            d.polygon(pts, outline=c)
        else:
            x1, y1, x2, y2 = (v * scale for v in o["hbox"])
            d.rectangle([x1, y1, x2, y2], outline=c)


def _read(path: Path, modality: str | None = None) -> np.ndarray:
    """An image (``modality``) or a mask (None) as an array; ValueError naming ``path`` when unreadable."""
    if not path.is_file():
        raise ValueError(f"{path} not found")
    try:
        if modality:
            return modality_rgb(path, modality)
        with Image.open(path) as im:
            return np.asarray(im)
    except (OSError, ValueError, IndexError) as e:  # truncated, not an image, too few bands
        raise ValueError(f"{path} cannot be read ({e})") from e


def _mask(path: Path, shape: tuple[int, int], n_ids: int | None = None) -> np.ndarray:
    """A one-band mask of ``shape`` (H, W) whose values, given ``n_ids``, are ids below it; ValueError
    naming ``path`` otherwise (an RGB render of it, another scene's size, a value with no colour)."""
    m = _read(path)
    if m.shape != shape:
        raise ValueError(f"{path}: mask of shape {m.shape}; the scene JSON says one band of {shape[0]} x {shape[1]} px")
    if n_ids is not None and m.size and int(m.max()) >= n_ids:
        raise ValueError(f"{path}: value {int(m.max())} is no semantic id (0-{n_ids - 1}, classes.SEMANTIC_CLASSES)")
    return m


MAX_TILE = 1024  # px a side of one tile: --scale 3 made 4096-px scenes a 73 728 x 24 576 px panel (5 GB)


def tile_scale(width: int, height: int, scale: int) -> float:
    """The magnification a scene is drawn at: ``scale``, less where a tile would pass ``MAX_TILE`` px
    (a whole number while the scene fits at 1x, under 1 for larger scenes)."""
    side = max(width, height)
    if side * scale <= MAX_TILE:
        return scale
    return float(max(1, MAX_TILE // side)) if side <= MAX_TILE else MAX_TILE / side


def scene_panel(root: Path, scene: dict, scale: int = 3) -> Image.Image:
    f = tile_scale(scene["width"], scene["height"], scale)
    size = (max(1, round(scene["width"] * f)), max(1, round(scene["height"] * f)))  # (W, H) of a tile
    rows = []
    for fr in scene["frames"]:
        tiles = []
        for m in ("optical", "msi", "sar", "ir"):
            if m not in fr["images"]:
                continue
            im = Image.fromarray(_read(root / fr["images"][m], m)).resize(size, Image.NEAREST)
            draw_objects(im, fr["objects"], f, obb=m != "msi")
            tiles.append(im)
        hw = (scene["height"], scene["width"])
        pal = np.array(SEMANTIC_PALETTE, np.uint8)[_mask(root / fr["sem_mask"], hw, len(SEMANTIC_PALETTE))]  # (H, W, 3)
        tiles.append(Image.fromarray(pal).resize(size, Image.NEAREST))
        if scene["change_mask"]:
            ch = (_mask(root / scene["change_mask"], hw) > 0).astype(np.uint8) * 255  # (H, W)
            tiles.append(Image.fromarray(np.repeat(ch[..., None], 3, -1)).resize(tiles[0].size, Image.NEAREST))
        rows.append(tiles)
    w, h = rows[0][0].size
    pad = 4
    ncol = max(len(r) for r in rows)
    panel = Image.new("RGB", (ncol * (w + pad) - pad, len(rows) * (h + pad) - pad), (255, 255, 255))
    for r, tiles in enumerate(rows):
        for c, t in enumerate(tiles):
            panel.paste(t, (c * (w + pad), r * (h + pad)))
    return panel


def _foreign_json(word: str, root: Path) -> bool:
    """Whether ``word`` of --scenes is a scene JSON path that is not ``root/scenes``' file of its name (another
    set's ``B/scenes/s0-000000.json``); a bare name, or ``scenes/NAME.json`` as ``ls`` in ``root`` shows it, is not."""
    if not word.endswith(".json"):
        return False
    path, own = Path(word), root / "scenes" / Path(word).name
    if path.is_file():
        return not (own.is_file() and path.samefile(own))
    return path.parent not in (Path("."), Path("scenes"))


def main(argv: list[str] | None = None) -> int:
    from data_gen.instructions.rebuild import load_scene

    p = Parser(prog="python -m data_gen.synth.preview", description=__doc__.split("\n\n")[0] + " "
               + __doc__.split("\n\n")[2].replace("\n", " ").strip())
    p.add_argument("--dir", required=True, help="output folder of `python -m data_gen synth`")
    p.add_argument("--out", required=True, help="folder for the PNGs")
    p.add_argument("--scenes", default=None,
                   help="comma list of scene ids or their scenes/*.json files, each drawn once (default: the first "
                        "single scene and the first pair of each class)")
    p.add_argument("--scale", type=int, default=3, help="pixels a scene pixel is drawn as (default 3; at most "
                   f"{MAX_TILE} px a tile)")
    a = p.parse_args(argv)
    root, out = Path(a.dir), Path(a.out)
    if a.scale < 1:
        p.error(f"--scale must be >= 1, got {a.scale}")
    if not a.out.strip():  # Path("") is ".": the PNGs were written into the current folder, as synth refuses to
        p.error(f"--out is empty (it would write into the current folder); give one, e.g. --out {root / 'preview'}")
    paths = sorted((root / "scenes").glob("*.json"))
    if not paths:
        from data_gen.instructions.rebuild import no_scenes

        print(f"error: {no_scenes(root)}", file=sys.stderr)
        return 2
    words = [w for w in (w.strip() for w in (a.scenes or "").split(",")) if w]
    if a.scenes is not None and not words:  # --scenes "," or "$EMPTY": every class's first was drawn instead, unsaid
        p.error(f"--scenes {a.scenes!r} names no scene; give ids ({paths[0].stem},…), or leave --scenes out for the "
                "first single scene and pair of each class")
    if foreign := [w for w in words if _foreign_json(w, root)]:  # its stem named --dir's scene of that id, drawn unsaid
        if not Path(foreign[0]).is_file():  # a typo of a path: "another folder … give --dir" sent to a set not there
            print(f"error: --scenes {foreign[0]}: no such file; name a scene of --dir by its id or as "
                  f"scenes/ID.json (first under {root / 'scenes'}: {paths[0].stem})", file=sys.stderr)
            return 2
        where = Path(foreign[0]).parent
        their = f" (--dir {where.parent})" if where.name == "scenes" else " (the folder above its scenes/)"
        print(f"error: --scenes {foreign[0]}: a scene JSON of another folder than {root / 'scenes'}; give --dir "
              f"the set it belongs to{their}, or name a scene of --dir by its id", file=sys.stderr)
        return 2
    # each once (s1,s1 drew it twice); a scene JSON's file name or path (ls scenes/) names its id
    # in any case (S0-000001, as a split or --tasks is read) where no scene has the id as given
    stems, lower = {q.stem for q in paths}, {q.stem.lower(): q.stem for q in paths}
    ids = (Path(w).stem if w.lower().endswith(".json") else w for w in words)
    wanted = list(dict.fromkeys(i if i in stems else lower.get(i.lower(), i) for i in ids))
    missing = [w for w in wanted if not (root / "scenes" / f"{w}.json").is_file()]
    if missing:  # "2" for the scene of index 2: its id named (ids are s<seed>-<index>)
        index = {int(t): q.stem for q in paths if (t := q.stem.rpartition("-")[2]).isdigit()}
        meant = [f"{w} is {index[int(w)]}" for w in missing if w.isdigit() and int(w) in index]
        print(f"error: --scenes {', '.join(missing)}: not under {root / 'scenes'} (first there: {paths[0].stem}"
              + (f"; scenes are named by id: {', '.join(meant)}?" if meant else "") + ")", file=sys.stderr)
        return 2
    if out.resolve() == root.resolve():  # the panels were written among the set's records and stats
        print(f"error: --out {out} is the set's own folder (--dir {root}); give a folder outside it or under it, "
              f"e.g. --out {root / 'preview'}", file=sys.stderr)
        return 2
    if own := next((sub for sub in ("images", "masks", "scenes")
                    if out.resolve().is_relative_to((root / sub).resolve())), None):  # overlays mixed into the set
        print(f"error: --out {out} is in the set's own {own}/ folder ({root / own}); give a folder outside it, e.g. "
              f"--out {root / 'preview'}", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file of that name, a read-only parent
        print(f"error: --out {out} cannot be made a folder ({e})", file=sys.stderr)
        return 2
    scenes, failed = [], []
    for path in [root / "scenes" / f"{w}.json" for w in wanted] or paths:
        try:
            scenes.append(load_scene(path))
        except (OSError, ValueError) as e:  # a truncated or foreign scene JSON; the others still drawn
            failed.append(path.stem)
            print(f"error: {e}", file=sys.stderr)
    if not wanted:  # the first scene of each class, single and pair
        seen, keep = set(), []
        for s in scenes:
            key = (s["scene_class"], s["pair"])
            if key not in seen:
                seen.add(key)
                keep.append(s)
        scenes = keep
    total = len(scenes) + len(failed)
    if shrunk := [s["scene"] for s in scenes if tile_scale(s["width"], s["height"], a.scale) < a.scale]:
        print(f"note: {counted(len(shrunk), 'scene')} drawn smaller than --scale {a.scale} (first: {shrunk[0]}), so "
              "that a tile "
              f"is at most {MAX_TILE} px a side", file=sys.stderr)
    for s in scenes:
        name = f"{s['scene_class'].replace(' ', '_')}{'_pair' if s['pair'] else ''}_{s['scene']}.png"
        try:
            panel = scene_panel(root, s, a.scale)
        except (OSError, ValueError) as e:  # a missing, truncated or foreign image or mask; the others still drawn
            failed.append(s["scene"])
            print(f"error: scene {s['scene']}: {e}", file=sys.stderr)
            continue
        try:
            panel.save(out / name)
        except OSError as e:  # the disk is full, or a folder of that name is in the way
            print(f"error: cannot write {out / name} ({e})", file=sys.stderr)
            return 2
        print(out / name)
    if failed:
        print(f"error: {len(failed)} of {counted(total, 'scene')} not drawn: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 0


def run(argv: list[str] | None = None) -> int:
    """``main`` whose reader may close stdout (``… | head -2``): it draws every scene still (a BrokenPipeError
    at the first path printed after it ended the run there, with a traceback), and says so on stderr."""
    from rsvlm.closed_pipes import readers_may_close

    with readers_may_close("python -m data_gen.synth.preview") as closed:  # a failed run said so
        return closed.ended(main(argv))


if __name__ == "__main__":
    raise SystemExit(run())
