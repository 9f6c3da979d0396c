"""A handler whose module fails at import: configuration checked at cold start, as is common."""

from __future__ import annotations

import json
import logging
import os

logger = logging.getLogger(__name__)
SETTING = os.environ.get("MISSING_SETTING")
if SETTING is None:
    raise ValueError("bad config: MISSING_SETTING is not set")


def lambda_handler(event: dict, context: object) -> dict:
    return {"setting": json.loads(SETTING)}
