"""The package's shape, as docs/architecture.md promises it: no module over 500 lines and no import cycle between
modules. Every import counts, at the top of a module or inside a function: an import put off until a call is
still an edge (a cycle deferred is a cycle hidden). Complexity and the lint rules are ruff's, in make test."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mediation_svc"
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
            for alias in node.names:
                edges.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
        elif isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names)
    return {e for e in edges if e in known and e != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_is_over_500_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by concern (docs/architecture.md): {long}"


def test_no_import_cycle_between_modules():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_composition_root_imports_the_pages():
    """The pages sit on top: the domains, their routes and the CLI never import ``web`` (the words they share are
    ``i18n``'s, the evidence package's index is judicial's), only ``app`` does, to mount the page routers."""
    known = modules()
    importers = {name for name, path in known.items() if not name.startswith("mediation_svc.web")
                 and any(edge.startswith("mediation_svc.web") for edge in imports_of(name, path, known))}
    assert importers == {"mediation_svc.app"}


# --- pages are presenters (docs/architecture.md, web/): no SQL, no commit or rollback, imports at the top --------

WEB = PACKAGE / "web"
NOT_CHECKED_HERE: set[str] = set()  # every page module is checked
# What is still allowed, with the reason (empty: every page calls the domains' public functions only).
ALLOWED: dict[str, set[str]] = {}
TRANSACTION_CALLS = {"commit", "rollback"}
SESSION_CALLS = {"exec", "execute", "get", "scalar", "scalars", "query"}


def _named_session(node: ast.expr) -> bool:
    """``session`` or ``<anything>.session`` (``self.session``)."""
    return (isinstance(node, ast.Name) and node.id == "session") or \
        (isinstance(node, ast.Attribute) and node.attr == "session")


def page_violations(source: str) -> list[str]:
    """What a page module does that is the domains' to do: ``.commit()``, ``.rollback()``, ``select(...)``,
    ``session.exec / execute / get / scalar(s) / query(...)``, and an import inside a function that does not say
    why (``# noqa: PLC0415 - <why>``: an import cycle forces it)."""
    found = []
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in TRANSACTION_CALLS:
                found.append(f"line {node.lineno}: .{func.attr}()")
            elif (isinstance(func, ast.Name) and func.id == "select") or \
                    (isinstance(func, ast.Attribute) and func.attr == "select"):
                found.append(f"line {node.lineno}: select()")
            elif isinstance(func, ast.Attribute) and func.attr in SESSION_CALLS and _named_session(func.value):
                found.append(f"line {node.lineno}: session.{func.attr}()")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) and "noqa: PLC0415" not in lines[inner.lineno - 1]:
                    found.append(f"line {inner.lineno}: import inside {node.name}()")
    return sorted(set(found), key=lambda f: (int(f.split()[1].rstrip(":")), f))


def test_pages_call_public_service_functions_only():
    found = {}
    for path in sorted(WEB.glob("*.py")):
        if path.name in NOT_CHECKED_HERE:
            continue
        left = [v for v in page_violations(path.read_text(encoding="utf-8")) if v not in ALLOWED.get(path.name, set())]
        if left:
            found[path.name] = left
    assert not found, ("pages call the domains' public functions (a savepoint, session.begin_nested(), undoes a "
                       f"refused attempt; imports at the top): {found}")


def test_the_page_check_finds_what_it_forbids():
    source = '''
from sqlmodel import select

def page(session, self):
    from ..cases.models import Case
    from ..x import y  # noqa: PLC0415 - a cycle
    session.exec(select(Case)).all()
    session.get(Case, 1)
    self.session.get(Case, 2)
    session.commit()
    session.rollback()
    form.get("x")
    with session.begin_nested():
        pass
'''
    assert page_violations(source) == ["line 5: import inside page()", "line 7: select()", "line 7: session.exec()",
                                       "line 8: session.get()", "line 9: session.get()", "line 10: .commit()",
                                       "line 11: .rollback()"]


def test_every_revision_id_fits_alembic_version_num():
    """alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer revision id (SQLite does not care)."""
    from alembic.script import ScriptDirectory

    from mediation_svc.migrations_check import alembic_config

    long_ids = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions() if len(r.revision) > 32]
    assert not long_ids, f"revision ids longer than 32 characters: {long_ids}"


# --- services: a step that changes state names what it is given (STYLE.md 3, docs/architecture.md) -------------

# What a step is handed before the row it acts on: the transaction and the services built once by the
# composition root. Everything past that one row goes by keyword.
SERVICES = {"session", "settings", "tokens", "keystore", "keystore_or_tokens", "store", "timestamper", "renderer",
            "pki", "engine"}
WRITES = {"record", "enqueue", "add", "add_all", "flush", "delete"}


def positional_writers(source: str) -> list[str]:
    """Public functions taking a ``session`` that write (audit, outbox, add, flush, delete) and take more than
    one positional argument besides the session and the services."""
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        positional = [a.arg for a in node.args.posonlyargs + node.args.args]
        if "session" not in positional:
            continue
        calls = {c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", None)
                 for c in ast.walk(node) if isinstance(c, ast.Call)}
        rest = [a for a in positional if a not in SERVICES]
        if calls & WRITES and len(rest) > 1:
            found.append(f"{node.name}({', '.join(positional)})")
    return found


def test_steps_that_change_state_take_their_arguments_by_keyword():
    found = {}
    for name, path in sorted(modules().items()):
        if any(part in name for part in (".web", ".migrations", ".cli")) or name.endswith("routes"):
            continue
        if left := positional_writers(path.read_text(encoding="utf-8")):
            found[name] = left
    assert not found, f"past the session, its services and the row acted on, a step takes keywords: {found}"


def test_the_keyword_check_finds_what_it_forbids():
    source = '''
def close(session, settings, request, status, reason):
    session.add(request)

def close_kw(session, settings, request, *, status, reason):
    session.add(request)

def read(session, case, language):
    return session.exec(case)

def _helper(session, a, b):
    session.flush()
'''
    assert positional_writers(source) == ["close(session, settings, request, status, reason)"]


# --- never block the event loop: an endpoint that reads the database runs in the thread pool -------------------

def async_endpoints_with_the_database(source: str) -> list[str]:
    """``async def`` endpoints taking a session, a user (read from the database) or another dependency: their
    queries, lock waits and image decoding would run on the event loop, freezing every request of the worker.
    They take the body or the form through ``deps.RawBody`` / ``deps.FormDep`` and are plain ``def``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        if not any("router." in ast.unparse(d) or ast.unparse(d).startswith("app.") for d in node.decorator_list):
            continue
        taken = [ast.unparse(a.annotation) for a in node.args.args + node.args.kwonlyargs if a.annotation]
        if any(t.endswith(("Dep", "User", "Session")) for t in taken):
            found.append(f"{node.name} (line {node.lineno})")
    return found


def test_no_endpoint_that_reads_the_database_runs_on_the_event_loop():
    found = {name: left for name, path in sorted(modules().items())
             if (left := async_endpoints_with_the_database(path.read_text(encoding="utf-8")))}
    assert not found, f"plain def, with the body from deps.RawBody or the form from deps.FormDep: {found}"


def test_the_event_loop_check_finds_what_it_forbids():
    source = '''
@router.post("/a")
async def a(request: Request, session: SessionDep, user: StaffPageUser): ...

@public_router.post("/tsa")
async def tsa(request: Request): ...

@router.put("/b")
def b(body: RawBody, session: SessionDep): ...
'''
    assert async_endpoints_with_the_database(source) == ["a (line 3)"]
