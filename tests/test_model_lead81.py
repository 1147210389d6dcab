"""Stop 81, lead (left by the model re-read): ``--model acme/x/``, a hub name typed with a trailing slash (a shell's
completion of a folder name), was not read from the Hugging Face cache that ``acme/x`` is read from; the slash is
read past where the cache is looked up (``cached_checkpoint``), for merge-lora and the scripts too."""
from conftest import hub_cache


def test_a_cached_hub_name_with_a_trailing_slash_is_read_from_the_cache(tmp_path, monkeypatch, ckpt):
    from rsvlm.loading import resolve_model_dir
    from rsvlm.model.ckpt_files import cached_checkpoint

    monkeypatch.chdir(tmp_path)
    snap = hub_cache(tmp_path, monkeypatch, "acme/rsvlm-tiny", ckpt)
    assert resolve_model_dir("acme/rsvlm-tiny/") == resolve_model_dir("acme/rsvlm-tiny") == snap
    assert cached_checkpoint("acme/rsvlm-tiny/") == snap
