# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: argument fragments and the missing-library check."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.coworker.aws.plugins.module_utils.plan.safe_yaml import HAS_YAML

try:
    import boto3  # noqa: F401  pylint: disable=unused-import
    import botocore  # noqa: F401  pylint: disable=unused-import
    HAS_AWS_LIBS = True
except ImportError:
    HAS_AWS_LIBS = False

try:
    import jmespath  # noqa: F401  pylint: disable=unused-import
    HAS_JMESPATH = True
except ImportError:
    HAS_JMESPATH = False

PLAN_ARGS = dict(
    plan=dict(type="str", required=True),
    plans_dir=dict(type="path"),
)
# Options every member of the action group coworker.aws.nonprod accepts, so that module_defaults
# for group/coworker.aws.nonprod never breaks one ("Unsupported parameters"). A member with no
# use for one accepts and ignores it (doc fragment coworker.aws.group says which use what).
GROUP_ARGS = dict(
    state_dir=dict(type="path"),
    state_backend=dict(type="dict"),
    plans_dir=dict(type="path"),
    environments_file=dict(type="path"),
    profile=dict(type="str", aliases=["aws_profile"]),
    retry_mode=dict(type="str", choices=["standard", "adaptive"]),
    max_attempts=dict(type="int"),
)


def with_group_args(spec):
    """A module's argument spec plus the group's shared options it does not define itself."""
    return dict(GROUP_ARGS, **spec)


AWS_ARGS = dict(
    profile=dict(type="str", aliases=["aws_profile"]),
    environments_file=dict(type="path"),
    retry_mode=dict(type="str", default="standard", choices=["standard", "adaptive"]),
    max_attempts=dict(type="int", default=5),
)


def require_libraries(module):
    """Fail with a clear message when boto3/botocore/jmespath/PyYAML are missing."""
    if not HAS_AWS_LIBS:
        module.fail_json(msg=missing_required_lib("boto3 and botocore"))
    if not HAS_JMESPATH:
        module.fail_json(msg=missing_required_lib("jmespath"))
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
