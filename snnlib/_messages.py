"""Wording shared by every user-facing error message: paths cut to a readable length, OS errors in one line.

Standard library only (``errno``), so that the command line's ``-h`` stays cheap.
"""

from __future__ import annotations

import errno
from typing import Any


def middle_cut(value: Any, limit: int = 80) -> str:
    """``str(value)`` with its middle replaced by "…" so that it is at most ``limit`` characters (a path keeps
    its start and its file name)."""
    text = str(value)
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


#: Advice for the OS errors a user can meet and fix (by errno).
_ADVICE = {
    errno.ENOSPC: "no space left on the disk",
    errno.ENAMETOOLONG: "a name in the path is too long (most file systems allow 255 bytes per name)",
    errno.ELOOP: "too many levels of symbolic links (a link loop?)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def os_reason(err: BaseException) -> str:
    """A one-line reason for an OS error: advice for the common ones (:data:`_ADVICE`), else its
    ``strerror`` or message, whitespace collapsed."""
    advice = _ADVICE.get(getattr(err, "errno", None))
    if advice is not None:
        return advice
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return " ".join(text.split())
