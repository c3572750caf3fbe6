"""The import graph keeps the layers of docs/architecture.md: no circles, no upward arrows.

The layers and the arrows allowed between them are read from the table in the document's
"Layers" section, so the document and this test cannot drift apart. Every import counts:
module-level ones and those inside functions (a deferred import is still a dependency; it
only hides a circle until the day it bites).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("campaigns", "sandbox", "leadterra_ui")
ROW = re.compile(r"^\|\s*(\w+)\s*\|([^|]*)\|([^|]*)\|\s*$")


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file for every Python module of the project (migrations included)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module `name` lives in (its longest known prefix), or None if outside."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.AST, module: str, is_package: bool, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [t for t in (_resolve(alias.name, known) for alias in node.names) if t]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the importing module's package, `level - 1` packages up
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    found = []
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        target = submodule if submodule in known else _resolve(base, known)
        if target:
            found.append(target)
    return found


def import_graph(known: dict[str, Path] | None = None) -> dict[str, list[tuple[str, int]]]:
    """module -> [(imported project module, line)], every import statement anywhere in the file."""
    known = known if known is not None else modules()
    graph = {}
    for module, path in known.items():
        edges = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, module, path.name == "__init__.py", known):
                if target != module:
                    edges.append((target, node.lineno))
        graph[module] = sorted(set(edges), key=lambda edge: (edge[1], edge[0]))
    return graph


def circles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target, _ in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, []))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
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


def layers_from_doc(text: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(module prefix -> layer, layer -> layers it may import) from the "Layers" table."""
    section = text.split("\n## Layers", 1)[1].split("\n## ", 1)[0]
    prefixes, allowed = {}, {}
    for line in section.splitlines():
        match = ROW.match(line)
        if not match or match[1] == "layer":
            continue
        layer = match[1]
        for prefix in re.findall(r"`([\w.]+)`", match[2]):
            prefixes[prefix] = layer
        allowed[layer] = {layer, *re.findall(r"\w+", match[3].replace("nothing", ""))}
    return prefixes, allowed


def layer_of(module: str, prefixes: dict[str, str]) -> str | None:
    matches = [p for p in prefixes if module == p or module.startswith(p + ".")]
    return prefixes[max(matches, key=len)] if matches else None


def _where(module: str, line: int, known: dict[str, Path]) -> str:
    path = known[module]
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"


def _rule_broken(module: str, target: str) -> str:
    """The rules stated below the layers table."""
    if target.startswith("sandbox"):
        return "the product never imports the sandbox"
    handlers = "campaigns.services.handlers"
    if module == "campaigns.services.operations" and (target == handlers or target.startswith(handlers + ".")):
        return "the outbox engine never imports its handlers"
    if module == "campaigns.dispatch" and target.startswith("campaigns"):
        return "dispatch knows task names only"
    return ""


def _arrow_refused(layer: str, target: str, prefixes: dict[str, str], allowed: dict[str, set[str]]) -> str:
    target_layer = layer_of(target, prefixes) if target.startswith("campaigns.") else None
    if target_layer and target_layer not in allowed[layer]:
        return f"{layer} may not import {target_layer}"
    return ""


def violations(graph, known, prefixes, allowed) -> list[str]:
    """Every import that breaks a rule of docs/architecture.md, as `file:line imports x (why)`."""
    found = []
    for module, edges in graph.items():
        if module == "campaigns" or not module.startswith("campaigns."):
            if module.startswith("sandbox"):
                found += [
                    f"{_where(module, line, known)} imports {target} (the sandbox never imports the product)"
                    for target, line in edges
                    if target.startswith("campaigns")
                ]
            continue
        layer = layer_of(module, prefixes)
        if layer is None:
            found.append(f"{_where(module, 1, known)} {module} is in no layer of docs/architecture.md")
            continue
        for target, line in edges:
            why = _rule_broken(module, target) or _arrow_refused(layer, target, prefixes, allowed)
            if why:
                found.append(f"{_where(module, line, known)} imports {target} ({why})")
    return found


def test_the_architecture_document_names_the_layers():
    prefixes, allowed = layers_from_doc(DOC.read_text(encoding="utf-8"))
    assert {"entry", "tasks", "services", "outside", "foundation", "pure"} <= set(allowed)
    assert allowed["pure"] == {"pure"}
    assert "tasks" not in allowed["entry"] and "entry" not in allowed["tasks"]
    assert "outside" not in allowed["entry"]  # no view reaches Leadterra or the queue
    assert layer_of("campaigns.leadterra.parse", prefixes) == "outside"
    assert layer_of("campaigns.services.handlers.leads", prefixes) == "services"


def test_no_module_imports_across_a_circle():
    graph = import_graph()
    known = modules()
    report = []
    for component in circles(graph):
        inside = set(component)
        report.append(f"a circle of {len(component)} modules:")
        report += [f"  {_where(m, line, known)} imports {t}" for m in component for t, line in graph[m] if t in inside]
    assert not report, "\n".join(report)


def test_every_import_follows_the_arrows_of_the_architecture_document():
    known = modules()
    prefixes, allowed = layers_from_doc(DOC.read_text(encoding="utf-8"))
    found = violations(import_graph(known), known, prefixes, allowed)
    assert not found, "\n".join(found)


def test_the_checks_catch_a_planted_circle_and_an_upward_import(tmp_path):
    """The rules above hold on the real tree; here they must fail on a tree that breaks them."""
    files = {
        "campaigns/__init__.py": "",
        "campaigns/services/__init__.py": "",
        "campaigns/services/leads.py": "def later():\n    from campaigns.tasks import run_import\n",
        "campaigns/services/operations.py": "from campaigns.services import handlers\n",
        "campaigns/services/handlers/__init__.py": "",
        "campaigns/tasks/__init__.py": "from .leads import run_import\n",
        "campaigns/tasks/leads.py": "from campaigns.services.leads import later\n",
        "campaigns/merge_tags.py": "from campaigns.models import Lead\n",
        "campaigns/models.py": "",
        "campaigns/leadterra/__init__.py": "def get_client():\n    pass\n",
        "campaigns/views/__init__.py": "",
        "campaigns/views/pages.py": "from campaigns.leadterra import get_client\n",
        "sandbox/__init__.py": "",
        "sandbox/api.py": "\nfrom campaigns import merge_tags\n",
        "leadterra_ui/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    known = modules(tmp_path)
    graph = import_graph(known)
    assert circles(graph) == [["campaigns.services.leads", "campaigns.tasks", "campaigns.tasks.leads"]]
    prefixes, allowed = layers_from_doc(DOC.read_text(encoding="utf-8"))
    found = violations(graph, known, prefixes, allowed)
    found = [line.replace(str(tmp_path) + "/", "") for line in found]
    assert any("leads.py:2 imports campaigns.tasks (services may not import tasks)" in line for line in found)
    assert any("operations.py:1 imports campaigns.services.handlers (the outbox engine" in line for line in found)
    assert any("merge_tags.py:1 imports campaigns.models (pure may not import foundation)" in line for line in found)
    assert any("pages.py:1 imports campaigns.leadterra (entry may not import outside)" in line for line in found)
    assert any("api.py:2 imports campaigns.merge_tags (the sandbox never imports" in line for line in found)
