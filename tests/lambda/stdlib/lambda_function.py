"""A stdlib-only handler: text statistics, digests and date arithmetic from the event."""

from __future__ import annotations

import base64
import collections
import datetime
import decimal
import hashlib
import json
import re
import statistics
import textwrap
import uuid
import zlib

WORD = re.compile(r"[a-z']+")
NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid.NAMESPACE_URL


def lambda_handler(event: dict, context: object) -> dict:
    text = event["text"]
    words = WORD.findall(text.lower())
    day = datetime.date.fromisoformat(event["date"])
    prices = [decimal.Decimal(p) for p in event.get("prices", ["0"])]
    data = text.encode("utf-8")
    return {
        "words": len(words),
        "top": collections.Counter(words).most_common(3),
        "mean_length": statistics.fmean(len(w) for w in words) if words else 0.0,
        "sha256": hashlib.sha256(data).hexdigest(),
        "crc32": zlib.crc32(data),
        "b64": base64.b64encode(data[:24]).decode("ascii"),
        "uuid5": str(uuid.uuid5(NAMESPACE, text)),
        "wrapped": textwrap.wrap(text, 24)[:3],
        "weekday": day.strftime("%A"),
        "plus_30_days": (day + datetime.timedelta(days=30)).isoformat(),
        "iso_week": list(day.isocalendar()),
        "total": str(sum(prices, decimal.Decimal(0)).quantize(decimal.Decimal("0.01"))),
        "echo": json.loads(json.dumps(event, sort_keys=True)),
        "function": [context.function_name, context.memory_limit_in_mb],
    }
