"""The action server with log scrubbing: ``python -m crm_backend.action_server`` takes the same
arguments as ``python -m rasa_sdk`` (``--actions actions --port 5055 --debug`` ...) and runs
rasa-sdk's own main with them.

It lives in ``crm_backend`` because ``actions/`` never imports ``crm_backend`` and runs nothing
at import time. Two adjustments to rasa-sdk's main, both made here:

- rasa-sdk sets up logging itself (coloredlogs replaces the root handler), so a filter put on
  the handlers beforehand would be dropped. The filter is installed right after that set-up
  (which ends with ``update_sanic_log_level``), before the actions are imported, and the
  scrubber is loaded then, so the server is healthy only once it can scrub.
- Sanic would serve from a spawned worker process that has none of that logging set-up (no
  handlers: the actions' records below WARNING vanish) and would load a second scrubber. With
  one worker (rasa-sdk's default) the app is served in this process instead
  (``Sanic.serve_single``, Sanic's single-process mode); several workers are refused. Forking
  the worker fails: the fork inherits the app registry and rasa-sdk registers the app again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from crm_backend.privacy import get_scrubber
from crm_backend.privacy.log_filter import install_log_scrubbing


def main(argv: Sequence[str] | None = None) -> None:
    import rasa_sdk.__main__ as sdk_main
    import rasa_sdk.utils as sdk_utils
    from sanic import Sanic

    configure_sanic_logging = sdk_utils.update_sanic_log_level
    serve_with_workers = Sanic.serve

    def configure_then_scrub() -> None:
        configure_sanic_logging()
        install_log_scrubbing()
        get_scrubber().load()

    def serve(primary: Sanic | None = None, **kwargs: Any) -> None:
        if primary is None:
            serve_with_workers(primary, **kwargs)
        elif sdk_utils.number_of_sanic_workers() != 1:
            # Spawned workers would log unscrubbed: scale with several action servers instead.
            raise SystemExit(
                "crm_backend.action_server serves one worker; unset ACTION_SERVER_SANIC_WORKERS"
            )
        else:
            Sanic.serve_single(primary)

    install_log_scrubbing()  # anything logged before rasa-sdk's own set-up
    sdk_utils.update_sanic_log_level = configure_then_scrub
    Sanic.serve = serve  # type: ignore[method-assign]
    sdk_main.main_from_args(sdk_main.create_argument_parser().parse_args(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
