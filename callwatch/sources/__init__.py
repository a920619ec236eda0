"""Live sources: boxes polled for their call list. A poll is saved as a file and imported like
any export (hashed, archived, deduplicated by the calls' natural identity)."""
