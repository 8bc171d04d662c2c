"""The house rules of DESIGN section 1, read from the code's own imports (every ``import``,
at the top of a module or inside a function):

- the domain (``app.domain``) imports no face (``app.api``, ``app.mcp``, ``app.web``,
  ``app.oauth``), no worker module and no document rendering (``app.documents``);
- a face imports no other face, and no worker module;
- the worker (``workers``) imports no face;
- modules no face owns (``app.config``, ``app.ratelimit``, ``app.documents``...) import no
  face and no worker module.

Only the composition roots wire faces and workers together: ``app.server`` and ``app.cli``
(which also wires the stdio MCP server's job runner and PDF printer).

A break fails with the offending import and the rule it breaks."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ONE_DATABASE

pytestmark = ONE_DATABASE

ROOT = Path(__file__).resolve().parent.parent
FACES = ("app.api", "app.mcp", "app.web", "app.oauth")
DOMAIN = "app.domain"
WORKERS = "workers"
DOCUMENTS = "app.documents"
COMPOSITION_ROOTS = {"app.server", "app.cli"}


def _package(module: str) -> str | None:
    for part in (*FACES, DOMAIN, WORKERS, DOCUMENTS):
        if module == part or module.startswith(part + "."):
            return part
    return None


def _modules() -> dict[str, Path]:
    found = {}
    for folder in ("app", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _broken_rule(importer: str, imported: str) -> str | None:
    """The rule ``importer`` importing ``imported`` breaks, or ``None``."""
    if importer in COMPOSITION_ROOTS:
        return None
    mine, theirs = _package(importer), _package(imported)
    if theirs is None or mine == theirs:
        return None
    if mine == DOMAIN:
        return "the domain imports no face, no worker and no document rendering"
    if mine in FACES and theirs in FACES:
        return "a face imports no other face"
    if mine in FACES and theirs == WORKERS:
        return "a face imports no worker module"
    if mine == WORKERS and theirs in FACES:
        return "the worker imports no face"
    if mine in (None, DOCUMENTS) and theirs in FACES:
        return "a module no face owns imports no face"
    if mine in (None, DOCUMENTS) and theirs == WORKERS:
        return "a module no face owns imports no worker module"
    return None


def _violations() -> dict[tuple[str, str], str]:
    modules = _modules()
    found: dict[tuple[str, str], str] = {}
    for importer, path in modules.items():
        for imported in _imports(path):
            target = imported if imported in modules else imported.rsplit(".", 1)[0]
            if target not in modules:
                continue  # not ours (a library), or a name inside a module already counted
            rule = _broken_rule(importer, target)
            if rule:
                found[(importer, target)] = rule
    return found


def test_no_module_breaks_the_import_rules() -> None:
    broken = _violations()
    assert not broken, "imports that break the house rules (DESIGN section 1):\n" + "\n".join(
        f"  {importer} imports {imported}: {rule}" for (importer, imported), rule in sorted(broken.items())
    )


def test_the_rules_see_imports_inside_functions_and_catch_a_face_importing_a_face(tmp_path: Path) -> None:
    """The reader is not blind: a face importing another inside a function is found, and
    each rule names what it forbids."""
    module = tmp_path / "handler.py"
    module.write_text("def handler():\n    from app.api.deps import BillingDep\n    return BillingDep\n")
    assert "app.api.deps" in _imports(module)
    assert _broken_rule("app.mcp.operations", "app.api.deps") == "a face imports no other face"
    assert (
        _broken_rule("app.domain.invoices", "app.documents.pdf")
        == "the domain imports no face, no worker and no document rendering"
    )
    assert _broken_rule("workers.jobs", "app.web.pages") == "the worker imports no face"
    assert _broken_rule("app.ratelimit", "app.api.deps") == "a module no face owns imports no face"
    assert _broken_rule("app.documents.pdf", "workers.jobs") == "a module no face owns imports no worker module"
    assert _broken_rule("app.server", "app.api.deps") is None
    assert _broken_rule("app.api.invoices", "app.domain.billing") is None


def package_graph() -> dict[tuple[str, str], int]:
    """How many imports go from each part of the house to each other part (``app`` for the
    modules no face owns; the composition roots left out, they may import anything)."""
    modules = _modules()
    edges: dict[tuple[str, str], int] = {}
    for importer, path in modules.items():
        if importer in COMPOSITION_ROOTS:
            continue
        for imported in _imports(path):
            target = imported if imported in modules else imported.rsplit(".", 1)[0]
            if target not in modules or target in COMPOSITION_ROOTS:
                continue
            mine, theirs = _package(importer) or "app", _package(target) or "app"
            if mine != theirs:
                edges[(mine, theirs)] = edges.get((mine, theirs), 0) + 1
    return edges


def test_the_faces_stand_side_by_side_on_the_domain() -> None:
    """In the picture the faces form a row over the domain: each imports the domain, none
    another face or the worker."""
    edges = package_graph()
    for face in FACES:
        assert edges.get((face, DOMAIN), 0) > 0, f"{face} does not call the domain"
        assert not [pair for pair in edges if pair[0] == face and pair[1] in (*FACES, WORKERS)]


if __name__ == "__main__":  # python -m tests.test_import_rules: the picture in numbers
    for (importer, imported), count in sorted(package_graph().items()):
        print(f"{importer:14} -> {imported:14} {count:4}")
