"""Attacks on the inbox between the daemon's stability check and the end of an import: the file
replaced, grown, rewritten while it is copied, or swapped for a link. No call that reached the
inbox may be put away unread, and no link may be followed.

Each attack is made at its exact point through a monkeypatch (no sleeps): the inbox job runs in
this process (callwatch.jobs.Jobs, as the daemon's child runs it) on a file the daemon would have
found stable. The exports are Asterisk cdr_csv Master.csv files, the log a PBX appends a line to
after each call: a file that really grows while it sits somewhere."""

import os
from pathlib import Path

import pytest

from callwatch import archive, config as config_mod
from callwatch.ingest import Importer
from callwatch.jobs import Jobs
from callwatch.store import Store

CONFIG = """
region = "FR"
timezone = "Europe/Paris"

[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
extensions = ["100"]
"""


def cdr_lines(first: int, count: int) -> str:
    """cdr_csv order: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
    start, answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield; one incoming
    call from a rotating 01 62 34 5x xx number (i < 1000), each at its own time with its own uniqueid."""
    out = []
    for i in range(first, first + count):
        number = f"0162345{i:03d}"
        day = f"2026-11-{1 + i % 28:02d}"
        hour = f"{8 + (i // 28) % 10:02d}:{(i // 280) % 60:02d}"
        epoch = 1793520000 + i * 60
        out.append(f'"","{number}","0123456789","from-trunk","""Vente"" <{number}>","PJSIP/trunk-{i:08x}",'
                   f'"PJSIP/100-{i:08x}","Dial","PJSIP/100,30","{day} {hour}:00","{day} {hour}:05",'
                   f'"{day} {hour}:07",7,2,"ANSWERED","DOCUMENTATION","{epoch}.{i}",""\n')
    return "".join(out)


@pytest.fixture
def jobs(tmp_path):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG)
    return Jobs(config_mod.load(cfg, tmp_path / "data"))


def stored_numbers(jobs) -> list[str]:
    with Store(jobs.data_dir) as store:
        return sorted(r[0] for r in store.conn.execute("SELECT number FROM calls"))


def numbers(first, count):
    return sorted(f"+33162345{i:03d}" for i in range(first, first + count))


def test_a_file_replaced_after_its_import_is_not_put_away_unread(jobs, monkeypatch):
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 3))
    newer = jobs.inbox.parent / "newer-Master.csv"
    newer.write_text(cdr_lines(3, 2))
    real = Importer.import_file

    def then_replace(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        os.replace(newer, path)            # a newer export copied over it (rsync, cp to a temp name, mv)
        return result
    monkeypatch.setattr(Importer, "import_file", then_replace)
    result, detail = jobs.run("inbox", paths=[str(path)])
    monkeypatch.undo()
    assert detail == "1 imported (3 new calls), 0 skipped, 0 refused, 1 left in the inbox (changed while read)"
    assert stored_numbers(jobs) == numbers(0, 3)
    assert path.read_text() == cdr_lines(3, 2)              # the newer export waits, unread, in the inbox
    assert list((jobs.inbox / "done").iterdir()) == []
    result, detail = jobs.run("inbox", paths=[str(path)])   # its next look
    assert detail == "1 imported (2 new calls), 0 skipped, 0 refused"
    assert stored_numbers(jobs) == numbers(0, 5)
    assert (jobs.inbox / "done" / "Master.csv").read_text() == cdr_lines(3, 2) and not path.exists()


def test_a_file_grown_after_its_import_is_read_again(jobs, monkeypatch):
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 3))
    real = Importer.import_file

    def then_append(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        with open(path, "a") as fh:       # the PBX logs two more calls
            fh.write(cdr_lines(3, 2))
        return result
    monkeypatch.setattr(Importer, "import_file", then_append)
    result, detail = jobs.run("inbox", paths=[str(path)])
    monkeypatch.undo()
    assert detail.endswith("1 left in the inbox (changed while read)")
    assert stored_numbers(jobs) == numbers(0, 3) and path.exists()
    result, detail = jobs.run("inbox", paths=[str(path)])
    assert detail == "1 imported (2 new calls), 0 skipped, 0 refused"
    assert stored_numbers(jobs) == numbers(0, 5)
    with Store(jobs.data_dir) as store:
        last = store.imports()[-1]
    assert (last["read"], last["new"], last["duplicate"]) == (5, 2, 3)


def test_a_file_rewritten_while_it_is_copied_leaves_nothing_and_is_read_whole_later(jobs, monkeypatch):
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 6))
    monkeypatch.setattr(archive, "CHUNK", 256)            # several reads, so that one can come between
    real_chunks = archive._chunks

    def rewrite_after_the_first_chunk(src):
        for n, chunk in enumerate(real_chunks(src)):
            yield chunk
            if n == 0:                     # an editor saving in place: truncate, write anew
                with open(path, "r+") as fh:
                    fh.truncate(0)
                    fh.write(cdr_lines(10, 6))
    monkeypatch.setattr(archive, "_chunks", rewrite_after_the_first_chunk)
    result, detail = jobs.run("inbox", paths=[str(path)])
    monkeypatch.undo()
    assert detail == "0 imported (0 new calls), 0 skipped, 0 refused, 1 left in the inbox (changed while read)"
    with Store(jobs.data_dir) as store:
        assert store.imports() == [] and store.count_calls() == 0
    assert [p for p in (jobs.data_dir / "archive" / "sha256").rglob("*") if p.is_file()] == []   # no torn copy
    result, detail = jobs.run("inbox", paths=[str(path)])
    assert detail == "1 imported (6 new calls), 0 skipped, 0 refused"
    assert stored_numbers(jobs) == numbers(10, 6)


@pytest.mark.parametrize("swap", ["link to a file outside", "link to a folder", "fifo"])
def test_something_swapped_in_after_the_stability_check_is_never_followed(jobs, tmp_path, swap):
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 3))                 # what the daemon saw settle
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.csv").write_text(cdr_lines(20, 4))
    path.unlink()
    if swap == "fifo":
        os.mkfifo(path)                               # would block a reader that opens it for good
    else:
        path.symlink_to(outside / "private.csv" if swap == "link to a file outside" else outside)
    result, detail = jobs.run("inbox", paths=[str(path)])
    assert detail == "0 imported (0 new calls), 0 skipped, 0 refused, 1 left in the inbox (changed while read)"
    assert stored_numbers(jobs) == []
    assert [p for p in (jobs.data_dir / "archive" / "sha256").rglob("*") if p.is_file()] == []
    assert os.path.lexists(path) and not (jobs.inbox / "done").exists() and not (jobs.inbox / "failed").exists()
    assert (outside / "private.csv").read_text() == cdr_lines(20, 4)


def test_a_link_swapped_in_after_the_import_goes_back_to_the_inbox_unfollowed(jobs, tmp_path, monkeypatch):
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 3))
    target = tmp_path / "target.csv"
    target.write_text(cdr_lines(30, 1))
    real = Importer.import_file

    def then_swap(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        path.unlink()
        path.symlink_to(target)
        return result
    monkeypatch.setattr(Importer, "import_file", then_swap)
    result, detail = jobs.run("inbox", paths=[str(path)])
    assert detail.endswith("1 left in the inbox (changed while read)")
    assert path.is_symlink() and list((jobs.inbox / "done").iterdir()) == []
    assert stored_numbers(jobs) == numbers(0, 3)
