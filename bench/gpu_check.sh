#!/usr/bin/env bash
# The GPU figures of docs/benchmarks/gpu_train.md ("GPU training"): the Qwen2.5-1.5B recipe with random weights,
# bf16, ZeRO-2, gradient checkpointing, once with LoRA (the recipe) and once fully fine-tuned.
#   bash bench/gpu_check.sh OUT_DIR      (needs a CUDA GPU; the Python environment of the README; STEPS=40 and LLMS="lora full" by default;
#   PYTHON=.venv/bin/python for another interpreter than python3, as bench/gpu_smoke.sh passes its own)
set -euo pipefail
usage="usage: bench/gpu_check.sh OUT_DIR   (env: STEPS=40, LLMS=\"lora full\", PYTHON=python3; needs a CUDA GPU)"
case ${1:-} in
  -h|--help) echo "$usage"; exit 0;;
  ""|-*) echo "$usage${1:+ (got option '$1')}" >&2; exit 2;;  # '--help' was made a folder by mkdir -p
esac
[[ $# -eq 1 ]] || { echo "$usage (got $# arguments)" >&2; exit 2; }
out=$1
mkdir -p "$out"
PY=${PYTHON:-python3}  # was python3 always: gpu_smoke.sh's PYTHON=.venv/bin/python ran its other parts only
export PYTHONUNBUFFERED=1 TORCH_EXTENSIONS_DIR=${TORCH_EXTENSIONS_DIR:-/tmp/torch_ext}
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv | tee "$out/gpu.txt"
"$PY" -c "import torch, transformers, deepspeed, peft, datasets, open_clip; print('torch', torch.__version__, 'transformers', transformers.__version__, 'deepspeed', deepspeed.__version__, 'peft', peft.__version__)" | tee -a "$out/gpu.txt"
failed=()
for llm in ${LLMS:-lora full}; do  # LLMS="full lora" runs full fine-tuning first
  "$PY" bench/gpu_train.py --llm "$llm" --steps "${STEPS:-40}" --batch-size 16 --profile-steps 3 --out /tmp/gpu_bench 2>&1 \
    | grep -v "examples/s\|it/s\]" > "$out/log_$llm.txt" || { tail -40 "$out/log_$llm.txt"; failed+=("$llm"); continue; }
  tail -36 "$out/log_$llm.txt"
  cp /tmp/gpu_bench/result_$llm.json "$out/" && cp /tmp/gpu_bench/run_$llm/profile.txt "$out/profile_$llm.txt"
done
if ((${#failed[@]})); then  # the other run still ran; its figures are in $out
  echo "gpu_check: --llm ${failed[*]} failed; see $out/log_${failed[0]}.txt" >&2
  exit 1
fi
