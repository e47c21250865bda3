"""The compile-time half of the language layer: RestrictedPython's transformer, made generous where it is safe.

RestrictedPython refuses outright what the PyVision models write every day: ``type(e).__name__``,
``def __init__`` at any depth, ``super().__init__()``, annotated assignments, ``match`` and ``nonlocal``.
This policy lets through

* attribute reads of the dunders in ``agentclasses.READABLE_PRIVATE`` (as ``_getattr_`` calls: the guards then judge
  them per object at run time) and reads of the global ``__name__``;
* definitions of the special methods in ``agentclasses.DEFINABLE`` inside class bodies (no raw-memory or
  attribute hooks such as ``__array_interface__`` or ``__getattribute__``);
* annotated assignments, ``nonlocal``, ``match`` (class patterns may name public attributes only) and
  augmented assignment of attributes and items (``self.n += 1``, ``hist[k] += 1``), through guarded helpers.

Every other refusal says what to use instead.
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations

from pyvision_envs.sandbox import agentclasses
from pyvision_envs.sandbox.facades import is_blocked_name

_HINTS = {
    "AsyncFunctionDef": "use a plain def",
    "Await": "call the function directly",
    "AsyncFor": "use a plain for loop",
    "AsyncWith": "use a plain with statement",
    "TryStar": "use try/except",
}


# RestrictedPython's own refusals, each with what to use instead.
_REFUSAL_HINTS = {
    "Exec calls are not allowed.": "write the code directly",
    "Eval calls are not allowed.": "compute the value directly (json.loads for data)",
    '"*" imports are not allowed.': "import the names you use (from m import a, b) or the module",
    'The keyword argument "metaclass" is not allowed.': "use a plain class or a class decorator",
    "Lazy import statements are not allowed.": "use a plain import",
    "Unpacking in comprehensions is not allowed.": "build the sequence with a loop or itertools.chain",
    "is a reserved name.": "choose another name",
    "ends with \"__roles__\"": "choose another name",
    "forbidden to access in RestrictedPython": "tracebacks are printed for you; frames are not available",
}


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy with the additions in the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scopes: list[str] = []  # "class" / "function", innermost last

    # --- messages ----------------------------------------------------------------------------------
    def error(self, node: ast.AST, info: str) -> None:
        """Record a compile error; RestrictedPython's own messages get what to use instead."""
        hint = next((h for key, h in _REFUSAL_HINTS.items() if key in info), None)
        super().error(node, f"{info.rstrip('.')}; {hint}." if hint else info)

    def not_allowed(self, node: ast.AST) -> None:
        """Refuse a statement kind, saying what to write instead."""
        kind = type(node).__name__
        self.error(node, f"{kind} statements are not allowed in the sandbox; {_HINTS.get(kind, 'rewrite without it')}.")

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        """Names may not start with "_", except special methods in class bodies and ``__slots__``."""
        if name is None:
            return
        if name.startswith("_") and name != "_":
            if name == "__slots__" and self._scopes[-1:] == ["class"]:
                return  # it only restricts the instance's attributes
            if allow_magic_methods and name in agentclasses.DEFINABLE and self._scopes[-1:] == ["class"]:
                return
            if name in agentclasses.DEFINABLE or (name.startswith("__") and name.endswith("__")):
                self.error(node, f'"{name}" cannot be defined here; special methods may be defined in a class body '
                                 f"(allowed: __init__, __repr__, __str__, __eq__, __len__, __getitem__, __call__, ...)")
            else:
                self.error(node, f'"{name}" is an invalid name in the sandbox because it starts with "_"; '
                                 f'rename it (e.g. "{name.lstrip("_") or "x"}")')
            return
        super().check_name(node, name, allow_magic_methods)

    # --- names and attributes ----------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> Any:
        """Names, plus reads of the global ``__name__``."""
        if node.id == "__name__" and isinstance(node.ctx, ast.Load):
            return node  # `if __name__ == "__main__":`
        return super().visit_Name(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        """Attributes, plus reads of ``agentclasses.READABLE_PRIVATE`` through ``_getattr_``."""
        if node.attr.startswith("_") and node.attr != "_":
            if node.attr not in agentclasses.READABLE_PRIVATE or not isinstance(node.ctx, ast.Load):
                self.error(node, agentclasses.refusal(node.attr))
                return node
            value = self.visit(node.value)
            call = ast.Call(func=ast.Name("_getattr_", ast.Load()), args=[value, ast.Constant(node.attr)],
                            keywords=[])
            copy_locations(call, node)
            return call
        return super().visit_Attribute(node)

    # --- definitions -------------------------------------------------------------------------------
    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        """Class statements; their bodies are the one place special methods may be defined."""
        self._scopes.append("class")
        try:
            new = super().visit_ClassDef(node)
        finally:
            self._scopes.pop()
        # RestrictedPython rebuilds the class with metaclass=__metaclass__ only: keep its other keywords
        # (TypedDict's total=False, an Enum's boundary=...), visited above like any expression.
        new.keywords.extend(k for k in node.keywords if k.arg != "metaclass")
        return new

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        """As RestrictedPython, with special-method names judged by the enclosing scope."""
        self.check_name(node, node.name, allow_magic_methods=True)  # while still in the enclosing scope
        self._scopes.append("function")
        try:
            self.check_function_argument_names(node)
            with self.print_info.new_print_scope():
                node = self.node_contents_visit(node)
                self.inject_print_collector(node)
            return node
        finally:
            self._scopes.pop()

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        """Lambdas open a function scope."""
        self._scopes.append("function")
        try:
            return super().visit_Lambda(node)
        finally:
            self._scopes.pop()

    # --- statements RestrictedPython refuses -------------------------------------------------------
    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        """``a.b += c`` / ``a[k] += c``: one guarded helper call (``_augattr_`` / ``_augitem_``), each operand once."""
        target = node.target
        if isinstance(target, ast.Attribute) and not target.attr.startswith("_"):
            func, key = "_augattr_", ast.Constant(target.attr)
        elif isinstance(target, ast.Subscript):
            func, key = "_augitem_", self.visit(target.slice)
        else:
            return super().visit_AugAssign(node)  # names; and "_" attributes, refused there
        op = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
        call = ast.Call(func=ast.Name(func, ast.Load()),
                        args=[self.visit(target.value), key, op, self.visit(node.value)], keywords=[])
        new = ast.Expr(call)
        copy_locations(new, node)
        return new

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Any:
        """``x: int = 5``: the target (a Name, Attribute or Subscript) is checked as in any assignment."""
        return self.node_contents_visit(node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        """``nonlocal`` of public names."""
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        """``global`` of public names."""
        for name in node.names:
            self.check_name(node, name)
        return node

    # match statements: patterns bind names (checked below) and compare values; nothing else to guard
    visit_Match = visit_match_case = visit_MatchValue = visit_MatchSingleton = visit_MatchSequence = \
        visit_MatchOr = RestrictingNodeTransformer.node_contents_visit

    def visit_MatchMapping(self, node: Any) -> Any:
        """``{"k": v, **rest}`` patterns."""
        self.check_name(node, node.rest)
        return self.node_contents_visit(node)

    def visit_MatchClass(self, node: Any) -> Any:
        """``Cls(attr=p)`` patterns."""
        # The interpreter reads these attributes itself, past _getattr_: only public, unblocked names.
        for attr in node.kwd_attrs:
            if is_blocked_name(attr):
                self.error(node, f'"{attr}" cannot be matched in the sandbox; match public attributes only')
        return self.node_contents_visit(node)

    def visit_MatchStar(self, node: Any) -> Any:
        """``[a, *rest]`` patterns."""
        self.check_name(node, node.name)
        return node

    def visit_MatchAs(self, node: Any) -> Any:
        """``p as name`` patterns and captures."""
        self.check_name(node, node.name)
        return self.node_contents_visit(node)
