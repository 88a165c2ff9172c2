"""cookiecutter renders every value given on the command line (or in a user config)
as Jinja before the template sees it. These tests show what a user then gets, and
that ``{% raw %}`` keeps such text as typed, as the README says."""

from __future__ import annotations

import yaml
from cookiecutter.exceptions import UndefinedVariableInTemplate
from jinja2 import TemplateSyntaxError


def output_description(project) -> str:
    spec = yaml.safe_load((project / "MLproject").read_text(encoding="utf-8"))
    return spec["entry_points"]["main"]["parameters"]["output_description"]["default"]


def test_an_expression_in_a_command_line_answer_is_evaluated(cookies):
    result = cookies.bake(extra_context={"short_description": "Keeps {{ 6 * 7 }}%"})
    assert result.exception is None
    assert output_description(result.project_path) == "Keeps 42%"


def test_raw_keeps_jinja_delimiters_as_text(cookies):
    text = "Keeps {{ 6 * 7 }}% and {% not a tag %}"
    result = cookies.bake(
        extra_context={"short_description": "{% raw %}" + text + "{% endraw %}"}
    )
    assert result.exception is None
    assert output_description(result.project_path) == text
    readme = (result.project_path / "README.md").read_text(encoding="utf-8")
    # Braces, and a * between spaces, mean nothing to Markdown: left as typed.
    assert "\nKeeps {{ 6 * 7 }}% and {% not a tag %}\n" in readme


def test_a_broken_expression_stops_cookiecutter_before_anything_is_written(
    cookies, tmp_path
):
    result = cookies.bake(extra_context={"short_description": "costs {{ price"})
    assert isinstance(result.exception, TemplateSyntaxError)
    assert "unexpected end of template" in str(result.exception)
    assert [p for p in (tmp_path / "cookies").rglob("*") if p.is_file()] == []


def test_an_unknown_variable_stops_cookiecutter_naming_the_answer(cookies):
    result = cookies.bake(
        extra_context={"short_description": "{{ cookiecutter.nope }}"}
    )
    assert isinstance(result.exception, UndefinedVariableInTemplate)
    assert "short_description" in str(result.exception)
