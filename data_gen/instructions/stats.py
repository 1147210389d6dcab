"""Data-set statistics: records by task / modality / split, answer lengths, objects, skips.

Answer length in tokens is counted by a fixed rule, independent of any tokenizer: every tag or
location token (``<loc_12>``, ``<box>``, ``</ref>``, ``<row>``, ``[det]`` …) is one token, and the
text between them counts one token per whitespace-separated word.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np

from rsvlm.progress import counted

_SPECIAL = re.compile(r"<[^<>\s]+>|\[[a-z]+\]")


def answer_tokens(text: str) -> int:
    specials = _SPECIAL.findall(text)
    return len(specials) + len(_SPECIAL.sub(" ", text).split())


def closed_kind(rec: dict) -> str:
    """The kind of a closed-form question (one word or number answers it): ``cls``, ``count``, ``vqa presence`` …;
    "" for the others. Its answers' balance is ``closed_answers`` (a set whose counts are mostly 0 teaches "0")."""
    if rec["task"] in ("cls", "count"):
        return rec["task"]
    return f"vqa {rec['meta']['qtype']}" if rec["task"] == "vqa" and rec["meta"]["qtype"] else ""


class Stats:
    """Accumulates over records and scenes; ``report()`` is the JSON written as stats.json."""

    def __init__(self) -> None:
        self.tasks, self.modalities, self.splits = Counter(), Counter(), Counter()
        self.task_modality = Counter()
        self.subtasks, self.vqa_types = Counter(), Counter()
        self.lengths: dict[str, list[int]] = defaultdict(list)
        self.scene_classes, self.object_classes, self.scene_splits = Counter(), Counter(), Counter()
        self.objects_per_scene: list[int] = []
        self.pairs = 0
        self.lone_pairs = 0  # pair scenes that got no change record (add_records)
        self.change_events = Counter()
        self.skipped = Counter()
        self.wanted = 0  # records the quotas asked for (records_per_image x modality weight, or all tasks)
        self.colour_dropped = 0  # objects (per frame) whose paint the optical pixels do not show: colour ""
        self.answers: dict[str, Counter] = defaultdict(Counter)  # closed-form question kind -> its answers

    def add_wanted(self, n: int) -> None:
        self.wanted += n

    def add_scene(self, scene: dict, split: str) -> None:
        self.scene_classes[scene["scene_class"]] += 1
        self.scene_splits[split] += 1
        objs = list({o["id"]: o for f in scene["frames"] for o in f["objects"]}.values())  # a pair's arrivals too
        self.objects_per_scene.append(len(objs))
        self.object_classes.update(o["class"] for o in objs)
        if "optical" in scene["frames"][0].get("images", ("optical",)):  # colour words are optical records' only:
            # a sar-only set has none to drop (its report had a colour line); a scene listing no images counts
            self.colour_dropped += sum(bool(o["attributes"].get("paint")) and not o["attributes"]["colour"]
                                       for f in scene["frames"] for o in f["objects"])
        if scene["pair"]:
            self.pairs += 1
            self.change_events.update(c["type"] for c in scene["changes"])

    def add_record(self, rec: dict) -> None:
        t, m = rec["task"], rec["meta"]["modality"]
        self.tasks[t] += 1
        self.modalities[m] += 1
        self.task_modality[f"{t}/{m}"] += 1
        self.splits[rec["meta"]["split"]] += 1
        self.subtasks[rec["meta"]["subtask"]] += 1
        if rec["meta"]["qtype"]:
            self.vqa_types[rec["meta"]["qtype"]] += 1
        self.lengths[t].append(rec["meta"]["answer_tokens"])
        if kind := closed_kind(rec):
            answer = rec["conversations"][-1]["value"].strip()
            self.answers[kind][answer.split()[-1] if kind == "count" else answer] += 1  # a count's number: after its points

    def add_records(self, scene: dict, recs: list[dict], drawn: list[dict] | None = None) -> None:
        """``add_record`` of each of ``scene``'s records ``recs``, counting a pair that drew no change record (tasks are
        drawn per scene and modality; one may be skipped) in ``lone_pairs``. ``drawn``: the records made, where some
        were left out after (rebuild's of a missing image): a change record left out so is not the draw's."""
        for r in recs:
            self.add_record(r)
        self.lone_pairs += bool(scene["pair"]) and not any(r["task"] == "change" for r in (recs if drawn is None else drawn))

    def report(self) -> dict:
        def dist(v: list[int]) -> dict:
            a = np.asarray(v or [0])
            return {"mean": round(float(a.mean()), 2), "p50": int(np.percentile(a, 50)),
                    "p95": int(np.percentile(a, 95)), "max": int(a.max())}

        return {
            "scenes": sum(self.scene_classes.values()), "pairs": self.pairs,
            "records": sum(self.tasks.values()),
            "records_by_split": dict(sorted(self.splits.items())), "scenes_by_split": dict(sorted(self.scene_splits.items())),
            "tasks": dict(sorted(self.tasks.items())), "modalities": dict(sorted(self.modalities.items())),
            "task_modality": dict(sorted(self.task_modality.items())), "subtasks": dict(sorted(self.subtasks.items())),
            "vqa_types": dict(sorted(self.vqa_types.items())),
            "answer_tokens": {t: dist(v) for t, v in sorted(self.lengths.items())},
            "answer_token_rule": "each <tag>, <loc_N> or [task] is one token; other text: one per whitespace word",
            "scene_classes": dict(sorted(self.scene_classes.items())),
            "object_classes": dict(sorted(self.object_classes.items())),
            "objects_per_scene": dist(self.objects_per_scene),
            "change_events": dict(sorted(self.change_events.items())),
            "skipped": dict(self.skipped.most_common()), "skipped_total": sum(self.skipped.values()),
            "records_wanted": self.wanted, "records_short": max(0, self.wanted - sum(self.tasks.values())),
            "det_cut": sum(n for k, n in self.subtasks.items() if k.endswith("_cut")),
            **({"colour_words_dropped": self.colour_dropped} if self.colour_dropped else {}),
            "closed_answers": {k: dict(v.most_common()) for k, v in sorted(self.answers.items())},
        }


def format_report(r: dict) -> str:
    n = r["scenes"]
    p, k = r["pairs"], r["records"]
    lines = [f"{n} scene{'s' * (n != 1)} ({p} pair{'s' * (p != 1)}), {k} record{'s' * (k != 1)}; "
             f"skipped {r['skipped_total']}",
             "split   " + "  ".join(f"{k}: {r['records_by_split'].get(k, 0)} rec / {n} scene{'s' * (n != 1)}"
                                   for k, n in r["scenes_by_split"].items()),
             "task      records  tokens mean/p95/max" if r["tasks"] else "task      no records"]
    for t, n in r["tasks"].items():
        a = r["answer_tokens"][t]
        lines.append(f"{t:<9} {n:>8}  {a['mean']:>6}/{a['p95']}/{a['max']}")
    if r["modalities"]:
        lines.append("modality  " + "  ".join(f"{k}: {v}" for k, v in r["modalities"].items()))
    if r.get("scene_classes"):
        lines.append("scenes    " + "  ".join(f"{k}: {v}" for k, v in r["scene_classes"].items()))
    lines.append("objects   " + ("  ".join(f"{k}: {v}" for k, v in r["object_classes"].items()) or "none"))
    if r["skipped"]:
        lines.append("skipped   " + "; ".join(f"{k}: {v}" for k, v in r["skipped"].items()))
    if r.get("det_cut"):
        lines.append(f"cut       {r['det_cut']} [det] answers list only the first instructions.max_det_objects objects "
                     "(subtask …_cut)")
    if r.get("colour_words_dropped"):
        one = r["colour_words_dropped"] == 1
        lines.append(f"colour    {counted(r['colour_words_dropped'], 'object')} in a frame {'has' if one else 'have'} "
                     f"no colour word: {'its' if one else 'their'} optical "
                     f"pixels read as another colour than {'its' if one else 'their'} paint (attributes.paint: a truck's cab before its light "
                     "box, a car in shadow)")
    if r.get("closed_answers"):  # the balance of one-word answers: the share of each kind's most common one
        tops = [(k, *next(iter(a.items())), sum(a.values())) for k, a in r["closed_answers"].items()]
        lines.append("answers   most common: " + "; ".join(f"{k} {top!r} {n / all_:.0%} of {all_}"
                                                           for k, top, n, all_ in tops))
    if r.get("records_short"):
        lines.append(f"short     {r['records_short']} of the {r['records_wanted']} records the quotas asked for "
                     "were not made: skipped, or more asked of an image than it has tasks with weight > 0 "
                     "(each is asked at most once)")
    return "\n".join(lines)
