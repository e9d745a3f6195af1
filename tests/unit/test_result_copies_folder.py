"""The folder store of result copies (one instance, `file:` RESULT_STORE) keeps the same promises as the Blob one
(tests/storage/test_result_copies_blob_store.py): none is None, a copy over the cap is refused unread."""

from __future__ import annotations

import pytest

from result_copies.stores import FolderCopies, ResultTooLarge


def test_a_copy_reads_back_and_a_missing_one_is_none(tmp_path):
    store = FolderCopies(tmp_path / "copies")
    assert store.read("an-1", 100) is None
    store.write("an-1", b'{"status":"Succeeded"}')
    assert store.read("an-1", 100) == b'{"status":"Succeeded"}'


def test_a_copy_over_the_cap_is_refused(tmp_path):
    store = FolderCopies(tmp_path)
    store.write("an-1", b"x" * 2000)
    with pytest.raises(ResultTooLarge) as refused:
        store.read("an-1", 1000)
    assert (refused.value.size, refused.value.limit) == (2000, 1000)


def test_a_key_is_never_a_path(tmp_path):
    with pytest.raises(ValueError):
        FolderCopies(tmp_path).read("../an-1", 100)
