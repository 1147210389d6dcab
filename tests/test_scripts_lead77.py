"""Stop 77 lead: the launcher names the override that set a broken encoder link, as rsvlm train does."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_launch_names_the_override_that_misspelt_an_encoder():
    done = subprocess.run([sys.executable, "scripts/launch.py", "configs/train/sft_tiny.yaml", "--gpus-per-node", "2",
                           "--dry-run", "model.encoders.defualt.width=8"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0
    assert ("launch: override 'model.encoders.defualt.width=8' (command line): model.encoders.defualt: no stem reads "
            "it") in done.stderr
