# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a run's state lives: a local directory (``local``, the default) or an S3 bucket (``s3``).

Storage only. A backend reads, writes, lists and locks bytes under keys such as
``runs/<run id>/journal.jsonl``, ``runs/<run id>/report.md``, ``locks/<name>.lock``
and ``changelog.md``; what the bytes mean (journal events, reports, lock holders)
is decided in ``run/`` and is the same whichever backend holds them.

The backend is chosen by ``state_backend`` (a module option, ``-e state_backend=...``)
or, when that is not given, by the top-level ``state_backend`` of the environments file.
"""

from __future__ import annotations

import os

from ansible_collections.coworker.aws.plugins.module_utils.errors import ConfigError
from ansible_collections.coworker.aws.plugins.module_utils.run.backend.local import LocalBackend

TYPES = ("local", "s3")
S3_REQUIRED = ("bucket", "region", "account_id")
S3_KEYS = ("type", "bucket", "prefix", "region", "profile", "account_id", "lock_lease_seconds", "sse", "kms_key_id")
SSE_CHOICES = ("AES256", "aws:kms")
OPTION = "the state_backend option"
# An S3 lock's lease: its holder's heartbeat renews it every third of this while the run lives,
# so a job that died frees the lock for other machines within a minute.
LEASE_SECONDS = 60


def _text(source, field, value, pattern=None):
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, field, "must be a non-empty string")
    if pattern and not pattern(value):
        raise ConfigError(source, field, "%r is not valid" % value)
    return value


def validate(config, source=OPTION):
    """A checked copy of a ``state_backend`` mapping; ``ConfigError`` naming the field otherwise.

    Only the keys listed in ``S3_KEYS`` are accepted, so credentials can never be put here: the
    backend's session comes from a named profile (or the default chain) like any other AWS tool.
    """
    if config in (None, {}, "local"):
        return {"type": "local"}
    if not isinstance(config, dict):
        raise ConfigError(source, "state_backend", "must be a mapping (type: local | s3, ...)")
    kind = config.get("type", "local")
    if kind not in TYPES:
        raise ConfigError(source, "state_backend.type", "%r is not one of %s" % (kind, ", ".join(TYPES)))
    unknown = sorted(str(key) for key in config if key not in (S3_KEYS if kind == "s3" else ("type",)))
    if unknown:
        raise ConfigError(source, "state_backend.%s" % unknown[0], "unknown key for type %s (allowed: %s)"
                          % (kind, ", ".join(S3_KEYS if kind == "s3" else ("type",))))
    if kind == "local":
        return {"type": "local"}
    checked = {"type": "s3", "prefix": "", "profile": None, "lock_lease_seconds": LEASE_SECONDS, "sse": "AES256",
               "kms_key_id": None}
    for key in S3_REQUIRED:
        if key not in config:
            raise ConfigError(source, "state_backend.%s" % key, "is required for type s3")
    checked["bucket"] = _text(source, "state_backend.bucket", config["bucket"])
    checked["region"] = _text(source, "state_backend.region", config["region"])
    account = str(config["account_id"])
    if not (len(account) == 12 and account.isdigit()):
        raise ConfigError(source, "state_backend.account_id", "must be the 12-digit id of the account that owns "
                          "the bucket, got %r" % config["account_id"])
    checked["account_id"] = account
    for key in ("profile", "kms_key_id"):
        if config.get(key) is not None:
            checked[key] = _text(source, "state_backend.%s" % key, config[key])
    prefix = config.get("prefix") or ""
    if not isinstance(prefix, str) or ".." in prefix.split("/"):
        raise ConfigError(source, "state_backend.prefix", "must be a key prefix without '..'")
    checked["prefix"] = prefix.strip("/")
    lease = config.get("lock_lease_seconds", LEASE_SECONDS)
    if isinstance(lease, bool) or not isinstance(lease, int) or not 1 <= lease <= 86400:
        raise ConfigError(source, "state_backend.lock_lease_seconds", "must be a whole number of seconds, 1-86400")
    checked["lock_lease_seconds"] = lease
    sse = config.get("sse", "AES256")
    if sse not in SSE_CHOICES:
        raise ConfigError(source, "state_backend.sse", "%r is not one of %s" % (sse, ", ".join(SSE_CHOICES)))
    checked["sse"] = sse
    return checked


def configured(option, environments_file=None):
    """(config, where it came from): the option when given, else the environments file's, else local."""
    if option:
        return validate(option), OPTION
    if environments_file and os.path.isfile(environments_file):
        from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import load_environments
        config = load_environments(environments_file).get("state_backend")
        if config:
            return validate(config, environments_file), environments_file
    return {"type": "local"}, None


def open_backend(state_dir, option=None, environments_file=None):
    """The backend for these options. ``state_dir`` is the local directory (for ``s3``, its cache)."""
    config, _source = configured(option, environments_file)
    if config["type"] == "s3":
        from ansible_collections.coworker.aws.plugins.module_utils.run.backend.s3 import S3Backend
        return S3Backend(config, state_dir)
    return LocalBackend(state_dir)


def backend_of(args):
    """The backend named by a task's arguments (``state_dir``, ``state_backend``, ``environments_file``)."""
    from ansible_collections.coworker.aws.plugins.module_utils.guard.environments import resolve_path
    return open_backend(args["state_dir"], args.get("state_backend"), resolve_path(args.get("environments_file")))
