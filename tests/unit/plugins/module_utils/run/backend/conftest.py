"""An in-process moto server for the S3 state backend's tests, and a fresh bucket for each test."""

from __future__ import annotations

import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

OWNER = "123456789012"  # moto's account for unknown keys
BUCKET = "coworker-state-tooling"


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield "http://%s:%d" % (host, port)
    server.stop()


@pytest.fixture
def s3(endpoint, monkeypatch):
    for name, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    client = boto3.client("s3", endpoint_url=endpoint)
    yield client
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST"))
