"""What reading a damaged index file can raise, named once for every loader."""

from __future__ import annotations

import tokenize

# OSError: unreadable or missing. ValueError: a bad .npy header or bad JSON.
# EOFError: an .npy file cut to nothing. tokenize.TokenError: an .npy header
# with an unclosed bracket, which numpy tokenizes before parsing (found by
# the fuzz test of damaged files).
DAMAGED_FILE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    EOFError,
    tokenize.TokenError,
)
