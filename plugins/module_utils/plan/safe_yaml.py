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


class NotPlainData(YAMLError):
    """A value that is not JSON's kind of data (an explicit tag such as !!binary, !!set, !!timestamp)."""

    def __init__(self, value):
        self.type_name = type(value).__name__
        super().__init__("a value of type %s is not plain data" % self.type_name)


class TooDeep(YAMLError):
    """Containers nested deeper than the caller allows."""


_TAG = "tag:yaml.org,2002:"
_MERGING = (_TAG + "merge", _TAG + "value")
_PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def _first_not_plain(value):
    """``value`` when it is plain data all the way down, else NotPlainData for its first part that is not."""
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, _PLAIN_TYPES):
            raise NotPlainData(item)
        stack.extend(item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
    return value


class _Builder:
    """Plain data straight from the composed nodes: a dict, a list or one of the scalars JSON has.

    One walk does what construction and a second check over the result did: keys must be strings and
    unique, only plain types, at most ``max_depth`` levels. Anything tagged otherwise is built by PyYAML's
    safe constructors, then refused.
    """

    def __init__(self, loader, max_depth):
        self.loader, self.max_depth = loader, max_depth
        self.scalars = {_TAG + "int": loader.construct_yaml_int, _TAG + "float": loader.construct_yaml_float,
                        _TAG + "bool": loader.construct_yaml_bool, _TAG + "null": loader.construct_yaml_null}

    def build(self, node, depth=1):
        tag = node.tag
        if tag == _TAG + "str":
            return node.value
        if tag == _TAG + "map":
            return self._mapping(node, depth)
        if tag == _TAG + "seq":
            if node.value and depth >= self.max_depth:
                raise TooDeep("more than %d levels" % self.max_depth)
            return [self.build(item, depth + 1) for item in node.value]
        construct = self.scalars.get(tag)
        if construct is not None:
            return construct(node)
        return _first_not_plain(self.loader.construct_object(node, deep=True))

    def _mapping(self, node, depth):
        if node.value and depth >= self.max_depth:
            raise TooDeep("more than %d levels" % self.max_depth)
        if any(key.tag in _MERGING for key, _value in node.value):  # "<<" merge keys (and "="): rare, slow
            self.loader.flatten_mapping(node)
        result = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, depth + 1)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping key %r is not a string (quote it)" % (key,), key_node.start_mark)
            if key in result:
                raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % (key,), key_node.start_mark)
            result[key] = self.build(value_node, depth + 1)
        return result


def load_yaml(text, max_depth=100):
    """Parse YAML text into plain dicts, lists and scalars; raises YAMLError (NotPlainData, TooDeep)."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Builder(loader, max_depth).build(node)
    finally:
        loader.dispose()


def yaml_events(text):
    """The parser's events (to see anchors and aliases, which the constructed data hides)."""
    return yaml.parse(text, Loader=StrictLoader)


def _tolerant_loader(base):
    """A safe loader for YAML found inside a request (a CloudFormation template, an SSM document).

    Application tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...) are read as the plain value they tag, and
    keys of any type become text: the guard reads such a document to judge its values, never to use it.
    """

    class EmbeddedLoader(base):  # pylint: disable=too-many-ancestors
        pass

    def plain(loader, _suffix, node):
        if isinstance(node, yaml.MappingNode):
            return {str(loader.construct_object(k, deep=True)): loader.construct_object(v, deep=True)
                    for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [loader.construct_object(item, deep=True) for item in node.value]
        return loader.construct_scalar(node)

    def mapping(loader, node):
        return plain(loader, "", node)

    EmbeddedLoader.add_multi_constructor("!", plain)
    EmbeddedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return EmbeddedLoader


EmbeddedLoader = _tolerant_loader(StrictLoader) if HAS_YAML else None


def load_embedded_yaml(text):
    """A YAML document held in a string of a request, as plain data; None when it is not one (or uses aliases)."""
    if not HAS_YAML:  # pragma: no cover - the modules fail earlier without PyYAML
        return None
    try:
        if ("&" in text or "*" in text) and any(
                type(event).__name__ == "AliasEvent" for event in yaml.parse(text, Loader=EmbeddedLoader)):
            return None  # no alias expansion: a few bytes must not become a huge document to walk
        return yaml.load(text, Loader=EmbeddedLoader)  # nosec B506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None
