"""An S3 handler as people write them: the client is built once at module level (cold start),
and each invocation lists a bucket. A before-send hook answers ListObjectsV2 instead of the
network, so the output depends only on the event."""

from __future__ import annotations

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

LISTING = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Name>example-bucket</Name><Prefix>logs/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
<Contents><Key>logs/2024-01-01.txt</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
<ETag>&quot;0123456789abcdef&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>logs/caf%C3%A9%20menu.txt</Key><LastModified>2024-02-29T12:00:00.000Z</LastModified>
<ETag>&quot;fedcba9876543210&quot;</ETag><Size>56</Size><StorageClass>GLACIER</StorageClass></Contents>
</ListBucketResult>
"""


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs):
        yield self.data


SENT: list[list[str]] = []


def _answer(request, **kwargs):
    """Stands in for the HTTP round trip: notes what would be sent, answers 200."""
    SENT.append([request.method, request.url])
    return AWSResponse(request.url, 200, {"Content-Type": "application/xml", "x-amz-request-id": "REQ123"},
                       _Body(LISTING))


s3 = boto3.client("s3", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
s3.meta.events.register("before-send.s3.ListObjectsV2", _answer)


def lambda_handler(event: dict, context: object) -> dict:
    SENT.clear()
    listing = s3.list_objects_v2(Bucket=event["bucket"], Prefix=event["prefix"])
    model = s3.meta.service_model
    return {
        "service": [model.service_name, model.api_version, model.protocol],
        "first_operations": model.operation_names[:5],
        "endpoint_url": s3.meta.endpoint_url,
        "region": s3.meta.region_name,
        "can_paginate": [s3.can_paginate(name) for name in ("list_objects_v2", "get_object")],
        "waiters": s3.waiter_names,
        "sent": SENT,
        "objects": [
            {"key": item["Key"], "size": item["Size"], "modified": item["LastModified"].isoformat(),
             "class": item["StorageClass"]}
            for item in listing["Contents"]
        ],
        "status": listing["ResponseMetadata"]["HTTPStatusCode"],
        "request_id": listing["ResponseMetadata"]["RequestId"],
    }
