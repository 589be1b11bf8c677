"""Apache Jena's command-line SPARQL client (`arq.rsparql`) from Debian's libapache-jena-java.

Debian ships Jena 4.5 without a launcher script or a class path in its jars: the class path is
made here from the jars of the package and of what it depends on, with exactly one slf4j
binding. Jena's shaded xerces looks its message bundles up under `xerces/impl/` while the jar
holds them under `org/apache/jena/ext/xerces/impl/`: they are copied out to a folder put on
the class path (without them Jena fails before reading an answer).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from functools import cache
from pathlib import Path

from kg.java import SHORT_RUN_OPTIONS

JAVA_DIR = Path("/usr/share/java")
PACKAGE = "libapache-jena-java"
SHADED = "org/apache/jena/ext/xerces/impl/"
# slf4j's jars: the API and one binding; any other binding beside it makes slf4j complain.
SLF4J = ("slf4j-api.jar", "slf4j-nop.jar")


def _package_jars(package: str) -> list[Path]:
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True,
                             check=False).stdout.split()
    return [Path(p) for p in listing
            if p.startswith(str(JAVA_DIR) + "/") and p.endswith(".jar")]


def _dependencies(package: str) -> list[str]:
    shown = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True,
                           text=True, check=False).stdout
    # "liba (>= 1), libb | libc": the first of each alternative, without versions.
    return [part.split("|")[0].split("(")[0].split(":")[0].strip()
            for part in shown.split(",") if part.strip()]


def available() -> bool:
    """Tell whether Java and Debian's Jena are installed."""
    return shutil.which("java") is not None and (JAVA_DIR / "jena-arq.jar").is_file()


@cache
def _jars() -> tuple[Path, ...]:
    """The jars of Jena and of the packages it depends on (two levels), one slf4j binding."""
    packages = [PACKAGE, *_dependencies(PACKAGE)]
    for package in list(packages[1:]):  # one more level: httpclient needs httpcore, …
        packages += [p for p in _dependencies(package) if p.startswith("lib")]
    jars: dict[str, Path] = {}
    for package in dict.fromkeys(packages):
        for jar in _package_jars(package):
            if "slf4j" in jar.name and jar.name not in SLF4J:
                continue
            jars.setdefault(jar.resolve().name, jar)
    return tuple(sorted(jars.values()))


def class_path(workdir: Path) -> str:
    """The class path running Jena's commands: its jars, its dependencies', the bundles."""
    bundles = workdir / "jena-bundles"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as archive:
        for name in archive.namelist():
            if name.startswith(SHADED) and not name.endswith("/"):
                target = bundles / "xerces" / "impl" / name.removeprefix(SHADED)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    return ":".join([str(bundles), *(str(j) for j in _jars())])


def rsparql(workdir: Path, service: str, query: str, *options: str,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `arq.rsparql --service URL --query FILE` with Jena's defaults. The JVM takes the
    options of a short run (a run lives a few seconds): about 40% less CPU, the same requests."""
    query_file = workdir / "query.rq"
    query_file.write_text(query, encoding="utf-8")
    return subprocess.run(["java", *SHORT_RUN_OPTIONS, "-cp", class_path(workdir), "arq.rsparql",
                           "--service", service, "--query", str(query_file), *options],
                          capture_output=True, text=True, timeout=timeout, check=False)
