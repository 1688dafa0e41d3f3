"""naftiko_gen.pyliteral: the one escaping path; hostile text stays data, never code."""

from __future__ import annotations

import ast

import pytest
from naftiko_gen.pyliteral import comment_text, docstring_text, py

HOSTILE = [
    '"""; __import__("os").system("touch X")',
    "'''",
    "\\",
    "line\nbreak",
    "nul\x00byte",
    "para\u2028sep",
    "{{ x }} {% if %}",
    "ünïcode — dash",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_string_literals_round_trip_exactly(text: str) -> None:
    assert ast.literal_eval(py(text)) == text


def test_nested_data_round_trips() -> None:
    value = {"a": [1, 2.5, True, None, {"b": HOSTILE}], "c": "d"}

    assert ast.literal_eval(py(value)) == value


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        py(float("nan"))


@pytest.mark.parametrize("text", HOSTILE)
def test_docstring_and_comment_text_cannot_break_out(text: str) -> None:
    module = f'"""{docstring_text(text)}"""\n# {comment_text(text)}\nX = 1\n'

    tree = ast.parse(module)

    assert [type(node).__name__ for node in tree.body] == ["Expr", "Assign"]
