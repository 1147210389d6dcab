"""Tour 65's walk through README.md, docs/design.md and docs/default-model.md as a new user runs them:
every ``python -m data_gen|eval.*`` command the README gives parses with the options it names (the
existing doc tests check only ``rsvlm SUB`` and ``python scripts/…``), the converter formats it lists
exist, the first training run's commands agree with the recipe's paths, the stated pins and figures
match the files, and default-model.md's in-page links reach their headings."""

from __future__ import annotations

import contextlib
import importlib
import io
import math
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
TASKS = ("classification", "vqa", "captioning", "counting", "detection", "grounding", "segmentation", "change")


def _code_lines(text: str) -> list[str]:
    """Lines of the fenced code blocks of ``text``."""
    return [line for block in text.split("```")[1::2] for line in block.splitlines()]


def _module_commands(text: str) -> list[tuple[str, list[str], list[str]]]:
    """(line, argv before ``--help``, options named) for each ``python -m data_gen|eval.X`` command in a
    code block, ``eval.TASK`` expanded to every task; options end at a ``#`` comment."""
    found = []
    for line in _code_lines(text):
        m = re.search(r"python -m (data_gen(?![.\w])|eval\.\w+)((?: convert)? [a-z][\w-]*|)([^#]*)", line)
        if not m:
            continue
        options = re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(3))
        sub = m.group(2).split()
        modules = [f"eval.{t}" for t in TASKS] if m.group(1) == "eval.TASK" else [m.group(1)]
        found += [(line.strip(), [mod, *sub], options) for mod in modules]
    return found


def _help(module: str, argv: list[str]) -> str:
    main = importlib.import_module("data_gen.__main__" if module == "data_gen" else module).main
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0, f"{module} {argv} --help exited {stop.value.code}"
    return out.getvalue()


def test_the_module_command_finder_reads_subcommands_options_and_tasks():
    text = ("x\n```\npython -m data_gen synth --out D --n 3  # --not-this\npython -m eval.TASK --gt G\n"
            "python -m data_gen convert llava --modality M\n```\n")
    found = _module_commands(text)
    assert found[0][1:] == (["data_gen", "synth"], ["--out", "--n"])
    assert [f[1] for f in found[1:-1]] == [[f"eval.{t}"] for t in TASKS] and found[1][2] == ["--gt"]
    assert found[-1][1:] == (["data_gen", "convert", "llava"], ["--modality"])


def test_every_python_module_command_of_the_readme_takes_the_options_it_names():
    commands = _module_commands(README)
    assert {c[1][0] for c in commands} >= {"data_gen", "eval.report", "eval.loc_error", "eval.classification"}
    wrong = []
    for line, (module, *sub), options in commands:
        # ``convert FORMAT --out``: the options are each format's own
        subs = [[*sub, f] for f in _formats()] if "FORMAT" in line and sub == ["convert"] else [sub]
        for argv in subs:
            text = _help(module, argv)
            wrong += [f"{line} ({argv}): {o}" for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}\b", text)]
    assert not wrong, f"README options the command does not have: {wrong}"


def _formats() -> set[str]:
    return set(re.findall(r"^ {4}([a-z][a-z-]*)\s", _help("data_gen", ["convert"]), re.M))


def test_the_converter_formats_the_readme_lists_exist():
    line = next(x for x in _code_lines(README) if "data_gen convert FORMAT" in x)
    listed = re.findall(r"[a-z][a-z-]*", line.split("#", 1)[1].split("(", 1)[0])
    known = _formats()
    assert len(listed) >= 10 and set(listed) <= known, f"README lists {set(listed) - known}, convert has {known}"


def test_the_first_training_run_uses_the_recipe_paths_the_readme_says():
    """README: the recipe's ``data.train`` and ``out_dir`` are the ``runs/`` paths the other commands use."""
    block = README.split("A first training run", 1)[1].split("```")[1]
    synth = re.search(r"data_gen synth --out (\S+)", block).group(1)
    config = re.search(r"rsvlm train --config (\S+)", block).group(1)
    recipe = yaml.safe_load((REPO / config).read_text())
    assert recipe["data"]["train"] == f"{synth}/train.jsonl"
    assert f"--model {recipe['out_dir']}/final " in block
    assert f"--data {synth}/test.jsonl" in block and f"--gt {synth}/test.jsonl" in block


def test_the_readme_pins_and_python_version_are_those_of_the_files():
    pins = dict(re.findall(r"^(torch|torchvision)==(\S+)", (REPO / "constraints.txt").read_text(), re.M))
    said = re.search(r"\((\S+) / (\S+)\)", README.split("pinned in `constraints.txt`", 1)[1])
    assert said and (said.group(1), said.group(2)) == (pins["torch"], pins["torchvision"])
    wants = re.search(r'requires-python = ">=(\S+)"', (REPO / "pyproject.toml").read_text()).group(1)
    assert f"Python ≥ {wants}" in README


def test_the_bundled_model_size_the_readme_gives_is_its_weights():
    from safetensors import safe_open

    said = float(re.search(r"bundled model is a ([\d.]+) M-parameter", README).group(1))
    n = 0
    for file in (REPO / "rsvlm/assets/default_model").rglob("*.safetensors"):
        with safe_open(str(file), "pt") as f:
            n += sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())
    assert round(n / 1e6) == round(said), f"README says {said} M parameters, the weights hold {n}"


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors (lowercased; punctuation but ``-``/``_`` dropped; spaces as ``-``)."""
    names, fenced = set(), False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (m := re.match(r"#{1,6}\s+(.+?)\s*#*$", line)):
            names.add(re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-"))
    return names


def test_default_model_md_links_reach_their_files_and_headings():
    """The page and the pages split from it (docs/default-model/) in stop 69: a link that crossed pages reaches
    ``page.md#anchor``."""
    broken, links = [], 0
    for page in [REPO / "docs/default-model.md", *sorted((REPO / "docs/default-model").glob("*.md"))]:
        for m in re.finditer(r"\]\(([^)\s]+)\)", page.read_text()):
            path, _, anchor = m.group(1).partition("#")
            if re.match(r"[a-z][a-z0-9+.-]*:", path):
                continue
            links += 1
            file = (page.parent / path).resolve() if path else page
            if not file.exists() or (anchor and anchor not in _anchors(file.read_text())):
                broken.append(f"{page.name}: {m.group(1)}")
    assert links >= 5 and not broken, broken


def _commands_of(text: str) -> list[str]:
    """Lines of fenced code, and inline code spans (a span broken over lines joined)."""
    spans = re.findall(r"(?<!`)`([^`]+)`(?!`)", "\n".join(text.split("```")[0::2]))
    return _code_lines(text) + [s.replace("\n", " ") for s in spans]


@pytest.mark.parametrize("name", ["docs/default-model.md", "docs/design.md",
                                  *sorted(f"docs/default-model/{p.name}" for p in (REPO / "docs/default-model").glob("*.md"))])
def test_the_commands_of_the_model_and_design_pages_take_the_options_they_name(name):
    """Each ``python -m data_gen|eval.*`` and ``python scripts/X.py`` of the page, fenced or inline, is a
    command with the options it gives."""
    lines = _commands_of((REPO / name).read_text())
    wrong, seen = [], set()
    for line, (module, *sub), options in _module_commands("```\n" + "\n".join(lines) + "\n```"):
        if (key := (module, *sub, *options)) not in seen:
            seen.add(key)
            text = _help(module, sub)
            wrong += [f"{line}: {o}" for o in options if not re.search(rf"(?<![\w-]){re.escape(o)}\b", text)]
    for line in lines:
        for m in re.finditer(r"python (scripts|bench)/(\w+)\.py([^#;)]*)", line):
            script = REPO / m.group(1) / f"{m.group(2)}.py"
            if not script.is_file():
                wrong.append(f"{line}: no {script.name}")
                continue
            source = script.read_text()  # a bench's shared options (common.assay_options) are common.py's
            source += (REPO / "bench/common.py").read_text() if m.group(1) == "bench" else ""
            wrong += [f"{line}: {o}" for o in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", m.group(3))
                      if o != "--help" and f'"{o}"' not in source]
    assert not wrong, f"{name}: commands or options that do not exist: {wrong}"
