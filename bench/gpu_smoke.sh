#!/usr/bin/env bash
# The GPU paths that the CPU test suite cannot reach, in one call of about 8 minutes on one H200
# (results: docs/benchmarks/gpu_checks.md, "GPU checks"). Each part runs under its own time limit and is
# reported PASS or FAIL in OUT/summary.txt; a failed part does not stop the others.
#   1. train: the default model's encoder pretraining (contrastive + dense presence target) and a
#      LoRA fine-tune of the bundled model (the multi-sensor stage's recipe), on CUDA in fp32 and bf16;
#   2. eval: the bundled model's `rsvlm eval` on CUDA over the 160-scene seed-9021 test set, scored;
#      given CPU_PRED (the same command's predictions file from a CPU), the share of identical answers;
#   3. bench/gpu_check.sh: the 1.5B recipe's tokens/s, MFU and peak memory (LoRA, then full).
#
#   bash bench/gpu_smoke.sh OUT_DIR [CPU_PRED]
# Environment: PYTHON (python3), SKIP (parts to skip, of "train eval bench"), DEVICE (cuda; cpu for a
# dry run), TRAIN_STEPS (40), EVAL_SCENES (160), STEPS (bench/gpu_check.sh's --steps, 40), WORK (/tmp/gpu_smoke),
# BUDGET_S (540: every part ends by then).
set -uo pipefail
usage="usage: bench/gpu_smoke.sh OUT_DIR [CPU_PRED]   (env: see the comment at the top of bench/gpu_smoke.sh)"
case ${1:-} in
  -h|--help) echo "$usage"; sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0;;
  ""|-*) echo "$usage${1:+ (got option '$1')}" >&2; exit 2;;  # '--help' ran every part with OUT_DIR ''
esac
(( $# <= 2 )) || { echo "$usage (got $# arguments)" >&2; exit 2; }
out=$1
cpu_pred=${2:-}
if [[ -n $cpu_pred && ! -f $cpu_pred ]]; then echo "gpu_smoke: CPU_PRED $cpu_pred: no such file" >&2; exit 2; fi
PY=${PYTHON:-python3}
mkdir -p "$out" && out=$(cd "$out" && pwd) || { echo "gpu_smoke: OUT_DIR $1: cannot make it" >&2; exit 2; }
work=${WORK:-/tmp/gpu_smoke}
dev=${DEVICE:-cuda} steps=${TRAIN_STEPS:-40} n_test=${EVAL_SCENES:-160}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-4} HF_HUB_OFFLINE=1
export TORCH_EXTENSIONS_DIR=${TORCH_EXTENSIONS_DIR:-/tmp/torch_ext}
model=rsvlm/assets/default_model
summary="$out/summary.txt"
: > "$summary"
t_start=$(date +%s)
deadline=$(( t_start + ${BUDGET_S:-540} ))  # every part ends by then

part() {  # part NAME LIMIT_S COMMAND...: run, log to OUT/NAME.log, record PASS/FAIL and seconds
  local name=$1 limit=$2 t0 rc left; shift 2
  if [[ " ${SKIP:-} " == *" ${name%%_*} "* ]]; then echo "$name SKIP" >> "$summary"; return; fi
  t0=$(date +%s) left=$(( deadline - $(date +%s) ))
  if (( left < 30 )); then echo "$name SKIP (BUDGET_S spent)" >> "$summary"; return; fi
  (( limit > left )) && limit=$left
  echo "== $name (limit ${limit}s, $(( t0 - t_start ))s in)"
  timeout "$limit" "$@" > "$out/$name.log" 2>&1; rc=$?
  if (( rc == 0 )); then
    echo "$name PASS $(( $(date +%s) - t0 ))s" >> "$summary"
  else
    echo "$name FAIL rc=$rc $(( $(date +%s) - t0 ))s" >> "$summary"; tail -25 "$out/$name.log"
  fi
}

step_time() {  # the loss and the seconds per step over metrics.jsonl's logged intervals after the first
  "$PY" - "$1" <<'PYEOF'
import json, sys
rows = [json.loads(x) for x in open(sys.argv[1])]
first, last = rows[0], rows[-1]
steps, secs = last["step"] - first["step"], sum(r.get("seconds", 0) for r in rows[1:])
per = ("%.1f ms/step over steps %d..%d" % (secs / steps * 1000, first["step"] + 1, last["step"]) if steps and secs
       else "no step times (the contrastive loop logs none: see the part's wall time)")
print("%s: loss %.3f at step %d -> %.3f, %s" % (sys.argv[1], first["loss"], first["step"], last["loss"], per))
PYEOF
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$out/gpu.txt"
"$PY" -c "import torch, transformers, peft, deepspeed; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'transformers', transformers.__version__, 'peft', peft.__version__, 'deepspeed', deepspeed.__version__)" 2>&1 | tee -a "$out/gpu.txt"

# 1. training on the device
part train_data 60 "$PY" -m data_gen synth --out "$work/data" --n 200 --seed 0 --config configs/default/data_train.yaml --workers 8 --no-progress
for prec in fp32 bf16; do
  part "train_clip_$prec" 75 "$PY" -m rsvlm.train --config configs/default/pretrain_encoder.yaml \
    data.train="$work/data/train.jsonl" out_dir="$work/clip_$prec" model.llm.tokenizer=$model/tokenizer \
    device="$dev" precision=$prec max_steps="$steps" log.every=10 ckpt.every=0 overwrite=true
  part "train_lora_$prec" 75 "$PY" -m rsvlm.train --config configs/default/sft_multisensor.yaml \
    data.train="$work/data/train.jsonl" out_dir="$work/lora_$prec" init_from=$model \
    model.llm.name_or_path=$model/llm model.llm.tokenizer=$model/tokenizer \
    device="$dev" precision=$prec max_steps="$steps" log.every=10 ckpt.every=0 overwrite=true
done
for m in "$work"/clip_*/metrics.jsonl "$work"/lora_*/metrics.jsonl; do
  [[ -f $m ]] && step_time "$m"
done 2>&1 | tee "$out/train_speed.txt"

# 2. the bundled model's evaluation on the device
part eval_data 60 "$PY" -m data_gen synth --out "$work/test" --n "$n_test" --seed 9021 --config configs/default/data_test.yaml --workers 8 --no-progress
part eval_answer 150 "$PY" -m rsvlm.cli eval --data "$work/test/test.jsonl" --out "$out/pred_gpu.jsonl" --device "$dev" \
  --batch-size 16 --max-new-tokens 200
if [[ -s $out/pred_gpu.jsonl ]]; then  # answers to score (a failed run can leave an empty file)
  mkdir -p "$out/scores"
  for task in classification captioning counting vqa grounding detection segmentation change; do
    "$PY" -m "eval.$task" --gt "$work/test/test.jsonl" --pred "$out/pred_gpu.jsonl" --out "$out/scores/$task.json" \
      > "$out/score_$task.log" 2>&1 || echo "eval.$task FAIL" >> "$summary"
  done
  "$PY" -m eval.report --dir "$out/scores" --out "$out/report.md" > "$out/report.log" 2>&1 || echo "eval.report FAIL" >> "$summary"
  if [[ -n $cpu_pred && -f $cpu_pred ]]; then
    "$PY" -c '
import json, sys
a, b = ({r["id"]: r.get("answer") for r in map(json.loads, open(p)) if "id" in r} for p in sys.argv[1:])
same = sum(a[k] == b.get(k) for k in a)
print(f"answers identical to the CPU run: {same} of {len(a)} ({same / max(1, len(a)):.1%}); ids in one file only: {len(a.keys() ^ b.keys())}")' \
      "$cpu_pred" "$out/pred_gpu.jsonl" 2>&1 | tee "$out/agreement.txt"
  fi
fi

# 3. the 1.5B recipe (its own script: LoRA, then full fine-tuning)
part bench_gpu_check 300 bash bench/gpu_check.sh "$out/gpu_check"

echo; echo "summary ($(( $(date +%s) - t_start )) s in all):"; cat "$summary"
[[ -f $out/report.md ]] && head -30 "$out/report.md"
grep -h -A3 "tokens/s" "$out"/gpu_check/log_*.txt 2>/dev/null | head -12
exit 0
