"""What may be said about a model server's address: no credentials, no query string."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def public_url(url: object) -> str | None:
    """A server URL without credentials or query string, safe to record, cache on and show."""
    if not url:
        return None
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
