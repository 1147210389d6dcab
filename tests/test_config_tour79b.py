"""Stop 79, round 2: config_values split out of config_hints; a mapping override that drops a section's keys."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_config_values_loads_alone_and_config_hints_still_gives_its_names():
    """config_values needs no other rsvlm module (no import cycle); the names keep their old home too."""
    code = ("import sys, rsvlm.config_values as v; "
            "assert not [m for m in sys.modules if m.startswith('rsvlm.') and m != 'rsvlm.config_values'], "
            "sorted(m for m in sys.modules if m.startswith('rsvlm.')); "
            "import rsvlm.config_hints as h, rsvlm.config as c; "
            "assert all(getattr(h, n) is getattr(v, n) for n in ('BOOLS', 'is_number', 'quoted_kind', "
            "'quoted_refusal', 'bool_hint', 'list_hint', 'mapping_hint'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_config_modules_keep_room_under_the_line_limit():
    for name, most in (("config.py", 495), ("config_hints.py", 460), ("config_values.py", 120)):
        lines = (REPO / "rsvlm" / name).read_text().splitlines()
        assert len(lines) <= most, name
        assert name == "config.py" or max(map(len, lines)) <= 125, name  # config_hints' line 77 was 145
