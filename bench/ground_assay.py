"""Do an encoder's tokens let a fresh LLM point at the one object in a scene? A frozen-token assay.

    .venv/bin/python bench/ground_assay.py --encoder shipped=rsvlm/assets/default_model/vision.safetensors \\
        [--encoder other=runs/x/pretrain_encoder/final/encoder.safetensors] [--scenes 6000] [--steps 900]

Single-object optical scenes (96 px, ``data_gen`` with ``scene.max_objects=1``, grounding records;
the test scenes use another seed) are encoded once by each frozen encoder (the default model's
architecture, configs/default/model.yaml). A fresh LayerNorm+Linear projector and a fresh 4-layer
Llama (the default model's LLM dims, sin-cos ``<loc_N>`` rows) learn to write the object's box
after ``<image> <class>``. Scored teacher-forced on the test scenes:

* x1/y1 MAE: mean |argmax bin − true bin| of the first two coordinates, the ones only the image
  can give (x2/y2 follow from them and the size; bench/loc_learning.py measures that part);
* the same with every test scene given another scene's tokens (the baseline in the same run: equal
  numbers mean the tokens are not used);
* acc@0.5 of the four argmax coordinates;
* cell probe: a linear score on every token, softmax over the 36 tokens, trained to pick the cell
  that holds the object's centre (chance 1/36).

The ``oracle`` row replaces the encoder with tokens that mark the object outright (random
background tokens, a fixed flag vector added on the object's cell): what the LLM learns in the
same steps when the tokens are perfect. Limits: one seed; teacher-forced, not greedy decoding.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import (
    LOC0,
    OBJECTS,
    ORDERS,
    ROOT,
    assay_options,
    check_counts,
    default_model_yaml,
    encode,
    encoders,
    fresh_llm,
    markdown_table,
    prompt,
    run_script,
    synth_scenes,
    write_json,
)

from rsvlm.argparsing import Parser
from rsvlm.progress import bar


def make_scenes(out: Path, n: int, seed: int, overrides: list[str] = ()) -> Path:
    return synth_scenes(out, n, seed, ["modalities=[optical]", "scene.max_objects=1", "scene.pairs_fraction=0",
                                       "instructions.task_weights={ground: 1}", "instructions.records_per_image=1",
                                       *overrides])


def load_images(jsonl: Path):
    """→ pixels (n,3,96,96) normalised for the optical stem, boxes (n,4) in bins, class ids (n,)."""
    from rsvlm.io.read import read_image
    from rsvlm.model.stem import StemConfig, prepare

    stem = StemConfig(**default_model_yaml()["stems"]["optical"])
    pix, boxes, cls = [], [], []
    for line in jsonl.read_text().splitlines():
        r = json.loads(line)
        v = [int(x) for x in re.findall(r"loc_(\d+)", r["conversations"][1]["value"])]
        xs, ys = v[0::2], v[1::2]
        img = read_image(jsonl.parent / r["images"][0]["path"], modality="optical")
        pix.append(prepare(stem, img.data, 96))
        boxes.append([min(xs), min(ys), max(xs), max(ys)])
        cls.append(OBJECTS.index(r["meta"]["target_class"]))
    return torch.stack(pix), torch.tensor(boxes), torch.tensor(cls)


def cell_of(boxes: torch.Tensor, grid: int = 6) -> torch.Tensor:
    cx = ((boxes[:, 0] + boxes[:, 2]) / 2 / 1000 * grid).long().clamp(0, grid - 1)
    cy = ((boxes[:, 1] + boxes[:, 3]) / 2 / 1000 * grid).long().clamp(0, grid - 1)
    return cy * grid + cx  # (n,)


def oracle_tokens(boxes: torch.Tensor, width: int, seed: int) -> torch.Tensor:
    """(n,36,W): one of 8 fixed background tokens per cell, plus a fixed flag on the object's cell
    (the same 8 tokens and flag on every call, so training and test scenes share them)."""
    fixed = torch.Generator().manual_seed(seed)
    bg, flag = torch.randn(8, width, generator=fixed), torch.randn(width, generator=fixed)
    pick = torch.Generator().manual_seed(seed + len(boxes))
    tok = bg[torch.randint(0, 8, (len(boxes), 36), generator=pick)]  # (n,36,W)
    tok[torch.arange(len(boxes)), cell_of(boxes)] += 2 * flag
    return tok


def cell_probe(tr: torch.Tensor, ctr: torch.Tensor, te: torch.Tensor, cte: torch.Tensor) -> float:
    mu, sd = tr.flatten(0, 1).mean(0), tr.flatten(0, 1).std(0) + 1e-6
    w = torch.zeros(tr.shape[-1], requires_grad=True)
    opt = torch.optim.Adam([w], lr=1e-2)
    for _ in range(300):
        loss = torch.nn.functional.cross_entropy(((tr - mu) / sd) @ w, ctr) + 1e-4 * w.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float((((te - mu) / sd) @ w).argmax(1).eq(cte).float().mean())


def llm_assay(tr, btr, ctr, te, bte, cte, steps: int, seed: int, order: str = "image-first") -> dict:
    from rsvlm.geometry.shapes import box_iou
    from rsvlm.model.llm import sincos_rows

    llm, proj, opt = fresh_llm(LOC0 + 1000, tr.shape[-1], seed)
    d = llm.config.hidden_size
    with torch.no_grad():
        for w in (llm.get_input_embeddings().weight, llm.get_output_embeddings().weight):
            code = sincos_rows(1000, d)
            w[LOC0:] = code * w.std() / code.std()
    emb = llm.get_input_embeddings()

    def forward(tok, cls, boxes):  # prompt(…) x1 y1 x2 y2
        x = torch.cat([prompt(emb, proj, tok, cls, order), emb(boxes + LOC0)], 1)
        labels = torch.full(x.shape[:2], -100)
        labels[:, -4:] = boxes + LOC0
        return llm(inputs_embeds=x, labels=labels)

    gen = torch.Generator().manual_seed(seed)
    for _ in bar(range(steps), desc="LLM steps", unit="step", leave=False):
        i = torch.randint(0, len(tr), (32,), generator=gen)
        loss = forward(tr[i], ctr[i], btr[i]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = forward(te, cte, bte).logits[:, -5:-1, LOC0:].argmax(-1)  # (n,4) teacher-forced
        perm = torch.roll(torch.arange(len(te)), 1)  # every scene gets its neighbour's tokens
        shuf = forward(te[perm], cte, bte).logits[:, -5:-1, LOC0:].argmax(-1)
    return {"mae_xy1": float((pred[:, :2] - bte[:, :2]).abs().float().mean()),
            "mae_xy1_shuffled": float((shuf[:, :2] - bte[:, :2]).abs().float().mean()),
            "acc50": sum(box_iou(p, t) >= 0.5 for p, t in zip(pred.tolist(), bte.tolist())) / len(bte), "final_loss": loss.item()}


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    assay_options(p, scenes=6000, seed=102)
    p.add_argument("--scene", action="append", default=[], metavar="KEY=VALUE",
                   help="scene config override, e.g. min_object_px=0 for the nominal sizes of docs/benchmarks/ground_assay.md")
    a = p.parse_args(argv)
    check_counts(p, a)
    if a.no_oracle and not a.encoder:  # else every scene made for a table without a row
        p.error("--no-oracle without --encoder leaves no tokens to assay: give --encoder NAME=PATH")
    scene = [f"scene.{kv}" for kv in a.scene]
    try:  # else a ConfigError traceback once the encoders are loaded
        from data_gen.synth.config import SynthConfig
        from rsvlm.config import load_config

        load_config(SynthConfig, ROOT / "configs/default/data_train.yaml", scene)
    except ValueError as e:
        p.error(f"--scene: {e}")
    frozen = encoders(p, a.encoder)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"making {a.scenes} + 300 single-object scenes …", file=sys.stderr)
        ptr, btr, ctr = load_images(make_scenes(Path(tmp) / "train", a.scenes, a.seed, scene))
        pte, bte, cte = load_images(make_scenes(Path(tmp) / "test", 300, a.seed + 9000, scene))
    sources = {"oracle": lambda pix, boxes: oracle_tokens(boxes, 192, a.seed)}
    if a.no_oracle:
        sources.clear()
    for name, enc in frozen.items():
        sources[name] = lambda pix, boxes, enc=enc: encode(enc, pix)
    rows = []
    for name, make in sources.items():
        print(f"{name}: tokens, cell probe, {a.steps} LLM steps …", file=sys.stderr)
        tr, te = make(ptr, btr), make(pte, bte)
        probe = cell_probe(tr, cell_of(btr), te, cell_of(bte))
        for order in ORDERS if a.order == "both" else (a.order,):
            rows.append({"tokens": name, "order": order, "cell_probe": probe,
                         **llm_assay(tr, btr, ctr, te, bte, cte, a.steps, a.seed, order)})
    print(f"\n{len(btr)} training / {len(bte)} test single-object scenes, {a.steps} steps of batch 32, "
          f"{(time.perf_counter() - t0) / 60:.1f} min; chance cell probe {1 / 36:.3f}")
    print(markdown_table(
        ["tokens", "order", "cell probe", "x1/y1 MAE (bins)", "shuffled tokens", "real/shuffled", "acc@0.5", "final loss"],
        [[r["tokens"], r["order"], f"{r['cell_probe']:.3f}", f"{r['mae_xy1']:.1f}", f"{r['mae_xy1_shuffled']:.1f}",
          f"{r['mae_xy1'] / r['mae_xy1_shuffled']:.2f}", f"{r['acc50']:.3f}", f"{r['final_loss']:.3f}"] for r in rows]))
    if a.out:
        write_json(a.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
