# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one YAML loader of the collection: plain data only.

Safe (no tags that build objects), no timestamp conversion (a time stays
the text that was written, so digests are computed over what the author
wrote), and duplicate or non-string mapping keys are refused, which YAML
would otherwise silently collapse or coerce.
"""

from __future__ import annotations

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - reported by the module as missing_required_lib("PyYAML")
    yaml = None
    HAS_YAML = False

if HAS_YAML:
    try:  # libyaml is ~10x faster than the pure-Python parser
        from yaml import CSafeLoader as _BaseLoader
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        from yaml import SafeLoader as _BaseLoader
    YAMLError = yaml.YAMLError
else:  # pragma: no cover - without PyYAML the modules fail before any text is parsed
    _BaseLoader = None

    class YAMLError(Exception):
        """PyYAML is not installed (never raised; keeps `except YAMLError` meaningful)."""


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping key %r is not a string (quote it)" % (key,), key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % (key,), key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _strict_loader(base):
    """Build the loader class (a function, so that importing works without PyYAML)."""

    class StrictLoader(base):  # pylint: disable=too-many-ancestors
        """Safe loader without the timestamp resolver, refusing duplicate and non-string keys."""

        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return StrictLoader


StrictLoader = _strict_loader(_BaseLoader) if HAS_YAML else None


def load_yaml(text):
    """Parse YAML text into plain dicts, lists and scalars; raises YAMLError."""
    return yaml.load(text, Loader=StrictLoader)  # nosec B506 - StrictLoader is a SafeLoader


def yaml_events(text):
    """The parser's events (to see anchors and aliases, which the constructed data hides)."""
    return yaml.parse(text, Loader=StrictLoader)
