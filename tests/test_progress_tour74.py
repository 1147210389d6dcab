"""rsvlm.progress, tour 74: a unit_scale bar without a total counts whole records as "1 record" (was "1.00 record"),
an empty TQDM_BAR_FORMAT is no format of the user's, and ``counted`` agrees a verb with its count."""

import io

import pytest

from rsvlm.progress import bar, counted


def _drawn(monkeypatch, n, env=None, **kw) -> str:
    if env is None:
        monkeypatch.delenv("TQDM_BAR_FORMAT", raising=False)
    else:
        monkeypatch.setenv("TQDM_BAR_FORMAT", env)
    log = io.StringIO()
    b = bar(desc="read", unit="record", file=log, **kw)
    b.update(n)
    b.close()
    return log.getvalue()


@pytest.mark.parametrize("n, count", [(1, "read: 1 record ["), (3, "read: 3 records ["), (999, "read: 999 records ["),
                                      (3000, "read: 3.00k records [")])
def test_a_unit_scale_bar_without_a_total_counts_whole_records_as_numbers(monkeypatch, n, count):
    # was "read: 1.00 record [" and "3.00 records": tqdm's unit_scale writes every count with three figures
    assert _drawn(monkeypatch, n, unit_scale=True).startswith(count)


def test_a_bar_without_unit_scale_still_counts_as_before(monkeypatch):
    assert _drawn(monkeypatch, 1).startswith("read: 1 record [")
    assert _drawn(monkeypatch, 2).startswith("read: 2 records [")


def test_an_empty_tqdm_bar_format_is_no_format_of_the_users(monkeypatch):
    # was "read: 1 records [": TQDM_BAR_FORMAT= (set, empty) passed over the count format for tqdm's default
    assert _drawn(monkeypatch, 1, env="").startswith("read: 1 record [")
    given = {}
    monkeypatch.setenv("TQDM_BAR_FORMAT", "{n_fmt} done")  # tqdm reads it when imported: a stand-in tqdm tells
    bar(unit="record", file=io.StringIO(), tqdm_class=lambda *a, **kw: given.update(kw))
    assert "bar_format" not in given  # a format given is still the user's, tqdm's default


@pytest.mark.parametrize("n, said", [(0, "0 records were"), (1, "1 record was"), (2, "2 records were")])
def test_counted_agrees_a_verb_with_its_count(n, said):
    assert counted(n, "record", "was/were") == said


def test_counted_takes_several_words_each_side_and_none_is_as_before():
    assert counted(1, "object", "lies wholly/lie wholly") == "1 object lies wholly"
    assert counted(4, "object", " has / have ") == "4 objects have"
    assert counted(4, "batch") == "4 batches"


@pytest.mark.parametrize("verbs", ["were", "was/were/are", "/were", "was/ "])
def test_counted_names_verbs_that_are_not_one_pair(verbs):
    with pytest.raises(ValueError, match=f"verbs={verbs!r}"):
        counted(2, "record", verbs)


@pytest.mark.parametrize("n, kw, count", [
    (1.5, {"unit_scale": True}, "read: 1.50 records ["),  # a fraction keeps unit_scale's figures
    (0.004, {"unit_scale": True}, "read: 0.00 records ["),
    (1_500_000, {"unit_scale": 1e-6}, "read: 1.5 records ["),  # bytes read as millions: the fraction stays
    (1000, {"unit_scale": True, "unit_divisor": 1024}, "read: 0.98k records ["),  # 1000 of 1024 is no whole count
    (1, {"unit_scale": True, "total": 10}, "read:  10% 1.00/10.0 ["),  # a total: tqdm's own line, as before
    (1, {"total": 10}, "read:  10% 1/10 [")])
def test_whole_numbers_only_where_the_count_is_whole_and_has_no_total(monkeypatch, n, kw, count):
    assert _drawn(monkeypatch, n, **kw).startswith(count)
