"""What keeps the workspace private: CSP on every answer, cross-site writes refused, the local token exchange."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

# Everything the page needs ships with it: no CDN, no web font, no analytics, and nothing may be fetched elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "x-alliance-review"  # a custom header: a cross-site page cannot send it without a CORS preflight we never allow

Handler = Callable[[Request], Awaitable[Response]]


def harden(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def cross_site(request: Request, require_header: bool = True) -> bool:
    """A write that did not come from our own page: wrong Sec-Fetch-Site or Origin, or no CSRF header.

    Sec-Fetch-Site is set by the browser and cannot be forged by a page, so it decides when present. Origin can read
    "null" for our own form posts (Referrer-Policy no-referrer), so it refuses only a real other origin, or "null"
    from a browser that sends no Sec-Fetch-Site.
    """
    if request.method in SAFE_METHODS:
        return False
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if site is not None and site not in ("same-origin", "none"):
        return True
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}" and (origin != "null" or site is None):
        return True
    return require_header and request.headers.get(CSRF_HEADER) != "1"


def forbidden(message: str) -> Response:
    return harden(JSONResponse({"error": message, "code": "forbidden"}, status_code=403))


class LocalGate:
    """``alliance review``'s lock, as Jupyter's: a random token in the printed URL, exchanged on first load for an
    HttpOnly, SameSite=Strict cookie (the URL then loses the token); anything without the cookie gets 401."""

    def __init__(self, port: int) -> None:
        self.token = secrets.token_urlsafe(32)
        self._session = secrets.token_urlsafe(32)
        self.cookie = f"alliance_review_{port}"  # cookies ignore ports: two review servers must not share one

    async def __call__(self, request: Request, call_next: Handler) -> Response:
        token = request.query_params.get("token")
        if token is not None and request.method == "GET" and request.url.path == "/":
            if not secrets.compare_digest(token, self.token):
                return harden(JSONResponse({"error": "this link's token is not valid; use the URL alliance review printed"}, 401))
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(self.cookie, self._session, httponly=True, samesite="strict", path="/")
            return harden(response)
        cookie = request.cookies.get(self.cookie)
        if cookie is None or not secrets.compare_digest(cookie, self._session):
            return harden(JSONResponse({"error": "open the URL alliance review printed (it carries the access token)"}, 401))
        if cross_site(request):
            return forbidden("cross-site request refused")
        return harden(await call_next(request))
