"""The geometry grammar's state walk, which needs a tokenizer's ids and nothing else: where one
sequence is (``State``), how a token moves it (``GrammarIds.advance``), and which tokens of a
sequence are x or y coordinates (``coordinate_axes``, for training answers and prompts).
``rsvlm.model.grammar`` builds the allowed sets on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rsvlm.tokens import GEOMETRY_TAGS, NUM_BINS, loc_token, mask_tokens

SHAPE_KINDS = tuple(k for k in GEOMETRY_TAGS if k != "ref")  # the tags that close a shape
SHAPE_LOCS = {"box": 4, "obb": 8, "point": 2}  # fixed location counts; poly and mask are open-ended


@dataclass
class State:
    """Where one sequence is in the grammar."""

    mode: str = "text"  # text | ref | shape | grid_open | head | grid_close | rows | row | run
    kind: str = ""  # the open shape
    locs: list[int] = field(default_factory=list)  # a shape's or the grid header's locations so far
    cols: int = 0
    rows: int = 0
    rows_done: int = 0  # mask rows written so far, <run> repeats included
    row_sum: int = 0  # cells covered by the current row's runs
    row_len: int = 0  # runs written in the current row
    mask_on: bool = False  # a run of the open mask has turned a cell on (one is owed before </mask>)
    closed: list[str] = field(default_factory=list)  # the kinds of the shapes closed so far, in order
    # a </ref>, or the start of a no_shape answer, that neither a shape nor a word has followed yet: no EOS, no <ref>
    labelled: bool = False
    label_len: int = 0  # tokens of the open <ref> label so far (``grammar.MAX_LABEL_TOKENS`` bounds them)
    tail: list[int] = field(default_factory=list)  # text tokens from the last piece holding "<", while they may become a tag
    need_shape: bool = False  # boxes only, and no EOS before one closes (a [ground] answer: one or more boxes)
    region: bool = False  # polygons and grid masks only (a [seg] answer: ``grammar.SEG_KINDS``)
    no_shape: bool = False  # no shape at all, only text (a [cls], [vqa] or [regcap] answer: ``grammar.TEXT_TASKS``)
    # the text tokens since the last tag or location: the last RUN_KEEP (``grammar``),
    # or all while a word is owed in them
    run: list[int] = field(default_factory=list)
    since_ref: bool = False  # ``run`` began right after a </ref>, and the first word since has not left it
    word_at: int = 0  # the tokens of ``run`` that first held a word, while ``since_ref`` (0: none yet)
    whole: bool = True  # ``run`` holds the answer from its first token (its text has no space before it)


@dataclass(frozen=True)
class GrammarIds:
    """The grammar's token ids for one tokenizer, and the state walk that needs nothing else."""

    loc0: int
    open: dict[str, int]  # kind → id of <kind>
    close: dict[str, int]  # kind → id of </kind>
    grid: int
    grid_end: int
    row: int
    run: int

    @classmethod
    def of(cls, tokenizer) -> GrammarIds:
        def tid(t: str) -> int:
            return tokenizer.convert_tokens_to_ids(t)

        return cls(tid(loc_token(0)), {k: tid(f"<{k}>") for k in GEOMETRY_TAGS},
                   {k: tid(f"</{k}>") for k in GEOMETRY_TAGS}, *(tid(t) for t in mask_tokens()))

    def advance(self, s: State, t: int) -> None:
        """Move ``s`` past token ``t`` (allowed, when decoding; any, in training data, where an opening
        tag leaves an open label or shape unclosed and starts its own, as ``geometry.decode`` reads it)."""
        loc = t - self.loc0 if 0 <= t - self.loc0 < NUM_BINS else None
        if s.mode != "text" and t in self.open.values():
            s.mode = "text"
        if s.mode == "text":
            kind = next((k for k, i in self.open.items() if i == t), None)
            if kind == "ref":
                s.mode, s.label_len = "ref", 0
            elif kind is not None:
                s.mode, s.kind, s.locs = ("grid_open" if kind == "mask" else "shape"), kind, []
                s.mask_on = False
                s.labelled = False
        elif s.mode == "ref":
            if t == self.close["ref"]:
                s.mode, s.labelled = "text", True
            else:
                s.label_len += 1
        elif s.mode == "shape":
            if loc is not None:
                s.locs.append(loc)
            else:
                s.mode = "text"
                s.closed.append(s.kind)
        elif s.mode == "grid_open":
            s.mode, s.locs = "head", []
        elif s.mode == "head":
            s.locs.append(loc)
            if len(s.locs) == 6:
                s.mode, s.cols, s.rows, s.rows_done = "grid_close", s.locs[4], s.locs[5], 0
        elif s.mode == "grid_close":
            s.mode = "rows"
        elif s.mode in ("rows", "row"):
            if t == self.row:
                s.mode, s.rows_done, s.row_sum, s.row_len = "row", s.rows_done + 1, 0, 0
            elif t == self.run:
                s.mode = "run"
            elif loc is not None:
                s.mask_on = s.mask_on or (s.row_len % 2 == 1 and loc > 0)  # runs: off, on, off, …
                s.row_sum, s.row_len = s.row_sum + loc, s.row_len + 1
            else:
                s.mode = "text"  # </mask>
                s.closed.append("mask")
        elif s.mode == "run":
            s.mode = "rows"
            if loc is None:  # no count (training data): the token is read between rows, as decode does
                self.advance(s, t)
            else:
                s.rows_done += loc


def next_axis(s: State) -> int | None:
    """0 (x) or 1 (y) where the next location is a coordinate (a shape's vertex, a grid's
    corner), None elsewhere (text, counts: a grid's size, run lengths)."""
    if s.mode == "shape":
        want = SHAPE_LOCS.get(s.kind)
        return len(s.locs) % 2 if want is None or len(s.locs) < want else None
    return len(s.locs) % 2 if s.mode == "head" and len(s.locs) < 4 else None


def coordinate_axes(ids: list[int], g: GrammarIds) -> list[tuple[int, int]]:
    """(position, axis) of every coordinate token in a token sequence that follows the grammar
    (training answers, prompts with a region): axis 0 for x, 1 for y. Where it does not, the walk
    is the decoder's: a token it would never allow moves the state as ``advance`` says (an opening
    tag ends a shape left open, as ``geometry.decode`` reads it); it never raises."""
    s, out = State(), []
    for p, t in enumerate(ids):
        axis = next_axis(s)
        if axis is not None and 0 <= t - g.loc0 < NUM_BINS:
            out.append((p, axis))
        g.advance(s, t)
    return out
