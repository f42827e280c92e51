# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan digest, exactly as the plan contract defines it."""

from __future__ import annotations

import hashlib
import json


def canonical_json(document):
    """Canonical JSON of a plan without its top-level ``approval`` key."""
    body = {key: value for key, value in document.items() if key != "approval"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plan_digest(document):
    """SHA-256 (lowercase hex) of the canonical JSON, UTF-8 encoded."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def token_matches(token, digest):
    """An approval token is the full digest or at least its first 12 hex characters."""
    if not isinstance(token, str):
        return False
    token = token.strip().lower()
    return len(token) >= 12 and digest.startswith(token)
