"""Front matter loaders: one pure-Python YAML loader with masthead's rules and limits, and
TOML under the same nesting limit. Lines in Refused are 0-based within the front matter."""

from __future__ import annotations

import random
import time

import pytest
import yaml

from masthead import matter
from masthead.matter import MAX_DEPTH, Refused, load_toml, load_yaml


def refused(raw: str, load=load_yaml) -> tuple[str, int]:
    with pytest.raises(Refused) as caught:
        load(raw)
    assert "\n" not in caught.value.message
    return caught.value.message, caught.value.line


def bomb(levels: int) -> str:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        name, previous = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# -- one outcome, the same everywhere -------------------------------------------------------


def test_the_loader_is_pure_python_whatever_pyyaml_was_built_with():
    assert issubclass(matter.Loader, yaml.SafeLoader)
    assert not any("CParser" in cls.__name__ for cls in matter.Loader.__mro__)
    if yaml.__with_libyaml__:
        assert not issubclass(matter.Loader, yaml.CSafeLoader)


def test_the_fast_way_is_taken_when_pyyaml_has_libyaml():
    assert (matter._FastLoader is not None) == yaml.__with_libyaml__


def test_a_tab_before_a_list_item_fails_the_same_way_everywhere():
    # libyaml accepted this; the pure-Python loader does not: it always fails.
    message, line = refused("title: T\ntags:\n\t- a\n")
    assert line == 2
    assert message.endswith("(indent with spaces, not tabs)")


def outcome(raw: str) -> tuple:
    try:
        return load_yaml(raw)
    except Refused as exc:
        return ("refused", exc.message, exc.line)


def pure_outcome(raw: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(matter, "_FastLoader", None)
        return outcome(raw)


# Texts libyaml reads otherwise than the pure-Python parser, one of each kind found by
# comparing the two on generated front matter; each must come out as the pure parser says.
LIBYAML_DIFFERS = [
    "k0:\t2020-01-01",  # a tab after the colon
    "a b: x\ty\n",  # a tab inside a word run
    "tags:  [b, ' c ', bbd c?]\n",  # ? inside brackets
    "summary: {a b: 12:30, x: f?}\n",
    "title: [x]\nother: y?\n",  # ? and a bracket anywhere in one text
    "title:  !\n",  # an empty tagged value: null for the pure parser, text for libyaml
    "date: >#x\ntags: [x]\n",  # a comment right after a block scalar's header
    "\ufeffa: b",
    "\ufeff\ufeff",  # found by tests/test_property.py: libyaml skips both marks
    "a: b\ufeff",
    "%YAML 1.3\n---\na: b",
    'a: "\\ud800"',
]


@pytest.mark.parametrize("raw", LIBYAML_DIFFERS)
def test_where_libyaml_differs_the_pure_parser_decides(raw, monkeypatch):
    assert outcome(raw) == pure_outcome(raw, monkeypatch)


def generated_front_matter(rng, count: int):
    """Front matter from YAML's pieces: keys, plain, quoted and block scalars, numbers,
    flow and block collections, anchors, tags, comments, markers and odd characters."""
    odd = [
        *"abcxyz ABC019_-.,:;#'\"!&*?|>%@`[]{}~\\/=+()<$^",
        "é", "漢", "😀", "\u00a0", "\u200b", ": ", " #", "- ", "? ", "\\n", "\\t",
        '\\"', "\\u00e9", "\\x41", "\\U0001F600", "\\ud800", "\\0", "\\N", "\\_",
        "\\L", "\\/",
    ]  # fmt: skip
    numbers = ["1", "-2", "0x1f", "0o7", "1_000", "1.5e3", ".inf", ".nan", "true", "yes",
               "off", "~", "null", "2020-01-01", "12:30", "1:20:30", "+1", "0b101", "1e", ".5"]  # fmt: skip

    def text(share: float) -> str:
        size = rng.randint(0, 12)
        return "".join(rng.choice(odd) if rng.random() < share else rng.choice("abcdefgh  ")
                       for _ in range(size))  # fmt: skip

    def key() -> str:
        if rng.random() < 0.1:
            return rng.choice(["<<", "1", "true", "null", "? k", "- k", '"q: k"', "'x'"])
        return rng.choice(["title", "date", "tags", "a b", "summary", "é", f"k{rng.randint(0, 9)}"])

    def scalar(indent: int, share: float) -> str:
        kind = rng.random()
        if kind < 0.35:
            return text(share).replace("\\n", "").strip() or "x"
        if kind < 0.55:
            return '"' + text(share).replace('"', '\\"') + '"'
        if kind < 0.7:
            return "'" + text(share).replace("'", "''") + "'"
        if kind < 0.8:
            lines = [" " * (indent + 2) + text(share) for _ in range(rng.randint(1, 3))]
            style = rng.choice(["|", ">", "|-", ">-", "|+", ">+", "|2", ">1"])
            return style + "\n" + "\n".join(lines) + rng.choice(["", "\n", "\n\n"])
        if kind < 0.9:
            return rng.choice(numbers)
        return '"' + text(share) + "\n" + " " * (indent + 1) + text(share) + '"'

    def value(indent: int, depth: int, share: float) -> str:
        kind = rng.random()
        tag = rng.choice([""] * 20 + ["&a ", "&b ", "!!str ", "!!int ", "!x ", "!!map "])
        if depth < 3 and kind < 0.15:
            items = [f"\n{' ' * (indent + 2)}- {value(indent + 4, depth + 1, share)}"
                     for _ in range(rng.randint(1, 3))]  # fmt: skip
            return tag.strip() + "".join(items)
        if depth < 3 and kind < 0.25:
            items = [f"\n{' ' * (indent + 2)}{key()}: {value(indent + 2, depth + 1, share)}"
                     for _ in range(rng.randint(1, 3))]  # fmt: skip
            return tag.strip() + "".join(items)
        if kind < 0.35:
            items = [scalar(indent, share) if rng.random() < 0.8 else "{a: b}"
                     for _ in range(rng.randint(0, 3))]  # fmt: skip
            return tag + "[" + ", ".join(items) + "]"
        if kind < 0.4:
            pairs = [f"{key()}: {scalar(indent, share)}" for _ in range(rng.randint(0, 3))]
            return tag + "{" + ", ".join(pairs) + "}"
        if kind < 0.43:
            return rng.choice(["*a", "*b", "*c"])
        return tag + scalar(indent, share)

    for _ in range(count):
        share = rng.choice([0.02, 0.1, 0.2, 0.4])
        lines = []
        if rng.random() < 0.05:
            lines.append(rng.choice(["%YAML 1.1", "%YAML 1.2", "%TAG !x! tag:e.com,2000:", "---"]))
        for _ in range(rng.randint(1, 6)):
            line = f"{key()}:{rng.choice([' ', '  '])}{value(0, 0, share)}"
            if rng.random() < 0.1:
                line += rng.choice([" # comment", "  #c", "#x", " "])
            lines.append(line)
            if rng.random() < 0.1:
                lines.append(rng.choice(["# c", "", "   ", "...", "---"]))
        raw = "\n".join(lines) + rng.choice(["", "\n"])
        yield raw.replace("\n", "\r\n") if rng.random() < 0.05 else raw


def test_the_fast_way_and_the_pure_way_agree_on_generated_front_matter(monkeypatch):
    rng = random.Random(20261205)
    read = 0
    for raw in generated_front_matter(rng, 3000):
        got = outcome(raw)
        assert repr(got) == repr(pure_outcome(raw, monkeypatch)), raw  # repr: nan is not nan
        read += got[0] != "refused"
    assert read > 300  # the corpus is not only errors


def test_dates_stay_text_and_an_explicit_timestamp_too():
    data, _ = load_yaml("date: 2017-09-23\nupdated: !!timestamp 2017-13-45 10:00\n")
    assert data == {"date": "2017-09-23", "updated": "2017-13-45 10:00"}


def test_key_lines_are_the_lines_of_the_top_level_keys():
    _data, lines = load_yaml('\ntitle: T\n"draft": no\ntags:\n  - a\nnested: {title: x}\n')
    assert lines == {"title": 1, "draft": 2, "tags": 3, "nested": 5}


def test_line_numbers_count_only_newlines():
    # YAML also breaks lines at U+2028 and NEL; editors (and our messages) do not.
    raw = 'summary: "one\u2028two"\nx: \x85\ntitle: [\n'
    with pytest.raises(Refused):
        load_yaml(raw)
    _, lines = load_yaml('summary: "one\u2028two"\ntitle: T\n')
    assert lines["title"] == 1


# -- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message", "line"),
    [
        ("title: a\ntitle: b\n", "front matter is not valid YAML: 'title' is written twice; keep one", 1),
        ("x: {1: a, 1: b}\n", "front matter is not valid YAML: '1' is written twice; keep one", 0),
        ("? [a, b]\n: c\n", "front matter key is a list or mapping; a key must be a plain name", 0),
        ("x:\n  {a: 1}: b\n", "front matter key is a list or mapping; a key must be a plain name", 1),
        ("title: T\n5: five\n", 'front matter field name 5 is not text; put it in quotes ("5": ...)', 1),
        ("~: x\n", 'front matter field name ~ is not text; put it in quotes ("~": ...)', 0),
        ("<<: {5: T}\n", "front matter merges (<<) a mapping whose keys are not all text; field names are text", 0),
    ],
)  # fmt: skip
def test_keys_are_plain_names_written_once(raw, message, line):
    assert refused(raw) == (message, line)


def test_nested_keys_may_be_numbers_and_merges_still_work():
    data, _ = load_yaml("base: &b {a: 1}\nx:\n  <<: *b\n  2: two\n")
    assert data["x"] == {"a": 1, 2: "two"}


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x: !!binary aGVsbG8=\n", "front matter uses !!binary, which masthead does not read; put the text in quotes instead"),
        ("x: !!set {a, b}\n", "front matter uses !!set, which masthead does not read; write a list instead: [a, b]"),
        ("x: !!omap [a: 1]\n", "front matter uses !!omap, which masthead does not read; write a mapping instead: {a: 1, b: 2}"),
        ("x: !!pairs [a: 1]\n", "front matter uses !!pairs, which masthead does not read; write a mapping instead: {a: 1, b: 2}"),
        ("x: !!int twelve\n", 'front matter is not valid YAML: "twelve" is not a whole number (!!int); put it in quotes to keep it as text'),
        ("x: !!int ''\n", 'front matter is not valid YAML: "" is not a whole number (!!int); put it in quotes to keep it as text'),
        ("x: 0x_\n", 'front matter is not valid YAML: "0x_" is not a whole number (!!int); put it in quotes to keep it as text'),
        ("x: 0b_\n", 'front matter is not valid YAML: "0b_" is not a whole number (!!int); put it in quotes to keep it as text'),
        ("x: !!float abc\n", 'front matter is not valid YAML: "abc" is not a number (!!float); put it in quotes to keep it as text'),
        ("x: !!bool maybe\n", 'front matter is not valid YAML: "maybe" is not true or false (!!bool); put it in quotes to keep it as text'),
        ("x: !!map scalar\n", "front matter is not valid YAML: expected a mapping, but found a scalar (the tag !!map says mapping)"),
        ('x: "\\U00110000"\n', "front matter is not valid YAML: found an escape for a character beyond U+10FFFF"),
        ('x: "\\ud800"\n', "front matter text holds the escape \\ud800, half of a UTF-16 pair and not a character; write the character itself"),
        ("x: !foo 1\n", "front matter is not valid YAML: could not determine a constructor for the tag '!foo'"),
        ("x: !!python/object:os.system x\n", "front matter is not valid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system'"),
    ],
)  # fmt: skip
def test_values_outside_the_data_model_are_refused_on_their_line(raw, message):
    assert refused("title: T\n" + raw) == (message, 1)


@pytest.mark.parametrize(
    "raw",
    ["x: " + "9" * 150, "x: 1" + ":59" * 3000, "x: " + "1" * 99 + ".5", "x: !!int " + "7" * 101],
    ids=["decimal", "sexagesimal", "float", "tagged"],
)
def test_numbers_longer_than_100_characters_are_refused_quickly(raw):
    start = time.perf_counter()
    message, _line = refused(raw + "\n")
    assert time.perf_counter() - start < 1
    assert message.endswith("is longer than 100 characters; put it in quotes to keep it as text")


def test_nan_and_infinity_are_numbers():
    data, _ = load_yaml("a: .nan\nb: -.inf\n")
    assert data["a"] != data["a"] and data["b"] == float("-inf")


def test_a_huge_yaml_version_is_refused():
    message, _ = refused("%YAML " + "1" * 5000 + ".1\n---\nx: 1\n")
    assert message == "front matter is not valid YAML: found a version number with too many digits"


def test_a_duplicate_anchor_names_both_lines():
    message, line = refused("x: &a 1\ny: &a 2\n")
    assert (message, line) == (
        "front matter is not valid YAML: found duplicate anchor 'a' (first on line 1); give each anchor its own name",
        1,
    )


def test_an_unquoted_colon_gets_a_hint():
    message, line = refused("title: Breaking: talks collapse\n")
    assert line == 0
    assert message.endswith("(put text that holds ': ' in quotes)")


def test_an_unclosed_bracket_points_at_the_line_that_opened_it():
    assert refused("title: T\ntags: [a, b\ndate: 2017-09-01\n")[1] == 1


# -- control characters ---------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x9f", "\ufffe"])
def test_a_raw_control_character_is_one_line_on_its_own_line(char):
    message, line = refused(f"title: T\ndate: 2017\nlocation: MOS{char}COW\n")
    assert line == 2
    assert message.startswith(f"front matter holds the character U+{ord(char):04X}, which YAML")


def test_a_control_character_after_an_odd_line_break_still_gets_its_line():
    assert refused('a: "x\u2028y"\nb: \x01\n')[1] == 1


# -- nesting and aliases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "x: " + "[" * 5000 + "]" * 5000,
        "x: " + "{a: " * 3000 + "1" + "}" * 3000,
        "x:\n" + "".join(" " * i + "- \n" for i in range(1, 1000)),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
def test_deep_nesting_is_refused_at_the_limit_not_a_recursion_error(raw):
    message, _line = refused("title: T\n" + raw + "\n")
    assert (
        message
        == f"front matter nests lists and mappings more than {MAX_DEPTH} levels deep; flatten it"
    )


def test_nesting_up_to_the_limit_is_read():
    data, _ = load_yaml("x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert isinstance(data["x"], list)


def test_nesting_made_by_aliases_counts_too():
    lines = ["a: &a " + "[" * 40 + "]" * 40, "b: &b " + "[" * 30 + "*a" + "]" * 30]
    message, _line = refused("\n".join(lines) + "\n")
    assert "more than 50 levels deep" in message


def test_an_alias_bomb_is_refused_in_milliseconds_on_the_line_past_the_limit():
    start = time.perf_counter()
    message, line = refused(bomb(9))
    assert time.perf_counter() - start < 0.5
    assert message.startswith(
        "front matter aliases (*name) expand this value to more than 1,000,000"
    )
    assert line == 5  # f: 9**6 * ~4 characters is the first level past a million


def test_a_few_aliases_are_fine():
    data, _ = load_yaml("authors: &who [Amina Rao, Omar Sheikh]\nreviewers: *who\n")
    assert data["reviewers"] == ["Amina Rao", "Omar Sheikh"]
    data, _ = load_yaml(bomb(3))
    assert len(data["c"]) == 9


@pytest.mark.parametrize("raw", ["x: &a [*a]\n", "x: &a {b: *a}\n", "x: &a [1, [2, *a]]\n"])
def test_a_value_that_contains_itself_is_refused(raw):
    assert refused(raw) == (
        "front matter value holds *a to itself; a value cannot contain itself: remove the alias",
        0,
    )


def test_the_expansion_check_is_linear():
    # Many aliases to one large value: counted once per use, walked once. Timed against the
    # same document with one use, so that a loaded machine slows both alike.
    big = "big: &big [" + ", ".join(["word"] * 20_000) + "]\n"

    def seconds(uses: int) -> float:
        raw = big + "uses: [" + ", ".join(["*big"] * uses) + "]\n"
        start = time.perf_counter()
        data, _ = load_yaml(raw)
        assert len(data["uses"]) == uses
        return time.perf_counter() - start

    one = min(seconds(1) for _ in range(2))
    eight = min(seconds(8) for _ in range(2))
    assert eight < 3 * one + 0.5, (eight, one)


# -- TOML -----------------------------------------------------------------------------------


def test_toml_is_read_with_key_lines():
    data, lines = load_toml('\ntitle = "T"\n"draft" = true\ntags = ["a"]\n[extra]\ntitle = "x"\n')
    assert data["draft"] is True
    assert lines == {"title": 1, "draft": 2, "tags": 3}


@pytest.mark.parametrize(
    "raw",
    [
        "x = " + "[" * 3000 + "]" * 3000,
        "x = " + "{a=" * 2000 + "1" + "}" * 2000,
        "a." * 200 + "b = 1",
    ],
    ids=["arrays", "inline-tables", "dotted-keys"],
)
def test_deep_toml_is_refused_not_a_recursion_error(raw):
    message, line = refused('\ntitle = "T"\n' + raw + "\n", load_toml)
    assert (
        message
        == f"front matter nests lists and mappings more than {MAX_DEPTH} levels deep; flatten it"
    )
    assert line == 2


def test_a_toml_number_past_pythons_digit_limit_is_refused():
    assert refused('title = "T"\nx = ' + "9" * 5000 + "\n", load_toml) == (
        "front matter number has more than 4,300 digits; put it in quotes to keep it as text",
        1,
    )


def test_toml_syntax_errors_keep_their_line():
    message, line = refused('\ntitle = "T"\ncategory = World\n', load_toml)
    assert line == 2
    assert message.startswith("front matter is not valid TOML: Invalid value")


@pytest.mark.parametrize("load", [load_yaml, load_toml], ids=["yaml", "toml"])
def test_front_matter_over_a_million_characters_is_refused_at_once(load):
    raw = "title: T\n" if load is load_yaml else 'title = "T"\n'
    start = time.perf_counter()
    assert refused(raw + "#" * matter.MAX_CHARS, load) == (
        "front matter is 1,000,009 characters long; masthead reads at most 1,000,000: move long text into the body"
        if load is load_yaml
        else "front matter is 1,000,012 characters long; masthead reads at most 1,000,000: move long text into the body",
        0,
    )
    assert time.perf_counter() - start < 0.5
