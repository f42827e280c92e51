"""Which S3 journal layout: one object per event, or one object per run rewritten whole?

    .venv/bin/python benchmarks/s3_journal_layout.py [--steps 50] [--events 5] [--reads 6]

A run's journal is appended to (``--events`` events per step: call_started, call_succeeded,
validation, step_succeeded, the batch's guard_passed) and read back whole several times per
step (``--reads``: run_step reads it before its batch and for the report after it, run_journal
for each decision). Both layouts keep the durability rule: an event is stored before the
append returns. Each is timed on an in-process moto server with botocore, and its requests
are counted; a real run's counts come from ``benchmarks/run.py --state-backend local,s3``.
"""

from __future__ import annotations

import argparse
import json
import time

import botocore.session
from moto.server import ThreadedMotoServer

BUCKET = "coworker-layout-bench"


def client(endpoint):
    session = botocore.session.Session()
    return session.create_client("s3", region_name="us-east-1", endpoint_url=endpoint,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")


def event(i):
    return json.dumps({"ts": "2026-11-30T00:00:00.000000Z", "run_id": "r", "event": "call_started", "step": "s%d" % i,
                       "cli": "aws s3api create-bucket --bucket bench-%05d --region us-east-1" % i}).encode() + b"\n"


class PerEvent:
    """runs/<id>/journal/<seq>.json, created with If-None-Match; read = list + one GET per event."""

    def __init__(self, s3):
        self.s3, self.seq, self.requests = s3, 0, 0

    def append(self, line):
        self.s3.put_object(Bucket=BUCKET, Key="per-event/%08d.json" % self.seq, Body=line, IfNoneMatch="*",
                           ServerSideEncryption="AES256")
        self.seq += 1
        self.requests += 1

    def read(self):
        keys, token = [], None
        while True:
            params = {"Bucket": BUCKET, "Prefix": "per-event/"}
            if token:
                params["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**params)
            self.requests += 1
            keys += [item["Key"] for item in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                break
        body = b""
        for key in keys:
            body += self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.requests += 1
        return body


class WholeObject:
    """runs/<id>/journal.jsonl rewritten whole with If-Match on the last ETag; read = one GET."""

    def __init__(self, s3):
        self.s3, self.body, self.etag, self.requests = s3, b"", None, 0

    def append(self, line):
        body = self.body + line
        condition = {"IfMatch": self.etag} if self.etag else {"IfNoneMatch": "*"}
        self.etag = self.s3.put_object(Bucket=BUCKET, Key="whole/journal.jsonl", Body=body,
                                       ServerSideEncryption="AES256", **condition)["ETag"]
        self.body = body
        self.requests += 1

    def read(self):
        self.requests += 1
        return self.s3.get_object(Bucket=BUCKET, Key="whole/journal.jsonl")["Body"].read()


def measure(layout, steps, events, reads):
    """(seconds for every step, requests of the last step)."""
    start, last = time.perf_counter(), 0
    for step in range(steps):
        last = layout.requests
        for i in range(events):
            layout.append(event(step * events + i))
        for _read in range(reads):
            layout.read()
    seconds, last = time.perf_counter() - start, layout.requests - last
    assert layout.read().count(b"\n") == steps * events
    return seconds, last


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--reads", type=int, default=6)
    args = parser.parse_args()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = client("http://%s:%d" % (host, port))
        s3.create_bucket(Bucket=BUCKET)
        print("%d steps, %d events and %d whole reads per step" % (args.steps, args.events, args.reads))
        for layout in (PerEvent(s3), WholeObject(s3)):
            seconds, last = measure(layout, args.steps, args.events, args.reads)
            print("%-12s %6.2f s  %6.1f ms/step  %7.1f requests/step on average, %d in the last step"
                  % (type(layout).__name__, seconds, seconds / args.steps * 1000,
                     (layout.requests - 1) / args.steps, last))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
