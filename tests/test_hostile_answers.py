"""Property test: whatever is typed at the prompts, the hook refuses it with a message
naming the field and leaves nothing behind, or the rendered step is valid.

Bounded by the hypothesis profile set in conftest.py; `make test-thorough` runs many
more examples.
"""

from __future__ import annotations

import re
import string

from component_checks import assert_valid_component
from cookiecutter.exceptions import FailedHookException
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import local_extensions as ext

FIELDS = (
    "project_name",
    "project_slug",
    "job_type",
    "short_description",
    "long_description",
    "step_kind",
    "environment",
    "parameters",
    "python_version",
)
# Text that has broken templates of this kind: YAML, Markdown, shell and Python
# specials, Jinja delimiters, lookalike keywords, line separators, control characters.
SPECIALS = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "#",
    ": ",
    "- ",
    "? ",
    "{",
    "}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "[",
    "]",
    "|",
    ">",
    "<script>",
    "&amp;",
    "*",
    "_",
    "`id`",
    "$(touch pwned)",
    "; rm -rf ~",
    "%",
    "%(prog)s",
    "\u00e9",
    "\u4e2d",
    "\U0001f600",
    "\u2028",
    "\x85",
    "\x00",
    "\x7f",
    "\ufeff",
    "class",
    "import os",
    "None",
    "yes",
    "null",
    "~",
    "---",
    "...",
    "&",
    "!tag",
]
fragments = st.one_of(st.sampled_from(SPECIALS), st.text(max_size=12))
free_text = st.one_of(
    st.lists(fragments, max_size=10).map("".join),
    st.text(string.printable, min_size=300, max_size=2000),
)
# Mostly answers a hook should accept, with hostile text inside, so that most draws
# reach the rendered step; the rest are names and types the hook must refuse.
good_names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
bad_names = st.sampled_from(
    [
        "help",
        "class",
        "match",
        "verbose",
        "input",
        "csv",
        "output_dir",
        "a b",
        "1st",
        "gr\u00f6\u00dfe",
        "",
    ]
)
typed_defaults = st.one_of(
    st.tuples(st.just("int"), st.sampled_from(["1", "-3", "007", "1_000", None])),
    st.tuples(st.just("float"), st.sampled_from(["0.5", "1e3", "-2", "inf", None])),
    st.tuples(st.just("bool"), st.sampled_from(["true", "no", "1", "YES", None])),
    st.tuples(
        st.just("str"),
        st.one_of(st.none(), st.lists(fragments, max_size=4).map("".join)),
    ),
    st.tuples(st.sampled_from(["integer", "", "list"]), st.sampled_from(["1", None])),
)
parameter_items = st.tuples(
    st.one_of(good_names, good_names, good_names, bad_names), typed_defaults
).map(
    lambda item: (
        f"{item[0]}:{item[1][0]}"
        + ("" if item[1][1] is None else "=" + item[1][1].replace(",", ";"))
    )
)
one_line = free_text.map(lambda text: " ".join(text.splitlines()))
answers = st.fixed_dictionaries(
    {
        "project_name": free_text,
        "short_description": free_text,
        "long_description": free_text,
        "job_type": st.one_of(
            st.just("{{ cookiecutter.project_slug }}"),
            st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=40),
            one_line,
        ),
        "step_kind": st.sampled_from(list(ext.STEP_KINDS)),
        "environment": st.sampled_from(list(ext.ENVIRONMENTS)),
        "parameters": st.lists(parameter_items, max_size=4).map(", ".join),
        "project_slug": st.one_of(
            good_names,
            good_names,
            good_names,
            st.sampled_from(["Bad-Slug", "a/b", "../x", "..", "class", "", "x" * 120]),
        ),
    }
)


def as_typed(field: str, value: str) -> str:
    """cookiecutter renders a value given on the command line as Jinja; wrapped in
    raw, it reaches the template as typed, as an answer typed at a prompt does."""
    if (
        field in ("step_kind", "environment")
        or value == "{{ cookiecutter.project_slug }}"
    ):
        return value  # a choice, or the default: job type follows the slug
    return "{% raw %}" + value + "{% endraw %}"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=answers)
def test_answers_are_refused_clearly_or_render_a_valid_step(
    drawn, cookies, capfd, tmp_path
):
    if any("endraw" in value for value in drawn.values()):
        return  # cannot be wrapped as literal text; see the Jinja test instead
    before = set((tmp_path / "cookies").glob("bake*"))
    result = cookies.bake(extra_context={k: as_typed(k, v) for k, v in drawn.items()})
    err = capfd.readouterr().err
    event("refused" if result.exception else "rendered")
    if result.exception is not None:
        assert isinstance(result.exception, FailedHookException), result.exception
        header, *problems = err[err.index("The step was not generated") :].splitlines()
        assert problems
        for problem in problems:
            assert problem.startswith("  - ")
            assert problem[4:].split(":", 1)[0] in FIELDS, problem
            event(f"refused for {problem[4:].split(':', 1)[0]}")
        (output_dir,) = set((tmp_path / "cookies").glob("bake*")) - before
        assert list(output_dir.rglob("*")) == []
        return
    context = result.context
    assert ext.validation_errors(context) == []
    for field in ("project_name", "short_description", "long_description"):
        # Jinja reads \r\n and \r in what it renders as \n; the rest is as drawn.
        assert context[field] == re.sub(r"\r\n?", "\n", drawn[field])
    assert_valid_component(result.project_path, context, tmp_path)
