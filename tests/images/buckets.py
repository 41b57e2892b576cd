"""What the bucket import tests share: the moto server's keys and a spec for its bucket."""

from typing import Any

import boto3

from labelapp.images.remote_import import BucketSpec

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
LOOPBACK = ["127.0.0.0/8"]


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key=SECRET,
    )


def spec(endpoint: str, **changes: str) -> BucketSpec:
    fields = {
        "bucket": "photos",
        "prefix": "set1/",
        "endpoint_url": endpoint,
        "access_key_id": "AKIDTEST",
        "secret_access_key": SECRET,
        **changes,
    }
    return BucketSpec(**fields)
