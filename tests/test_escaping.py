"""Free text becomes a literal of YAML, Python or Markdown that reads back as itself."""

from __future__ import annotations

import ast

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

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


# A CommonMark parser with GitHub's tables and strikethrough: Markdown text must come
# out of it as the very text that went in, in a paragraph or in a table cell.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MARKDOWN_TEXT = st.lists(
    st.sampled_from([*"ab1 .-_*+#>|<&;!()[]`~$=\\:/é", "amp", "#x26"]), max_size=30
).map("".join)


def as_html(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def assert_markdown_reads_as(text: str) -> None:
    line = " ".join(text.split())
    if not line or "\x00" in line:  # CommonMark turns NUL into U+FFFD; the hook
        return  # refuses it anyway
    paragraph = MARKDOWN.render(ext.md_inline(text))
    assert paragraph == f"<p>{as_html(line)}</p>\n", (text, ext.md_inline(text))
    table = MARKDOWN.render(f"| h |\n| --- |\n| {ext.md_inline(text)} |\n")
    assert f"<td>{as_html(line)}</td>" in table, (text, table)


@pytest.mark.parametrize("text", TRICKY)
def test_markdown_text_reads_as_itself(text):
    assert_markdown_reads_as(text)


@given(MARKDOWN_TEXT)
def test_any_markdown_text_reads_as_itself(text):
    assert_markdown_reads_as(text)


@pytest.mark.parametrize(
    "text", ["MLflow + W&B pipeline.", "price_filter", "Nettoyage des données (v2)"]
)
def test_plain_text_is_left_as_typed(text):
    assert ext.md_inline(text) == text


def test_markdown_blocks_keep_paragraphs():
    assert ext.md_block("one\ntwo\n\n  \n# three") == "one two\n\n\\# three"
    assert (
        MARKDOWN.render(ext.md_block("one\n\n# three"))
        == "<p>one</p>\n<p># three</p>\n"
    )
