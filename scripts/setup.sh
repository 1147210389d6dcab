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
echo "[setup] done; the main job: the bundled default model detects objects in a bundled sample scene"
mkdir -p outputs
.venv/bin/rsvlm predict --image rsvlm/assets/samples/harbour_optical.png --task det \
  --out outputs/quickstart.json --vis outputs/quickstart.png
echo "[setup] answer and objects: outputs/quickstart.json; overlay: outputs/quickstart.png"
echo "[setup] chat with the scene: .venv/bin/rsvlm chat --image rsvlm/assets/samples/harbour_optical.png"
