#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record a person's approval of a plan: write the approval block with the plan digest."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: approve_plan
short_description: Approve an AWS change plan by writing its approval block and digest
version_added: 0.1.0
description:
  - Validates the plan (every field, every call against botocore's model) and refuses to approve an
    invalid plan or one whose guardrail status is C(FAIL).
  - Writes C(approval) (C(approved_by), C(approved_at), C(plan_sha256), optional C(expires_at), and with
    O(signing_key) C(signatures)) into the plan file, replacing an earlier approval and leaving the rest of the
    file as it was.
  - The digest is the SHA-256 of the canonical JSON of the plan without C(approval); any later edit
    invalidates the approval.
  - With O(reviewed_sha256), the digest of the plan the person was shown, the approval is written only if the file
    still has that digest; an edit between the review and the V(yes) is refused, with nothing written.
  - Use C(playbooks/approve_plan.yml), which shows the plan and asks for an explicit C(yes).
  - O(plan) may be the Markdown the planner (C(/aws-coworker-plan-interaction)) writes (a C(.md) file). It is first
    converted into a plan of the collection's format and written, not yet approved, into O(plans_dir) as
    C(<name>-<sha256 prefix>.yml), recording the Markdown's file name and sha256; with O(confirm=false) that is all.
    That plan is what is reviewed, approved and run (C(execute_nonprod.yml -e plan=<file.md>) finds it by the
    Markdown's sha256, so an edited Markdown is refused). A plan already made from this very Markdown is used as it
    is. Answering no removes an unapproved plan made for the review. See C(docs/markdown-plans.md).
  - Runs on the controller, where the plan file is (an action plugin of the same name).
author:
  - coworker.aws maintainers (@coworker)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - coworker.aws.group
  - coworker.aws.plan
options:
  approved_by:
    description: Who approves (an e-mail address or user name).
    type: str
    required: true
  expires_in_days:
    description: Days until the approval expires; no expiry when omitted.
    type: int
  account_id:
    description:
      - For a Markdown O(plan) without an C(- Account:) line under C(## Target), the 12-digit account the plan is for.
      - When the Markdown names one, this must be the same.
    type: str
  signing_key:
    description:
      - Sign the approval with this SSH key (C(ssh-keygen -Y sign -n coworker.aws-plan)), the kind of key used to sign git
        commits. A private key file, or the C(.pub) file of a key held by C(ssh-agent) (required for a key with a
        passphrase, since no passphrase can be typed here).
      - The signature covers the plan digest, C(expires_at), the O(principal) and the signing time, and is added to
        C(approval.signatures) as C(principal), C(signature) and C(signed_at).
      - When the plan already carries a signed approval of the same digest that has not expired, the signature is
        added beside the others (several approvers) and the approval's C(expires_at) stays (O(expires_in_days) is then
        refused); otherwise a new approval replaces the old one.
    type: path
  principal:
    description:
      - The signer's principal, as the approvers file of the target's class lists it for this key (exact name, no
        pattern). Defaults to O(approved_by).
    type: str
  reviewed_sha256:
    description:
      - The digest of the plan as the person reviewed it (C(sha256) of M(coworker.aws.plan_info), the review's
        C(Digest to approve)), 64 hex characters.
      - With O(confirm=true), the approval is refused, and nothing is written, when the plan file's digest is not
        this one (the file was edited after the review, by another process or in a shared folder); run the
        approval again to review the plan as it is now. Converting a Markdown O(plan), O(inline_files) and
        O(record_fetched) then only compare; a plan they would change is not the plan reviewed, and is refused.
      - C(playbooks/approve_plan.yml) always passes it. Optional here, but give it whenever the V(yes) answers a
        review; without it the approval covers the file as it is when this task runs.
    type: str
  confirm:
    description:
      - Must be V(true) to approve; the playbook sets it only after the person typed C(yes).
      - With O(inline_files=true) and O(confirm=false), only the files are inlined.
    type: bool
    required: true
  record_fetched:
    description:
      - First read every S3 object the plan's calls fetch by reference (a C(TemplateURL), Lambda C(Code.S3Bucket)
        and C(S3Key), an SSM document attachment ...) and write its SHA-256 into the plan's C(fetched) list, before
        the review. The list is part of the digest, so the approval covers the content, and execution refuses an
        object whose content changed after approval.
      - Each object is read (S3 C(GetObject), with C(ExpectedBucketOwner) set to the target account) with
        O(profile), or the target's own profile (and its C(role_arn)); the file is written only when the list
        changes.
      - Without it, a plan whose calls fetch content by reference that the plan's C(fetched) list does not pin
        is refused; or give the content inline (C(TemplateBody) instead of C(TemplateURL)).
      - With O(record_fetched=true) and O(confirm=false), only the checksums are recorded.
    type: bool
    default: false
  inline_files:
    description:
      - First replace every C(file://) or C(fileb://) value in the plan's C(command) lines by the content
        of that file, and write the plan file (it is written out again as YAML or JSON; comments are not kept).
      - A plan refuses values the aws CLI would read from a file at run time, because the approval would
        not cover them; inlined, the content is part of the plan, shown in the review and covered by the digest.
      - Files are read relative to the plan file's directory and must be inside it; UTF-8 text only, up to 256 KiB.
      - Review the plan again after inlining; C(playbooks/approve_plan.yml -e inline_files=true) does it in that order.
    type: bool
    default: false
requirements:
  - botocore
  - jmespath
  - ssh-keygen (OpenSSH 8.2 or later) with O(signing_key)
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Inline the policy files the plan's commands read (file://), before the review
  coworker.aws.approve_plan:
    plan: plans/dev-roles.yml
    approved_by: alice@example.com
    inline_files: true
    confirm: false

- name: Approve and sign a plan (a second approver runs the same task with their own key)
  coworker.aws.approve_plan:
    plan: plans/dev-logs.yml
    approved_by: alice@example.com
    signing_key: ~/.ssh/id_ed25519
    confirm: true

- name: Convert the planner's Markdown into a plan in plans/ (not approved yet), to review it
  coworker.aws.approve_plan:
    plan: plans/network.md
    plans_dir: plans
    approved_by: alice@example.com
    account_id: "123456789012"
    confirm: false

- name: Pin the S3 objects the plan's calls fetch (TemplateURL, Lambda code ...), before the review
  coworker.aws.approve_plan:
    plan: plans/dev-stack.yml
    approved_by: alice@example.com
    profile: dev-admin
    record_fetched: true
    confirm: false

- name: Read the plan for the review
  coworker.aws.plan_info:
    plan: plans/dev-logs.yml
    verify_approval: false
  register: reviewed

- name: Approve the plan as reviewed (refused if the file changed since)
  coworker.aws.approve_plan:
    plan: "{{ reviewed.path }}"
    approved_by: alice@example.com
    reviewed_sha256: "{{ reviewed.sha256 }}"
    expires_in_days: 7
    confirm: true
"""

RETURN = r"""
path:
  description: The plan file written.
  returned: always
  type: str
approval:
  description: The approval block written.
  returned: success
  type: dict
sha256:
  description: The approved digest.
  returned: when approved
  type: str
inlined:
  description: The files inlined, each with the command's C(field) in the plan and the C(file) name.
  returned: always
  type: list
  elements: dict
converted:
  description: For a Markdown O(plan), whether the plan was made from it now (V(false) when one made from this
    very Markdown was already in O(plans_dir)).
  returned: when O(plan) is a Markdown file and O(confirm=false)
  type: bool
fetched:
  description: With O(record_fetched) and O(confirm=false), the objects pinned (C(step), C(field), C(object), C(sha256)).
  returned: when only the checksums are recorded
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.coworker.aws.plugins.module_utils.common import with_group_args
from ansible_collections.coworker.aws.plugins.module_utils.errors import CoworkerError
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import HAS_YAML
from ansible_collections.coworker.aws.plugins.module_utils.guard.pin_fetched import approve_with_pins

ARGUMENT_SPEC = with_group_args(dict(plan=dict(type="str", required=True), plans_dir=dict(type="path"),
                                     approved_by=dict(type="str", required=True), expires_in_days=dict(type="int"),
                                     confirm=dict(type="bool", required=True), inline_files=dict(type="bool", default=False),
                                     signing_key=dict(type="path", no_log=False), principal=dict(type="str"),
                                     account_id=dict(type="str"), record_fetched=dict(type="bool", default=False),
                                     reviewed_sha256=dict(type="str")))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    try:
        result = approve_with_pins(module.params, module.check_mode, module._diff)
    except CoworkerError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
