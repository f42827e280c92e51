# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who signed the approval a run records: its plan copy's signatures, checked again when the approval is given.

The journal's ``approved`` event and the reports built from it name each verified signer
(principal, key fingerprint, signing time), from the run's own copy of the plan and the
class's rules in the environments file, never from a variable that claims them.
"""

from __future__ import annotations

import os

from ansible_collections.coworker.aws.plugins.module_utils.guard.approvals import check_signatures, signature_record
from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments, resolve_path
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run.plan_copy import run_plan_path


def approval_record(backend, started, environments_file):
    """``{signature, signers[, claimed]}`` for the run's plan copy; ApprovalRefused or ConfigError as the guard
    would raise them (the plan's signatures no longer satisfy its class)."""
    loaded = load_plan(run_plan_path(started, None, backend), None, verify=False, render=False,
                       target=started.get("target"))
    path = resolve_path(environments_file)
    if not environments_file and not os.path.isfile(path):
        # a playbook of the user's own that gives this step no environments file: the signatures are recorded
        # as claimed; the guard (verify_environment, run_step) checks them with its own file before any call
        entries = (loaded["document"].get("approval") or {}).get("signatures") or []
        record = {"signature": "unverified" if entries else "unsigned", "signers": []}
        if entries:
            record["claimed"] = [entry.get("principal") for entry in entries]
        else:
            record["approved_by"] = (loaded["document"].get("approval") or {}).get("approved_by")
        return record
    config = load_environments(path)
    return signature_record(check_signatures(config, loaded["plan"]["target"]["environment"], loaded))
