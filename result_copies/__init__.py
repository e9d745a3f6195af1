"""Claim-check copies of finished results: each file's result is read from Content Understanding once.

A succeeded operation's 200 body is built once (each file's result read from the service, merged) and kept as
one object in RESULT_STORE: `file:<folder>` (this instance's disk) or a Blob container URL (shared by every
instance). Unset, each instance keeps its copies in a folder under the system's temporary directory. Copies
are deleted with the operation (RESULT_TTL_SECONDS, by the purge timer). A body over MAX_RESULT_BYTES is
never built or served: a small marker remembers its size, so the service is not read again for it.
"""

from result_copies.reads import ResultTooLarge, delete_copies_older_than, result_body

__all__ = ["ResultTooLarge", "delete_copies_older_than", "result_body"]
