"""One scoring script per task: ``python -m eval.TASK --gt GT.jsonl --pred PRED.jsonl``."""
