"""Prepare (never send) an authenticated JSON request with requests and print it."""

from __future__ import annotations

import requests
from requests.auth import HTTPBasicAuth


def main() -> None:
    session = requests.Session()
    session.headers["User-Agent"] = "bench-client/1.0"
    request = requests.Request(
        "POST",
        "https://api.example.com/v1/orders",
        params={"dry_run": "true", "page": 3},
        json={"item": "widget", "quantity": 4, "tags": ["blue", "large"]},
        headers={"Accept": "application/json"},
        auth=HTTPBasicAuth("user", "secret"),
    )
    prepared = session.prepare_request(request)
    print(prepared.method, prepared.url)
    for name, value in sorted(prepared.headers.items()):
        print(f"{name}: {value}")
    print()
    print(prepared.body.decode())


if __name__ == "__main__":
    main()
