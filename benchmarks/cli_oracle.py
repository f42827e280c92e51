# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws CLI v1 run in-process as an oracle: which call would it make for a command line?

``AwsCliOracle().call(words)`` runs awscli's own driver on ``words`` (``aws`` removed) and stops it
at botocore's ``before-parameter-build`` event, once awscli's own handlers have added their defaults
and before anything is serialised, signed or sent. Params that botocore's validator rejects count as
rejected by the CLI (it would stop there). Nothing reaches the network: the endpoint
is a discard port on 127.0.0.1, credentials are fake, and the CLI's paramfile readers (``file://``,
``fileb://``, ``http(s)://``) are replaced by a stub that records the attempt and stops the command,
so no local file is read and no URL is fetched.

Used by tests/unit/plugins/module_utils/plan/test_cli_differential.py and benchmarks/cli_differential.py.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile

_SAFE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "AKIAORACLEEXAMPLE", "AWS_SECRET_ACCESS_KEY": "oracle-secret",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
}
# The CLI's own global options that take a value; a plan refuses them all, the oracle runs without
# --profile (no such profile exists here) and --debug (it only adds logging).
_DROPPED_GLOBALS = {"--profile": 1, "--debug": 0}


class Captured(BaseException):
    """Raised from the client's first event to stop the CLI before it sends anything (a BaseException,
    so that the CLI's own ``except Exception`` in ``main`` does not swallow it)."""

    def __init__(self, service, operation, params):
        super().__init__(operation)
        self.service, self.operation, self.params = service, operation, params


class Invalid(BaseException):
    """botocore's parameter validation, which the CLI runs before sending, rejects the params."""


class ParamFileRead(BaseException):
    """The CLI would have read a file or fetched a URL for a parameter value."""


class Outcome:
    """What the CLI did with one line: ``kind`` is 'call', 'paramfile', 'rejected' or 'not-api'."""

    def __init__(self, kind, service=None, operation=None, params=None, error=""):
        self.kind, self.service, self.operation, self.params, self.error = kind, service, operation, params, error

    def __repr__(self):
        return "Outcome(%r, %r, %r, %r, %r)" % (self.kind, self.service, self.operation, self.params, self.error)


def _refuse_paramfile(prefix, path, **_):
    raise ParamFileRead("%s%s" % (prefix, path[len(prefix):]))


class AwsCliOracle:
    """A fresh awscli driver for every line, sharing one model loader and one set of handlers."""

    def __init__(self):
        self._config_dir = tempfile.mkdtemp(prefix="cli-oracle-")
        self._environment = dict(_SAFE_ENVIRONMENT,
                                 AWS_CONFIG_FILE=os.path.join(self._config_dir, "config"),
                                 AWS_SHARED_CREDENTIALS_FILE=os.path.join(self._config_dir, "credentials"))
        with self._environ():
            import awscli.clidriver  # noqa: F401 - imported here so the module loads without awscli
            import awscli.paramfile
            import botocore.session
        self._paramfile = awscli.paramfile
        self._loader = botocore.session.get_session().get_component("data_loader")
        self._api_level = {}
        self._clients = {}
        with self._environ():
            self._handlers = _Handlers()

    @contextlib.contextmanager
    def _environ(self):
        saved = {name: os.environ.get(name) for name in self._environment_keys()}
        os.environ.update(self._environment if hasattr(self, "_environment") else _SAFE_ENVIRONMENT)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CA_BUNDLE"):
            os.environ.pop(name, None)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _environment_keys(self):
        keys = set(_SAFE_ENVIRONMENT) | {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CA_BUNDLE"}
        return keys | set(getattr(self, "_environment", {}))

    @contextlib.contextmanager
    def _no_paramfiles(self):
        maps = (self._paramfile.LOCAL_PREFIX_MAP, self._paramfile.REMOTE_PREFIX_MAP)
        saved = [copy.copy(table) for table in maps]
        for table in maps:
            for prefix, (_, kwargs) in list(table.items()):
                table[prefix] = (_refuse_paramfile, kwargs)
        try:
            yield
        finally:
            for table, old in zip(maps, saved):
                table.clear()
                table.update(old)

    def _driver(self):
        return _new_driver(self._loader, self._handlers)

    def global_options(self):
        """``--name`` of the CLI's global options (its main parser also reads any prefix of them)."""
        with self._environ():
            table = self._driver()._get_argument_table()
        return {argument.cli_name for argument in table.values()}

    def operation_options(self, service, operation):
        """``--name`` of the options the CLI adds to this operation for itself: paging (where it pages
        the operation, even when the API has a member of the same name) and input/skeleton files."""
        key = ("options", service, operation)
        if key not in self._api_level:
            with self._environ():
                command = self._driver()._get_command_table()[service]._get_command_table()[operation]
                table = command.arg_table
            self._api_level[key] = {
                argument.cli_name for name, argument in table.items()
                if type(argument).__name__ == "PageArgument"
                or name in ("cli-input-json", "cli-input-yaml", "generate-cli-skeleton")}
        return self._api_level[key]

    def is_api_level(self, service, operation):
        """True when ``aws service operation`` is one of the CLI's API operations, not a custom command."""
        key = (service, operation)
        if key not in self._api_level:
            from awscli.clidriver import ServiceCommand, ServiceOperation
            with self._environ():
                table = self._driver()._get_command_table()
                command = table.get(service)
                self._api_level[key] = bool(
                    isinstance(command, ServiceCommand)
                    and isinstance(command._get_command_table().get(operation), ServiceOperation))
        return self._api_level[key]

    @contextlib.contextmanager
    def _cached_clients(self):
        """One client per service for all lines: creating one costs ~40 ms, and the handlers a client
        copies that matter here (awscli's before-parameter-build ones, and the capture) are the same
        for every line."""
        import awscli.clidriver
        original = awscli.clidriver.create_nested_client

        def cached(session, service_name, **kwargs):
            if service_name not in self._clients:
                self._clients[service_name] = original(session, service_name, **kwargs)
            return self._clients[service_name]
        awscli.clidriver.create_nested_client = cached
        try:
            yield
        finally:
            awscli.clidriver.create_nested_client = original

    def call(self, words):
        """Run the CLI on ``words`` (without the leading ``aws``) and say what it would have called."""
        words = _without_dropped_globals(words)
        stderr = io.StringIO()
        with self._environ(), self._no_paramfiles(), self._cached_clients(), contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(io.StringIO()):
            try:
                driver = self._driver()
                status = driver.main(list(words))
            except Captured as captured:
                return Outcome("call", captured.service, captured.operation, captured.params)
            except Invalid as exc:
                return Outcome("rejected", error="invalid params: %s" % exc)
            except ParamFileRead as exc:
                return Outcome("paramfile", error=str(exc))
            except SystemExit as exc:  # argparse usage errors
                return Outcome("rejected", error="exit %s: %s" % (exc.code, stderr.getvalue().strip()[-300:]))
        return Outcome("rejected", error="exit %s: %s" % (status, stderr.getvalue().strip()[-300:]))


class _Handlers:
    """awscli's and botocore's event handlers, registered once (registering checks every handler's
    signature, ~60 ms) and put back as they were before each line: customisations register more
    handlers on this same emitter while they build an operation's arguments (they keep a reference
    to it), and some of those fire for every later operation of the service. Each registration made
    during a line is recorded and undone afterwards (cheaper than copying the emitter)."""

    def __init__(self):
        import botocore.session
        from awscli.plugin import load_plugins
        # Without botocore's own handlers: they add defaults boto3 adds too (idempotency tokens,
        # checksum modes), which are not what the CLI passes.
        session = botocore.session.Session(include_builtin_handlers=False)
        load_plugins({}, event_hooks=session.get_component("event_emitter"))
        self.emitter = session._original_handler
        self._added = []
        for method in ("register", "register_first", "register_last"):
            setattr(self.emitter, method, self._recording(getattr(self.emitter, method)))

    def _recording(self, register):
        def recorded(event_name, handler, unique_id=None, unique_id_uses_count=False):
            if unique_id is None or unique_id not in self.emitter._unique_id_handlers:
                self._added.append((event_name, handler, unique_id, unique_id_uses_count))
            return register(event_name, handler, unique_id, unique_id_uses_count)
        return recorded

    def reset(self):
        while self._added:
            event_name, handler, unique_id, uses_count = self._added.pop()
            self.emitter.unregister(event_name, handler, unique_id, uses_count)
        return self.emitter


def _new_driver(loader, handlers):
    """A fresh driver on freshly reset handlers, sharing the loaded service models."""
    import awscli.clidriver
    import botocore.session
    session = botocore.session.Session(awscli.clidriver.EnvironmentVariables, event_hooks=handlers.reset(),
                                       include_builtin_handlers=False)
    session.register_component("data_loader", loader)
    driver = awscli.clidriver.CLIDriver(session=session)
    session.register("before-parameter-build", _capture)
    return driver


def _capture(params, model, **_):
    # Registered after awscli's own before-parameter-build handlers (run-instances adds its default
    # MinCount/MaxCount there), on a session without botocore's: these are the params the CLI passes.
    import botocore.validate
    report = botocore.validate.ParamValidator().validate(params, model.input_shape) if model.input_shape else None
    if report is not None and report.has_errors():
        raise Invalid(report.generate_report())
    raise Captured(model.service_model.service_name, model.name, copy.deepcopy(params))


def _without_dropped_globals(words):
    kept, skip = [], 0
    for word in words:
        if skip:
            skip -= 1
            continue
        name = word.split("=", 1)[0]
        if name in _DROPPED_GLOBALS:
            skip = 0 if "=" in word else _DROPPED_GLOBALS[name]
            continue
        kept.append(word)
    return kept
