# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The step runner's side of the resource perimeter (the rules are in guard/perimeter.py).

``PerimeterCalls`` is mixed into ``StepRunner``: every request it is about to send is checked
against the perimeter; content it fetches by reference is read again and must still have the
SHA-256 the approval pinned; S3 requests carry ``ExpectedBucketOwner``; the run's own bucket
creates and deletes keep the owned-bucket list current.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.aws import service_model
from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.guard.fetched import s3_reader, verify_object
from ansible_collections.coworker.aws.plugins.module_utils.guard.buckets import BucketNotOwned
from ansible_collections.coworker.aws.plugins.module_utils.guard.perimeter import check_request

BUCKET_OWNER_MEMBERS = ("ExpectedBucketOwner", "ExpectedSourceBucketOwner")


class PerimeterCalls:
    """Needs the StepRunner's perimeter, journal and check_mode."""

    def _with_bucket_owner(self, call, params):
        """S3 checks the bucket's owner itself when told whom to expect: always tell it the target account."""
        shape = service_model.operation_model(call["service"], call["operation"]).input_shape
        missing = [m for m in BUCKET_OWNER_MEMBERS if shape is not None and m in shape.members and m not in params]
        return dict(params, **{m: self.perimeter.account for m in missing}) if missing else params

    def _guard(self, step_id, call, params, what, absent_ok=False):
        """The perimeter, for one request about to be sent; a refusal is journaled and stops the batch.

        Returns None when the call may be sent, else the error that answers it
        without sending: "absent" for a call that only looks for a bucket that is
        not the target account's (``absent_ok``) or one this check run merely
        plans to create; "refused" for such a look when ownership is unknown.
        """
        where = "step %s%s" % (step_id, " (%s)" % what if what else "")
        try:
            found = check_request(self.perimeter, call["service"], call["operation"], params, where, step=step_id)
            self._check_fetched(step_id, found, where)
            return None
        except BucketNotOwned as exc:
            if (absent_ok or exc.planned) and not exc.unknown:
                text = "not sent: bucket %s is not in the target account %s" % (exc.bucket, self.perimeter.account)
                return {"kind": "not_found", "code": "NoSuchBucket", "retries": 0, "message": text, "text": text}
            if absent_ok:
                return {"kind": "refused", "code": "PerimeterRefused", "retries": 0, "message": str(exc),
                        "text": str(exc)}
            self._journal_refusal(step_id, exc)
            raise
        except GuardRefusal as exc:
            self._journal_refusal(step_id, exc)
            raise

    def _check_fetched(self, step_id, found, where):
        """Content fetched by reference: read it again now, it must be what the approval pinned."""
        objects = [item for item in found if item.kind == "object"]
        if objects:
            read = s3_reader(self.aws, self.perimeter.account)
            for item in objects:
                verify_object(self.perimeter.pinned, step_id, item, read, where)

    def _journal_refusal(self, step_id, exc):
        error = {"kind": "refused", "code": "PerimeterRefused", "message": str(exc), "text": str(exc), "hints": []}
        self.journal.append("step_failed", step=step_id, error=error)

    def _track_buckets(self, call, params, answered=True):
        """Keep the owned-bucket list current; after a create or delete that failed or lost its
        answer (the bucket may exist now, or be gone), ListBuckets is asked again."""
        if self.perimeter.owned_buckets is None or call["service"] != "s3":
            return
        if call["operation"] not in ("CreateBucket", "DeleteBucket"):
            return
        if not answered:
            self.perimeter.owned_buckets.relist()
        elif call["operation"] == "CreateBucket":
            self.perimeter.owned_buckets.created(params["Bucket"])
        else:
            self.perimeter.owned_buckets.deleted(params["Bucket"])

    def _check_planned(self, step, call, params):
        """The main call is checked before anything of the step, so check mode refuses what a run would."""
        self._guard(step["id"], call, params, "")  # a bucket only planned by this check run passes
        if self.check_mode and step["mutating"] and call["service"] == "s3" and call["operation"] == "CreateBucket":
            self.perimeter.owned_buckets.planned.add(params["Bucket"])
