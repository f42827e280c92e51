# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""botocore's data files, read once per process and shared by every session.

A botocore session reads its service models, endpoint rule sets and partitions from JSON files
through its data loader, and caches them in that loader only: a fresh session parses them again
(about 70 ms of CPU for S3 alone). Every session of the collection registers the one loader made
here, so a file is parsed once per process. Only read-only data is shared; credentials, profiles
and clients stay per session.

``warm`` reads the data the guard always needs (STS, IAM, S3) in ansible-playbook's own process,
when the collection's action plugins are loaded: every worker forked for a task then finds it in
memory instead of reading it again.
"""

from __future__ import annotations

try:
    import botocore.session
    HAS_BOTOCORE = True
except ImportError:  # pragma: no cover - reported by the modules as missing_required_lib
    HAS_BOTOCORE = False

GUARD_SERVICES = ("sts", "iam", "s3")
_LOADER = []


def data_loader():
    """The process's one botocore data loader."""
    if not _LOADER:
        _LOADER.append(botocore.session.Session().get_component("data_loader"))
    return _LOADER[0]


def new_session(profile=None):
    """A botocore session of its own (its own credentials and profile) reading the shared data."""
    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", data_loader())
    return session


def warm(services=GUARD_SERVICES, region="us-east-1"):
    """Read the data of ``services`` now (a client each, with placeholder keys: nothing is sent)."""
    if not HAS_BOTOCORE:
        return
    try:
        session = new_session()
        for service in services:
            session.create_client(service, region_name=region, aws_access_key_id="warm", aws_secret_access_key="warm")
    except Exception:  # pylint: disable=broad-except  # only a head start: the guard reads what it needs itself
        pass
