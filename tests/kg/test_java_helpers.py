"""Where the Java helpers are compiled, and what a failing Java says, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from kg.java import HELPER_SOURCE, owlapi_classpath
from kg.paths import Layout
from tests.kg.cli import dmkg

pytestmark = pytest.mark.slow  # Java compiled and run through the command line

CHECK_NAME = "OWL API: OWL 2 DL profile and Protégé round trip"


def _shared_name(tmp: Path) -> Path:
    """The folder a helper used to be compiled into, which anyone could create first."""
    cp = os.pathsep.join(str(p) for p in owlapi_classpath())
    digest = hashlib.sha256(HELPER_SOURCE.read_bytes() + cp.encode()).hexdigest()[:16]
    return tmp / f"dmkg-{HELPER_SOURCE.stem.lower()}-{digest}"


def _plant(folder: Path) -> None:
    folder.mkdir(parents=True, mode=0o777)
    folder.chmod(0o777)
    # Not a class file: the JVM refuses it, so using it would fail the check.
    (folder / f"{HELPER_SOURCE.stem}.class").write_bytes(b"planted by someone else")


def test_helpers_compile_into_a_private_cache_not_a_shared_folder(tmp_path: Path) -> None:
    shared_tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    shared_tmp.mkdir()
    _plant(_shared_name(shared_tmp))
    env = {"TMPDIR": str(shared_tmp), "XDG_CACHE_HOME": str(cache)}
    result = dmkg("ontology", "check", "--json", env=env)
    statuses = {r["name"]: r for r in json.loads(result.stdout)}
    assert statuses[CHECK_NAME]["status"] == "pass", statuses[CHECK_NAME]
    private = cache / "dmkg" / "java"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert private.stat().st_uid == os.getuid()
    assert any(private.glob(f"*/{HELPER_SOURCE.stem}.class"))


def test_a_cache_others_may_write_is_not_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    private = cache / "dmkg" / "java"
    private.mkdir(parents=True)
    private.chmod(0o777)
    _plant(_shared_name(private).with_name(_shared_name(private).name.removeprefix("dmkg-")))
    result = dmkg("ontology", "check", "--json", env={"XDG_CACHE_HOME": str(cache)})
    statuses = {r["name"]: r for r in json.loads(result.stdout)}
    assert statuses[CHECK_NAME]["status"] == "pass", statuses[CHECK_NAME]


def test_a_java_that_fails_says_how(sources_copy: Layout) -> None:
    env = {"DMKG_JAVA": "/bin/false"}
    check = dmkg("ontology", "check", "--json", env=env)
    report = {r["name"]: r for r in json.loads(check.stdout)}
    owlapi = report[CHECK_NAME]["summary"]
    assert "exit status 1" in owlapi and "no error output" in owlapi, owlapi
    hermit = next(r for name, r in report.items() if name.startswith("HermiT"))["summary"]
    assert "HermiT's input" in hermit and "exit status 1" in hermit, hermit
    build = dmkg("build", home=sources_copy.root, env=env)
    said = " ".join((build.stdout + build.stderr).split())
    assert "HermiT failed (/bin/false exit status 1): no error output" in said, said[-2000:]
