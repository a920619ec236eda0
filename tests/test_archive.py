"""archive_file's UTF-8 verdict, chunk by chunk: ASCII chunks are taken as they are only when no
multi-byte sequence is left open before them."""

import pytest

from callwatch import archive


@pytest.mark.parametrize("data, utf8", [
    (b"abcd" * 10, True),
    ("abcdefg\u00e9hijklmn".encode(), True),              # "é" (2 bytes) across the chunk boundary
    ("abcdef\u20acghijklmn".encode(), True),              # "€" (3 bytes) across it
    (b"abcdefg\xc3hijklmnop", False),                    # a sequence opened, then ASCII: invalid
    (b"abcdefg\xc3" + b"hijklmno" + b"\xa9bcdefgh", False),  # ... even if a later byte would close it
    (b"abcdefgh" + b"ijklmnop" + b"\xe2\x82", False),     # the file ends inside a sequence
    (b"abcdefgh\xff" + b"a" * 20, False),                 # a byte UTF-8 never has
])
def test_utf8_verdict_across_chunks(tmp_path, monkeypatch, data, utf8):
    monkeypatch.setattr(archive, "CHUNK", 8)
    src = tmp_path / "export.csv"
    src.write_bytes(data)
    archived = archive.archive_file(src, tmp_path / "data")
    assert archived.utf8 is utf8
    assert (tmp_path / "data" / archived.relative).read_bytes() == data


def test_the_hash_is_of_every_chunk_in_order_and_its_thread_ends_on_a_read_error(tmp_path, monkeypatch):
    import hashlib
    import io
    import threading
    monkeypatch.setattr(archive, "CHUNK", 7)                # many chunks: more than the 8 in flight
    data = bytes(range(256)) * 40
    src = tmp_path / "export.bin"
    src.write_bytes(data)
    archived = archive.archive_file(src, tmp_path / "data")
    assert archived.sha256 == hashlib.sha256(data).hexdigest()

    class Failing(io.FileIO):
        reads = 0

        def read(self, size=-1):
            Failing.reads += 1
            if Failing.reads > 30:
                raise OSError(5, "Input/output error")
            return super().read(size)

    with Failing(src, "rb") as failing:
        with pytest.raises(archive.UnreadableFile):
            archive.archive_file(failing, tmp_path / "data")
    assert not [t for t in threading.enumerate() if t.name == "callwatch-hash"]
    assert [p.name for p in (tmp_path / "data" / "archive" / "sha256").glob(".incoming-*")] == []
