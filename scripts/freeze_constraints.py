"""Print constraints.txt: every installed package that requirements.txt does not pin
directly, at its installed version, so a direct pin lives in one file only."""

import re
from importlib.metadata import distributions
from pathlib import Path

HEADER = """\
# Every package the direct pins of requirements.txt pull in, at the versions the
# suite was last run with (make constraints rewrites it). A direct pin is not
# repeated here, so bumping one is one edit of requirements.txt."""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> None:
    requirements = Path(__file__).resolve().parents[1] / "requirements.txt"
    direct = {
        normalise(re.split(r"[=<>!~ ]", line)[0])
        for line in requirements.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    direct |= {"pip", "setuptools", "wheel"}
    pins = {
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in distributions()
        if normalise(dist.metadata["Name"]) not in direct
    }
    print(HEADER)
    print("\n".join(sorted(pins, key=str.lower)))


if __name__ == "__main__":
    main()
