"""`python -m translator` and the `np2calico` command run the command line from here.

The command modules are imported inside `run`, so that a Ctrl-C during the imports is still the one
line and exit 130 of every other interruption, not a traceback.
"""

import sys


def run() -> None:
    try:
        from translator.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("np2calico: interrupted\n")
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
