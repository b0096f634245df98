"""The wheel is the product: built, installed outside the repository, it runs a landing zone and answers queries.

The wheel is built by uv (offline, from the cache `make install` fills) and installed into a fresh
virtual environment in a temporary folder with the locked dependencies; the commands then run from
another temporary folder, where neither the repository nor a `raw/reference/` can be reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from flows.settings import PACKAGE_RESOURCES, PROJECT_ROOT, RESOURCES
from tests.helpers import ANI, BUDI, CITRA, write_roster

DINI = "3302174101900004"  # a woman of Cilongok born 1 January 1990


def uv() -> str:
    """uv as `make install` leaves it: the one running `make test` (`uv run` names it), on the PATH, or in .tools/."""
    found = os.environ.get("UV") or shutil.which("uv") or PROJECT_ROOT / ".tools" / "bin" / "uv"
    assert Path(found).exists(), "uv is neither on the PATH nor in .tools/bin: run `make install`"
    return str(found)


def uv_run(*args: str, **environ: str) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", **environ}
    done = subprocess.run([uv(), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, as `uv build` makes it from the repository."""
    dist = tmp_path_factory.mktemp("dist")
    uv_run("build", "--wheel", "--offline", "--quiet", "--out-dir", str(dist))
    (built,) = dist.glob("cakupan-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment holding the locked dependencies and the wheel."""
    venv = tmp_path_factory.mktemp("venv")
    project_environment = {"UV_PROJECT_ENVIRONMENT": str(venv)}
    locked = ["--frozen", "--no-dev", "--no-install-project", "--offline", "--quiet"]
    uv_run("sync", *locked, "--python", sys.executable, **project_environment)
    uv_run("pip", "install", "--offline", "--no-deps", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel))
    return venv / "bin"


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def in_wheel(path: Path) -> str | None:
    """Where a file of the repository is in the wheel: a module as itself, a resource in the package's resources."""
    relative = path.relative_to(PROJECT_ROOT)
    if relative.parts[0] in ("flows", "schemas"):
        if relative.parent.name == "__pycache__":  # the module imported from its compiled copy
            relative = relative.parent.parent / f"{relative.name.split('.')[0]}.py"
        return relative.as_posix()
    for name, folder in RESOURCES.items():
        if relative.is_relative_to(folder):
            return f"flows/{PACKAGE_RESOURCES}/{name}/{relative.relative_to(folder).as_posix()}"
    return None


def small_zone(raw: Path) -> None:
    """Two desa of Cilongok send their BPD rosters for April 2024: four people, two of them enrolled."""
    batuanten = [
        [ANI, "Ani", "P", "Anggota BPD", "Sudah", "12345678901"],
        [BUDI, "Budi", "L", "Ketua BPD", "Belum", ""],
        [CITRA, "Citra", "L", "Anggota BPD", "Sudah", "12345678902"],
    ]
    write_roster(raw / "2024-04" / "Cilongok" / "Batuanten.xlsx", {"BPD": batuanten})
    panusupan = [[DINI, "Dini", "P", "Ketua BPD", "Belum", ""]]
    write_roster(raw / "2024-04" / "Cilongok" / "Panusupan.xlsx", {"BPD": panusupan}, village="PANUSUPAN")


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment for a command, without anything that would lead it to the repository."""
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV")}
    from prefect.settings import PREFECT_API_URL  # the session's test server: the command starts none of its own

    return {**env, "PREFECT_API_URL": str(PREFECT_API_URL.value()), **extra}


def test_the_force_included_folders_are_the_ones_the_code_reads() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    mapped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapped == {folder: f"flows/{PACKAGE_RESOURCES}/{name}" for name, folder in RESOURCES.items()}


def test_the_wheel_holds_every_module_sql_file_and_reference_file(wheel: Path) -> None:
    names = wheel_names(wheel)
    sources = [
        *(PROJECT_ROOT / "flows").rglob("*.py"),
        *(PROJECT_ROOT / "schemas").rglob("*.py"),
        *(path for folder in RESOURCES.values() for path in (PROJECT_ROOT / folder).iterdir() if path.is_file()),
    ]
    assert {"flows/resources/reference/LICENSE-ODbL.md", "flows/resources/views/coverage_by_group.sql"} <= names
    assert sorted(str(path) for path in sources if in_wheel(path) not in names) == []


AUDITED_RUN = """
import os, sys
opened = set()
root, environment = os.path.realpath(sys.argv.pop(1)) + os.sep, os.path.realpath(sys.prefix) + os.sep
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(root) and not path.startswith(environment):  # the clone's files, not its .venv's
            opened.add(path)
sys.addaudithook(hook)
from flows.cli import app
try:
    app()
finally:
    print("\\n".join(sorted(opened)), file=sys.stderr)
"""


@pytest.mark.usefixtures("prefect_harness")
def test_every_file_a_run_reads_from_the_repository_is_in_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """A run from a clone, with every file it opens recorded: each one is in the wheel, none is outside it."""
    small_zone(tmp_path / "raw")
    command = [sys.executable, "-c", AUDITED_RUN, str(PROJECT_ROOT), "run", "--raw", "raw", "--warehouse", "c.duckdb"]
    done = subprocess.run(command, cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    opened = [Path(line) for line in done.stderr.splitlines() if line.startswith(str(PROJECT_ROOT))]
    read = {path.name for path in opened}
    assert {"coverage_by_group.sql", "insert_batch.sql", "villages.csv", "cli.py", "roster.py"} <= read | {
        path.name.split(".")[0] + ".py" for path in opened if path.suffix == ".pyc"
    }
    names = wheel_names(wheel)
    assert sorted(str(path) for path in opened if in_wheel(path) not in names) == []


@pytest.mark.usefixtures("prefect_harness")
def test_the_installed_wheel_runs_a_landing_zone_and_answers_queries(installed: Path, tmp_path: Path) -> None:
    small_zone(tmp_path / "raw")  # no reference/ beside the rosters: reference data comes with the package
    cakupan = str(installed / "cakupan")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cakupan, *args], cwd=tmp_path, env=child_env(), capture_output=True, text=True)

    done = run("run", "--raw", "raw", "--warehouse", "warehouse/c.duckdb")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "files: 2 loaded, 0 rejected" in done.stdout

    names = (
        "select schema_name || '.' || view_name from duckdb_views() where not internal union all "
        "select schema_name || '.' || table_name from duckdb_tables() where schema_name = 'internal' order by 1"
    )  # a view counted at publish (catalog.MATERIALIZED) is a table under its name
    views = run("sql", names, "--warehouse", "warehouse/c.duckdb", "--csv")
    assert views.returncode == 0, views.stderr
    folder = PROJECT_ROOT / "warehouse" / "views"
    expected = [f"main.{path.stem}" for path in folder.glob("*.sql")]
    expected += [f"internal.{path.stem}" for path in (folder / "internal").glob("*.sql")]
    assert views.stdout.splitlines()[1:] == sorted(expected)

    # the villages of Banyumas come from the package's reference data
    figures = "select group_code, members, enrolled, coverage_pct, (select count(*) from villages) as villages"
    coverage = run("sql", f"{figures} from coverage_by_group", "--warehouse", "warehouse/c.duckdb", "--csv")
    assert coverage.stdout.splitlines() == ["group_code,members,enrolled,coverage_pct,villages", "BPD,4,2,50.0,331"]

    demo = run("demo", "--raw", "demo")
    assert demo.returncode == 1
    assert demo.stderr.splitlines() == [
        "cakupan demo runs from a clone of the repository: its tools/ folder writes the demo data"
    ]
