"""``python -m snnlib ...``: see :mod:`snnlib.cli`."""

import os
import sys

try:  # Ctrl-C in the first milliseconds, while the command line itself is imported, is no traceback either
    from snnlib.cli import main

    code = main()
except KeyboardInterrupt:
    print("interrupted; nothing written", file=sys.stderr)
    code = 130
# Leave now, without the interpreter's shutdown: the files are closed and every message is printed.
# Two reasons. TensorFlow's teardown takes about half a second, during which a Ctrl-C or SIGTERM would
# kill the finished process by the signal's default action (exit status -2 or -15, after the work was
# done). And when a Ctrl-C hit code that an extension runs through PyRun_String (TensorFlow's import
# does), CPython remembers an "unhandled" KeyboardInterrupt although it was handled, and `python -m`
# would kill itself with SIGINT at the end instead of exiting with status 130.
for stream in (sys.stdout, sys.stderr):
    try:
        stream.flush()
    except (OSError, ValueError):
        pass
os._exit(code)
