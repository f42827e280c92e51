# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings that decide safety, and where they may come from: the one list.

Each setting is an Ansible variable the collection's playbooks and role read (the playbook's
extra-var name, the role's ``execute_nonprod_*`` name, the wave playbook's ``coworker_wave_*``
names). They may come only from sources the operator controls: extra vars (``-e``), environment
variables (``COWORKER_AWS_ENVIRONMENTS``, ``AWS_PROFILE``), the operator's own playbook (play and
role variables, role parameters, task arguments, ``module_defaults``) and the collection's config
path (``~/.config/coworker-aws/``). A variable of one of these names defined by an inventory
source, or by a vars plugin beside an inventory or a playbook (``group_vars/``, ``host_vars/``),
is refused before any AWS call, whatever its value: a name is refused, not a value, so wrapping
the value in a template (``"{{ x }}"``, ``"{{ '/tmp/' ~ y }}"``) changes nothing.
plugin_utils/setting_sources.py asks Ansible where each variable is defined; the action plugins
(the guard) refuse, so the operator's own playbooks are protected too.
"""

from __future__ import annotations

from collections import namedtuple

Setting = namedtuple("Setting", "names decides")

SETTINGS = (
    Setting(("environments_file", "execute_nonprod_environments_file"),
            "which accounts are sandbox, development or test, and their approval rules, execution roles, perimeter "
            "and guardrail policies"),
    Setting(("state_backend", "execute_nonprod_state_backend"),
            "where journals, approval records and locks live, and the backend's own credentials"),
    Setting(("state_dir", "execute_nonprod_state_dir"), "where local journals, approval records and locks live"),
    Setting(("aws_profile", "execute_nonprod_aws_profile"),
            "the credentials that make the calls, and one of the signals that classify the account"),
    Setting(("approve", "execute_nonprod_approve", "coworker_wave_token"),
            "the approval token: a run that no person answers"),
    Setting(("on_failure", "execute_nonprod_on_failure"), "what happens after a failed step without asking"),
    Setting(("tag_resources", "execute_nonprod_tag_resources"),
            "whether what a run creates can be found when its answer is lost"),
    Setting(("force_unlock", "execute_nonprod_force_unlock"), "taking over another run's lock"),
    Setting(("accept_drift", "execute_nonprod_accept_drift"),
            "whether a rollback undoes resources changed since the run without a person reading the drift"),
    Setting(("dry_run_warn_only", "execute_nonprod_dry_run_warn_only"),
            "whether a dry run that predicts a failure passes"),
    Setting(("dry_run", "execute_nonprod_dry_run"), "whether anything is changed"),
    Setting(("max_attempts", "execute_nonprod_max_attempts", "retry_mode", "execute_nonprod_retry_mode"),
            "how often a changing call may be sent again"),
    Setting(("max_concurrency", "execute_nonprod_max_concurrency"), "how many independent steps are sent at once"),
    Setting(("max_requests_per_second", "execute_nonprod_max_requests_per_second"),
            "how fast requests reach the target account"),
    Setting(("plan", "execute_nonprod_plan", "plans_dir", "execute_nonprod_plans_dir", "execute_nonprod_target"),
            "which plan (and which of its targets) runs"),
    Setting(("resume", "execute_nonprod_resume", "run", "execute_nonprod_rollback_run", "wave", "wave_id",
             "coworker_wave_rollback", "execute_nonprod_run_id"),
            "which run or wave is resumed or rolled back"),
    Setting(("concurrency", "max_errors", "all_or_nothing", "execute_nonprod_wave_checkpoints",
             "coworker_wave_checkpoints"),
            "how many targets of a wave run at once, when a wave stops or undoes itself, and whether a person "
            "answers its checkpoints"),
    Setting(("confirm", "approved_by", "principal", "signing_key", "expires_in_days", "inline_files", "account_id"),
            "an approval (playbooks/approve_plan.yml): the answer, who approves, with which key, for how long, "
            "which files the plan takes in and which account a planner's Markdown plan targets"),
)
# every variable of the role and of playbooks/execute_targets.yml, besides the names above
PREFIXES = ("execute_nonprod_", "coworker_wave_")
ROLE_VARIABLES = Setting((), "a variable of the role execute_nonprod or of playbooks/execute_targets.yml")
# Host and group variables the collection itself puts in the inventory: add_host in playbooks/execute_targets.yml
# (a target's run id, token, checkpoints, ...) and the plan_targets inventory plugin (the plan file and its digest).
# Only these, only as inventory variables: add_host sets each for the host it adds, over any value an inventory
# file gave, and a vars plugin (group_vars/, host_vars/) outranks add_host, so these are refused there like any other.
COLLECTION_INVENTORY_VARIABLES = frozenset((
    "coworker_wave_target", "coworker_wave_run_id", "coworker_wave_next", "coworker_wave_id", "coworker_wave_purpose",
    "coworker_wave_report_name", "coworker_wave_plan_path", "coworker_wave_token", "coworker_wave_checkpoints",
    "coworker_wave_plan_file", "coworker_wave_plan_sha256"))
# module options that carry one of these settings (option -> the variable of the same setting): a value that Ansible
# says was read from an inventory file is refused whatever variable carried it (a user's own playbook that passes
# environments_file: "{{ my_file }}" with my_file in group_vars)
OPTIONS = dict({name: name for name in (
    "environments_file", "state_backend", "state_dir", "plans_dir", "force_unlock", "on_failure", "dry_run",
    "dry_run_warn_only", "tag_resources", "retry_mode", "max_attempts", "confirm", "approved_by", "principal",
    "signing_key", "expires_in_days", "inline_files", "account_id", "accept_drift", "max_concurrency", "max_requests_per_second")},
    profile="aws_profile", aws_profile="aws_profile", token="approve", answer="confirm", reviewed_sha256="confirm")

_BY_NAME = {name: setting for setting in SETTINGS for name in setting.names}


def setting_of(name):
    """The setting a variable of this name decides, or None for a name the collection does not read."""
    name = str(name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    return ROLE_VARIABLES if name.startswith(PREFIXES) else None


def inventory_may_define(name):
    """Whether an inventory source's own host or group variables may hold this name (the collection's own)."""
    return name in COLLECTION_INVENTORY_VARIABLES


def refusal_text(findings):
    """The refusal, one line per finding ``{name, where, scope, setting}``: what is defined where, what it decides."""
    lines = ["refused: settings that decide safety come only from extra vars (-e), environment variables, your "
             "playbook (play or role variables, task arguments, module_defaults) or ~/.config/coworker-aws/, "
             "never from an inventory, group_vars or host_vars; nothing was changed:"]
    for finding in findings:
        lines.append("  %s is set in %s (%s); it decides %s" % (
            finding["name"], finding["where"], finding["scope"], setting_of(finding["setting"]).decides))
    lines.append("Remove them there; give them with -e or in your playbook.")
    return "\n".join(lines)
