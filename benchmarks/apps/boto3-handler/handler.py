"""A Lambda-style handler: the S3 client is made at import time, as Lambda handlers do.

Credentials and region are dummies and nothing touches the network: the `__main__`
block answers the client's one call with botocore's Stubber, like a unit test would.
"""

from __future__ import annotations

import json

import boto3

s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                  aws_secret_access_key="secret")


def handler(event: dict, context: object) -> dict:
    """Summarise the objects under the event's prefix."""
    listing = s3.list_objects_v2(Bucket=event["bucket"], Prefix=event["prefix"])
    objects = listing.get("Contents", [])
    return {
        "bucket": event["bucket"],
        "count": len(objects),
        "bytes": sum(item["Size"] for item in objects),
        "largest": max(objects, key=lambda item: item["Size"])["Key"] if objects else None,
        "endpoint": s3.meta.endpoint_url,
    }


def main() -> None:
    from botocore.stub import Stubber

    event = {"bucket": "example-logs", "prefix": "2024/"}
    with Stubber(s3) as stub:
        stub.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": "2024/01.log", "Size": 2048}, {"Key": "2024/02.log", "Size": 512}],
             "KeyCount": 2, "IsTruncated": False},
            {"Bucket": event["bucket"], "Prefix": event["prefix"]},
        )
        print(json.dumps(handler(event, None), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
