"""A training config's ~ paths are the home folder, ckpt.resume too."""
from rsvlm.train.config import TrainConfig, expand_home


def test_ckpt_resume_under_home_is_expanded_and_auto_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = TrainConfig()
    cfg.ckpt.resume, cfg.out_dir = "~/runs/x/checkpoints/step_40", "~/runs/x"
    expand_home(cfg)
    assert cfg.ckpt.resume == str(tmp_path / "runs/x/checkpoints/step_40") and cfg.out_dir == str(tmp_path / "runs/x")
    cfg.ckpt.resume = "auto"
    expand_home(cfg)
    assert cfg.ckpt.resume == "auto"
