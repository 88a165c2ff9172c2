"""Free text becomes a literal of YAML, Python or Markdown that reads back as itself."""

from __future__ import annotations

import ast

import pytest
import yaml

import local_extensions as ext

TRICKY = [
    "",
    "plain",
    'double "quotes"',
    "single 'quotes'",
    'both \' and ""',
    "colon: hash # dash - star * amp & bang ! pct % at @ back`tick`",
    "{braces} [brackets] {{ not jinja here }}",
    "back\\slash and trailing \\",
    "line\nbreaks\r\nand\ttabs",
    "non-ASCII é ü ß 中文 😀 \u00a0nbsp",
    "controls \x00 \x07 \x1b \x7f \x85 \u2028 \u2029 \ufeff \u200b",
    "\"\"\"triple\"\"\" and '''triple'''",
    "$(rm -rf /); `id` && echo pwned",
    "yes",
    "null",
    "~",
    "- not a list",
    "> not a quote",
    "123",
    "1e3",
]


@pytest.mark.parametrize("text", TRICKY)
def test_yaml_reads_back_the_same_text(text):
    assert yaml.safe_load(f"key: {ext.yaml_str(text)}\n") == {"key": text}


@pytest.mark.parametrize("text", TRICKY)
def test_python_reads_back_the_same_text(text):
    literal = ext.py_str(text)
    assert "\n" not in literal
    assert ast.literal_eval(literal) == text
    assert isinstance(ast.parse(literal, mode="eval").body, ast.Constant)


@pytest.mark.parametrize(
    ("text", "quote"),
    [('say "hi"', "'"), ("it's", '"'), ("a \" and ' b", '"'), ("plain", '"')],
)
def test_python_quotes_as_ruff_format_does(text, quote):
    assert ext.py_str(text)[0] == quote


@pytest.mark.parametrize("text", TRICKY)
def test_markdown_text_cannot_open_markup(text):
    rendered = ext.md_inline(text)
    assert "\n" not in rendered
    for special in "<>[]`*_|#":
        assert rendered.count(special) == rendered.count("\\" + special)


def test_markdown_blocks_keep_paragraphs():
    assert ext.md_block("one\ntwo\n\n  \n# three") == "one two\n\n\\# three"
