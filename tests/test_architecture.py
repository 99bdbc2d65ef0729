"""The package's shape (issue 13): no import cycles, a small root, a pure core, and one place
that commits. Read from the source with ast; nothing is imported."""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "workflow"
ROOT_MODULES_MAX = 6
PURE_PACKAGES = ("workflow.states", "workflow.calc")
# What the pure core may not import (third-party web and database libraries).
IMPURE = ("flask", "werkzeug", "sqlalchemy", "wtforms")
# The bare commits that are right where they are, by (module, function): each says why.
COMMITS_ALLOWED = {
    # The unit of work itself: the one commit of every service call.
    ("workflow.platform.uow", "unit_of_work"),
    # Each email is marked sent at once, so that a failure halfway sends nothing twice.
    ("workflow.ops.jobs", "deliver_email"),
    # The nightly batch: one savepoint per anonymous idea (a refused one is kept), then one
    # commit for the whole night.
    ("workflow.ops.jobs", "register_anonymous_ideas"),
    # The scheduler's job boundary: an error is logged and rolled back, never raised into
    # APScheduler.
    ("workflow.ops.scheduling", "execute_job"),
    # Seeding the demo data: bulk loads in steps, each step's ids used by the next.
    ("workflow.ops.seeding", "_settle_old_notifications"),
    ("workflow.ops.seeding", "_load_organisation"),
    ("workflow.ops.seeding", "_load_maturity"),
    ("workflow.ops.seeding", "_load_objects"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_modules()[module].read_text(encoding="utf-8"))


def _imported_names(module: str) -> list[str]:
    """Every module name ``module`` imports, anywhere in it (function-level imports too),
    relative imports resolved; ``from package import name`` yields ``package.name`` when
    that is a module, else ``package``."""
    is_package = _modules()[module].name == "__init__.py"
    names = []
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts[:len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.append(full if full in _modules() else base)
    return names


def _graph() -> dict[str, set[str]]:
    """Imports between workflow's modules. Importing a submodule of one's own package is no
    edge back to the package's __init__ (Python runs that first anyway)."""
    modules = _modules()
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module in modules:
        for name in _imported_names(module):
            target = name
            while target and target not in modules:  # `import workflow.a.b.c` names a module
                target = target.rpartition(".")[0]
            if target and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_workflow_modules():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (module-level and function-level imports):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles)


def test_at_most_six_modules_at_the_package_root():
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= ROOT_MODULES_MAX, root


def test_the_pure_core_imports_neither_web_nor_database_code():
    problems = []
    for module in _modules():
        if not module.startswith(tuple(p + "." for p in PURE_PACKAGES) + PURE_PACKAGES):
            continue
        for name in _imported_names(module):
            top = name.split(".")[0]
            if top in IMPURE or top.startswith("flask_"):
                problems.append(f"{module} imports {name}")
            elif top == "workflow" and not name.startswith(
                    tuple(p + "." for p in PURE_PACKAGES) + PURE_PACKAGES):
                problems.append(f"{module} imports {name}")
    assert not problems, "\n".join(problems)


def _commits(module: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of every ``db.session.commit()`` in ``module``."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = (child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                    else function)
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "commit"
                    and ast.unparse(child.func.value) == "db.session"):
                found.append((function, child.lineno))
            visit(child, name)

    visit(_tree(module), "<module>")
    return found


def test_services_commit_through_the_unit_of_work():
    """A service's transaction is ``with unit_of_work()`` (workflow/platform/uow.py); the few
    bare commits left are listed in COMMITS_ALLOWED with their reason."""
    bare = [f"{_modules()[module].relative_to(PACKAGE.parent)}:{line} in {function}()"
            for module in _modules() for function, line in _commits(module)
            if (module, function) not in COMMITS_ALLOWED]
    assert not bare, "use `with unit_of_work():` instead of db.session.commit():\n" + "\n".join(
        bare)


def test_the_allowed_commits_still_exist():
    """An entry of COMMITS_ALLOWED whose commit is gone is removed from the list."""
    present = {(module, function) for module in _modules() for function, _ in _commits(module)}
    assert COMMITS_ALLOWED <= present, sorted(COMMITS_ALLOWED - present)
