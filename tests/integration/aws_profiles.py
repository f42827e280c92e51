"""Subprocess environments and AWS profiles that can only reach the local moto server (one profile per fake
account), and boto3 sessions on it for assertions."""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import botocore.session

from moto_net import FAKE_KEY, LOOPBACK, REGION, REPO_ROOT, require_local_endpoint

# ------------------------------------------------------------------ env and profiles


class AwsEnv:
    """Subprocess environments and AWS profiles that can only reach the local moto server.

    Profiles live in this test's own AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE; each
    has endpoint_url set too, so even a process that loses AWS_ENDPOINT_URL stays local.
    Profiles must be (re)created after a moto reset: moto forgets assumed-role keys and
    would then put their calls in its default account.
    """

    def __init__(self, endpoint_url: str, workdir: Path, repo_root: Path = REPO_ROOT):
        if urlsplit(endpoint_url).hostname != LOOPBACK:
            raise RuntimeError(f"endpoint {endpoint_url!r} is not on {LOOPBACK}")
        self.endpoint_url = endpoint_url
        self.repo_root = repo_root
        self.workdir = workdir
        self.config_file = workdir / "aws" / "config"
        self.credentials_file = workdir / "aws" / "credentials"
        self.local_temp = workdir / "ansible" / "local"
        self.remote_temp = workdir / "ansible" / "remote"
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        # A [default] profile with the fake keys: what boto3_session() uses, and a safe
        # fallback for any process that loses the AWS_* variables.
        _update_ini(self.credentials_file, "default",
                    {"aws_access_key_id": FAKE_KEY, "aws_secret_access_key": FAKE_KEY})
        self._write_config("default", {})
        self.local_temp.mkdir(parents=True, exist_ok=True)
        self.remote_temp.mkdir(parents=True, exist_ok=True)

    # -- environment

    def env(self, profile: str | None = None, endpoint_url: str | None = None,
            **overrides: str | None) -> dict:
        """Environment for ansible-playbook / aws CLI subprocesses.

        The caller's AWS_* and ANSIBLE_* are dropped so nothing real leaks in.
        profile: sets AWS_PROFILE and drops the static fake keys, because botocore prefers
        AWS_ACCESS_KEY_ID over AWS_PROFILE (the profile would silently be ignored).
        endpoint_url: e.g. the fault proxy's URL instead of moto's.
        overrides: extra variables; a value of None removes the variable.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
        env.update({
            "AWS_ENDPOINT_URL": endpoint_url or self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
            "ANSIBLE_CONFIG": str(self.repo_root / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(self.local_temp),
            "ANSIBLE_REMOTE_TEMP": str(self.remote_temp),
        })
        env["NO_PROXY"] = env["no_proxy"] = ",".join(
            filter(None, [os.environ.get("NO_PROXY", ""), LOOPBACK, "localhost"]))
        if profile:
            env["AWS_PROFILE"] = profile
            del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        require_local_endpoint(env)
        return env

    # -- profiles

    def add_account_profile(self, profile: str, account_id: str, alias: str | None = None) -> dict:
        """A profile whose calls land in account_id (temporary keys from sts.assume_role).

        Returns the credentials dict from STS. alias: created in that account.
        """
        credentials = self._assume_into(account_id, profile)
        self._write_credentials(profile, credentials)
        self._write_config(profile, {})
        if alias:
            self.boto3_session(profile).client("iam").create_account_alias(AccountAlias=alias)
        return credentials

    def add_role_profile(self, profile: str, source_profile: str, account_id: str,
                         role_name: str = "Deployer") -> None:
        """A profile that assumes role_name in account_id from source_profile's keys."""
        self._write_config(profile, {"role_arn": f"arn:aws:iam::{account_id}:role/{role_name}",
                                     "source_profile": source_profile})

    def rewrite_profile(self, profile: str, account_id: str) -> dict:
        """Swap a profile's keys for another account's (credentials changing mid-run)."""
        credentials = self._assume_into(account_id, profile)
        self._write_credentials(profile, credentials)
        return credentials

    def _assume_into(self, account_id: str, profile: str) -> dict:
        """Moto gives assume_role credentials whose calls land in the role's account."""
        sts = self.boto3_session().client("sts")
        response = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/Any",
                                   RoleSessionName=f"harness-{profile}"[:64])
        return response["Credentials"]

    def _write_credentials(self, profile: str, credentials: dict) -> None:
        _update_ini(self.credentials_file, profile, {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        })

    def _write_config(self, profile: str, values: dict) -> None:
        section = profile if profile == "default" else f"profile {profile}"
        _update_ini(self.config_file, section,
                    {"region": REGION, "endpoint_url": self.endpoint_url, **values})

    # -- boto3 for assertions

    def boto3_session(self, profile: str | None = None,
                      endpoint_url: str | None = None) -> boto3.Session:
        """A boto3 Session on moto, for assertions inside the test process.

        Reads only this test's profile files; every client (also the STS client a role
        profile uses internally) is pinned to moto whatever this process's environment
        says. profile=None: the [default] profile's fake keys, which moto puts in its
        account 123456789012.
        """
        core = botocore.session.Session()
        core.set_config_variable("config_file", str(self.config_file))
        core.set_config_variable("credentials_file", str(self.credentials_file))
        core.set_config_variable("profile", profile or "default")
        core.get_component("config_store").set_config_variable(
            "endpoint_url", endpoint_url or self.endpoint_url)
        return boto3.Session(botocore_session=core)


def _update_ini(path: Path, section: str, values: dict) -> None:
    """Replace one section of an AWS ini file, keeping the others."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    if parser.has_section(section):
        parser.remove_section(section)
    parser[section] = values
    with open(path, "w") as handle:
        parser.write(handle)
