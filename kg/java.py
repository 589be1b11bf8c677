"""Run the real OWL API (Debian's libowlapi-java) through a small Java helper of this package."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HELPER_SOURCE = Path(__file__).with_name("java") / "OwlApiCheck.java"
HERMIT_SOURCE = Path(__file__).with_name("java") / "HermitDefault.java"
DEFAULT_JAR_DIR = Path("/usr/share/java")
# Unversioned jar names from Debian's libowlapi-java and what it depends on.
JAR_PATTERNS = (
    "owlapi-distribution.jar",
    "guava.jar",
    "caffeine.jar",
    "commons-*.jar",
    "rdf4j-*.jar",
    "jsonld-java.jar",
    "atinject-jsr330-api.jar",
    "hppcrt.jar",
    "xz.jar",
    "slf4j-api.jar",
    "slf4j-nop.jar",
    "javax.json*.jar",
    "jsr305.jar",
)


# A helper lives a few seconds: the JIT's first tier alone and the serial collector start
# faster and take about 40% less CPU than the defaults, for the same output.
SHORT_RUN_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class JavaUnavailable(RuntimeError):
    """A Java runtime, compiler or the OWL API jars are missing."""


@dataclass
class OwlApiReport:
    """What the OWL API said about one ontology document."""

    loaded: bool
    error: str = ""
    axioms: int = 0
    logical_axioms: int = 0
    violations: list[str] = field(default_factory=list)
    turtle: Path | None = None
    rdfxml: Path | None = None


def java_executable() -> str | None:
    """Return the java launcher (DMKG_JAVA, else java on PATH), or None when there is none."""
    override = os.environ.get("DMKG_JAVA")
    if override is not None:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("java")


def owlapi_classpath(jar_dir: Path | None = None) -> list[Path]:
    """Return the OWL API classpath, or raise JavaUnavailable naming what is missing."""
    base = Path(os.environ.get("DMKG_OWLAPI_JARS", jar_dir or DEFAULT_JAR_DIR))
    if not (base / "owlapi-distribution.jar").exists():
        raise JavaUnavailable(
            f"the OWL API is not installed: {base / 'owlapi-distribution.jar'} is missing "
            "(on Debian: apt-get install libowlapi-java)"
        )
    jars: list[Path] = []
    for pattern in JAR_PATTERNS:
        jars += sorted(p for p in base.glob(pattern) if not _is_versioned_duplicate(p))
    return jars


def _is_versioned_duplicate(jar: Path) -> bool:
    # Debian ships name-1.2.3.jar beside a name.jar symlink; keep only the symlink.
    stem = jar.stem
    return any(part[:1].isdigit() for part in stem.split("-")[1:])


def hermit_classpath() -> list[Path]:
    """Return the HermiT jar owlready2 ships (the Protégé plug-in build, with its own OWL API)."""
    import owlready2

    jar = Path(owlready2.__file__).with_name("hermit") / "HermiT.jar"
    if not jar.exists():
        raise JavaUnavailable(f"HermiT is not installed: {jar} is missing")
    return [jar]


def cache_dir() -> Path | None:
    """Return this user's private folder for compiled helpers, or None when none can be had.

    Only a folder the user owns and no one else may write is trusted: classes found in a
    shared folder (such as /tmp) could have been put there by anyone."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dmkg" / "java"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return base


def _trusted(folder: Path) -> bool:
    try:
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def compiled_helper(source: Path, classpath: list[Path]) -> Path:
    """Compile a Java helper against classpath and return its folder: kept in the user's
    private cache (once for each source and classpath), else fresh each time."""
    javac = shutil.which("javac")
    if javac is None:
        raise JavaUnavailable(
            "javac is not installed (on Debian: apt-get install default-jdk-headless)")
    cp = os.pathsep.join(str(p) for p in classpath)
    digest = hashlib.sha256(source.read_bytes() + cp.encode()).hexdigest()[:16]
    cache = cache_dir()
    target = cache / f"{source.stem.lower()}-{digest}" if cache else None
    if target and _trusted(target) and (target / f"{source.stem}.class").exists():
        return target
    # mkdtemp makes a folder only this user can enter.
    staging = Path(tempfile.mkdtemp(prefix="dmkg-java-build-", dir=cache))
    result = subprocess.run(
        [javac, "-nowarn", "-d", str(staging), "-cp", cp, str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise JavaUnavailable(f"could not compile {source.name}: {result.stderr.strip()}")
    if target is None:
        return staging
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process won the race
    return target


def run_helper(source: Path, classpath: list[Path], args: list[str]) -> dict[str, Any]:
    """Compile and run a Java helper that prints one JSON object last; return that object."""
    java = java_executable()
    if java is None:
        raise JavaUnavailable(
            "no Java runtime found (on Debian: apt-get install default-jre-headless)")
    helper = compiled_helper(source, classpath)
    cp = os.pathsep.join([*(str(p) for p in classpath), str(helper)])
    result = subprocess.run(
        [java, *SHORT_RUN_OPTIONS, "-cp", cp, source.stem, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not result.stdout.strip():
        said = result.stderr.strip()[-2000:] or "no error output"
        raise JavaUnavailable(
            f"{source.stem} failed ({java} exit status {result.returncode}): {said}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


@dataclass
class HermitReport:
    """What HermiT in its default configuration said about one ontology document."""

    loaded: bool
    consistent: bool = False
    unsatisfiable: list[str] = field(default_factory=list)
    error: str = ""


def run_hermit_default(document: Path) -> HermitReport:
    """Classify an RDF/XML document with HermiT's default configuration, as Protégé does."""
    data = run_helper(HERMIT_SOURCE, hermit_classpath(), [str(document)])
    unsatisfiable = data.get("unsatisfiable", [])
    return HermitReport(
        loaded=bool(data["loaded"]),
        consistent=bool(data.get("consistent", False)),
        unsatisfiable=[str(c) for c in unsatisfiable] if isinstance(unsatisfiable, list) else [],
        error=str(data.get("error", "")),
    )


def run_owlapi(document: Path, out_dir: Path) -> OwlApiReport:
    """Load document with the OWL API, check OWL 2 DL and write its Turtle and RDF/XML saves."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = run_helper(HELPER_SOURCE, owlapi_classpath(), [str(document), str(out_dir)])
    return OwlApiReport(
        loaded=bool(data["loaded"]),
        error=str(data.get("error", "")),
        axioms=int(data.get("axioms", 0)),
        logical_axioms=int(data.get("logicalAxioms", 0)),
        violations=list(data.get("violations", [])),
        turtle=Path(data["turtle"]) if "turtle" in data else None,
        rdfxml=Path(data["rdfxml"]) if "rdfxml" in data else None,
    )
