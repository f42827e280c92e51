# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by every member of the action group coworker.aws.nonprod."""

from __future__ import annotations


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    DOCUMENTATION = r"""
options:
  state_dir:
    description:
      - Where runs, locks and the change log live. Used by M(coworker.aws.run_step) and
        M(coworker.aws.run_journal); accepted and ignored by the other members of the action group,
        so that C(module_defaults) for C(group/coworker.aws.nonprod) can set it once.
    type: path
  state_backend:
    description:
      - Where the state under O(state_dir) lives instead, for M(coworker.aws.run_step),
        M(coworker.aws.run_journal) and M(coworker.aws.wave_report) (ignored by the other members of the action group).
      - Not given, the top-level C(state_backend) of the environments file decides; neither given, V(local)
        (the files under O(state_dir)).
      - C(type=s3) keeps journals, locks, reports, the change log and the approved plan copies in an S3
        bucket several machines share; it needs C(bucket), C(region) and C(account_id) (the account that owns
        the bucket), and takes C(prefix), C(profile) (the backend's own AWS profile; without it the default
        credential chain, never the plan's target profile), C(lock_lease_seconds) (default 60;
        ansible-playbook renews the lease every third of that while the run lives), C(sse)
        (V(AES256) or V(aws:kms)) and C(kms_key_id). O(state_dir) then only caches the plan copies it reads.
    type: dict
  plans_dir:
    description: Directory searched when a plan is given as an id or V(last).
    type: path
  environments_file:
    description:
      - The environments file that classifies accounts. Used by M(coworker.aws.verify_environment) and
        M(coworker.aws.run_step), and by M(coworker.aws.plan_info) and M(coworker.aws.run_journal) (V(approve))
        for the approval rules of the plan's class; accepted and ignored by the other members of the action group.
    type: path
  profile:
    description:
      - AWS profile. Used by M(coworker.aws.verify_environment), M(coworker.aws.run_step) and
        M(coworker.aws.plan_info) (for the printed commands); recorded by M(coworker.aws.run_journal);
        used by M(coworker.aws.approve_plan) to read the objects a plan fetches by reference (its
        record_fetched option).
    type: str
    aliases: [aws_profile]
  retry_mode:
    description:
      - botocore retry mode. Used by M(coworker.aws.run_step); accepted and ignored by the other members of
        the action group.
    type: str
    choices: [standard, adaptive]
  max_attempts:
    description:
      - Attempts per AWS call. Used by M(coworker.aws.run_step); accepted and ignored by the other members
        of the action group.
    type: int
"""
