"""Front matter text -> data, the same way on every machine and within limits.

YAML is read by PyYAML, and what PyYAML's pure-Python parser makes of a text is the rule,
so that whether a file parses never depends on how PyYAML was built. Most front matter is
first read the fast way: libyaml's parser (when PyYAML has it) turns the text into events,
which the same pure-Python composer, resolver and constructors as the pure loader make into
data. The two parsers are the same design in two languages, but not alike in every corner:
any error on the fast way (a text that is not valid YAML, a limit below, a character
libyaml reads differently) sends the text through the pure-Python parser, whose verdict
and message stand; texts where libyaml is known to differ (``_pure_only``) and texts with
line breaks other than ``\n`` and ``\r\n`` go the pure way from the start.
``tests/test_matter.py`` checks that both ways give the same data and lines on a corpus of
front matter. On top of YAML's own rules:

- dates stay text (``!!timestamp`` too): masthead parses them itself, in the site's time zone;
- a key written twice is an error, so is a key that is a list or a mapping, and field names
  (the top-level keys) must be text;
- values are text, numbers, true/false, null, lists and mappings: ``!!binary``, ``!!set``,
  ``!!omap`` and ``!!pairs`` are refused, with what to write instead;
- limits keep hostile input cheap: front matter has at most ``MAX_CHARS`` characters;
  lists and mappings nest at most ``MAX_DEPTH`` levels; aliases may not
  make a value refer to itself nor expand the front matter by more than ``MAX_EXPANSION``
  characters (checked on the composed node graph, in one linear pass, before anything is
  built from it); numbers have at most ``MAX_NUMBER_CHARS`` characters; escapes must name
  real characters.

TOML is read with the standard library's ``tomllib``, under the same nesting limit.

``load_yaml`` and ``load_toml`` return the data and the line of each top-level key, or raise
``Refused`` with a one-line message and the line it is about (0-based, within the front matter
text), counting lines as editors do: only ``\\n`` ends one.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .text import SURROGATES, toml_error_line

MAX_DEPTH = 50
MAX_EXPANSION = 1_000_000
MAX_NUMBER_CHARS = 100
MAX_CHARS = 1_000_000  # the pure-Python loader reads about 0.5 MB a second

_MERGE_TAG = "tag:yaml.org,2002:merge"
_YAML_TAG = "tag:yaml.org,2002:"
# YAML also ends a line at NEL, LS, PS and a lone CR; editors (and masthead's messages) do not.
_ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_TOML_KEY = re.compile(
    r"""^[ \t]*("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*[=.]""", re.MULTILINE
)
_TOML_TOKEN = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]',
    re.DOTALL,
)
_LONG_DECIMAL = re.compile(r"\d[\d_]{4299,}")


class Refused(Exception):
    """Front matter that cannot be read: a one-line message and its 0-based line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


class LimitError(yaml.MarkedYAMLError):
    """Valid YAML that masthead does not accept; ``problem`` is the whole message."""

    def __init__(self, problem: str, mark: yaml.Mark | None):
        super().__init__(problem=problem, problem_mark=mark)


# -- YAML ----------------------------------------------------------------------------------


def load_yaml(raw: str) -> tuple[Any, dict[str, int]]:
    """The data of YAML front matter and the 0-based line of each top-level key."""
    _check_length(raw)
    lines = _Lines(raw)
    if _FastLoader is not None and lines.breaks is None and not _pure_only(raw):
        with contextlib.suppress(Exception):  # the pure-Python parser decides, and words why
            return _read_fast(raw, lines)
    try:
        loader = Loader(raw)
    except yaml.reader.ReaderError as exc:  # the whole text is checked before parsing
        raise Refused(_unprintable(exc.character), lines.at(exc.position)) from None
    try:
        return _loaded(loader, lines)
    except yaml.YAMLError as exc:
        raise Refused(*_explain(exc, lines)) from None
    finally:
        loader.dispose()


def _read_fast(raw: str, lines: _Lines) -> tuple[Any, dict[str, int]]:
    loader = _FastLoader(raw)
    try:
        return _loaded(loader, lines)
    finally:
        loader.dispose()


def _loaded(loader: Loader, lines: _Lines) -> tuple[Any, dict[str, int]]:
    data = loader.get_single_data()
    return data, {key: lines.of(mark) for key, mark in loader.key_marks.items()}


def _check_length(raw: str) -> None:
    if len(raw) > MAX_CHARS:
        message = (
            f"front matter is {len(raw):,} characters long; masthead reads at most "
            f"{MAX_CHARS:,}: move long text into the body"
        )
        raise Refused(message, 0)


def _unprintable(character: str | int) -> str:
    """The message for a character YAML does not allow in a stream (PyYAML's own takes two
    lines and gives a character offset)."""
    code = character if isinstance(character, int) else ord(character)
    shown = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return (
        f"front matter holds the character U+{code:04X}, which YAML does not allow; "
        f'delete it (inside double quotes, write it as "{shown}")'
    )


class _Lines:
    """Line numbers in one text, counting only ``\\n`` as a line break."""

    def __init__(self, raw: str):
        self.raw = raw
        odd = _ODD_BREAKS.search(raw) is not None
        self.breaks = [m.start() for m in re.finditer("\n", raw)] if odd else None

    def of(self, mark: yaml.Mark | None) -> int:
        """The 0-based line of a YAML mark (0 without one)."""
        if mark is None:
            return 0
        return mark.line if self.breaks is None else self.at(mark.index)

    def at(self, index: int) -> int:
        """The 0-based line of a character index."""
        if self.breaks is None:
            return self.raw.count("\n", 0, index)
        return bisect.bisect_left(self.breaks, index)


def _explain(exc: yaml.YAMLError, lines: _Lines) -> tuple[str, int]:
    """A YAML error as one line of text and the line it points at."""
    if isinstance(exc, LimitError):
        return exc.problem or "", lines.of(exc.problem_mark)
    context = getattr(exc, "context", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    if context.startswith("found duplicate anchor") and context_mark:
        first = lines.of(context_mark) + 1
        reason = f"{context.split(';')[0]} (first on line {first}); give each anchor its own name"
    if "'\\t'" in reason:
        reason += " (indent with spaces, not tabs)"
    elif reason == "mapping values are not allowed here":
        reason += " (put text that holds ': ' in quotes)"
    # An unclosed bracket or quote is noticed lines later; point at where it opened.
    opened = context_mark if context.startswith("while parsing a flow") else None
    line = lines.of(opened or problem_mark)
    return "front matter is not valid YAML: " + " ".join(reason.split()), line


class Loader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with masthead's rules (see the module docstring)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._start(stream)

    def _start(self, stream: str) -> None:
        self.depth = 0  # collections being composed, one inside the other
        self.has_aliases = False
        self.budget = len(stream) + MAX_EXPANSION
        self.anchor_names: dict[int, str] = {}
        self.key_marks: dict[str, yaml.Mark] = {}
        self.root: Node | None = None

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        if self.has_aliases:
            _check_expansion(node, self.budget, self.anchor_names)
        self.root = node
        if isinstance(node, MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                    self.key_marks.setdefault(key_node.value, key_node.start_mark)
        return self.construct_document(node)

    def compose_document(self) -> Node:
        self.get_event()  # document start
        node = self.compose_node(None, None)
        self.get_event()  # document end
        # Without anchors there are no aliases, and nothing to expand.
        self.has_aliases = bool(self.anchors)
        self.anchor_names = {id(n): name for name, n in self.anchors.items()}
        self.anchors = {}
        return node

    # Depth is counted on collections only: scalars are most nodes, and the cheapest to skip.
    def compose_sequence_node(self, anchor: str | None) -> Node:
        return self._nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: str | None) -> Node:
        return self._nested(super().compose_mapping_node, anchor)

    def _nested(self, compose: Any, anchor: str | None) -> Node:
        if self.depth >= MAX_DEPTH:
            raise LimitError(_too_deep(), self.peek_event().start_mark)
        self.depth += 1
        try:
            return compose(anchor)
        finally:
            self.depth -= 1

    def scan_yaml_directive_number(self, start_mark: yaml.Mark) -> int:
        length = 0
        while length < 10 and "0" <= self.peek(length) <= "9":
            length += 1
        if length == 10:
            raise yaml.scanner.ScannerError(
                "while scanning a directive",
                start_mark,
                "found a version number with too many digits",
                self.get_mark(),
            )
        return super().scan_yaml_directive_number(start_mark)

    def scan_flow_scalar_non_spaces(self, double: bool, start_mark: yaml.Mark) -> list[str]:
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except ValueError:  # chr() of an escape beyond U+10FFFF
            raise yaml.scanner.ScannerError(
                "while scanning a double-quoted scalar",
                start_mark,
                "found an escape for a character beyond U+10FFFF",
                self.get_mark(),
            ) from None


def _too_deep() -> str:
    return f"front matter nests lists and mappings more than {MAX_DEPTH} levels deep; flatten it"


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: Node, budget: int, names: dict[int, str]) -> None:
    """Refuse a node graph that aliases expand past ``budget`` characters or ``MAX_DEPTH``
    levels, or that holds a value inside itself. One pass, each node and edge once."""
    done: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            sizes = [done[id(child)] for child in _children(node)]
            if isinstance(node, ScalarNode):
                weight, depth = 1 + len(node.value), 0
            else:
                weight = 1 + sum(w for w, _ in sizes)
                depth = 1 + max((d for _, d in sizes), default=0)
            if depth > MAX_DEPTH:
                raise LimitError(_too_deep(), node.start_mark)
            if weight > budget:
                message = (
                    f"front matter aliases (*name) expand this value to more than "
                    f"{MAX_EXPANSION:,} characters; write it out instead of repeating aliases"
                )
                raise LimitError(message, node.start_mark)
            done[key] = (weight, depth)
        elif key in open_nodes:
            name = names.get(key)
            alias = f"*{name}" if name else "an alias"
            message = f"front matter value holds {alias} to itself; a value cannot contain itself: remove the alias"
            raise LimitError(message, node.start_mark)
        elif key not in done:
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in done)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _construct_text(loader: Loader, node: Node) -> str:
    text = loader.construct_scalar(node)
    found = SURROGATES.search(text)
    if found:
        message = (
            f"front matter text holds the escape \\u{ord(found.group()):04x}, half of a UTF-16 "
            "pair and not a character; write the character itself"
        )
        raise LimitError(message, node.start_mark)
    return text


def _number(construct: Any, kind: str) -> Any:
    """A scalar constructor that refuses over-long numbers and turns Python's errors about
    malformed ones into YAML errors at the value."""

    def constructor(loader: Loader, node: Node) -> Any:
        text = loader.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS:
            message = (
                f"front matter number {_clip(text)} is longer than {MAX_NUMBER_CHARS} "
                "characters; put it in quotes to keep it as text"
            )
            raise LimitError(message, node.start_mark)
        try:
            return construct(loader, node)
        except (ValueError, IndexError, KeyError):
            problem = (
                f'"{_clip(text)}" is not {kind} ({_short_tag(node.tag)}); put it in quotes '
                "to keep it as text"
            )
            raise ConstructorError(None, None, problem, node.start_mark) from None

    return constructor


def _refused_tag(hint: str) -> Any:
    def constructor(loader: Loader, node: Node) -> Any:
        message = f"front matter uses {_short_tag(node.tag)}, which masthead does not read; {hint}"
        raise LimitError(message, node.start_mark)

    return constructor


def _construct_mapping(loader: Loader, node: MappingNode) -> dict:
    """A mapping whose keys are plain values written once (YAML would keep the last of two);
    the top-level keys are field names, so text."""
    if not isinstance(node, MappingNode):
        problem = f"expected a mapping, but found a {node.id} (the tag {_short_tag(node.tag)} says mapping)"
        raise ConstructorError(None, None, problem, node.start_mark)
    top = node is loader.root
    seen: set[tuple[type, Any]] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        if not isinstance(key_node, ScalarNode):
            message = "front matter key is a list or mapping; a key must be a plain name"
            raise LimitError(message, key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if top and not isinstance(key, str):
            message = (
                f"front matter field name {_clip(key_node.value)} is not text; put it in "
                f'quotes ("{_clip(key_node.value)}": ...)'
            )
            raise LimitError(message, key_node.start_mark)
        if (type(key), key) in seen:
            raise ConstructorError(
                None, None, f"'{_clip(str(key))}' is written twice; keep one", key_node.start_mark
            )
        seen.add((type(key), key))
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    if top and not all(isinstance(key, str) for key in mapping):
        message = (
            "front matter merges (<<) a mapping whose keys are not all text; field names are text"
        )
        raise LimitError(message, node.start_mark)
    return mapping


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _YAML_TAG + "timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_constructor(_YAML_TAG + "str", _construct_text)
Loader.add_constructor(_YAML_TAG + "timestamp", _construct_text)
Loader.add_constructor(_YAML_TAG + "map", _construct_mapping)
_SAFE = yaml.constructor.SafeConstructor
Loader.add_constructor(_YAML_TAG + "int", _number(_SAFE.construct_yaml_int, "a whole number"))
Loader.add_constructor(_YAML_TAG + "float", _number(_SAFE.construct_yaml_float, "a number"))
Loader.add_constructor(_YAML_TAG + "bool", _number(_SAFE.construct_yaml_bool, "true or false"))
Loader.add_constructor(_YAML_TAG + "binary", _refused_tag("put the text in quotes instead"))
Loader.add_constructor(_YAML_TAG + "set", _refused_tag("write a list instead: [a, b]"))
for _tag in ("omap", "pairs"):
    Loader.add_constructor(_YAML_TAG + _tag, _refused_tag("write a mapping instead: {a: 1, b: 2}"))


_PURE_ONLY = re.compile(rf"[\t!\ufeff]|[|>][-+0-9]*#|{yaml.reader.Reader.NON_PRINTABLE.pattern}")


def _pure_only(raw: str) -> bool:
    """Whether a text goes the pure way at once, because libyaml reads it otherwise or may:
    characters YAML refuses (the pure-Python reader names them, see ``_unprintable``); tabs,
    which libyaml allows after ``key:`` and between words where the pure-Python scanner
    does not; tags (``!``: libyaml makes ``key: !`` empty text, the pure parser null);
    byte order marks (which the two skip differently); a block scalar's header followed by
    a comment with no space; and ``?`` in a text that holds ``[`` or ``{``, since inside
    brackets the pure-Python scanner ends a plain word at ``?`` and libyaml does not."""
    if "?" in raw and ("[" in raw or "{" in raw):
        return True
    return _PURE_ONLY.search(raw) is not None


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: every text goes the pure way
    _FastLoader = None
else:

    class _FastLoader(Loader, CParser):  # type: ignore[no-redef]
        """``Loader`` with libyaml's parser as the source of events (see the module
        docstring); everything from composing on is ``Loader``'s own."""

        check_event = CParser.check_event
        peek_event = CParser.peek_event
        get_event = CParser.get_event
        dispose = CParser.dispose

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start(stream)


# -- TOML ----------------------------------------------------------------------------------


def load_toml(raw: str) -> tuple[Any, dict[str, int]]:
    """The data of TOML front matter and the 0-based line of each top-level key."""
    _check_length(raw)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        number = toml_error_line(exc)
        line = number - 1 if number else 0
        # The line is the file's (ours); tomllib counts within the front matter.
        reason = re.sub(r"\(at line \d+, (column \d+)\)$", r"(\1)", str(exc))
        raise Refused(f"front matter is not valid TOML: {reason}", line) from None
    except RecursionError:
        raise Refused(_too_deep(), _deep_toml_line(raw)) from None
    except ValueError:  # an integer past Python's limit on digits
        match = _LONG_DECIMAL.search(raw)
        line = raw.count("\n", 0, match.start()) if match else 0
        message = (
            "front matter number has more than 4,300 digits; put it in quotes to keep it as text"
        )
        raise Refused(message, line) from None
    key_lines: dict[str, int] = {}
    for match in _TOML_KEY.finditer(raw):
        key = match.group(1)
        key = key[1:-1] if key[0] in "\"'" else key
        key_lines.setdefault(key, raw.count("\n", 0, match.start()))
    for key, value in data.items():
        if _toml_depth(value) >= MAX_DEPTH:
            raise Refused(_too_deep(), key_lines.get(key, 0))
    return data, key_lines


def _toml_depth(value: Any) -> int:
    """How deeply lists and tables nest in a value (0 for a plain value), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth < MAX_DEPTH:
                stack.extend((child, depth + 1) for child in _items(item))
    return deepest


def _items(item: dict | list) -> list:
    return list(item.values()) if isinstance(item, dict) else item


def _deep_toml_line(raw: str) -> int:
    """The line where brackets and braces (outside strings and comments) nest deepest."""
    depth = deepest = line = deepest_line = 0
    for match in _TOML_TOKEN.finditer(raw):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif token in "]}":
            depth -= 1
        elif token == "\n":
            line += 1
        elif token.startswith(('"""', "'''")):
            line += token.count("\n")
    return deepest_line


def dump_yaml(fields: dict[str, Any]) -> str:
    """Front matter text (without the ``---`` lines) that ``load_yaml`` reads back as
    exactly ``fields``; Refused when that is impossible (a value YAML cannot carry)."""
    text = yaml.dump(
        fields,
        Dumper=yaml.SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    if load_yaml(text)[0] != fields:
        raise Refused("these fields cannot be written as front matter", 0)
    return text
