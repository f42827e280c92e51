# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws CLI v1's per-operation customisations that change which params a line sends.

Each is a small rule on the operation's option table (cli_options.Option) plus, where the CLI adds
defaults after reading the line, a ``finish`` step. Customisations that need a call of their own
(cloudfront update-distribution --default-root-object reads the distribution first) are refused.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    CLI_ONLY_OPERATIONS, NETWORK_ACL_PROTOCOLS)


class CustomError(ValueError):
    """A customised option's value is not one the CLI accepts."""


def extra_commands(cli_service, table):
    """CLI-only command names of a service: ``{command: operation}``."""
    return {command: operation for (service, command), (operation, _how) in CLI_ONLY_OPERATIONS.items()
            if service == cli_service and operation in table.values()}


def customise(table, cli_service, command, model, option):
    """Apply the CLI's customisations for ``aws <cli_service> <command>`` to its option table."""
    if (cli_service, command) in CLI_ONLY_OPERATIONS:
        table.pop(CLI_ONLY_OPERATIONS[(cli_service, command)][1], None)
    if cli_service == "ec2":
        _bool_structures(table, option)
        if command in _SECURITY_GROUP_RULES:
            _security_group_options(table, option)
        if command == "run-instances":
            _run_instances_options(table, option)
    if (cli_service, command) == ("cloudwatch", "put-metric-data"):
        for name in _METRIC_OPTIONS:
            table[name] = option(name, kind="custom", apply=_metric_option(name))
            table[name].member = "MetricData." + name  # each sets its own key of the first MetricData item
    if (cli_service, command) == ("ses", "send-email"):
        _send_email_options(table, option)
    if (cli_service, command) == ("emr", "list-clusters"):
        for name, states in _EMR_CLUSTER_STATES.items():
            table[name] = option(name, kind="custom", nargs=0, apply=_cluster_states(states))
            table[name].member = "ClusterStates"
    if (cli_service, command) == ("cloudfront", "create-invalidation"):
        table["paths"] = option("paths", kind="custom", nargs="+", apply=_invalidation_paths)
    if (cli_service, command) == ("cloudfront", "update-distribution"):
        table["default-root-object"] = option("default-root-object", kind="refused", refusal=(
            "the CLI first reads the distribution's config for this option; give --distribution-config "
            "and --if-match instead"))


def finish(params, cli_service, command):
    """Defaults and rewrites the CLI applies to the params after reading the whole line."""
    if cli_service != "ec2":
        return params
    if command == "run-instances":
        params.setdefault("MaxCount", 1)
        params.setdefault("MinCount", 1)
        _move_into_network_interface(params)
    if command in ("create-network-acl-entry", "replace-network-acl-entry") and \
            isinstance(params.get("Protocol"), str):
        params["Protocol"] = NETWORK_ACL_PROTOCOLS.get(params["Protocol"], params["Protocol"])
    return params


# -- ec2: structure(Value: boolean) options become switches ---------------------------------------------------
def _bool_structures(table, option):
    for name, opt in list(table.items()):
        shape = opt.shape
        if opt.kind == "value" and shape is not None and shape.type_name == "structure" and \
                list(shape.members) == ["Value"] and shape.members["Value"].type_name == "boolean":
            table[name] = option(name, opt.member, shape, "bool-structure", nargs="?")
            table["no-" + name] = option("no-" + name, opt.member, shape, "flag", flag={"Value": False})


# -- ec2 authorize/revoke-security-group-ingress/egress: --protocol --port --cidr --source-group ----------------
_SECURITY_GROUP_RULES = ("authorize-security-group-ingress", "authorize-security-group-egress",
                         "revoke-security-group-ingress", "revoke-security-group-egress")


def _security_group_options(table, option):
    for name, apply in (("protocol", _protocol), ("port", _port), ("cidr", _cidr), ("source-group", _source_group),
                        ("group-owner", _group_owner)):
        table[name] = option(name, kind="custom", apply=apply)


def _permission(params):
    permissions = params.setdefault("IpPermissions", [{}])
    return permissions[0]


def _protocol(params, value):
    try:
        number = int(value)
    except ValueError:
        if value not in ("tcp", "udp", "icmp", "all"):
            raise CustomError("should be one of tcp, udp, icmp, all or a protocol number") from None
        value = "-1" if value == "all" else value
    else:
        if not 0 <= number <= 255 and number != -1:
            raise CustomError("protocol numbers are 0-255, or -1 for all")
    _permission(params)["IpProtocol"] = value


def _port(params, value):
    if value in ("-1", "all"):
        first = last = "-1"
    else:
        first, _dash, last = value.partition("-")
        last = last or first
    try:
        _permission(params).update(FromPort=int(first), ToPort=int(last))
    except ValueError:
        raise CustomError("should be a port or a range, e.g. 22 or 22-25") from None


def _cidr(params, value):
    _permission(params)["IpRanges"] = [{"CidrIp": value}]


def _source_group(params, value):
    pairs = _permission(params).setdefault("UserIdGroupPairs", [{}])
    pairs[0]["GroupId" if value.startswith("sg-") else "GroupName"] = value


def _group_owner(params, value):
    _permission(params).setdefault("UserIdGroupPairs", [{}])[0]["UserId"] = value


# -- ec2 run-instances: --count, and network-interface shortcuts ------------------------------------------------
def _run_instances_options(table, option):
    table.pop("min-count", None)
    table.pop("max-count", None)
    table["count"] = option("count", kind="custom", apply=_count)
    table["secondary-private-ip-addresses"] = option(
        "secondary-private-ip-addresses", kind="custom", nargs="+", apply=_secondary_addresses)
    table["secondary-private-ip-address-count"] = option(
        "secondary-private-ip-address-count", kind="custom", apply=_secondary_count)
    table["associate-public-ip-address"] = option(
        "associate-public-ip-address", kind="custom", nargs=0, apply=lambda params: _interface(params, True))
    table["no-associate-public-ip-address"] = option(
        "no-associate-public-ip-address", kind="custom", nargs=0, apply=lambda params: _interface(params, False))
    for name in ("associate-public-ip-address", "no-associate-public-ip-address"):
        table[name].member = "AssociatePublicIpAddress"


def _count(params, value):
    low, colon, high = value.partition(":")
    try:
        params["MinCount"], params["MaxCount"] = int(low), int(high if colon else low)
    except ValueError:
        raise CustomError("should be min[:max], e.g. 1 or 1:10") from None


def _network_interface(params):
    interfaces = params.setdefault("NetworkInterfaces", [{"DeviceIndex": 0}])
    return interfaces[0]


def _secondary_addresses(params, values):
    _network_interface(params)["PrivateIpAddresses"] = [
        {"PrivateIpAddress": value, "Primary": False} for value in values]


def _secondary_count(params, value):
    try:
        _network_interface(params)["SecondaryPrivateIpAddressCount"] = int(value)
    except ValueError:
        raise CustomError("should be a number") from None


def _interface(params, public):
    _network_interface(params)["AssociatePublicIpAddress"] = public


_INTERFACE_MOVES = (("SubnetId", "SubnetId"), ("SecurityGroupIds", "Groups"), ("Ipv6AddressCount", "Ipv6AddressCount"),
                    ("Ipv6Addresses", "Ipv6Addresses"), ("EnablePrimaryIpv6", "PrimaryIpv6"))


def _move_into_network_interface(params):
    """What the CLI does once an interface shortcut is given: the instance-level network params move
    into that interface, where EC2 wants them."""
    interfaces = params.get("NetworkInterfaces")
    if not (isinstance(interfaces, list) and interfaces and isinstance(interfaces[0], dict)):
        return
    interface = interfaces[0]
    if not any(key in interface for key in ("PrivateIpAddresses", "SecondaryPrivateIpAddressCount",
                                            "AssociatePublicIpAddress")):
        return
    for old, new in _INTERFACE_MOVES:
        if old in params:
            interface[new] = params.pop(old)
    if "PrivateIpAddress" in params:
        interface["PrivateIpAddresses"] = [{"PrivateIpAddress": params.pop("PrivateIpAddress"), "Primary": True}]


# -- cloudwatch put-metric-data: --metric-name --value --unit ... fill the first MetricData item -----------------
_METRIC_OPTIONS = ("metric-name", "timestamp", "unit", "value", "dimensions", "statistic-values", "storage-resolution")


def _metric_option(name):
    def apply(params, value):
        metrics = params.setdefault("MetricData", [{}])
        metrics[0].update(_METRIC_READERS[name](value))
    return apply


def _pairs(value, what):
    """``A=1,B=2`` as the CLI splits it for these options; quoted or escaped commas are not read here."""
    if any(char in value for char in "\\\"'[]"):
        raise CustomError("quoted or escaped values are not read here: give --metric-data as JSON")
    try:
        return [tuple(pair.split("=")) for pair in value.split(",")]
    except ValueError:
        raise CustomError("should be %s" % what) from None


def _number(value):
    # The CLI reads these as Decimal; a plan keeps JSON types, and botocore sends the same number.
    try:
        return float(value)
    except ValueError:
        raise CustomError("should be a number") from None


def _checked_pairs(value, what):
    pairs = _pairs(value, what)
    if any(len(pair) != 2 for pair in pairs):
        raise CustomError("should be %s" % what)
    return pairs


def _integer(value):
    try:
        return int(value)
    except ValueError:
        raise CustomError("should be a whole number") from None


_METRIC_READERS = {
    "metric-name": lambda value: {"MetricName": value},
    "timestamp": lambda value: {"Timestamp": value},
    "unit": lambda value: {"Unit": value},
    "value": lambda value: {"Value": _number(value)},
    "dimensions": lambda value: {"Dimensions": [
        {"Name": key, "Value": item} for key, item in _checked_pairs(value, "Name=Value,...")]},
    "statistic-values": lambda value: {"StatisticValues": {
        key: _number(item) for key, item in _checked_pairs(value, "SampleCount=n,Sum=n,Minimum=n,Maximum=n")}},
    "storage-resolution": lambda value: {"StorageResolution": _integer(value)},
}


# -- ses send-email: --from, --to/--cc/--bcc, --subject/--text/--html ----------------------------------------------
def _send_email_options(table, option):
    if "source" in table:
        table["from"] = table.pop("source")
        table["from"].name = "from"
    for name, key in (("to", "ToAddresses"), ("cc", "CcAddresses"), ("bcc", "BccAddresses")):
        table[name] = option(name, kind="custom", nargs="+", apply=_destination(key))
        table[name].member = "Destination." + key
    for name, key in (("subject", "Subject"), ("text", "Text"), ("html", "Html")):
        table[name] = option(name, kind="custom", apply=_message(key))
        table[name].member = "Message." + key


def _destination(key):
    def apply(params, values):
        params.setdefault("Destination", {})[key] = list(values)
    return apply


def _message(key):
    def apply(params, value):
        message = params.setdefault("Message", {"Subject": {}, "Body": {}})
        if key == "Subject":
            message["Subject"] = {"Data": value}
        else:
            message.setdefault("Body", {})[key] = {"Data": value}
    return apply


# -- emr list-clusters --active / --terminated / --failed -------------------------------------------------------
_EMR_CLUSTER_STATES = {"active": ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"],
                       "terminated": ["TERMINATED"], "failed": ["TERMINATED_WITH_ERRORS"]}


def _cluster_states(states):
    def apply(params):
        params["ClusterStates"] = list(states)
    return apply


# -- cloudfront create-invalidation --paths ---------------------------------------------------------------------
def _invalidation_paths(params, values):
    # The CLI makes up a CallerReference from the clock and a random number. A plan must be the same
    # bytes at approval and at run time, so it takes the run's id instead: one invalidation per run,
    # and a retried call within the run is not a second invalidation.
    params["InvalidationBatch"] = {"CallerReference": "cli-${run.id}",
                                   "Paths": {"Quantity": len(values), "Items": list(values)}}
