"""``python -m rsvlm.train`` (what torchrun / deepspeed launch on every rank)."""

import sys

from rsvlm.train import main

if __name__ == "__main__":
    sys.exit(main())
