"""The layout's rules, checked on the source (``ast``), so that they cannot drift silently:

- stages (the modules directly in masthead/, but pipeline.py, clean.py and cli.py, which
  wrap them) never import the incremental layer or the preview server;
- nothing but the preview package itself and cli.py imports the preview server;
- every taxonomy of the one table is an Article attribute and a known front-matter field;
- the rules text.py, status.py, sources.py and stamps.py own (control characters, lone
  surrogates, TOML's error line, exit codes, editor temporaries, the racy window) are not
  written out a second time elsewhere.

The last checks look for tell-tale literals (a regex's character range, an exit status,
an editor's suffix), so they catch copies, not every possible rewording of a rule.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from functools import cache
from pathlib import Path

import pytest
from sitegen import REPO

from masthead import fields, model, taxonomy

PACKAGE = REPO / "masthead"
WRAPPERS = frozenset({"masthead.pipeline", "masthead.clean", "masthead.cli"})
"""Modules directly in masthead/ that may use the incremental layer: they wrap the stages."""


@cache
def modules() -> dict[str, ast.Module]:
    """Every module of the package by dotted name, parsed."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def is_package(name: str) -> bool:
    """A folder (masthead/preview/ has no ``__init__.py``: a namespace package)."""
    return (REPO / Path(*name.split("."))).is_dir()


def imports(name: str) -> set[str]:
    """Every module (and ``from`` name, which may be a module) that ``name`` imports,
    anywhere in it, relative imports resolved."""
    package = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(modules()[name]):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def importers_of(layer: str, among: list[str]) -> dict[str, list[str]]:
    """Which of the modules ``among`` import ``layer`` (or anything in it), and what."""
    found = {}
    for name in among:
        hits = sorted(i for i in imports(name) if i == layer or i.startswith(layer + "."))
        if hits:
            found[name] = hits
    return found


def stages() -> list[str]:
    """The modules directly in masthead/ (its ``__init__`` too), but the wrappers."""
    top = [name for name in modules() if name.count(".") <= 1 and not is_package(name)]
    return sorted({*top, "masthead"} - WRAPPERS)


def test_the_stages_are_the_flat_modules_and_the_layers_are_packages() -> None:
    assert "masthead.index" in stages() and "masthead.write" in stages()
    assert is_package("masthead.incremental") and is_package("masthead.preview")
    assert "masthead.preview.watch" in modules() and "masthead.incremental.memo" in modules()
    assert not set(stages()) & WRAPPERS
    assert importers_of("masthead.incremental", ["masthead.pipeline"]), "the check sees imports"


@pytest.mark.parametrize("layer", ["masthead.incremental", "masthead.preview"])
def test_no_stage_imports_the_incremental_layer_or_the_preview(layer: str) -> None:
    assert importers_of(layer, stages()) == {}


def test_only_the_preview_itself_and_the_cli_import_the_preview() -> None:
    others = [n for n in modules() if n != "masthead.cli" and not n.startswith("masthead.preview")]
    assert importers_of("masthead.preview", others) == {}


def test_every_taxonomy_is_an_article_attribute_and_a_known_field() -> None:
    attributes = {f.name for f in dataclasses.fields(model.Article)}
    for row in taxonomy.TAXONOMIES:
        assert row.field in attributes, row
        assert row.field in fields.KNOWN_FIELDS, row
    assert len(set(taxonomy.KINDS)) == len(taxonomy.TAXONOMIES)
    assert len(taxonomy.BY_FIELD) == len(taxonomy.TAXONOMIES)


# --- one home per rule -----------------------------------------------------------------------


def regexes(name: str) -> list[str]:
    """The literal patterns ``re.compile`` is given in module ``name``."""
    found = []
    for node in ast.walk(modules()[name]):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compile"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found


def constants(name: str) -> list[object]:
    """Every literal of module ``name`` other than text (numbers, bytes...)."""
    return [
        node.value
        for node in ast.walk(modules()[name])
        if isinstance(node, ast.Constant) and not isinstance(node.value, str)
    ]


def strings(name: str) -> list[str]:
    """Every short text literal of module ``name`` (docstrings and messages left out)."""
    return [
        node.value
        for node in ast.walk(modules()[name])
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 20
    ]


CONTROL_RANGE = re.compile("[\x00-\x1f\x7f-\x9f]-")
"""A character range starting at a control character, as in ``[\\x00-\\x1f]``."""
EXIT_STATUSES = frozenset({70, 74, 75, 130})
"""The exit statuses no other code means (0, 1 and 2 are too common to look for)."""
EDITOR_SUFFIXES = frozenset({".swp", ".swo", ".swx", "~", "4913", "___jb_tmp___", "___jb_old___"})
RACY_NS = 2_000_000_000

RULES = {
    "control characters": (
        "masthead.text",
        lambda name: [p for p in regexes(name) if CONTROL_RANGE.search(p)],
    ),
    "lone surrogates": (
        "masthead.text",
        lambda name: [p for p in regexes(name) if "\ud800" in p],
    ),
    "the TOML error line": (
        "masthead.text",
        lambda name: [p for p in regexes(name) if "at line" in p],
    ),
    "exit codes": (
        "masthead.status",
        lambda name: [c for c in constants(name) if type(c) is int and c in EXIT_STATUSES],
    ),
    "editor temporaries": (
        "masthead.sources",
        lambda name: [
            *(p for p in regexes(name) if "___jb_" in p or "4913" in p or "sw[" in p),
            *(s for s in strings(name) if s in EDITOR_SUFFIXES),
        ],
    ),
    "the racy window": (
        "masthead.incremental.stamps",
        lambda name: [c for c in constants(name) if c == RACY_NS],
    ),
}

KNOWN_COPIES: dict[tuple[str, str], str] = {}
"""Copies that exist today, each to be replaced by an import of the rule's home: when one
is gone, remove it here (the test says so)."""


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_is_written_in_its_home_and_nowhere_else(rule: str) -> None:
    home, copies_in = RULES[rule]
    assert copies_in(home), f"the check for {rule} finds nothing even in {home}"
    copies = {name: found for name in modules() if name != home if (found := copies_in(name))}
    known = {name for (r, name) in KNOWN_COPIES if r == rule}
    assert set(copies) - known == set(), f"{rule} written again outside {home}: {copies}"
    assert known - set(copies) == set(), (
        f"gone now, remove from KNOWN_COPIES: {known - set(copies)}"
    )


def test_the_editor_temp_rule_has_one_function_that_everyone_calls() -> None:
    definers = [
        name
        for name, tree in modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "is_editor_temp"
    ]
    assert definers == ["masthead.sources"]
    assert "masthead.sources.is_editor_temp" in imports("masthead.preview.watch")
