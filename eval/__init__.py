"""One scoring script per task (``python -m eval.TASK --gt GT.jsonl --pred PRED.jsonl --out TASK.json``) and
``python -m eval.report`` gathering their score files into one table; ``python -m eval --help`` lists them all."""
