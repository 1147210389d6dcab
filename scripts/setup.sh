#!/usr/bin/env bash
# Set-up: make .venv/ at the repository root, install rsvlm with every extra at the pinned
# versions of constraints.txt, then run the main job (see README). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "[setup] installing rsvlm and pinned dependencies (constraints.txt)"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[all]"
echo "[setup] done; running the main job"
.venv/bin/rsvlm --help
