"""`python -m callwatch.web`: the page as the daemon's child (daemon.py starts it when
``[web] enabled = true``). The configuration comes pickled on stdin, as for the job children."""

from __future__ import annotations

import logging
import pickle
import sys

from callwatch.errors import CallwatchError


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("callwatch").setLevel(logging.INFO)
    config = pickle.loads(sys.stdin.buffer.read())
    from callwatch.web.server import serve
    try:
        serve(config)
    except CallwatchError as exc:
        logging.getLogger("callwatch.web").error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
