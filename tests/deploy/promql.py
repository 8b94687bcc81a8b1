"""Metric names referenced by a PromQL expression, found with a small tokenizer.

Not a PromQL parser: it knows just enough of the grammar to tell a metric name from
a function, an aggregation, a keyword, a label name or a Grafana variable, which is
all the dashboard check needs. Label matchers (``{...}``), string literals,
durations (``[5m]``) and grouping lists (``by (...)``) are skipped whole.
"""

from __future__ import annotations

import re

# Words that are never metric names where they stand.
KEYWORDS = frozenset(
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
        "and", "or", "unless", "offset", "atan2", "inf", "nan",
    }
)
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>==|!=|>=|<=|=~|!~|[-+*/%^=<>(){}\[\],@])
    """,
    re.VERBOSE,
)


class PromQLSyntaxError(ValueError):
    """The expression has a character or bracket structure PromQL does not allow."""


def tokenize(expr: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens without whitespace; raises on anything unknown."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise PromQLSyntaxError(f"unexpected {expr[pos]!r} at {pos} in {expr!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def _skip_group(tokens: list[tuple[str, str]], start: int, open_: str, close: str) -> int:
    """Index just past the bracket group opening at ``start``."""
    depth = 0
    for index in range(start, len(tokens)):
        text = tokens[index][1]
        if tokens[index][0] == "op" and text == open_:
            depth += 1
        elif tokens[index][0] == "op" and text == close:
            depth -= 1
            if depth == 0:
                return index + 1
    raise PromQLSyntaxError(f"unbalanced {open_!r}")


def _check_balanced(tokens: list[tuple[str, str]]) -> None:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for kind, text in tokens:
        if kind != "op":
            continue
        if text in "([{":
            stack.append(text)
        elif text in pairs and (not stack or stack.pop() != pairs[text]):
            raise PromQLSyntaxError(f"unbalanced {text!r}")
    if stack:
        raise PromQLSyntaxError(f"unclosed {stack[-1]!r}")


def metric_names(expr: str) -> set[str]:
    """Every metric name ``expr`` selects (bare or before a ``{...}`` matcher)."""
    tokens = tokenize(expr)
    _check_balanced(tokens)
    names: set[str] = set()
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "op" and text == "{":
            index = _skip_group(tokens, index, "{", "}")  # label matchers
            continue
        if kind == "op" and text == "[":
            index = _skip_group(tokens, index, "[", "]")  # range or subquery duration
            continue
        if kind == "ident":
            lowered = text.lower()
            if lowered in GROUPING:
                index += 1
                if index < len(tokens) and tokens[index][1] == "(":
                    index = _skip_group(tokens, index, "(", ")")  # label list
                continue
            aggregator = following.lower() in GROUPING  # sum without (x) (...)
            if following != "(" and not aggregator and lowered not in KEYWORDS:
                names.add(text)
        index += 1
    return names
