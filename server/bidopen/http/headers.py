"""What every response tells the browser: a strict content policy, no framing, no API caching."""

from __future__ import annotations

from aiohttp import web

# One policy for pages, their scripts and workers alike (a worker takes the policy of its
# own script's response): everything from this origin, nothing inline, never framed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Powerful features stay off; the camera page alone may ask for the camera, for itself.
_NO_FEATURES = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
_CAMERA_PAGE = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
)
CAMERA_PATH = "/camera"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def permissions_policy(path: str) -> str:
    return _CAMERA_PAGE if path == CAMERA_PATH else _NO_FEATURES


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: runs for every response, errors, static files and sockets too."""
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    headers["Permissions-Policy"] = permissions_policy(request.path)
    # aiohttp would name itself and its version; say what the server is, not which build.
    headers["Server"] = "bidopen"
    # API answers carry tokens, receipts and views of one role: no cache may keep them.
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
