"""The one way a secret is kept out of a message, a log tail or a report.

Every shell scrubs with `redact` before it prints: the known secret values (longest first, so
a secret that contains another is masked whole) and the signature, credential and session
token of any pre-signed URL, which carry a key even when its secret is not known here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
TRUNCATED = " [...]"
_SIGNED_QUERY = re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'\"]+", re.I)


def redact(text: str, secrets: Iterable[str], *, limit: int | None = None) -> str:
    """`text` with every non-empty secret and signed-URL parameter masked; at most `limit`
    characters (plus a marker) when a caller needs a short message."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _SIGNED_QUERY.sub(rf"\g<1>{MASK}", text)
    if limit is not None and len(text) > limit:
        return text[:limit] + TRUNCATED
    return text


class Redactor:
    """`redact` bound to one run's secrets, for code that scrubs many texts."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def __call__(self, text: str) -> str:
        return redact(text, self._secrets)
