#!/usr/bin/env bash
# Set-up: make .venv/ at the repository root, install rsvlm with every extra at the pinned
# versions of constraints.txt, then run the main job (see README). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# rsvlm needs Python >= 3.10 (pyproject.toml); a .venv made with an older one would be reused by every later run
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; }
version() { local v; if v=$("$1" --version 2>&1); then echo "$v"; else echo "not found"; fi; }  # a failing one's own error (bash's, pyenv's) is not pasted
if [ -x .venv/bin/python ] && ! new_enough .venv/bin/python; then
  echo "[setup] error: .venv holds $(version .venv/bin/python); rsvlm needs Python >= 3.10: remove .venv and run again (PYTHON=python3.11 bash scripts/setup.sh to choose the interpreter)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! new_enough "$PY"; then
    echo "[setup] error: $PY is $(version "$PY"); rsvlm needs Python >= 3.10: PYTHON=python3.11 bash scripts/setup.sh (or another >= 3.10)" >&2
    exit 1
  fi
  echo "[setup] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "[setup] installing rsvlm and pinned dependencies (constraints.txt)"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[all]"
echo "[setup] done; the main job: the bundled default model detects objects in a bundled sample scene"
mkdir -p outputs
.venv/bin/rsvlm predict --image rsvlm/assets/samples/harbour_optical.png --task det \
  --out outputs/quickstart.json --vis outputs/quickstart.png
echo "[setup] answer and objects: outputs/quickstart.json; overlay: outputs/quickstart.png"
echo "[setup] the bundled model is a 6.3M-parameter demonstration trained on synthetic scenes: expect wrong labels on real imagery (docs/default-model.md)"
echo "[setup] chat with the scene: .venv/bin/rsvlm chat --image rsvlm/assets/samples/harbour_optical.png"
