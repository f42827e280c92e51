# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of one aws CLI operation, as the CLI v1 builds them from botocore's model.

One ``Option`` per accepted ``--name``: the operation's input members in kebab case, ``--no-x`` for
boolean members, the CLI's renames and hidden aliases (cli_names), its per-operation customisations
(cli_custom) and the options it adds for itself (paging, input files), which a plan refuses.
"""

from __future__ import annotations

import functools

from ansible_collections.coworker.aws.plugins.module_utils.aws.botocore_data import new_session
from ansible_collections.coworker.aws.plugins.module_utils.plan import cli_custom
from ansible_collections.coworker.aws.plugins.module_utils.plan.cli_names import (
    ARGUMENT_RENAMES, BOTOCORE_TO_CLI, HIDDEN_ALIASES, INPUT_OPTIONS, PAGING_OPTIONS)

try:
    from botocore import xform_name
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib
    pass


class Option:
    """One ``--name`` of an operation.

    ``kind``: 'value' (an input member; nargs from its shape), 'flag' (a switch that sets ``flag``),
    'bool-structure' (ec2: ``--x`` or ``--x Value=false`` for ``{"Value": bool}``), 'custom' (a CLI
    customisation: ``apply(params, values)``), or 'refused' (``refusal`` says why).
    """

    __slots__ = ("name", "member", "shape", "kind", "flag", "apply", "nargs", "refusal", "reads_urls")

    def __init__(self, name, member=None, shape=None, kind="value", flag=None, apply=None, nargs=None,
                 refusal=None):
        self.name, self.member, self.shape, self.kind, self.flag = name, member, shape, kind, flag
        self.apply, self.refusal, self.reads_urls = apply, refusal, True
        if nargs is None:
            nargs = "+" if shape is not None and shape.type_name == "list" and kind == "value" else 1
        self.nargs = nargs

    @property
    def dest(self):
        """Options with the same dest set the same thing: giving two of them in one line is refused."""
        return self.member or self.name


@functools.lru_cache(maxsize=1)
def session():
    return new_session()


@functools.lru_cache(maxsize=1)
def services():
    return frozenset(session().get_available_services())


@functools.lru_cache(maxsize=None)
def service_model(service):
    return session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def _paginated(service):
    try:
        model = session().get_paginator_model(service)
    except Exception:  # noqa: BLE001 - a service without paginators
        return frozenset()
    return frozenset(model._paginator_config)  # pylint: disable=protected-access


@functools.lru_cache(maxsize=None)
def service_names(service):
    """``(endpoint prefix, hyphenated service id)``: how the CLI names the service in its tables."""
    model = service_model(service)
    return model.endpoint_prefix, model.service_id.hyphenize()


def cli_service_name(service):
    return BOTOCORE_TO_CLI.get(service, service)


@functools.lru_cache(maxsize=None)
def operations(service):
    """``{cli command: botocore operation}``, with the CLI-only command names."""
    table = {xform_name(name, "-"): name for name in service_model(service).operation_names}
    table.update(cli_custom.extra_commands(cli_service_name(service), table))
    return table


@functools.lru_cache(maxsize=None)
def options(service, command):
    """``{name without --: Option}`` for ``aws <service> <command>``."""
    operation = operations(service)[command]
    model = service_model(service).operation_model(operation)
    shape = model.input_shape
    table = {}
    for member, member_shape in (shape.members.items() if shape is not None else ()):
        name = xform_name(member, "-")
        if member_shape.type_name == "boolean":
            table[name] = Option(name, member, member_shape, "flag", flag=True)
            table["no-" + name] = Option("no-" + name, member, member_shape, "flag", flag=False)
        else:
            table[name] = Option(name, member, member_shape)
    cli_service = cli_service_name(service)
    _rename(table, cli_service, command)
    cli_custom.customise(table, cli_service, command, model, Option)
    _add_cli_options(table, service, operation)
    return table


def _rename(table, cli_service, command):
    for name in list(table):
        new = ARGUMENT_RENAMES.get((cli_service, command, name)) or ARGUMENT_RENAMES.get((cli_service, "*", name))
        if new:
            option = table.pop(name)
            option.name = new
            table[new] = option
    for name in list(table):
        alias = HIDDEN_ALIASES.get((cli_service, command, name)) or HIDDEN_ALIASES.get((cli_service, "*", name))
        if alias:
            table[alias] = table[name]


def _add_cli_options(table, service, operation):
    for name in INPUT_OPTIONS:
        table[name] = Option(name, kind="refused", refusal="the call's params must be in the plan itself")
    if operation in _paginated(service):
        for name in PAGING_OPTIONS:  # they shadow any API member of the same name, as in the CLI
            table[name] = Option(name, kind="refused", refusal="the CLI pages through results itself; a plan "
                                 "step makes one call (give the API's own limit parameter instead)")


@functools.lru_cache(maxsize=None)
def streaming_output(service, command):
    """True when the CLI wants a positional output file name (s3api get-object ... OUTFILE)."""
    model = service_model(service).operation_model(operations(service)[command])
    return model.has_streaming_output
