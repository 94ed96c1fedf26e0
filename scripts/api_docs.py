"""The API reference: HTML pages for ``constructs_lib`` from its docstrings (pdoc), with the policy's values and why.

    .venv/bin/python -m scripts.api_docs                  # writes docs/api/ (open docs/api/index.html)
    .venv/bin/python -m scripts.api_docs --out /tmp/api

The policy gives each value its reason in the ``#:`` comment above it (one line or several), and the reason a dict
entry has in the plain comment above the entry. pdoc does not read ``#:`` comments, so this script reads them from
the source (``ast`` and ``tokenize``) and adds them, as one table per policy module, to the ``constructs_lib.policy``
page: the reasons stay written once, in the policy. Each row also names the constructs that read the value.
Importing every module loads both bindings: run it where ``[dev]`` (or ``[stacks]`` and pdoc) is installed.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import enum
import html
import importlib
import io
import pkgutil
import re
import sys
import tokenize
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import ROOT

PACKAGE = "constructs_lib"
POLICY = "constructs_lib.policy"
#: Where the constructs that read the policy live (their modules are named ``cdk.<module>``, ``cdktf.<module>``).
CONSTRUCT_FOLDERS = ("cdk", "cdktf")
#: Fields that hold a value's reason when the value is a record of its own (accepted findings, alarms).
REASON_FIELDS = ("reason", "description")
#: Longest value shown in a table cell; the module's page has the whole of it.
MAX_VALUE_CHARS = 90
NO_REASON = "—"


@dataclass(frozen=True)
class Default:
    """One row: a policy value, what it is set to, why, and which constructs read it."""

    name: str
    value: str
    reason: str
    read_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyTable:
    """The rows of one policy module, with the first line of its docstring."""

    module: str
    summary: str
    rows: tuple[Default, ...]


def comment_lines(source: str) -> dict[int, str]:
    """Line number -> text of every comment that is alone on its line (trailing comments are left out)."""
    lines = source.splitlines()
    return {
        token.start[0]: token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and not lines[token.start[0] - 1][: token.start[1]].strip()
    }


def comment_above(comments: Mapping[int, str], line: int, marker: str) -> str:
    """The block of ``marker`` comments (``#:`` a value's reason, ``#`` a dict entry's) that ends right above
    ``line``, joined into one text; a section rule (``# ---``) is no reason."""
    block: list[str] = []
    while _is_marked(text := comments.get(line - 1, ""), marker):
        block.insert(0, text.removeprefix(marker).strip())
        line -= 1
    return " ".join(part for part in block if part)


def _is_marked(text: str, marker: str) -> bool:
    if marker == "#:":
        return text.startswith("#:")
    return text.startswith(marker) and not text.startswith(("#:", "# ---"))


def clipped(text: str) -> str:
    """``text`` cut at ``MAX_VALUE_CHARS``."""
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def source_text(node: ast.AST) -> str:
    """``node`` as source on one line, without its comments, clipped."""
    return clipped(ast.unparse(node))


def shown(value: Any) -> str:
    """A runtime value as a table shows it: an enum member by its value, anything else by ``repr``."""
    return str(value.value) if isinstance(value, enum.Enum) else repr(value)


def record_parts(value: Any) -> tuple[str, str] | None:
    """A dataclass record with a reason field: (its other fields, its reason); else None."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return None
    fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    reason_field = next((name for name in REASON_FIELDS if isinstance(fields.get(name), str)), None)
    if reason_field is None:
        return None
    rest = ", ".join(f"{name}={shown(item)}" for name, item in fields.items() if name != reason_field)
    return clipped(rest), fields[reason_field]


def assigned_name(statement: ast.stmt) -> tuple[str, ast.expr] | None:
    """``NAME = value`` or ``NAME: type = value`` at module level: (NAME, value); else None."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    return (target.id, value) if isinstance(target, ast.Name) else None


def is_public_constant(name: str) -> bool:
    return name.isupper() and not name.startswith("_")


def constant_rows(module: Any, tree: ast.Module, comments: Mapping[int, str]) -> Iterator[Default]:
    """A row per public constant; a dict literal's commented entries get a row each below it."""
    for statement in tree.body:
        assigned = assigned_name(statement)
        if assigned is None or not is_public_constant(assigned[0]):
            continue
        name, node = assigned
        value, reason = source_text(node), comment_above(comments, statement.lineno, "#:")
        record = record_parts(getattr(module, name, None))
        if record is not None:
            value, reason = record[0], reason or record[1]
        yield Default(name, value, reason or NO_REASON)
        if isinstance(node, ast.Dict):
            for key, item in zip(node.keys, node.values, strict=True):
                entry_reason = comment_above(comments, key.lineno, "#") if key is not None else ""
                if entry_reason:
                    yield Default(f"{name}[{source_text(key)}]", source_text(item), entry_reason)


def field_rows(module: Any, tree: ast.Module, comments: Mapping[int, str]) -> Iterator[Default]:
    """A row per field of a record class with ``#:``-documented fields whose instances a module dict holds by name
    (profiles): the value is each instance's, by its key."""
    for statement in tree.body:
        if not isinstance(statement, ast.ClassDef):
            continue
        fields = [
            node for node in statement.body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        ]
        reasons = {field.target.id: comment_above(comments, field.lineno, "#:") for field in fields}
        cls = getattr(module, statement.name)
        holders = [
            value
            for name, value in vars(module).items()
            if is_public_constant(name)
            and isinstance(value, Mapping)
            and value
            and all(isinstance(item, cls) for item in value.values())
        ]
        if not any(reasons.values()) or not holders:
            continue
        for field_name, reason in reasons.items():
            value = "; ".join(f"{key}: {shown(getattr(item, field_name))}" for key, item in holders[0].items())
            yield Default(f"{statement.name}.{field_name}", clipped(value), reason or NO_REASON)


def module_rows(module: Any, source: str) -> tuple[Default, ...]:
    """The rows of one policy module: its constants, then the fields of its profile-like records."""
    tree = ast.parse(source)
    comments = comment_lines(source)
    return (*constant_rows(module, tree, comments), *field_rows(module, tree, comments))


def policy_table(module_name: str) -> PolicyTable:
    """The table of one policy module, from its source and (for records and profiles) its values."""
    module = importlib.import_module(module_name)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    summary = (ast.get_docstring(ast.parse(source)) or "").split("\n\n")[0].replace("\n", " ")
    return PolicyTable(module_name, summary, module_rows(module, source))


def policy_readers(root: Path = ROOT) -> dict[tuple[str, str], set[str]]:
    """(policy module, value name) -> the construct modules that read it (``cdk.secure_bucket``, ...).

    A read is ``module.NAME`` through ``from constructs_lib.policy import module``, a name imported from a policy
    module, or a field read off ``<something>.profile`` for a ``Profile`` field.
    """
    readers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for folder in CONSTRUCT_FOLDERS:
        for path in sorted((root / PACKAGE / folder).glob("*.py")):
            reader = f"{folder}.{path.stem}"
            tree = ast.parse(path.read_text(encoding="utf-8"))
            modules: dict[str, str] = {}
            names: dict[str, tuple[str, str]] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == POLICY:
                    modules.update({alias.asname or alias.name: f"{POLICY}.{alias.name}" for alias in node.names})
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{POLICY}."):
                    names.update({alias.asname or alias.name: (node.module, alias.name) for alias in node.names})
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                    readers[(modules[node.value.id], node.attr)].add(reader)
                elif isinstance(node, ast.Name) and node.id in names:
                    readers[names[node.id]].add(reader)
                elif isinstance(node, ast.Attribute) and _names_a_profile(node.value):
                    readers[(f"{POLICY}.profiles", f"Profile.{node.attr}")].add(reader)
    return readers


def _names_a_profile(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "profile") or (
        isinstance(node, ast.Attribute) and node.attr == "profile"
    )


def policy_modules() -> list[str]:
    """Every module of the policy package, by name."""
    folder = ROOT / PACKAGE / "policy"
    return [f"{POLICY}.{path.stem}" for path in sorted(folder.glob("*.py")) if path.stem != "__init__"]


def policy_tables() -> list[PolicyTable]:
    """One table per policy module that has values, each row with the constructs that read it."""
    readers = policy_readers()
    tables = []
    for module_name in policy_modules():
        table = policy_table(module_name)
        rows = tuple(
            dataclasses.replace(row, read_by=tuple(sorted(readers.get((module_name, row.name.split("[")[0]), ()))))
            for row in table.rows
        )
        if rows:
            tables.append(dataclasses.replace(table, rows=rows))
    return tables


def markdown_text(text: str) -> str:
    """Prose for a Markdown table cell: HTML-escaped outside code spans, no pipe or line break to end the cell."""
    parts = re.split(r"(``.+?``|`[^`]+`)", text)
    escaped = "".join(part if part.startswith("`") else html.escape(part, quote=False) for part in parts)
    return escaped.replace("|", "&#124;").replace("\n", " ")


def markdown_code(text: str) -> str:
    """A value as inline code in a table cell (pipes written as an entity, which pdoc's Markdown shows as ``|``)."""
    return f"<code>{html.escape(text, quote=False).replace('|', '&#124;')}</code>"


def render_markdown(tables: Sequence[PolicyTable]) -> str:
    """The tables as the Markdown section appended to the policy package's docstring."""
    lines = [
        "## Values and their reasons",
        "",
        "Every value of the policy, per module, with the reason written above it in the source, and the constructs "
        "that name it directly (a value a construct reaches through a policy function is not listed there).",
    ]
    for table in tables:
        lines += ["", f"### `{table.module}`", "", markdown_text(table.summary), ""]
        lines += ["| value | set to | reason | read directly by |", "| --- | --- | --- | --- |"]
        for row in table.rows:
            cells = (f"`{row.name}`", markdown_code(row.value), markdown_text(row.reason), ", ".join(row.read_by))
            lines.append(f"| {' | '.join(cell or NO_REASON for cell in cells)} |")
    return "\n".join(lines) + "\n"


def build(out: Path) -> Path:
    """Write the HTML reference into ``out``; return its index page."""
    import pdoc  # only here: the table functions need nothing beyond the standard library

    # Every module is imported before pdoc runs (pdoc imports with subprocess.Popen stubbed out, and a binding's first
    # import starts its Node process), and named to pdoc (it leaves out the modules a package's ``__all__`` omits).
    package = importlib.import_module(PACKAGE)
    modules = [PACKAGE] + [
        module.name
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")
        if not module.name.endswith(".__main__")
    ]
    for name in modules:
        importlib.import_module(name)
    policy = importlib.import_module(POLICY)
    policy.__doc__ = f"{policy.__doc__ or ''}\n\n{render_markdown(policy_tables())}"
    pdoc.render.configure(docformat="restructuredtext", footer_text="hardened-iac-stacks", search=True)
    with warnings.catch_warnings():
        # A package named here brings its listed submodules too; pdoc says so for each one named again.
        warnings.filterwarnings("ignore", message="The module specification .* has already been added")
        pdoc.pdoc(*modules, output_directory=out)
    return out / "index.html"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "api", help="folder for the HTML pages")
    args = parser.parse_args(argv)
    index = build(args.out)
    pages = sum(1 for _ in args.out.rglob("*.html"))
    print(f"api docs: {pages} pages, open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
