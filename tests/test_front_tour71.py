"""Front door, chat REPL and tiling, tour 71."""

import subprocess
import sys

from conftest import REPO


def test_an_epilogs_rest_double_backticks_read_as_plain_text_in_help():
    """039332d6 stripped reST ``x`` from descriptions only: export_step's --help bottom text (its module
    docstring) still showed ``init_from``."""
    out = subprocess.run([sys.executable, str(REPO / "scripts/export_step.py"), "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "(init_from, model.llm.name_or_path)" in out
    assert "``" not in out
