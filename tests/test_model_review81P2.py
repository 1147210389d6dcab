"""Review of stop 81's cached hub names (P2): every caller that takes a checkpoint by name reads one the Hugging Face
cache holds, as chat does. merge-lora's 'holds no LoRA adapter' note was lost for one; average_checkpoints.py refused
one ('give that folder'); the benches' check_model_args takes one (78a0b238), org/name@REV too."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import hub_cache, load_script
from test_model_review81RA import linked_cache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def merged(ckpt, tmp_path_factory):
    """The tiny checkpoint with its LoRA merged in: no adapter/, as average_checkpoints takes."""
    from rsvlm.model import merge_lora

    return merge_lora(ckpt, tmp_path_factory.mktemp("m") / "merged")


def linked(root: Path, repo_id: str, folder: Path, rev: str, refs: tuple[str, ...] = ("main",)) -> Path:
    """``folder`` as huggingface_hub caches it (``linked_cache``) under snapshot ``rev``, which each of ``refs``
    names; that snapshot's folder."""
    return linked_cache(root, repo_id, folder, dict.fromkeys(refs, rev)) / rev


def test_merge_lora_says_a_cached_checkpoint_holds_no_adapter(tmp_path, monkeypatch, capsys, merged, ckpt):
    """`rsvlm merge-lora --model ./merged` says it holds no LoRA adapter; `--model acme/merged`, read from the cache,
    printed 'wrote m2' alone (its config.yaml was looked for under ./acme/merged); a cached one with an adapter has
    no such note."""
    from rsvlm.cli import main

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/merged", merged)
    assert main(["merge-lora", "--model", str(merged), "--out", "m1"]) == 0
    local = capsys.readouterr().out
    assert local == (f"note: {merged} holds no LoRA adapter (no adapter/, no encoder LoRA): its weights were "
                     "written as they are\nwrote m1\n")
    assert main(["merge-lora", "--model", "acme/merged", "--out", "m2"]) == 0
    assert capsys.readouterr().out == (f"note: acme/merged (in the Hugging Face cache at {snap}) holds no LoRA adapter "
                                       "(no adapter/, no encoder LoRA): its weights were written as they are\n"
                                       "wrote m2\n")
    hub_cache(tmp_path / "a", monkeypatch, "acme/lora", ckpt)  # adapter/ beside config.yaml: merged, no note
    assert main(["merge-lora", "--model", "acme/lora", "--out", "m3"]) == 0
    assert capsys.readouterr().out == "wrote m3\n"


def shifted(src: Path, out: Path, by: float) -> Path:
    """A copy of checkpoint ``src`` with ``by`` added to every floating tensor of vision.safetensors."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(src, out)
    tensors = load_file(src / "vision.safetensors")
    save_file({k: t + by if t.is_floating_point() else t for k, t in tensors.items()}, out / "vision.safetensors")
    return out


def test_average_checkpoints_reads_cached_hub_names(tmp_path, monkeypatch, capsys, merged):
    """`average_checkpoints.py acme/a acme/b@v2` was refused ('acme/a: no such checkpoint folder … the Hugging Face
    cache holds acme/a at SNAP: give that folder'); now each is read from its snapshot (linked into blobs/, as
    huggingface_hub writes it), said so, and averaged; acme/a and acme/a@main, one snapshot, are one checkpoint."""
    import huggingface_hub.constants
    from safetensors.torch import load_file

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    a = linked(tmp_path / "hub", "acme/a", merged, "aaaa1111")
    b = linked(tmp_path / "hub", "acme/b", shifted(merged, tmp_path / "b", 2.0), "bbbb2222", ("main", "v2"))
    avg = load_script("average_checkpoints")
    assert avg.main(["acme/a", "acme/b@v2", "--out", "avg"]) == 0
    said = capsys.readouterr()
    assert said.out == (f"acme/a: read from the Hugging Face cache at {a}\n"
                        f"acme/b@v2: read from the Hugging Face cache at {b}\nwrote avg\n"), said.err
    got, ta, tb = (load_file(d / "vision.safetensors") for d in (tmp_path / "avg", a, b))
    for k, t in got.items():
        assert t.equal(((ta[k].float() + tb[k].float()) / 2).to(t.dtype)), k
    card = (tmp_path / "avg" / "README.md").read_text()  # names as given, not snapshot paths (ec259dab)
    assert "Weight average of: acme/a at snapshot aaaa1111 (0.500), acme/b@v2 at snapshot bbbb2222 (0.500)" in card
    assert str(a) not in card
    with pytest.raises(SystemExit) as e:
        avg.main(["acme/a", "acme/a@main", "--out", "avg2"])
    assert e.value.code == 2
    assert capsys.readouterr().err.endswith(f"error: acme/a@main: given twice (as acme/a, both {a}); give each "
                                            "checkpoint once\n")
    assert avg.main(["acme/a", "acme/none", "--out", "avg3"]) == 2  # one the cache lacks: still refused, named
    assert "error: acme/none: no such checkpoint folder; rsvlm reads a checkpoint from a local folder" in \
        capsys.readouterr().err
    assert not (tmp_path / "avg3").exists()


def test_average_checkpoints_reads_a_cached_name_offline_in_a_fresh_process(tmp_path, merged):
    """The script as run: HF_HUB_OFFLINE=1 and the cache named by HF_HUB_CACHE, a local folder beside a hub name."""
    snap = linked(tmp_path / "hub", "acme/a", merged, "aaaa1111")
    shifted(merged, tmp_path / "b", 1.0)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "average_checkpoints.py"), "acme/a", "b", "--out",
                          "avg"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"acme/a: read from the Hugging Face cache at {snap}\nwrote avg\n"
    assert (tmp_path / "avg" / "vision.safetensors").is_file()


def test_the_benches_model_check_takes_a_cached_hub_name(tmp_path, monkeypatch, capsys, ckpt):
    """bench tta / det_decoding / missing_bands check --model with check_model_args: a hub name the cache holds (and
    its @revision) passes, as their load_model then reads it; one it lacks, or holds but partly, is refused naming it."""
    from eval.model_args import check_model_args
    from rsvlm.argparsing import Parser
    from rsvlm.loading import resolve_model_dir

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "config.yaml").write_text("llm: {}\n")
    hub_cache(tmp_path, monkeypatch, "acme/part", tmp_path / "part")  # config.yaml alone
    (tmp_path / "test.jsonl").write_text("{}\n")
    p = Parser(prog="bench/tta.py")
    for flag in ("--model", "--data"):
        p.add_argument(flag)
    for flag in ("--limit", "--batch-size", "--max-new-tokens"):
        p.add_argument(flag, type=int)

    def refusal(model):
        try:
            check_model_args(p, p.parse_args(["--data", "test.jsonl", "--model", model]))
        except SystemExit as e:
            assert e.code == 2
            return capsys.readouterr().err.splitlines()[-1]
        return None

    for name in ("acme/rsvlm-tiny", "acme/rsvlm-tiny@main", "acme/rsvlm-tiny@0123abc"):
        assert refusal(name) is None, name
        assert resolve_model_dir(name) == snap
    assert refusal("acme/none").startswith("bench/tta.py: error: --model acme/none: not an rsvlm checkpoint (no such "
                                           "folder; rsvlm reads a checkpoint from a local folder")
    assert "acme/part at " in (why := refusal("acme/part")) and "but not whole (no vision.safetensors" in why
    assert refusal("acme/rsvlm-tiny@v9").endswith("(hf download acme/rsvlm-tiny --revision v9 --local-dir DIR) and "
                                                  "give DIR)")
