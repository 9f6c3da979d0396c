"""A serverless-style handler: build an S3 client offline (botocore's JSON models
are data files inside the package), call ListObjectsV2 against a canned response
(a before-send hook answers instead of the network) and return a summary."""

from __future__ import annotations

import json
import os

import boto3
import botocore
from botocore.awsrequest import AWSResponse
from botocore.config import Config

# Never look for credentials or a region anywhere but the arguments below.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

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


def _answer(request, **kwargs):
    """Stands in for the HTTP round trip: records what would be sent, answers 200."""
    _answer.seen.append((request.method, request.url, sorted(
        name for name in request.headers.keys() if not name.lower().startswith("amz-sdk"))))
    return AWSResponse(request.url, 200, {"Content-Type": "application/xml",
                                          "x-amz-request-id": "REQ123"}, _Body(LISTING))


_answer.seen = []


def handler(event: dict, context: object) -> dict:
    client = boto3.client(
        "s3", region_name=event["region"], aws_access_key_id="x", aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    client.meta.events.register("before-send.s3.ListObjectsV2", _answer)
    model = client.meta.service_model
    listing = client.list_objects_v2(Bucket=event["bucket"], Prefix=event["prefix"])
    s3 = boto3.resource("s3", region_name=event["region"], aws_access_key_id="x",
                        aws_secret_access_key="y")
    bucket = s3.Bucket(event["bucket"])
    return {
        "service": model.service_name,
        "api_version": model.api_version,
        "protocol": model.protocol,
        "operations": len(model.operation_names),
        "first_operations": model.operation_names[:5],
        "endpoint_url": client.meta.endpoint_url,
        "region": client.meta.region_name,
        "signature_version": client._request_signer.signature_version,
        "can_paginate": client.can_paginate("list_objects_v2"),
        "waiters": client.waiter_names,
        "sent": _answer.seen,
        "objects": [
            {"key": item["Key"], "size": item["Size"], "modified": item["LastModified"].isoformat(),
             "class": item["StorageClass"]}
            for item in listing["Contents"]
        ],
        "status": listing["ResponseMetadata"]["HTTPStatusCode"],
        "request_id": listing["ResponseMetadata"]["RequestId"],
        "resource": [type(bucket).__name__, bucket.name,
                     sorted(a for a in dir(bucket) if a.startswith(("create", "delete")))],
    }


if __name__ == "__main__":
    print("boto3", boto3.__version__, "botocore", botocore.__version__)
    session = boto3.session.Session(region_name="us-east-1")
    services = session.get_available_services()
    print("services:", len(services), "s3" in services, "dynamodb" in services)
    print("resources:", session.get_available_resources())
    import botocore.httpsession  # without certifi, OpenSSL gets botocore's own CA bundle
    print("CA bundle is a real file:", os.path.isfile(botocore.httpsession.get_cert_path(True)))
    result = handler({"bucket": "example-bucket", "prefix": "logs/", "region": "us-east-1"}, None)
    print(json.dumps(result, indent=2, sort_keys=True))
