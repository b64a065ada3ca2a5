"""`python -m translator` and the `np2calico` command run the command line from here.

The command modules are imported inside `run`, so that a Ctrl-C during the imports is still the one
line and exit 130 of every other interruption, not a traceback.
"""

import os
import sys


def run() -> None:
    try:
        from translator.cli import main
    except KeyboardInterrupt:
        # Nothing is open or half-written yet. A SystemExit here would still end by SIGINT (CPython
        # re-raises an interrupt that hit an import), so leave at once with the exit code.
        sys.stderr.write("np2calico: interrupted\n")
        sys.stderr.flush()
        os._exit(130)
    main()


if __name__ == "__main__":
    run()
