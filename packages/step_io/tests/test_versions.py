"""python -m step_io.versions: one line when a pipeline's steps need different
step_io versions."""

from pathlib import Path

from step_io import versions

AT_A = "mlflow-wandb-step-io @ git+https://example.com/t.git@aaaa#subdirectory=p"
AT_B = "mlflow-wandb-step-io @ git+https://example.com/t.git@bbbb#subdirectory=p"


def steps(folder: Path, **lines: str) -> Path:
    for step, line in lines.items():
        (folder / step).mkdir(parents=True)
        (folder / step / "requirements.txt").write_text(f"pandas==3.1.1\n{line}\n")
    return folder


def test_steps_at_one_version_pass(tmp_path, capsys):
    folder = steps(tmp_path / "components", clean=AT_A, split=AT_A)
    assert versions.main([str(folder)]) == 0


def test_steps_at_two_versions_fail_on_one_line_naming_them(tmp_path, capsys):
    folder = steps(tmp_path / "components", clean=AT_A, split=AT_B, train=AT_A)
    assert versions.main([str(folder)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "clean, train need aaaa; split need bbbb" in line
