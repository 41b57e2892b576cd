"""No generator holds a torch mode (inference, no-grad, autocast) open across a ``yield``.

Such a mode is thread-global: the caller's code between two batches would run in it (on a
GPU, bf16 autocast reached ``.numpy()`` in the caller and crashed there).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("simclr_core", "workers", "labelapp", "benchmarks")
MODE_CONTEXTS = {"inference_mode", "no_grad", "enable_grad", "set_grad_enabled", "autocast"}


def mode_contexts_around_yields(tree: ast.AST) -> list[int]:
    """Line numbers of ``with <torch mode>:`` blocks that contain a yield of their function."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.With | ast.AsyncWith):
            continue
        names = {
            (
                call.func.attr
                if isinstance(call.func, ast.Attribute)
                else getattr(call.func, "id", "")
            )
            for item in node.items
            if isinstance(call := item.context_expr, ast.Call)
        }
        if names & MODE_CONTEXTS and any(yields_here(statement) for statement in node.body):
            found.append(node.lineno)
    return found


def yields_here(node: ast.AST) -> bool:
    """A yield in this code, not counting nested functions (their yields are their own)."""
    if isinstance(node, ast.Yield | ast.YieldFrom):
        return True
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return False
    return any(yields_here(child) for child in ast.iter_child_nodes(node))


def test_the_checker_finds_a_mode_held_across_yield():
    source = (
        "def f(xs):\n    with torch.inference_mode():\n        for x in xs:\n            yield x\n"
    )
    assert mode_contexts_around_yields(ast.parse(source)) == [2]
    inside = (
        "def f(xs):\n    for x in xs:\n        with torch.no_grad():\n"
        "            y = x\n        yield y\n"
    )
    assert mode_contexts_around_yields(ast.parse(inside)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_generator_holds_a_torch_mode_across_yield(package):
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in mode_contexts_around_yields(ast.parse(path.read_text()))
    ]
    assert offenders == []
