"""Can a fresh LLM count the objects of a class from an encoder's frozen tokens? A counting assay.

    .venv/bin/python bench/count_assay.py --encoder base=runs/b19/pretrain_encoder/final/encoder.safetensors \\
        [--encoder centres=runs/c21/pretrain_encoder/final/encoder.safetensors] [--scenes 3000] [--steps 900] \\
        [--answer direct|points|both]

Optical scenes of the default model's training config (96 px, up to eight objects, objects grown
to about 10 px; one counting question per scene, the generator asks no more; the test scenes use
another seed) are encoded once by each frozen encoder (the default model's architecture). A fresh
LayerNorm+Linear projector and a fresh 4-layer Llama (the default model's LLM dims) then learn
``<image tokens> <class> → <count>`` (``--order question-first``: ``<class> <image tokens> →
<count>``), batch 32, AdamW 1e-3; scored teacher-forced (argmax over the
nine count tokens 0–8), overall and by the true count (0, 1, 2, 3+). ``--answer points`` instead
learns ``… <class> → x y x y … <count>`` (the asked class's box centres, reading order, as in
``instructions.count_points``), scored by greedy decoding.

Baselines in the same run: the ``prior`` row answers each class's most common training count
(what the question alone gives), each LLM row is also scored with every test scene given its
neighbour's tokens, and the ``oracle`` row's tokens mark each object outright (random background
tokens plus a fixed flag per class added on the cell of each object's box centre). Limits: one
seed, optical only, teacher-forced; the real pipeline's LLM also answers every other task.
"""

from __future__ import annotations

import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import (
    LOC0,
    OBJECTS,
    ORDERS,
    assay_options,
    check_counts,
    default_model_yaml,
    encode,
    encoders,
    fmt,
    fresh_llm,
    markdown_table,
    prompt,
    run_script,
    synth_scenes,
    write_json,
)

from rsvlm.argparsing import Parser
from rsvlm.progress import bar

ROOT = Path(__file__).resolve().parents[1]
COUNT0 = 30  # id of the count token "0" in the assay's own vocabulary (ids 10.. are the classes)
MAX_COUNT = 8  # the generator's max_objects: no count above it


def make_scenes(out: Path, n: int, seed: int) -> Path:
    # one record a scene: a scene is asked each task once, so 2 made the same records and a note that half of
    # them were missing (the same scenes and records either way: the quota's draw is made regardless)
    return synth_scenes(out, n, seed, ["modalities=[optical]", "scene.pairs_fraction=0",
                                       "instructions.task_weights={count: 1}", "instructions.records_per_image=1"])


def load_counts(jsonl: Path):
    """→ pixels (n_images,3,96,96) for the optical stem, then per record: its image index, class id
    and count, per image the (36, 7) number of object centres of each class in each cell, and per
    record the asked class's box centres as (x, y) bins of 1000 in reading order (top to bottom)."""
    from data_gen.synth.classes import SEMANTIC_ID
    from rsvlm.io.read import read_image
    from rsvlm.model.stem import StemConfig, prepare
    from rsvlm.train.clip import center_targets

    stem = StemConfig(**default_model_yaml()["stems"]["optical"])
    sem_ids = [SEMANTIC_ID[o] for o in OBJECTS]
    images, pix, centres, fine, rows, points = {}, [], [], [], [], []
    for line in jsonl.read_text().splitlines():
        r = json.loads(line)
        path = r["images"][0]["path"]
        if path not in images:
            images[path] = len(pix)
            pix.append(prepare(stem, read_image(jsonl.parent / path, modality="optical").data, 96))
            px = center_targets(r, jsonl.parent, grid=1, n_classes=12, subgrid=96)[0][:, sem_ids]  # (96²,7) pixels
            fine.append(px)
            cells = px.reshape(6, 16, 6, 16, len(OBJECTS)).sum((1, 3))  # (6,6,7): centres per 16-px patch
            centres.append(cells.reshape(36, len(OBJECTS)))  # (36,7) in OBJECTS' order
        cls = OBJECTS.index(r["meta"]["target_class"])
        yx = fine[images[path]][:, cls].nonzero()[:, 0]
        points.append([(int((x + 0.5) * 1000 / 96), int((y + 0.5) * 1000 / 96))
                       for y, x in zip((yx // 96).tolist(), (yx % 96).tolist())][:MAX_COUNT])
        rows.append((images[path], cls, int(r["conversations"][1]["value"])))
    img, cls, count = (torch.tensor(x) for x in zip(*rows))
    return torch.stack(pix), img, cls, count.clamp(max=MAX_COUNT), torch.stack(centres), points


def oracle_tokens(centres: torch.Tensor, width: int, seed: int) -> torch.Tensor:
    """(n,36,W): one of 8 fixed background tokens per cell, plus a fixed flag per class times the
    number of that class's object centres in the cell (the same tokens and flags on every call)."""
    fixed = torch.Generator().manual_seed(seed)
    bg, flags = torch.randn(8, width, generator=fixed), torch.randn(len(OBJECTS), width, generator=fixed)
    pick = torch.Generator().manual_seed(seed + len(centres))
    tok = bg[torch.randint(0, 8, centres.shape[:2], generator=pick)]  # (n,36,W)
    return tok + 2 * centres @ flags  # (n,36,7) @ (7,W)


def by_count(pred: torch.Tensor, truth: torch.Tensor) -> dict:
    out = {"all": float(pred.eq(truth).float().mean())}
    for name, keep in (("0", truth == 0), ("1", truth == 1), ("2", truth == 2), ("3+", truth >= 3)):
        out[name] = float(pred[keep].eq(truth[keep]).float().mean()) if keep.any() else float("nan")
    return out


def llm_assay(tr, itr, ctr, ntr, te, ite, cte, nte, steps: int, seed: int, order: str = "image-first") -> dict:
    llm, proj, opt = fresh_llm(COUNT0 + MAX_COUNT + 1, tr.shape[-1], seed)
    emb = llm.get_input_embeddings()

    def forward(tok, cls, count):  # prompt(…) <count>
        x = torch.cat([prompt(emb, proj, tok, cls, order), emb(COUNT0 + count[:, None])], 1)
        labels = torch.full(x.shape[:2], -100)
        labels[:, -1] = COUNT0 + count
        return llm(inputs_embeds=x, labels=labels)

    gen = torch.Generator().manual_seed(seed)
    for _ in bar(range(steps), desc="LLM steps", unit="step", leave=False):
        i = torch.randint(0, len(itr), (32,), generator=gen)
        loss = forward(tr[itr[i]], ctr[i], ntr[i]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = forward(te[ite], cte, nte).logits[:, -2, COUNT0:].argmax(-1)  # (n,) teacher-forced
        perm = torch.roll(torch.arange(len(te)), 1)  # every scene gets its neighbour's tokens
        shuf = forward(te[perm][ite], cte, nte).logits[:, -2, COUNT0:].argmax(-1)
    return {"llm": by_count(pred, nte), "shuffled": by_count(shuf, nte)["all"], "final_loss": loss.item()}


def point_rows(points: list[list[tuple[int, int]]], count: torch.Tensor) -> torch.Tensor:
    """(n, 2·MAX_COUNT+1) answer ids: each centre's x and y as LOC0+bin, then the count token;
    -100 after the end. The count token is the record's count (one or two centres falling on the same
    pixel are one point, so points and count may differ by that)."""
    out = torch.full((len(points), 2 * MAX_COUNT + 1), -100)
    for i, (pts, n) in enumerate(zip(points, count.tolist())):
        ids = [LOC0 + v for xy in pts for v in xy] + [COUNT0 + n]
        out[i, :len(ids)] = torch.tensor(ids)
    return out


def points_assay(tr, itr, ctr, ptr, ntr, te, ite, cte, pte, nte, steps: int, seed: int,
                 order: str = "image-first") -> dict:
    """The LLM writes the asked class's centres (x y, x y, …), then the count. Scored by greedy
    decoding (teacher forcing would hand it the true number of points): the count token it writes,
    and how many points it wrote before it."""
    from rsvlm.model.llm import sincos_rows

    llm, proj, opt = fresh_llm(LOC0 + 1000, tr.shape[-1], seed)
    with torch.no_grad():
        for w in (llm.get_input_embeddings().weight, llm.get_output_embeddings().weight):
            code = sincos_rows(1000, w.shape[1])
            w[LOC0:] = code * w.std() / code.std()
    emb = llm.get_input_embeddings()
    ans_tr = point_rows(ptr, ntr)  # (n_records, 17)

    def prefix(tok, cls):
        return prompt(emb, proj, tok, cls, order)

    gen = torch.Generator().manual_seed(seed)
    for _ in bar(range(steps), desc="LLM steps", unit="step", leave=False):
        i = torch.randint(0, len(itr), (32,), generator=gen)
        ans = ans_tr[i]
        x = torch.cat([prefix(tr[itr[i]], ctr[i]), emb(ans.clamp(min=0))], 1)
        labels = torch.cat([torch.full((32, x.shape[1] - ans.shape[1]), -100), ans], 1)
        loss = llm(inputs_embeds=x, labels=labels).loss  # the shift makes <sep> predict the first id
        opt.zero_grad()
        loss.backward()
        opt.step()

    @torch.no_grad()
    def greedy(tok, cls) -> tuple[torch.Tensor, torch.Tensor]:
        x, b = prefix(tok, cls), len(tok)
        count, npts = torch.full((b,), -1), torch.zeros(b, dtype=torch.long)
        for step in range(2 * MAX_COUNT + 1):
            logits = llm(inputs_embeds=x).logits[:, -1]  # (b,V)
            allowed = torch.full_like(logits, float("-inf"))
            allowed[:, LOC0:] = 0  # a coordinate, or on an x position also the count
            if step % 2 == 0:
                allowed[:, COUNT0:COUNT0 + MAX_COUNT + 1] = 0
            if step == 2 * MAX_COUNT:
                allowed[:, LOC0:] = float("-inf")
            nxt = (logits + allowed).argmax(-1)  # (b,)
            done = count >= 0
            is_count = (nxt < LOC0) & ~done
            count[is_count] = nxt[is_count] - COUNT0
            npts += ((step % 2 == 1) & ~done & ~is_count).long()
            if bool((count >= 0).all()):
                break
            x = torch.cat([x, emb(nxt[:, None])], 1)
        return count, npts

    pred, npts = greedy(te[ite], cte)
    perm = torch.roll(torch.arange(len(te)), 1)
    shuf, _ = greedy(te[perm][ite], cte)
    return {"llm": by_count(pred, nte), "points": by_count(npts.clamp(max=MAX_COUNT), nte),
            "agree": float(pred.eq(npts).float().mean()), "shuffled": by_count(shuf, nte)["all"],
            "final_loss": loss.item()}


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    assay_options(p, scenes=3000, seed=202)
    p.add_argument("--answer", choices=["direct", "points", "both"], default="direct",
                   help="the count token alone, or the asked class's centres and then the count (greedy); "
                        "default direct")
    a = p.parse_args(argv)
    check_counts(p, a)
    frozen = encoders(p, a.encoder)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"making {a.scenes} + 300 scenes …", file=sys.stderr)
        ptr, itr, ctr, ntr, ktr, qtr = load_counts(make_scenes(Path(tmp) / "train", a.scenes, a.seed))
        pte, ite, cte, nte, kte, qte = load_counts(make_scenes(Path(tmp) / "test", 300, a.seed + 9000))
    common = collections.Counter(zip(ctr.tolist(), ntr.tolist()))
    prior = torch.tensor([max(range(MAX_COUNT + 1), key=lambda n, c=c: common[(c, n)]) for c in range(len(OBJECTS))])
    rows = [{"tokens": "prior (the question alone)", "order": "–", "answer": "count", "llm": by_count(prior[cte], nte),
             "shuffled": None, "final_loss": None}]  # no tokens, no training
    sources = {} if a.no_oracle else {"oracle": lambda pix, centres: oracle_tokens(centres, 192, a.seed)}
    for name, enc in frozen.items():
        sources[name] = lambda pix, centres, enc=enc: encode(enc, pix)
    for name, make in sources.items():
        print(f"{name}: tokens, {a.steps} LLM steps …", file=sys.stderr)
        tr, te = make(ptr, ktr), make(pte, kte)  # (n_images,36,W)
        for order in ORDERS if a.order == "both" else (a.order,):
            if a.answer in ("direct", "both"):
                rows.append({"tokens": name, "order": order, "answer": "count",
                             **llm_assay(tr, itr, ctr, ntr, te, ite, cte, nte, a.steps, a.seed, order)})
            if a.answer in ("points", "both"):
                rows.append({"tokens": name, "order": order, "answer": "points, count",
                             **points_assay(tr, itr, ctr, qtr, ntr, te, ite, cte, qte, nte, a.steps, a.seed, order)})
    n0 = (nte == 0).sum()
    print(f"\n{len(ntr)} training / {len(nte)} test counting records ({len(ptr)} / {len(pte)} scenes; test counts "
          f"0: {n0}, 1: {(nte == 1).sum()}, 2: {(nte == 2).sum()}, 3+: {(nte >= 3).sum()}), {a.steps} steps of "
          f"batch 32, {(time.perf_counter() - t0) / 60:.1f} min")
    cells = []
    for r in rows:
        m = r["llm"]
        cells.append([r["tokens"], r["order"], r["answer"], *(fmt(x, "n/a (no test record)") for x in [
            m["all"], m["0"], m["1"], m["2"], m["3+"]]), *map(fmt, [  # NaN: no test scene of that count; was '–'
            r["points"]["all"] if "points" in r else None, r["shuffled"], r["final_loss"]])])
    print(markdown_table(["tokens", "order", "answer", "exact", "count 0", "1", "2", "3+", "points written, exact",
                          "shuffled tokens", "final loss"], cells))
    if a.out:
        write_json(a.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
