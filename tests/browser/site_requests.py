"""Which requests a page of the site may make: only to the site itself.

Shared by the fixtures (which abort every other request) and the tests (which count them).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local(url: str, base_url: str) -> bool:
    """A request inside the site: same scheme and host as `base_url`, or inline data."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    here, there = urlsplit(base_url), urlsplit(url)
    return (here.scheme, here.netloc) == (there.scheme, there.netloc)
