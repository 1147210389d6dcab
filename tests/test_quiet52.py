"""A plain training run's stdout stays its own: DeepSpeed's import-time accelerator note is dropped."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_saving_a_checkpoint_prints_no_deepspeed_accelerator_note(tmp_path):
    """transformers' save_pretrained imports DeepSpeed (through accelerate's unwrap), which logged
    "[WARNING] ... Setting accelerator to CPU" to stdout at the first checkpoint of every run."""
    code = (f"from rsvlm.config import load_config\nfrom rsvlm.model import VLMConfig, create_model\n"
            f"m, _ = create_model(load_config(VLMConfig, {str(REPO / 'configs/model/tiny.yaml')!r}))\n"
            f"m.save_pretrained({str(tmp_path / 'ck')!r})\nimport sys\nprint('deepspeed' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "True"  # DeepSpeed was imported (else this test would show nothing)
    assert (tmp_path / "ck" / "llm").is_dir()
