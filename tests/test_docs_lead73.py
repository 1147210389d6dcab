"""Lead 73 (W): docs/cli.md, docs/training.md and docs/checkpoints.md as a new user reads them. Each page opens
with what to run, and its edge cases sit under headings instead of paragraphs of a thousand words and more."""
import re
import shlex
from pathlib import Path

from rsvlm.cli import build_parser
from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level or above."""
    level = heading.split(" ")[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(r"\n(#+) ", text[start:]) if len(m.group(1)) <= len(level)]
    return text[start:start + ends[0]] if ends else text[start:]


def shell_lines(text: str, program: str) -> list[list[str]]:
    """The words of each line of a ```bash block that runs ``program``, its comment left out."""
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [shlex.split(line, comments=True) for b in blocks for line in b.splitlines()
            if line.startswith(program + " ")]


def paragraph_words(text: str) -> list[int]:
    """Words in each prose paragraph (a bullet item on its own), code blocks, tables and headings left out."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return [len(item.split()) for block in re.split(r"\n\s*\n", text) if not block.lstrip().startswith(("|", "#"))
            for item in re.split(r"\n(?=\* )", block)]


def test_training_opens_with_running_a_recipe_and_its_commands_load():
    """The page opened '# Training' then '## Training', its first paragraph the misspelt-key hints: it now opens
    with the commands, the recipe list and an override, and the hints follow under their own heading."""
    text = (DOCS / "training.md").read_text()
    assert re.findall(r"^## .*", text, re.M)[0] == "## Running a recipe" and "\n## Training\n" not in text
    running = section(text, "## Running a recipe")
    intro = running.split("\n### ")[0]
    assert "did you mean" not in intro and "### Keys and unknown keys" in running
    for recipe in sorted((REPO / "configs" / "train").glob("*.yaml")):  # every recipe is in the list
        assert recipe.stem.removesuffix("_tiny") in intro, recipe.name
    assert "`configs/train/recipes/*.yaml`" in intro and (REPO / "configs/train/recipes").is_dir()
    runs = shell_lines(intro, "rsvlm train")
    assert len(runs) == 2 and any(len(words) > 3 for words in runs)
    for words in runs:  # each command's recipe and overrides load as written
        recipe = words[3] if words[2] == "--config" else words[2]
        overrides = [w for w in words[2:] if "=" in w]
        cfg = load_config(TrainConfig, REPO / recipe, overrides)
        for key, value in (w.split("=", 1) for w in overrides):
            got = cfg
            for part in key.split("."):
                got = getattr(got, part)
            assert str(got) == value or got == float(value), (key, got)


def test_cli_opens_with_typical_runs_that_its_parser_takes():
    """docs/cli.md opened on scores and ran on in paragraphs of edge cases; 'Typical runs' now comes first,
    covering chat, predict for each kind of answer, --tile, --tta and eval, every line one the parser takes."""
    text = (DOCS / "cli.md").read_text()
    assert re.findall(r"^## .*", text, re.M)[0] == "## Typical runs"
    runs = shell_lines(section(text, "## Typical runs"), "rsvlm")
    parser = build_parser()
    parsed = [parser.parse_args(words[1:]) for words in runs]
    assert {a.command for a in parsed} == {"chat", "predict", "eval"}
    predicts = [a for a in parsed if a.command == "predict"]
    asked = {a.task or re.match(r"\[(\w+)\]", a.prompt).group(1) for a in predicts}
    assert {"cls", "det", "ground", "regcap", "seg", "change"} <= asked
    assert any(a.tile for a in predicts) and any(a.tta != "none" for a in predicts)
    assert any(len(a.image) == 2 for a in predicts) and any(a.region for a in predicts)


def test_cli_refusals_sit_under_headings_in_short_paragraphs():
    """The edge cases of chat and predict ran to one block of about 2,500 words; each kind is now under its own
    heading, the refusal lists as bullet lists."""
    text = (DOCS / "cli.md").read_text()
    head = text[:text.index("\n## Test-time augmentation\n")]
    for heading in ("## One image or a pair", "## What the option parser takes and refuses",
                    "## Output files `predict` refuses", "## A reader that goes away",
                    "## Answers cut by the token limit or run past the context"):
        assert f"\n{heading}\n" in head, heading
    assert section(text, "## Output files `predict` refuses").count("\n* ") >= 10
    assert max(paragraph_words(head)) < 450


def test_checkpoints_resume_is_under_headings():
    """docs/checkpoints.md's resume was one paragraph of about 1,000 words; its parts are now headed."""
    text = (DOCS / "checkpoints.md").read_text()
    resume = section(text, "## Checkpoints and resume")
    headings = re.findall(r"^### (.*)", resume, re.M)
    assert headings[:4] == ["What a step folder holds", "Resuming", "What refuses a resume",
                            "A run in a used `out_dir`"] and "Exporting a step folder" in headings
    assert "checked before the model is built" in section(resume, "### What refuses a resume")
    assert max(paragraph_words(resume)) < 300
