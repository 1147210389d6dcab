"""Stop 73, the docs as a new user reads them: the Python examples of the docs pages name what the package has,
and the benchmark index leads to stop 73's figures."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"```python\n(.*?)```", re.S)
IMPORT = re.compile(r"^from ([\w.]+) import ([^#\n]+)", re.M)


def _example_imports() -> list[tuple[str, str, str]]:
    """(page, module, name) of each ``from M import a, b`` line of a ```python block of README.md and docs/."""
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        for block in FENCE.findall(page.read_text()):
            for module, names in IMPORT.findall(block):
                for name in names.replace("(", "").replace(")", "").split(","):
                    if name.strip():
                        found.append((page.relative_to(REPO).as_posix(), module, name.split(" as ")[0].strip()))
    return found


def test_the_import_reader_reads_names_and_aliases():
    block = "```python\nfrom a.b import c, d as e  # note\nimport x\n```"
    assert [(m, n) for m, n in IMPORT.findall(FENCE.findall(block)[0])] == [("a.b", "c, d as e  ")]


def test_every_name_a_docs_python_example_imports_exists():
    """docs/models.md's second example (load_pretrained, ChatSession, generate_answers, user_text) and
    docs/cli.md's `rsvlm.io` names ran as written at stop 73; a rename must take the pages with it."""
    found = _example_imports()
    assert {("docs/models.md", "rsvlm.inference", "generate_answers"), ("docs/cli.md", "rsvlm.io", "run_tiled")} <= {
        f for f in found}
    missing = [f"{page}: from {module} import {name}" for page, module, name in found
               if module.split(".")[0] in ("rsvlm", "data_gen", "eval")
               and not hasattr(importlib.import_module(module), name)]
    assert not missing, missing


def test_the_benchmark_index_leads_to_stop_73s_large_input_figures():
    """The figures other engineers measured at stop 73 (a 20000 px GeoTIFF read, a 113 MB GeoJSON counted, long
    answers decoded) were in scratch files only."""
    index = (REPO / "docs" / "benchmarks.md").read_text()
    page = (REPO / "docs" / "benchmarks" / "large_inputs.md").read_text()
    assert "](benchmarks/large_inputs.md)" in index
    for figure in ("44 s", "113 MB", "174"):
        assert figure in page, figure


def test_the_readmes_image_example_says_when_it_makes_a_pair():
    """The README offered `/image other.tif sar` as one of chat's commands to try right after starting; typed
    before any question it makes a [change] pair with the scene already loaded (chat's /help says so), not a switch
    to the other image, and the user's next [cls] was asked of the pair."""
    from rsvlm.chat_commands import HELP

    readme = (REPO / "README.md").read_text()
    example = readme[readme.index("`/image other.tif sar`"):readme.index("```bash\n.venv/bin/rsvlm chat")]
    assert "before asking makes a bi-temporal pair" in HELP
    assert "pair" in example and "new image" in example
