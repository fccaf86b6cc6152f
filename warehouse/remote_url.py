"""Warehouse URLs (`--warehouse s3://bucket/prefix`): checked before anything is stored or logged.

Pure and cheap to import (the CLI checks a URL before Prefect starts, so a refused URL never reaches a flow
run's parameters). Credentials never travel in a URL: a URL with a user or password (`s3://KEY:SECRET@bucket`)
or a query string (`?access_key=...`, pre-signed signatures) is refused, and the error names the URL with
those parts replaced by `***`. Credentials come from the environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3; the
equivalents of other stores) as obstore reads them.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# Stores whose obstore client does a conditional create (the commit rule): S3 (If-None-Match), Google Cloud
# Storage (if-generation-match 0), Azure (If-None-Match), local files. Not plain HTTP/WebDAV, and not
# memory:// (a new, empty store each time it is opened).
SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "azure", "file")


class RemoteURLError(ValueError):
    """A warehouse URL that cannot be used; the message never contains its credentials."""


@dataclass(frozen=True)
class WarehouseURL:
    """A checked warehouse URL: `scheme://bucket/prefix` without credentials or query."""

    url: str  # normalised: no trailing slash
    scheme: str

    def __str__(self) -> str:
        return self.url


def redact(url: str) -> str:
    """`url` with any user, password and query string replaced by `***` (for messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?***" if parts.query else "") + ("#***" if parts.fragment else "")


def parse(url: str) -> WarehouseURL:
    """Check a warehouse URL; raises RemoteURLError (with the URL redacted) for credentials in it, a query
    string, an unknown scheme or a missing bucket."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise RemoteURLError(f"not a warehouse URL: {shown}") from exc
    if "@" in parts.netloc or parts.username or parts.password:
        raise RemoteURLError(
            f"refusing warehouse URL {shown}: credentials in a URL end up in logs and run records; set them in "
            "the environment instead (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, ...)"
        )
    if parts.query or parts.fragment:
        raise RemoteURLError(f"refusing warehouse URL {shown}: no query string or fragment (options and "
                             "credentials come from the environment)")
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise RemoteURLError(f"unsupported warehouse URL scheme {scheme!r} in {shown}: use one of {', '.join(SCHEMES)}")
    if scheme != "file" and not parts.netloc:
        raise RemoteURLError(f"warehouse URL {shown} names no bucket (expected {scheme}://bucket/prefix)")
    normal = url.rstrip("/") if (parts.netloc or len(parts.path) > 1) else url
    return WarehouseURL(normal, scheme)
