"""Regenerate the bundled sample scenes (rsvlm/assets/samples) from the default model's training
scene config, so the samples look like what the bundled model was trained on.

    python scripts/make_samples.py --out rsvlm/assets/samples [--seed 4242] [--n 24]

Draws scenes of ``configs/default/data_train.yaml`` (harbour and airport favoured, no pairs) with
``--seed`` and keeps the first harbour scene with at least three ships and the first airport scene
with a plane: the harbour's optical PNG and SAR GeoTIFF, the airport's optical PNG, and
``ground_truth.json`` with each sample's objects (pixel coordinates). Our own generator: no licence
restrictions. Limits: the scene picked depends on the generator, so a change to the synthetic
engine changes the samples (and the bundled-model tests' expectations with them).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from rsvlm.argparsing import Parser
from rsvlm.progress import counted

ROOT = Path(__file__).resolve().parent.parent
PICK = {"harbour": ("ship", 3), "airport": ("plane", 1)}  # scene class → (object class, at least)


def pick_scenes(scenes: list[dict]) -> dict[str, dict]:
    chosen = {}
    for s in scenes:
        want = PICK.get(s["scene_class"])
        if want and s["scene_class"] not in chosen:
            if sum(o["class"] == want[0] for o in s["frames"][0]["objects"]) >= want[1]:
                chosen[s["scene_class"]] = s
    missing = set(PICK) - set(chosen)
    if missing:  # was "with enough objects": which objects, and of how many scenes, unsaid
        need = ", ".join(f"{c}: {counted(PICK[c][1], PICK[c][0])} or more" for c in sorted(missing))
        raise ValueError(f"no scene of {sorted(missing)} with enough objects ({need}) among the "
                         f"{counted(len(scenes), 'scene')} drawn")
    return chosen


def main(argv: list[str] | None = None) -> None:
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import check_run, synthesize
    from rsvlm.config import load_config

    ap = Parser(description=__doc__.split("\n\n")[0])  # its first paragraph: its first line cut a sentence
    # required: its default was the bundled rsvlm/assets/samples, so a trial run rewrote files of the repository
    ap.add_argument("--out", required=True, help="folder to write the samples into (rsvlm/assets/samples to "
                                                 "replace the bundled ones)")
    ap.add_argument("--seed", type=int, default=4242, help="scene seed (0 or more)")
    ap.add_argument("--n", type=int, default=24, help="scenes to draw the samples from (1 or more)")
    args = ap.parse_args(argv)
    if args.n < 1 or args.seed < 0:
        ap.error(f"--n {args.n} --seed {args.seed}: give --n 1 or more and --seed 0 or more")
    try:
        check_run(args.n, args.seed, 1)  # --n 20000000: a traceback of synthesize's ValueError
    except ValueError as e:
        ap.error(str(e))  # its message names the option: "--n 20000000: at most …"
    if not args.out.strip():  # `--out "$DIR"` with DIR unset: the samples were written into the current folder
        ap.error(f"--out {args.out!r}: names no folder (an unset shell variable?); give a folder")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        ap.error(f"--out {args.out}: is a file; give a folder")
    if file := next((p for p in Path(args.out).parents if p.exists() and not p.is_dir()), None):
        ap.error(f"--out {args.out}: {file} is a file; give a folder")  # was a traceback, after drawing the scenes
    weights = {c: 20.0 for c in PICK}  # every other scene class keeps weight 1
    cfg = load_config(SynthConfig, ROOT / "configs/default/data_train.yaml",
                      ["scene.pairs_fraction=0", f"scene.scene_weights={json.dumps(weights)}"])
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        synthesize(tmp, args.n, args.seed, cfg, workers=1, progress=False, records=False, verbose=False)
        scenes = [json.loads(p.read_text()) for p in sorted(Path(tmp, "scenes").glob("*.json"))]
        try:
            chosen = pick_scenes(scenes)
        except ValueError as e:
            raise SystemExit(f"error: {e} (--n {args.n} --seed {args.seed}); draw more (--n) or change --seed") from None
        out.mkdir(parents=True, exist_ok=True)
        samples = {}
        for cls, mods in (("harbour", ("optical", "sar")), ("airport", ("optical",))):
            s = chosen[cls]
            for m in mods:
                src = Path(tmp) / s["frames"][0]["images"][m]
                name = f"{cls}_{m}{src.suffix}"
                shutil.copyfile(src, out / name)
                samples[name] = {"scene": s["scene"], "modality": m, "bands": s["bands"][m],
                                 "width": s["width"], "height": s["height"], "scene_class": cls,
                                 "objects": [{"class": o["class"], "hbox": o["hbox"], "obb": o["obb"]}
                                             for o in s["frames"][0]["objects"]]}
    about = (f"Synthetic scenes from `python scripts/make_samples.py --seed {args.seed} --n {args.n}` "
             "(configs/default/data_train.yaml, harbour/airport favoured, no pairs); scenes "
             f"{chosen['harbour']['scene']} and {chosen['airport']['scene']}. Pixel coordinates, x right, "
             "y down; obb corners in the codec's canonical order. Made by our own generator: no licence "
             "restrictions.")
    (out / "ground_truth.json").write_text(json.dumps({"about": about, "samples": samples}, indent=1) + "\n")
    for name, info in samples.items():
        print(f"{name}: {info['scene']} {info['scene_class']}: {', '.join(o['class'] for o in info['objects'])}")


if __name__ == "__main__":
    from rsvlm.closed_pipes import run_main

    sys.exit(run_main(main, "scripts/make_samples.py"))  # `… | head`: goes on, says so
