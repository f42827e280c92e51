# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content a call fetches by reference (a template, a script, code in S3), pinned by its SHA-256 at approval.

``TemplateURL``, Lambda ``Code.S3Bucket``/``S3Key`` and the like make AWS read an object the plan
does not contain, so the plan's digest alone would not cover what runs. ``approve_plan`` reads each
such object (with ``ExpectedBucketOwner`` set to the target account) and writes its SHA-256 into the
plan's optional ``fetched`` list, before the review; the list is part of the digest, so approving
the plan approves exactly that content::

    fetched:
      - {step: make_stack, field: params.TemplateURL, object: "s3://bucket/stack.yml", sha256: "9f86d0..."}

Execution refuses, before any AWS call, a call whose object has no entry; right before the call is
sent (in ``--check`` too) it reads the object again and refuses it if its SHA-256 changed. Which
members fetch content, and that the object must be in a bucket of the target account, is decided
by guard/values.py and guard/perimeter.py. To avoid the read altogether, give the content inline
(``TemplateBody`` instead of ``TemplateURL``, ``Code.ZipFile`` instead of ``Code.S3Bucket``).
"""

from __future__ import annotations

import hashlib

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.request_walk import known_now, step_calls
from ansible_collections.coworker.aws.plugins.module_utils.guard.values import named_values
from ansible_collections.coworker.aws.plugins.module_utils.plan.references import resolve

CHUNK = 1024 * 1024
HOW = ("approve the plan with playbooks/approve_plan.yml, which records its SHA-256 under fetched:, or give the "
       "content inline (e.g. TemplateBody instead of TemplateURL)")


def object_name(bucket, key, version=None):
    """The one spelling of an S3 object the plan's ``fetched`` list uses."""
    return "s3://%s/%s%s" % (bucket, key, "?versionId=%s" % version if version else "")


def plan_objects(plan):
    """``[{step, field, object, bucket, key, version, known}]``: every object the plan's calls fetch by reference."""
    context = known_now(plan["target"])
    objects = []
    for step in plan["steps"]:
        for label, service, operation, params in step_calls(step):
            for item in named_values(service, operation, resolve(params, context, placeholder=True)):
                if item.kind != "object":
                    continue
                bucket, key, version = item.info
                objects.append({"step": step["id"], "field": ("%s.params.%s" % (label, item.path)) if label
                                else "params." + item.path, "object": object_name(bucket, key, version),
                                "bucket": bucket, "key": key, "version": version,
                                "known": "<" not in item.value and "${" not in item.value})
    return objects


def recorded(plan):
    """``{(step, object): sha256}`` of the plan's ``fetched`` list."""
    return {(entry["step"], entry["object"]): entry["sha256"] for entry in plan.get("fetched") or []}


def check_recorded(plan):
    """Refuse (before any AWS call) a plan whose calls fetch content the approval did not pin."""
    pinned = recorded(plan)
    for item in plan_objects(plan):
        where = "REFUSED by the perimeter: step %s, %s: " % (item["step"], item["field"])
        if not item["known"]:
            raise GuardRefusal(where + "the object it fetches (%s) is named by a value known only at run time, so its "
                               "content cannot be pinned at approval; name it literally, or give the content inline"
                               % item["object"])
        if (item["step"], item["object"]) not in pinned:
            raise GuardRefusal(where + "%s is fetched by reference and its content is not covered by the approval; %s"
                               % (item["object"], HOW))


def sha256_of(read_object, bucket, key, version):
    """The SHA-256 (hex) of an object's content, read in chunks by ``read_object(bucket, key, version)``."""
    digest = hashlib.sha256()
    body = read_object(bucket, key, version)
    for chunk in iter(lambda: body.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def s3_reader(aws, account):
    """``read_object`` for an AwsContext: GetObject, telling S3 the bucket must belong to ``account``."""

    def read_object(bucket, key, version):
        request = {"Bucket": bucket, "Key": key, "ExpectedBucketOwner": account}
        if version:
            request["VersionId"] = version
        return aws.call("s3", "GetObject", request)["Body"]

    return read_object


def pin_objects(plan, read_object):
    """The ``fetched`` entries of a plan: every object it fetches, with the SHA-256 of its content now."""
    entries = {}
    for item in plan_objects(plan):
        if not item["known"]:
            raise GuardRefusal("step %s, %s: the object it fetches (%s) is named by a value known only at run time; "
                               "name it literally so its content can be pinned"
                               % (item["step"], item["field"], item["object"]))
        key = (item["step"], item["object"])
        if key not in entries:
            entries[key] = {"step": item["step"], "field": item["field"], "object": item["object"],
                            "sha256": sha256_of(read_object, item["bucket"], item["key"], item["version"])}
    return list(entries.values())


def verify_object(pinned, step, found, read_object, where):
    """Right before a call is sent: its fetched object still has the SHA-256 the approval pinned."""
    bucket, key, version = found.info
    name = object_name(bucket, key, version)
    wanted = pinned.get((step, name))
    if wanted is None:
        raise GuardRefusal("REFUSED by the perimeter: %s, %s: %s is fetched by reference and its content is not "
                           "covered by the approval; %s; nothing was sent" % (where, found.path, name, HOW))
    try:
        now = sha256_of(read_object, bucket, key, version)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure: it cannot be checked, so refuse
        raise GuardRefusal("REFUSED by the perimeter: %s, %s: cannot read %s to check it is what the approval pinned "
                           "(%s); nothing was sent" % (where, found.path, name, exc)) from None
    if now != wanted:
        raise GuardRefusal("REFUSED by the perimeter: %s, %s: %s changed after approval (SHA-256 now %s, approved "
                           "%s); nothing was sent" % (where, found.path, name, now[:16], wanted[:16]))
