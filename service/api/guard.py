"""The outermost layer of the API: nothing a request raises reaches uvicorn, which would log it in full.

Starlette answers an unexpected error with our 500 problem (problems.py) and then re-raises it for the
server to log; uvicorn's log line would carry the traceback and the exception's message, which can quote
request values (SQL parameters, an Idempotency-Key). Here it stops, logged by type alone.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from ..logs import exception_chain

logger = logging.getLogger(__name__)


def contain_errors(app: ASGIApp) -> ASGIApp:
    async def contained(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001  (the answer was already sent as a 500 problem; only the log is left)
            logger.error("request failed (%s)", exception_chain(exc))

    return contained
