"""autograder.fsutil.atomic_write: the one way the grader replaces a file (issue 19).

Its guarantees: the target is replaced whole or not at all, no temporary file survives an error,
the file and its folder are fsynced, and the file has a plain file's mode. Every module that
writes a kept file (results, CSV, reports, public reference stores, the reference cache) uses it.
"""

from __future__ import annotations

import os
import stat

import pytest

from autograder import fsutil


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_writes_text_and_bytes_with_a_plain_files_mode(tmp_path):
    target = tmp_path / "sub" / "a.txt"  # the folder is created
    fsutil.atomic_write(target, "안녕\n")
    assert target.read_text(encoding="utf-8") == "안녕\n"
    fsutil.atomic_write(target, b"\x00\xff")
    assert target.read_bytes() == b"\x00\xff"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
    assert _listing(target.parent) == ["a.txt"]


@pytest.mark.parametrize("failing", ["write", "fsync", "replace", "interrupt"])
def test_a_failing_write_leaves_the_target_whole_and_no_temporary_file(tmp_path, monkeypatch, failing):
    target = tmp_path / "grades.csv"
    target.write_text("old\n")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt if failing == "interrupt" else OSError(28, "No space left on device")

    if failing == "write":
        data = "x" * 10
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            write = boom

        monkeypatch.setattr(fsutil.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    else:
        data = "new\n"
        name = {"fsync": "fsync", "replace": "replace", "interrupt": "replace"}[failing]
        monkeypatch.setattr(fsutil.os, name, boom)
    with pytest.raises(KeyboardInterrupt if failing == "interrupt" else OSError):
        fsutil.atomic_write(target, data)
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert _listing(tmp_path) == ["grades.csv"]


def test_text_that_cannot_be_encoded_writes_nothing(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        fsutil.atomic_write(target, "lone surrogate \udcff")
    assert target.read_text() == "old"
    assert _listing(tmp_path) == ["r.json"]


def test_the_file_and_its_folder_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(fsutil.os, "fsync", spy)
    fsutil.atomic_write(tmp_path / "a", "x")
    assert synced == [False, True]  # the file's data before the rename, the folder's entry after it


def test_temp_glob_names_exactly_the_temporary_files(tmp_path, monkeypatch):
    """batch removes what a kill -9 left behind with this pattern: it must match the temporary
    file of a write that died between creating it and renaming it, and nothing else."""
    monkeypatch.setattr(fsutil.os, "replace", lambda *a: 1 / 0)
    monkeypatch.setattr(fsutil.os, "unlink", lambda p: None)  # as if killed: the temporary stays
    with pytest.raises(ZeroDivisionError):
        fsutil.atomic_write(tmp_path / "grades.csv", "x")
    monkeypatch.undo()
    (tmp_path / "grades.csv.bak").write_text("keep")
    left = list(tmp_path.glob(fsutil.temp_glob("grades.csv")))
    assert len(left) == 1 and left[0].name.startswith(".grades.csv.")
    assert list(tmp_path.glob(fsutil.temp_glob("*"))) == left


def test_every_kept_file_goes_through_it(tmp_path, monkeypatch):
    """The writers of results/CSV/reports (batch), JSON results (report), public reference stores
    (release) and the reference cache (reference) are this helper, so they share its guarantees.
    Before issue 19, release's and reference's writers neither fsynced nor removed their temporary
    file when the write failed."""
    from autograder import batch, reference, release, report

    assert batch.atomic_write is fsutil.atomic_write
    assert release.atomic_write is fsutil.atomic_write
    assert reference.atomic_write is fsutil.atomic_write
    target = tmp_path / "r.json"
    target.write_text("{}")
    monkeypatch.setattr(fsutil.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        report.write_json_atomic(target, {"a": 1})
    monkeypatch.undo()
    assert target.read_text() == "{}" and _listing(tmp_path) == ["r.json"]


def test_atomic_copy_links_or_copies_and_cleans_up(tmp_path, monkeypatch):
    """merge's placement: a hard link on one file system, a byte copy across file systems, the
    target replaced whole, and no temporary file left when the rename fails."""
    src, dst = tmp_path / "src.json", tmp_path / "out" / "dst.json"
    dst.parent.mkdir()
    src.write_text("new")
    dst.write_text("old")
    fsutil.atomic_copy(src, dst)
    assert dst.read_text() == "new" and dst.stat().st_ino == src.stat().st_ino  # linked
    dst.unlink()
    monkeypatch.setattr(fsutil.os, "link", lambda a, b: (_ for _ in ()).throw(OSError(18, "cross-device link")))
    fsutil.atomic_copy(src, dst)
    assert dst.read_text() == "new" and dst.stat().st_ino != src.stat().st_ino  # copied
    dst.write_text("old")
    monkeypatch.setattr(fsutil.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        fsutil.atomic_copy(src, dst)
    monkeypatch.undo()
    assert dst.read_text() == "old" and _listing(dst.parent) == ["dst.json"]
