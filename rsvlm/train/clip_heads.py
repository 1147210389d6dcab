"""The per-patch heads of contrastive pretraining (``clip.dense_weight``, ``box_weight``,
``center_weight``; see ``rsvlm.train.clip``): their targets, read from a record's
``meta.sem_mask`` and ``meta.inst_mask``, and their losses."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F


def read_mask(root: Path, rel: str, key: str):
    """``meta.{key}``'s mask as an (H,W) array of non-negative whole-number ids; ValueError naming the file and
    the key for another form (an RGB or float mask crashed the run with a torch or numpy error, or, as instance
    ids, gave wrong targets unsaid) or a file PIL cannot read (cut, corrupt, past its pixel limit), which the
    contrastive loop counts as a bad sample; FileNotFoundError for none."""
    import numpy as np
    from PIL import Image

    path = root / rel
    try:
        with Image.open(path) as im:
            mode, arr = im.mode, np.asarray(im)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError as e:  # no OSError nor ValueError: it stopped the run, naming no file
        raise ValueError(f"{path}: meta.{key} is past PIL's pixel limit ({e}); tile the scene and its masks "
                         "into smaller images") from None
    except (OSError, SyntaxError) as e:  # a corrupt PNG chunk is PIL's SyntaxError: it stopped the run
        raise ValueError(f"{path}: meta.{key} cannot be read as an image ({type(e).__name__}: {e})") from None
    if arr.ndim != 2:
        raise ValueError(f"{path}: meta.{key} must be one band of ids, got {arr.shape[2]} bands (PIL mode {mode})")
    if arr.dtype == bool:
        return arr.astype(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{path}: meta.{key} must hold whole-number ids, got {arr.dtype} values")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{path}: meta.{key} holds negative ids (down to {arr.min()}); 0 is background")
    return arr


def patch_targets(rec: dict, root: Path, grid: int, n_classes: int, subgrid: int = 1,
                  kind: str = "share") -> torch.Tensor:
    """(grid², subgrid², K) per sub-cell of each patch (row-major): each semantic class's share of
    its pixels (``kind="share"``) or 1/0 for whether the class has a pixel there (``"presence"``),
    from the record's ``meta.sem_mask``."""
    import numpy as np

    rel = (rec.get("meta") or {}).get("sem_mask")
    if not rel:
        raise ValueError(f"{rec['id']}: no meta.sem_mask (needed by clip.dense_weight)")
    sem = torch.from_numpy(read_mask(root, rel, "sem_mask").astype(np.int64))  # (H,W)
    if int(sem.max()) >= n_classes:
        raise ValueError(f"{root / rel}: class id {int(sem.max())} >= clip.dense_classes={n_classes}")
    if kind not in ("share", "presence"):
        raise ValueError(f"clip.dense_target must be 'share' or 'presence', got {kind!r}")
    onehot = F.one_hot(sem, n_classes).permute(2, 0, 1).float()  # (K,H,W)
    pool = F.adaptive_avg_pool2d if kind == "share" else F.adaptive_max_pool2d
    g, s = grid, subgrid
    cells = pool(onehot[None], g * s)[0]  # (K,g·s,g·s)
    cells = cells.reshape(n_classes, g, s, g, s).permute(1, 3, 2, 4, 0)  # (g,g,s,s,K)
    return cells.reshape(g * g, s * s, n_classes)  # (g²,s²,K)


def box_targets(rec: dict, root: Path, grid: int) -> torch.Tensor:
    """(grid², 5) per patch (row-major): 1/0 for whether an object's box centre lies in it, then that
    box's x0, y0, x1, y1 relative to the patch's top-left corner, in patch units (0 where no centre
    lies; the largest box where several do), from the record's ``meta.inst_mask`` (0 = background)."""
    from scipy import ndimage

    rel = (rec.get("meta") or {}).get("inst_mask")
    if not rel:
        raise ValueError(f"{rec['id']}: no meta.inst_mask (needed by clip.box_weight)")
    inst = read_mask(root, rel, "inst_mask")  # (H,W) instance ids
    ph, pw = inst.shape[0] / grid, inst.shape[1] / grid  # one patch, in mask pixels
    out, area = torch.zeros(grid * grid, 5), torch.zeros(grid * grid)
    for sl in ndimage.find_objects(inst):  # each id's bounding slices in one pass; None for absent ids
        if sl is None:
            continue
        (y0, y1), (x0, x1) = (sl[0].start, sl[0].stop), (sl[1].start, sl[1].stop)
        row = min(int((y0 + y1) / 2 / ph), grid - 1)
        col = min(int((x0 + x1) / 2 / pw), grid - 1)
        k, a = row * grid + col, float((x1 - x0) * (y1 - y0))
        if a > area[k]:
            area[k] = a
            out[k] = torch.tensor([1.0, x0 / pw - col, y0 / ph - row, x1 / pw - col, y1 / ph - row])
    return out


def center_targets(rec: dict, root: Path, grid: int, n_classes: int, subgrid: int = 1) -> torch.Tensor:
    """(grid², subgrid², K) per sub-cell of each patch (row-major): 1 where an object of class k has
    its box centre, else 0, from ``meta.inst_mask`` (0 = background) and ``meta.sem_mask`` (an
    object's class is its pixels' most common semantic id, so a partly covered object keeps its own)."""
    import numpy as np
    from scipy import ndimage

    meta = rec.get("meta") or {}
    if not meta.get("inst_mask") or not meta.get("sem_mask"):
        raise ValueError(f"{rec['id']}: no meta.inst_mask or meta.sem_mask (needed by clip.center_weight)")
    inst = read_mask(root, meta["inst_mask"], "inst_mask")  # (H,W) instance ids
    sem = read_mask(root, meta["sem_mask"], "sem_mask").astype(np.int64)  # (H,W) semantic ids
    if inst.shape != sem.shape:
        raise ValueError(f"{root / meta['inst_mask']}: {inst.shape} pixels, its sem_mask {sem.shape}")
    g = grid * subgrid  # sub-cells a side
    ch, cw = inst.shape[0] / g, inst.shape[1] / g
    out = torch.zeros(g, g, n_classes)
    for i, sl in enumerate(ndimage.find_objects(inst), start=1):
        if sl is None:
            continue
        k = int(np.bincount(sem[sl][inst[sl] == i]).argmax())
        if k >= n_classes:
            raise ValueError(f"{root / meta['sem_mask']}: class id {k} >= clip.dense_classes={n_classes}")
        row = min(int((sl[0].start + sl[0].stop) / 2 / ch), g - 1)
        col = min(int((sl[1].start + sl[1].stop) / 2 / cw), g - 1)
        out[row, col, k] = 1.0
    out = out.reshape(grid, subgrid, grid, subgrid, n_classes).permute(0, 2, 1, 3, 4)  # (g,g,s,s,K)
    return out.reshape(grid * grid, subgrid * subgrid, n_classes)


def box_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Objectness BCE over all tokens plus smooth L1 on the box edges of the tokens holding a centre.
    pred, target: (B,N,5)."""
    pos = target[..., 0] > 0  # (B,N)
    loss = F.binary_cross_entropy_with_logits(pred[..., 0], target[..., 0])
    if pos.any():
        loss = loss + F.smooth_l1_loss(pred[pos][:, 1:], target[pos][:, 1:])
    return loss


PATCH_HEADS = ("dense", "box", "center")  # the per-patch losses in logged order; weights: clip.{name}_weight


def patch_losses(cfg, heads: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]
                 ) -> tuple[torch.Tensor | float, dict[str, float]]:
    """(weighted sum of the per-patch losses, each loss by head) of one micro-batch, each a mean over
    its samples. heads: the model's per-patch outputs; targets: theirs, (b,N,s²,K) or (b,N,5)."""
    loss, parts = 0.0, {}
    for name, out in heads.items():
        t = targets[name]
        if name == "box":
            part = box_loss(out.float(), t)  # (b,N,5) each
        else:
            logits = out.float().reshape(t.shape)  # (b,N,s²,K)
            if name == "dense" and cfg.clip.dense_target == "share":
                part = -(t * F.log_softmax(logits, dim=-1)).sum(-1).mean()
            else:  # presence or centres: multi-label
                part = F.binary_cross_entropy_with_logits(logits, t, reduction="none").sum(-1).mean()
        loss, parts[name] = loss + getattr(cfg.clip, f"{name}_weight") * part, float(part.detach())
    return loss, parts
