"""What the template knows about a step, parsed and checked in one place.

cookiecutter loads ``StepExtension`` (listed in ``cookiecutter.json`` under
``_extensions``) into the Jinja environment that renders every file and hook. The
pre-generation hook imports this module too, so the answers that the hook accepts are
exactly the answers the templates can render, and every template file iterates over the
one parameter list that ``step_parameters`` builds.

Free text reaches generated files only through the escaping filters at the end of this
module, each of which returns a literal of its target language that reads back as the
same text.
"""

from __future__ import annotations

import hashlib
import keyword
import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2.ext import Extension

PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
TYPES = ("str", "int", "float", "bool")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")

# MLflow documents four parameter types (string, float, path, uri); it passes every
# value to the command as text, so ints travel as `float` (numbers) and bools as
# `string`, and run.py's argparse gives them their real type.
MLFLOW_TYPES = {"str": "string", "int": "float", "float": "float", "bool": "string"}
TYPE_LABELS = {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}

# A folder name, an MLflow project name and a conda environment name at once.
SLUG_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,99}")
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# argparse owns --help (and -h); a parameter by that name could never be passed.
RESERVED_NAMES = frozenset({"help"})
# pytest's own long options that are Python identifiers: a step whose command is
# pytest (its conftest.py adds the parameters as options) cannot take these names.
PYTEST_OPTIONS = frozenset(
    (
        "basetemp capture co color confcutdir debug deselect durations exitfirst ff "
        "fixtures funcargs help ignore lf lfnf markers maxfail nf noconftest pastebin "
        "pdb pdbcls pyargs pythonwarnings quiet rootdir runxfail showlocals stepwise "
        "strict sw tb trace verbose verbosity version"
    ).split()
)

# Resolved: the pipeline template reaches this module through a symlink.
REQUIREMENTS_FILE = Path(__file__).resolve().with_name("requirements.txt")


@dataclass(frozen=True)
class Parameter:
    """One command-line parameter of a generated step."""

    name: str
    type: str
    default: str | None
    description: str
    builtin: bool = False
    # What the README's example commands pass, online and offline.
    online_example: str | None = None
    offline_example: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def mlflow_type(self) -> str:
        return MLFLOW_TYPES[self.type]

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]

    @property
    def py_type(self) -> str:
        """The argparse ``type=`` callable, as it is spelled in run.py."""
        return "step_io.parse_bool" if self.type == "bool" else self.type

    @property
    def py_default(self) -> str:
        """The default as a Python literal (only for parameters that have one)."""
        if self.type == "bool":
            return "True" if self.default == "true" else "False"
        if self.type in ("int", "float"):
            return self.default
        return py_str(self.default)

    @property
    def description_help(self) -> str:
        """argparse help, which step_io's parser follows with the default: argparse
        %-formats it, so a literal % is doubled."""
        return self.description.replace("%", "%%")

    @property
    def help(self) -> str:
        """The help of a parser that does not add the default itself (pytest's)."""
        text = self.description_help
        return (
            f"{text} (required)" if self.required else f"{text} (default: %(default)s)"
        )

    @property
    def example(self) -> str:
        """A value of the right type, for the README's example commands."""
        return {"str": "example", "int": "1", "float": "0.5", "bool": "true"}[self.type]

    @property
    def yaml_default(self) -> str:
        """The default as a YAML scalar that MLflow hands back as the same text."""
        if self.type in ("int", "float"):
            return self.default
        return yaml_str(self.default)


def _builtin(
    name: str,
    type_: str,
    default: str | None,
    description: str,
    online: str | None = None,
    offline: str | None = None,
) -> Parameter:
    return Parameter(name, type_, default, description, True, online, offline)


# --- the shared builders a kind's spec names, each giving its parameters ---


def _input(context: dict, name: str, what: str, online: str, offline: str) -> list:
    """A required input: a W&B artifact reference or a local path."""
    description = (
        f"{what}: a W&B artifact reference ({online}, entity/project/name:v3) "
        "or a local path."
    )
    return [_builtin(name, "str", None, description, online, offline)]


def _output_dir(context: dict) -> list[Parameter]:
    return [
        _builtin(
            "output_dir",
            "str",
            "outputs",
            "Folder outputs are written to before logging.",
        )
    ]


def _price_range(context: dict) -> list[Parameter]:
    return [
        _builtin(
            "min_price", "float", "10.0", "Lowest nightly price kept, in dollars."
        ),
        _builtin(
            "max_price", "float", "350.0", "Highest nightly price kept, in dollars."
        ),
    ]


def _dataset_output(context: dict, artifact: str, type: str) -> list[Parameter]:
    """One dataset logged as an artifact; ``{slug}`` in ``artifact`` is the slug."""
    return [
        _builtin(
            "output_artifact",
            "str",
            artifact.format(slug=context.get("project_slug", "step")),
            "Name of the W&B artifact to log, also the output file's name.",
        ),
        _builtin("output_type", "str", type, "Type of the output artifact."),
        _builtin(
            "output_description",
            "str",
            context.get("short_description", ""),
            "Description of the output artifact.",
        ),
    ]


def _split_options(context: dict, size: str, what: str) -> list[Parameter]:
    return [
        _builtin(size, "float", "0.2", f"Share of the rows held out for {what}."),
        _builtin("random_seed", "int", "42", "Seed of the random split."),
        _builtin(
            "stratify_by",
            "str",
            "none",
            "Column to stratify the split by, or none.",
        ),
    ]


BUILDERS: dict[str, Callable[..., list[Parameter]]] = {
    "input": _input,
    "dataset_output": _dataset_output,
    "price_range": _price_range,
    "split_options": _split_options,
    "output_dir": _output_dir,
}
# Parameter names a kind's command takes itself, by the command: pytest's options.
RESERVED_BY = {"pytest": PYTEST_OPTIONS}

# The step template, and in it one folder per kind of step and per environment.
TEMPLATE_DIR = (
    Path(__file__).resolve().parent / "{{cookiecutter.project_slug | folder_name}}"
)
KINDS_DIR = TEMPLATE_DIR / "_kinds"
KIND_SPEC = "_kind.yaml"


@dataclass(frozen=True)
class StepKind:
    """What a kind of step is, as its folder's _kind.yaml says."""

    name: str
    summary: str  # Markdown, for the READMEs
    default_name: str
    default_description: str
    command: str  # the MLproject command, before the parameters
    packages: tuple[str, ...]  # what every environment pins, from requirements.txt
    parameter_specs: tuple[dict, ...]
    files: tuple[tuple[str, str], ...]  # each file the kind brings, and what it holds
    tests: str  # what the step's own tests check (the README: which to adapt)
    reserved: frozenset[str] = RESERVED_NAMES  # parameter names the command takes
    # How a pipeline project's config.yaml wires the step: parameter -> value.
    wiring: tuple[tuple[str, str], ...] = ()

    def builtins(self, context: dict) -> list[Parameter]:
        """The kind's built-in parameters, in command order."""
        params = []
        for spec in self.parameter_specs:
            if "name" in spec:
                params.append(
                    _builtin(
                        spec["name"],
                        spec["type"],
                        None if spec.get("default") is None else str(spec["default"]),
                        spec["description"],
                        spec.get("online"),
                        spec.get("offline"),
                    )
                )
            else:
                ((builder, arguments),) = spec.items()
                params += BUILDERS[builder](context, **(arguments or {}))
        return params


def load_kind(folder: Path) -> StepKind:
    """The kind of step ``folder`` defines, read from its _kind.yaml."""
    import yaml

    path = folder / KIND_SPEC
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for param in spec["parameters"]:
        builder = next(iter(param)) if "name" not in param else None
        if builder is not None and (len(param) != 1 or builder not in BUILDERS):
            raise ValueError(
                f"{path}: parameter {param!r} is neither name/type/default/"
                "description nor one of the builders " + ", ".join(BUILDERS)
            )
    reserved = RESERVED_NAMES | RESERVED_BY.get(spec.get("reserved_by"), frozenset())
    return StepKind(
        name=folder.name,
        summary=" ".join(spec["summary"].split()),
        default_name=spec["name"],
        default_description=" ".join(spec["description"].split()),
        command=spec["command"],
        packages=tuple(spec["packages"]),
        parameter_specs=tuple(spec["parameters"]),
        files=tuple(spec["files"].items()),
        tests=" ".join(spec["tests"].split()),
        reserved=reserved,
        wiring=tuple(
            (name, str(value)) for name, value in spec.get("pipeline", {}).items()
        ),
    )


# How MLflow builds the step's environment, one folder each: the MLproject field it
# writes, its README text and its files live under _environments/<name>/ (the
# post-generation hook keeps one).
ENVIRONMENTS_DIR = TEMPLATE_DIR / "_environments"
ENVIRONMENTS = tuple(
    sorted(folder.name for folder in ENVIRONMENTS_DIR.iterdir() if folder.is_dir())
)

# Every kind of step, found by listing the folders of _kinds/.
STEP_KINDS = {
    folder.name: load_kind(folder)
    for folder in sorted(KINDS_DIR.iterdir())
    if (folder / KIND_SPEC).is_file()
}


def step_kind(context: dict) -> StepKind:
    """The chosen kind; an unknown one renders as generic (the hook refuses it)."""
    return STEP_KINDS.get(context.get("step_kind"), STEP_KINDS["generic"])


def builtin_parameters(context: dict) -> list[Parameter]:
    """The parameters every step of the chosen kind has, in command order."""
    return step_kind(context).builtins(context)


class SpecError(ValueError):
    """Answers the template cannot render; each problem names the field and fix."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def parse_default(name: str, type_: str, text: str) -> str:
    """Normalise a default given in the ``parameters`` answer, or raise SpecError."""
    text = text.strip()
    if type_ == "str":
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        return text
    if type_ == "bool":
        word = text.lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS:
            return "false"
        raise SpecError(
            f"parameter {name!r}: default {text!r} is not a bool; "
            f"write {name}:bool=true or {name}:bool=false"
        )
    if type_ == "int":
        try:
            return str(int(text))
        except ValueError:
            raise SpecError(
                f"parameter {name!r}: default {text!r} is not an int; "
                f"write a whole number such as {name}:int=1"
            ) from None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise SpecError(
            f"parameter {name!r}: default {text!r} is not a finite float; "
            f"write a number such as {name}:float=0.5"
        )
    return repr(number)


def parse_parameter(item: str, reserved: frozenset[str] = RESERVED_NAMES) -> Parameter:
    """Parse one ``name:type[=default]`` item of the ``parameters`` answer."""
    head, has_default, default_text = item.partition("=")
    name, has_type, type_ = (part.strip() for part in head.partition(":"))
    if not NAME_PATTERN.fullmatch(name):
        suggestion = re.sub(r"\W+", "_", name.strip()).strip("_") or "my_param"
        if suggestion[0].isdigit():
            suggestion = f"p_{suggestion}"
        raise SpecError(
            f"parameter name {name!r} is not a Python identifier; use ASCII "
            f"letters, digits and underscores, e.g. {suggestion.lower()}"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise SpecError(
            f"parameter name {name!r} is a Python keyword; rename it, e.g. {name}_value"
        )
    if name in reserved:
        raise SpecError(f"parameter name {name!r} is taken by --{name}; rename it")
    if not has_type:
        raise SpecError(
            f"parameter {name!r} has no type; write {name}:TYPE with TYPE one of "
            + ", ".join(TYPES)
        )
    if type_ not in TYPES:
        raise SpecError(
            f"parameter {name!r}: unknown type {type_!r}; use one of "
            + ", ".join(TYPES)
        )
    default = parse_default(name, type_, default_text) if has_default else None
    description = f"Step parameter {name} ({TYPE_LABELS[type_]})."
    return Parameter(name, type_, default, description)


def parse_parameters(
    spec: str,
    builtins: list[Parameter],
    reserved: frozenset[str] = RESERVED_NAMES,
) -> list[Parameter]:
    """Parse the whole ``parameters`` answer; raise SpecError listing every problem."""
    taken = {p.name for p in builtins}
    parsed, problems = [], []
    for item in (part for part in spec.split(",") if part.strip()):
        try:
            parameter = parse_parameter(item, reserved)
        except SpecError as err:
            problems.extend(err.problems)
            continue
        if parameter.name in taken:
            what = (
                "a built-in parameter"
                if parameter.name in {p.name for p in builtins}
                else "given twice"
            )
            problems.append(f"parameter name {parameter.name!r} is {what}; rename it")
            continue
        taken.add(parameter.name)
        parsed.append(parameter)
    if problems:
        raise SpecError(*problems)
    return parsed


def step_parameters(context: dict) -> list[Parameter]:
    """Every parameter of the step: the kind's built-ins, then the user's own."""
    builtins = builtin_parameters(context)
    reserved = step_kind(context).reserved
    return builtins + parse_parameters(
        context.get("parameters", ""), builtins, reserved
    )


DEFAULT_SLUG = "step"


def slug(name: str) -> str:
    """The step's default slug: its name as a lower-case Python identifier, letters
    transliterated rather than dropped (Nettoyage Données: nettoyage_donnees)."""
    from slugify import slugify

    text = slugify(str(name), separator="_", max_length=100, word_boundary=True)
    if not text:
        return DEFAULT_SLUG
    if text[0].isdigit() or keyword.iskeyword(text):
        text = f"{DEFAULT_SLUG}_{text}"[:100].rstrip("_")
    return text


def kind_default_name(kind: str) -> str:
    """The default name of a step of ``kind``, from its spec."""
    return step_kind({"step_kind": kind}).default_name


def kind_default_description(kind: str) -> str:
    """The default one-line description of a step of ``kind``, from its spec."""
    return step_kind({"step_kind": kind}).default_description


def folder_name(slug: str) -> str:
    """The generated folder's name: the slug, or, for a slug the pre-generation hook
    is about to refuse, a safe stand-in that cookiecutter creates and the hook's
    failure removes. A slug such as ``a/b`` or ``..`` must never become a path."""
    if SLUG_PATTERN.fullmatch(slug) and not keyword.iskeyword(slug):
        return slug
    digest = hashlib.sha256(slug.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"refused_slug_{digest}"


# MLflow names the Kubernetes job `<project name>-<timestamp>` and its container
# `<project name>`; Kubernetes takes only RFC 1123 labels (lower-case letters, digits
# and `-`) of at most 63 characters for both.
KUBERNETES_NAME_LENGTH = 63 - len("-2025-12-31-23-59-59-999999")


def kubernetes_name(slug: str) -> str:
    """The slug as a Kubernetes job and container name, also a valid Docker image
    name: ``_`` becomes ``-``, cut to the length MLflow's job names leave."""
    name = re.sub(r"_+", "-", slug)[:KUBERNETES_NAME_LENGTH].strip("-")
    return name or "step"


# --- a step's block in a generated pipeline project's config.yaml ---

# `${output:basic_cleaning}` or `${output:data_split,test_data.csv}`: the step named
# must come earlier in the chain.
OUTPUT_REFERENCE = re.compile(r"\$\{output:([A-Za-z_][A-Za-z0-9_]*)")
# OmegaConf reads `${` in any string as an interpolation and `\${` as a literal `${`;
# the backslashes before an escaped one are doubled.
_INTERPOLATION = re.compile(r"(\\*)\$\{")


_PLAIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def omegaconf_str(text: str) -> str:
    """A YAML scalar that OmegaConf reads back as exactly ``text``, never as an
    interpolation of the config: a plain word where YAML reads it as that text,
    quoted otherwise."""
    import yaml

    text = str(text)
    if _PLAIN_WORD.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return yaml_str(_INTERPOLATION.sub(r"\1\1\\${", text))


def config_value(param: Parameter) -> str:
    """The parameter's default as a config value of its type, or ??? (to be set)."""
    if param.required:
        return "???"
    if param.type in ("int", "float", "bool"):
        return param.default
    return omegaconf_str(param.default)


def pipeline_block(context: dict, earlier_steps: list[str]) -> str:
    """The step's block of a pipeline project's config.yaml: every parameter by name,
    wired as its kind says where the steps it reads from come earlier in the chain."""
    slug = context["project_slug"]
    wiring = dict(step_kind(context).wiring)
    lines = [f"# components/{slug}: a {step_kind(context).name} step", f"{slug}:"]
    for param in step_parameters(context):
        wired = wiring.get(param.name)
        if wired is not None and set(OUTPUT_REFERENCE.findall(wired)) <= set(
            earlier_steps
        ):
            value = wired
        else:
            value = config_value(param)
        lines.append(f"  {param.name}: {value}")
    return "\n".join(lines) + "\n"


def pin(package: str) -> str:
    """``package==version`` as pinned in the template's own requirements.txt."""
    for line in REQUIREMENTS_FILE.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        name, _, version = requirement.partition("==")
        if name.strip().lower() == package.lower() and version:
            return f"{package}=={version.strip()}"
    raise LookupError(f"{package} is not pinned in {REQUIREMENTS_FILE}")


# The wiring every step shares: one package of this repository, installed into each
# step's environment at the commit the step was rendered from.
PACKAGE_NAME = "mlflow-wandb-step-io"
PACKAGE_PATH = "packages/step_io"
PACKAGE_DIR = REQUIREMENTS_FILE.parent / PACKAGE_PATH
# cookiecutter's abbreviations of the hosts it clones templates from.
HOST_ABBREVIATIONS = {
    "gh": "https://github.com/{}.git",
    "gl": "https://gitlab.com/{}.git",
    "bb": "https://bitbucket.org/{}",
}


def package_version() -> str:
    """``step_io.__version__``, as the package's own source says it."""
    source = (PACKAGE_DIR / "src" / "step_io" / "__init__.py").read_text("utf-8")
    return re.search(r'^__version__ = "([^"]+)"', source, re.MULTILINE).group(1)


def template_commit() -> str | None:
    """The commit this template is at, where it is a git checkout. Asked each time:
    cruft renders two commits of one clone in one process."""
    import subprocess

    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=REQUIREMENTS_FILE.parent,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return (
        commit
        if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit)
        else None
    )


def is_remote(template: str) -> bool:
    """Whether cookiecutter was given the template as a host abbreviation
    (gh:org/repo) or a git URL, rather than a local checkout."""
    prefix, _, rest = template.partition(":")
    return bool(
        (prefix in HOST_ABBREVIATIONS and rest)
        or re.match(r"^(git\+)?(https?|ssh|git)://", template)
        or re.match(r"^[\w.-]+@[\w.-]+:.+$", template)
    )


def local_checkout(template: str) -> Path:
    """The local checkout cookiecutter was given: the path as given where it is a
    whole path (cruft renders from a clone of it that it then removes), else this
    template (a relative path was relative to a folder no longer known)."""
    given = Path(template.removeprefix("file://"))
    return given if given.is_absolute() and given.is_dir() else REQUIREMENTS_FILE.parent


def repository_url(template: str) -> str:
    """Where pip clones this repository from, as cookiecutter was given it: a host
    abbreviation (gh:org/repo), a git URL, or a local checkout (a file URL naming
    localhost, which every pip takes)."""
    from urllib.parse import quote

    if not is_remote(template):
        return "file://localhost" + quote(str(local_checkout(template)))
    prefix, _, rest = template.partition(":")
    if prefix in HOST_ABBREVIATIONS:
        return HOST_ABBREVIATIONS[prefix].format(rest)
    scp = re.match(r"^([\w.-]+@[\w.-]+):(.+)$", template)
    if scp:  # git@github.com:org/repo.git
        return f"ssh://{scp.group(1)}/{scp.group(2)}"
    return template.removeprefix("git+")


def cruft_template(template: str) -> str:
    """The template as a step's .cruft.json names it, for ``cruft update``: as given
    when it is remote, else the local checkout's whole path."""
    return template if is_remote(template) else str(local_checkout(template))


def step_io_requirement(context: dict) -> str:
    """The requirement that installs the step's wiring: this repository at the commit
    the step is rendered from, or, from a copy that is no git checkout, the version
    from the team's package index."""
    given = str(context.get("_step_io_requirement", "")).strip()
    if given:
        return given  # a pipeline project passes its own to its steps
    # cruft names the commit it renders; cookiecutter does not.
    commit = context.get("_commit") or template_commit()
    if commit is None:
        return f"{PACKAGE_NAME}=={package_version()}"
    template = str(context.get("_template", "")) or str(REQUIREMENTS_FILE.parent)
    url = repository_url(template)
    return f"{PACKAGE_NAME} @ git+{url}@{commit}#subdirectory={PACKAGE_PATH}"


def ruff_rules() -> list[str]:
    """The lint rules the template holds its own code to (its pyproject.toml): a
    generated step's pyproject.toml selects the same."""
    import tomllib

    config = tomllib.loads(
        REQUIREMENTS_FILE.with_name("pyproject.toml").read_text(encoding="utf-8")
    )
    return config["tool"]["ruff"]["lint"]["select"]


def ruff_target(python_version: str) -> str:
    """ruff's name for a Python version: 3.12 is py312."""
    return "py" + python_version.replace(".", "")


# Linux caps one argument of a command at 128 KiB, its terminating NUL included
# (MAX_ARG_STRLEN), and MLflow runs a step's whole command as one: `bash -c COMMAND`.
MAX_ARGUMENT_BYTES = 128 * 1024 - 1
# Room kept for what MLflow puts before the command (`source <env>/bin/activate && `,
# `conda activate <env> && `, under a long MLFLOW_ENV_ROOT) and for the values a user
# gives the required parameters.
COMMAND_ALLOWANCE = 8 * 1024
COMMAND_BUDGET = MAX_ARGUMENT_BYTES - COMMAND_ALLOWANCE


def command_line(context: dict) -> str:
    """The step's MLproject command as MLflow builds it: every default given, and
    each required parameter its example value, shell-quoted as MLflow quotes them."""
    parts = [step_kind(context).command]
    for param in step_parameters(context):
        value = param.example if param.required else param.default
        parts.append(f"--{param.name}={shlex.quote(value)}")
    return " ".join(parts)


NUL = "\0"


def text_errors(context: dict) -> list[str]:
    """Answers no file or command line can carry: text that is not UTF-8 (bytes
    of another encoding reach Python as lone surrogates) or holds a NUL."""
    errors = []
    for field, value in context.items():
        if field.startswith("_") or not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            bad = value[err.start : err.end]
            errors.append(
                f"{field}: holds bytes that are not UTF-8 text ({ascii(bad)} at "
                f"character {err.start}); type it again in a UTF-8 terminal (or save "
                "the replay file as UTF-8)"
            )
            continue
        if NUL in value:
            errors.append(
                f"{field}: holds a NUL character (at character {value.index(NUL)}), "
                "which no file name or command line can carry; remove it"
            )
    return errors


def command_length_error(context: dict) -> str | None:
    """The command MLflow would run, if it is too long for Linux to run."""
    size = len(command_line(context).encode("utf-8"))
    if size <= COMMAND_BUDGET:
        return None
    own = "".join(p.default or "" for p in step_parameters(context) if not p.builtin)
    described = any(p.name == "output_description" for p in builtin_parameters(context))
    description = str(context.get("short_description", "")) if described else ""
    field = "short_description" if len(description) > len(own) else "parameters"
    return (
        f"{field}: makes the step's command {size} bytes long with every default, "
        f"over the {COMMAND_BUDGET} bytes a step's command may take (Linux runs one "
        f"argument of at most {MAX_ARGUMENT_BYTES + 1} bytes, and MLflow runs the "
        "command as one); shorten it"
    )


def validation_errors(context: dict) -> list[str]:
    """Every problem with the answers, one message each: 'field: problem; fix'."""
    errors = text_errors(context)
    if errors:
        return errors  # the other checks would trip over the same characters
    name = str(context.get("project_name", ""))
    if not name.strip():
        errors.append(
            "project_name: is empty; give the step a name, e.g. Basic Cleaning"
        )
    slug = str(context.get("project_slug", ""))
    if not SLUG_PATTERN.fullmatch(slug) or keyword.iskeyword(slug):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", slug.lower()).strip("_") or "my_step"
        if suggestion[0].isdigit() or keyword.iskeyword(suggestion):
            suggestion = f"step_{suggestion}"
        errors.append(
            f"project_slug: {slug!r} is not a lower-case Python identifier of at "
            f"most 100 characters; use lower-case letters, digits and _, e.g. "
            f"{suggestion[:100]}"
        )
    job_type = str(context.get("job_type", ""))
    if not job_type.strip():
        errors.append("job_type: is empty; give the W&B job type, e.g. basic_cleaning")
    elif not job_type.isprintable():
        errors.append(
            f"job_type: {job_type!r} holds a line break or control character; "
            "use one line of text, e.g. basic_cleaning"
        )
    kind = context.get("step_kind")
    if kind not in STEP_KINDS:
        errors.append(
            f"step_kind: unknown kind {kind!r}; choose one of " + ", ".join(STEP_KINDS)
        )
    version = context.get("python_version")
    if version not in PYTHON_VERSIONS:
        errors.append(
            f"python_version: {version!r} is not supported (pandas needs 3.11 or "
            "newer); choose one of " + ", ".join(PYTHON_VERSIONS)
        )
    environment = context.get("environment")
    if environment not in ENVIRONMENTS:
        errors.append(
            f"environment: unknown environment {environment!r}; choose one of "
            + ", ".join(ENVIRONMENTS)
        )
    try:
        parse_parameters(
            str(context.get("parameters", "")),
            builtin_parameters(context),
            step_kind(context).reserved,
        )
    except SpecError as err:
        errors.extend(f"parameters: {problem}" for problem in err.problems)
    if not errors and (too_long := command_length_error(context)):
        errors.append(too_long)
    return errors


# --- the pipeline project (pipeline/cookiecutter.json) ---

# W&B refuses these in project and entity names.
WANDB_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def chain(context: dict) -> list[str]:
    """The pipeline's step kinds, in the order they run."""
    return [kind.strip() for kind in str(context.get("steps", "")).split(",")]


def pipeline_validation_errors(context: dict) -> list[str]:
    """Every problem with the pipeline template's answers: 'field: problem; fix'."""
    errors = text_errors(context)
    if errors:
        return errors
    if not str(context.get("project_name", "")).strip():
        errors.append(
            "project_name: is empty; give the project a name, e.g. NYC Airbnb Pipeline"
        )
    slug = str(context.get("project_slug", ""))
    if not SLUG_PATTERN.fullmatch(slug) or keyword.iskeyword(slug):
        errors.append(
            f"project_slug: {slug!r} is not a lower-case Python identifier of at "
            "most 100 characters; use lower-case letters, digits and _, e.g. "
            "nyc_airbnb"
        )
    project = str(context.get("wandb_project", ""))
    if not WANDB_NAME_PATTERN.fullmatch(project):
        errors.append(
            f"wandb_project: {project!r} is not a W&B project name; use letters, "
            "digits, _ . and -, e.g. nyc_airbnb"
        )
    entity = str(context.get("wandb_entity", ""))
    if entity and not WANDB_NAME_PATTERN.fullmatch(entity):
        errors.append(
            f"wandb_entity: {entity!r} is not a W&B entity name; use letters, "
            "digits, _ . and -, or leave it empty for your default entity"
        )
    for field, choices in (
        ("environment", ENVIRONMENTS),
        ("python_version", PYTHON_VERSIONS),
    ):
        if context.get(field) not in choices:
            errors.append(
                f"{field}: {context.get(field)!r} is not one of the choices; choose "
                "one of " + ", ".join(choices)
            )
    kinds = chain(context)
    unknown = [kind for kind in kinds if kind not in STEP_KINDS]
    repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if unknown:
        errors.append(
            f"steps: {', '.join(map(repr, unknown))} "
            + ("is not a step kind" if len(unknown) == 1 else "are not step kinds")
            + "; list kinds of "
            + ", ".join(STEP_KINDS)
            + " separated by commas"
        )
    if repeated:
        errors.append(
            f"steps: {', '.join(repeated)} given twice; each kind once (add a second "
            "step of a kind later with the step template, under its own name)"
        )
    return errors


def template_source(context: dict) -> str:
    """What a generated project's README gives cookiecutter to add a step: the
    template as the user named it when that is a repository URL or abbreviation
    (gh:org/repo), else the absolute path of the local template it came from."""
    given = str(context.get("_template", ""))
    if given.isprintable() and re.match(r"^[\w.+-]+(@[\w.-]+)?:", given):
        return shlex.quote(given)
    return shlex.quote(str(Path(__file__).resolve().parent))


def pipeline_environment(environment: str) -> dict:
    """How a pipeline project of steps in ``environment`` runs (its folder's
    _pipeline.yaml): ``root``, the driver's environment, and ``env_manager``."""
    import yaml

    path = ENVIRONMENTS_DIR / environment / "_pipeline.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# What the pipeline's driver (main.py) imports, and what a project's `make test` runs.
DRIVER_PACKAGES = ("hydra-core", "mlflow")
TOOL_PACKAGES = ("cruft", "pytest", "pytest-xdist", "ruff")


def project_packages(context: dict) -> list[str]:
    """Every package the chain's steps, the driver and the tools need, once each:
    what runs and tests the whole pipeline in one environment (``make run``)."""
    packages = set(DRIVER_PACKAGES) | set(TOOL_PACKAGES)
    for kind in chain(context):
        packages.update(STEP_KINDS[kind].packages if kind in STEP_KINDS else ())
    return sorted(packages)


# --- escaping: free text becomes a literal of the target language, never code ---

# PyYAML refuses these characters in a document, and reads the line separators and
# NEL as line breaks inside a scalar, so they are written as escapes.
_YAML_PRINTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_COMMON_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def yaml_str(text: str) -> str:
    """A double-quoted YAML scalar that loads back as exactly ``text``."""
    out = []
    for char in str(text):
        if char in _COMMON_ESCAPES:
            out.append(_COMMON_ESCAPES[char])
        elif char == '"':
            out.append('\\"')
        elif _YAML_PRINTABLE.fullmatch(char) and char != "\ufeff":
            out.append(char)
        else:
            out.append(_escape_char(char))
    return '"' + "".join(out) + '"'


def py_str(text: str) -> str:
    """A Python string literal of ``text``, quoted as ``ruff format`` would quote it.

    Double quotes unless the text holds more double than single quotes, so the
    generated code passes ``ruff format --check`` whatever the text.
    """
    text = str(text)
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for char in text:
        if char in _COMMON_ESCAPES:
            out.append(_COMMON_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(_escape_char(char))
    return quote + "".join(out) + quote


# Markdown: escape only what would change the rendering, so that the text reads as
# typed in a terminal too ("MLflow + W&B pipeline.", "price_filter"), and opens no
# markup, table cell or HTML on GitHub.
# What opens markup anywhere in a line: code, HTML and autolinks, links and images,
# a table cell, strikethrough, math (GitHub), and the escape itself.
_MD_ALWAYS = frozenset("\\`<>[]|~$")
# An entity: &amp; &#38; &#x26;.
_MD_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# What opens a block only at the start of a line: a heading, a list item, a quote.
_MD_LINE_START = re.compile(r"^(#{1,6}(?= |$)|[-+*](?= |$)|>|[0-9]{1,9}[.)](?= |$))")
# A thematic break: three or more of - * _ alone on the line.
_MD_RULE = re.compile(r"^([-*_])( *\1){2,} *$")


def _md_char(line: str, index: int) -> str:
    char = line[index]
    before = line[index - 1] if index else " "
    after = line[index + 1] if index + 1 < len(line) else " "
    if char in _MD_ALWAYS:
        return "\\" + char
    # * opens or closes emphasis beside anything but a space; _ only at a word's edge.
    if char == "*" and not (before.isspace() and after.isspace()):
        return "\\" + char
    if char == "_" and not (before.isalnum() and after.isalnum()):
        return "\\" + char
    if char == "&" and _MD_ENTITY.match(line, index):
        return "\\" + char
    return char


def md_inline(text: str) -> str:
    """Text for one Markdown line or table cell: line breaks turned to spaces, and
    escaped only where a character would open markup, a cell or HTML."""
    line = " ".join(str(text).split())
    if _MD_RULE.match(line):
        return "\\" + "".join(_md_char(line, i) for i in range(len(line)))
    escaped = "".join(_md_char(line, i) for i in range(len(line)))
    start = _MD_LINE_START.match(escaped)
    if start:
        marker = start.group(0)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def md_block(text: str) -> str:
    """Text as Markdown paragraphs: blank lines separate them, as the user typed."""
    paragraphs = re.split(r"\n\s*\n", str(text).strip())
    return "\n\n".join(md_inline(p) for p in paragraphs if p.strip())


class StepExtension(Extension):
    """Registers the step's parameter list, its pins and the escaping filters."""

    def __init__(self, environment):
        super().__init__(environment)
        # The hooks run from temporary copies, so they learn from here where the
        # template root (and this module) is.
        environment.globals["template_root"] = str(Path(__file__).resolve().parent)
        environment.globals["ruff_rules"] = ruff_rules
        environment.globals["driver_packages"] = DRIVER_PACKAGES
        environment.globals["step_io_version"] = package_version()
        environment.filters.update(
            step_parameters=step_parameters,
            step_kind=step_kind,
            folder_name=folder_name,
            slug=slug,
            kind_default_name=kind_default_name,
            kind_default_description=kind_default_description,
            chain=chain,
            project_packages=project_packages,
            template_source=template_source,
            pipeline_environment=pipeline_environment,
            omegaconf_str=omegaconf_str,
            kubernetes_name=kubernetes_name,
            pin=pin,
            step_io_requirement=step_io_requirement,
            ruff_target=ruff_target,
            yaml_str=yaml_str,
            py_str=py_str,
            md_inline=md_inline,
            md_block=md_block,
        )
