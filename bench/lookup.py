"""A REST look-up composed afresh, before and after a change of the code, side by side.

Loads a synthetic graph (1M triples by default) into the embedded store, builds its search
catalogue, then times, in process and interleaved, what GET /api/entities/{kind}/{slug} does
when the kept answers miss: describe the entity and write its JSON. "before" is the code of a
git revision (its embedded backend, service.description and service.resources, on the same
store), "after" the working tree's. Both answers are checked equal first. Then the same
look-ups through the whole application (its WSGI stack, kept answers off), each side an
application of its revision in a process of its own over the same data, in turns. Medians,
p90 and store calls per look-up go to bench/results/lookup-*.json and .md.

    python -m bench.lookup [--triples 1000000] [--before REVISION] [--repeat 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import save_results
from bench.synthetic import write
from kg.catalogue import Catalogue
from kg.store.oxigraph_backend import OxigraphBackend
from service.description import json_text
from service.resources import LinkCache, Resources

ROOT = Path(__file__).resolve().parent.parent
# One of each kind a look-up meets: claims about it, sources, measures, a claim, a source.
ENTITIES = ("substance/synthetic-1", "channel/synthetic-1", "place/synthetic-1",
            "source/synthetic-1", "claim/synthetic-1", "regulation/synthetic-measure-1")
# The last revision before the look-up kept its links across look-ups and wrote its JSON
# without intermediate dicts.
BEFORE = "6528961"
# The modules a look-up is made of, taken from the old revision in this order, each importing
# the ones before it (the store contract first: its values and terms changed with it).
MODULES = (("kg/store/base.py", "kg.store.base"),
           ("kg/store/oxigraph_backend.py", "kg.store.oxigraph_backend"),
           ("service/description.py", "service.description"),
           ("service/resources.py", "service.resources"))
# The store calls each side makes (SPARQL queries before; index reads after).
CALLS = ("select", "select_rows", "adjacent", "query")


def _module(revision: str, path: str, name: str, imports: dict[str, ModuleType]) -> ModuleType:
    """Import a module of the service as it is at a git revision, under another name, its
    imports of the modules in imports answered by those."""
    text = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"before.{name}", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    saved = {key: sys.modules.get(key) for key in imports}
    sys.modules.update(imports)
    try:
        exec(compile(text, f"{revision}:{path}", "exec"), module.__dict__)
    finally:
        for key, found in saved.items():
            if found is None:
                del sys.modules[key]
            else:
                sys.modules[key] = found
    return module


def _old(revision: str) -> dict[str, ModuleType]:
    """The modules of a look-up as they are at revision."""
    found: dict[str, ModuleType] = {}
    for path, name in MODULES:
        found[name] = _module(revision, path, name, dict(found))
        if name == "kg.store.base":
            found["kg.store"] = _package(found[name])
    return found


def _package(base: ModuleType) -> ModuleType:
    """The kg.store package as the old code imports it: the names it exports from the old
    contract (its values checked with isinstance), its submodules today's."""
    import kg.store as current

    package = ModuleType("kg.store")
    package.__dict__.update(vars(current))
    package.__dict__.update({name: getattr(base, name) for name in current.__all__
                             if hasattr(base, name)})
    return package


def _counted(backend: Any, counts: Counter[str]) -> None:
    """Count the store calls made through backend."""
    for name in CALLS:
        method = getattr(backend, name)

        def wrapper(*args: Any, _method: Any = method, _name: str = name, **kw: Any) -> Any:
            counts[_name] += 1
            depth = counts["depth"]
            counts["depth"] += 1
            try:
                return _method(*args, **kw)
            finally:
                counts["depth"] = depth
                if depth:  # a call made by another counted call (select runs query)
                    counts[_name] -= 1

        setattr(backend, name, wrapper)


# One side's application in a process of its own: it answers each look-up once (the answers'
# digests on the first line), then, for each number read, makes that many rounds of the
# look-ups and writes each one's CPU time of the process (milliseconds) as a line of JSON.
APP_SIDE = """
import hashlib, json, sys, tempfile, time
from werkzeug.test import Client
from service.app import create_app
data, idents = sys.argv[1], sys.argv[2:]
app = create_app({"HOME": tempfile.mkdtemp(prefix="dmkg-bench-"), "DATA": [data],
                  "RESPONSE_CACHE_MB": 0, "RATE_LIMIT": 0, "CONCURRENCY_LIMIT": 0})
client = Client(app)
paths = {i: "/api/entities/" + i for i in idents}
answers = {i: client.get(p) for i, p in paths.items()}
print(json.dumps({i: [a.status_code, hashlib.sha256(a.get_data()).hexdigest()]
                  for i, a in answers.items()}), flush=True)
for line in sys.stdin:
    times = {i: [] for i in idents}
    for _ in range(int(line)):
        for i, path in paths.items():
            start = time.process_time()
            client.get(path).get_data()
            times[i].append((time.process_time() - start) * 1000)
    print(json.dumps(times), flush=True)
"""


def _through_app(revision: str, data: Path, repeat: int) -> dict[str, dict[str, Any]]:
    """CPU time of each look-up through the application, the revision's beside the working
    tree's, each in a process of its own, in turns of a tenth of the rounds."""
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-old-") as old_tree:
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", old_tree], input=archive, check=True)
        sides = {}
        for name, tree in (("before", Path(old_tree)), ("after", ROOT)):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            sides[name] = subprocess.Popen(
                [sys.executable, "-c", APP_SIDE, str(data), *ENTITIES], cwd=tree, env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            digests = {name: json.loads(_line(side)) for name, side in sides.items()}
            assert digests["before"] == digests["after"], digests  # byte for byte
            samples: dict[str, dict[str, list[float]]] = {
                name: {i: [] for i in ENTITIES} for name in sides}
            turn = max(1, repeat // 10)
            for _ in range(0, repeat, turn):
                for name, side in sides.items():
                    assert side.stdin is not None
                    side.stdin.write(f"{turn}\n")
                    side.stdin.flush()
                    for ident, found in json.loads(_line(side)).items():
                        samples[name][ident] += found
        finally:
            for side in sides.values():
                side.kill()
                side.wait()
    return {ident: {name: _stats(samples[name][ident]) for name in sides}
            for ident in ENTITIES}


def _line(side: subprocess.Popen[str]) -> str:
    assert side.stdout is not None
    found = side.stdout.readline()
    if not found:
        raise RuntimeError("a side of the benchmark stopped")
    return found


def _stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 3),
            "p90_ms": round(samples[int(len(samples) * 0.9)], 3),
            "mean_ms": round(statistics.fmean(samples), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--before", default=BEFORE, help="git revision of the old code")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--no-app", action="store_true",
                        help="leave out the look-ups through the whole application")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        data = Path(tmp) / "synthetic.nq"
        lines = write(args.triples, data)
        result = _measure(args, data, lines)
    _write(result)


def _measure(args: argparse.Namespace, data: Path, lines: int) -> dict[str, Any]:
    """Time the look-ups in process, then through the application unless told not to."""
    load = [_load()]
    old = _old(args.before)
    backend = OxigraphBackend.in_memory()
    backend.load(data)
    catalogue = Catalogue.from_backend(backend)
    old_backend = old["kg.store.oxigraph_backend"].OxigraphBackend(backend.store)
    counts: Counter[str] = Counter()
    _counted(backend, counts)
    _counted(old_backend, counts)

    # Each side writes the JSON as the application of its revision does (Flask's compact
    # writer before the description wrote its own, the links kept once they were).
    old_resources, old_description = old["service.resources"], old["service.description"]
    old_links = old_resources.LinkCache() if hasattr(old_resources, "LinkCache") else None

    def before(ident: str) -> bytes:
        if old_links is not None:
            described = old_resources.Resources(old_backend, catalogue, old_links).describe(
                ident, "en")
            return str(old_description.json_text(described)).encode()
        described = old_resources.Resources(old_backend, catalogue).describe(ident, "en")
        return json.dumps(old_description.as_json(described), sort_keys=True,
                          separators=(",", ":")).encode()

    links = LinkCache()  # kept across look-ups, as the application keeps them

    def after(ident: str) -> bytes:
        described = Resources(backend, catalogue, links).describe(ident, "en")
        return json_text(described).encode()

    sides: dict[str, Callable[[str], bytes]] = {"before": before, "after": after}
    figures: dict[str, dict[str, Any]] = {}
    for ident in ENTITIES:
        answers = {name: side(ident) for name, side in sides.items()}
        assert answers["before"] == answers["after"], ident  # byte for byte
        row: dict[str, Any] = {"bytes": len(after(ident))}
        for name, side in sides.items():
            counts.clear()
            side(ident)
            row[f"{name}_calls"] = {k: n for k, n in counts.items() if k != "depth" and n}
        figures[ident] = row
    # Wall time, and the thread's CPU time: on a machine shared with other work, the second
    # leaves out the waits for a core.
    samples: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for ident in ENTITIES:
            for name, side in sides.items():
                start, start_cpu = time.perf_counter(), time.thread_time()
                side(ident)
                samples.setdefault((ident, name), []).append(
                    (time.perf_counter() - start) * 1000)
                cpu.setdefault((ident, name), []).append((time.thread_time() - start_cpu) * 1000)
    for (ident, name), found in samples.items():
        figures[ident][name] = _stats(found)
        figures[ident][f"{name}_cpu"] = _stats(cpu[ident, name])
    every = {name: _stats([s for (_, n), found in samples.items() if n == name for s in found])
             for name in sides}
    every.update({f"{name}_cpu": _stats([s for (_, n), found in cpu.items() if n == name
                                         for s in found]) for name in sides})
    load.append(_load())
    result = {"benchmark": "REST look-up composed afresh, in process (embedded Oxigraph)",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "triples": lines, "entities": catalogue.size, "before": args.before,
              "repeat": args.repeat, "load_average": load, "all": every, "lookups": figures}
    if not args.no_app:
        result["through_app"] = _through_app(args.before, data, args.repeat)
        load.append(_load())
    return result


def _load() -> tuple[float, ...]:
    """The machine's load average over 1, 5 and 15 minutes: the timings' context."""
    return tuple(round(x, 2) for x in os.getloadavg())


def _calls(found: dict[str, int]) -> str:
    return " + ".join(f"{n} {name}" for name, n in sorted(found.items())) or "0"


def _write(result: dict[str, Any]) -> None:
    every = result["all"]
    lines = [f"# {result['benchmark']} ({result['date']})", "",
             f"{result['triples']} triples, {result['entities']} entities; before = "
             f"`{result['before']}`, {result['repeat']} look-ups of each entity a side, "
             "interleaved; load average (1, 5, 15 min) "
             f"{' '.join(map(str, result['load_average'][0]))} at the start, "
             f"{' '.join(map(str, result['load_average'][1]))} at the end.", "",
             "Wall time (CPU time of the thread in brackets), milliseconds.", "",
             "| entity | JSON bytes | before p50 | before p90 | before store calls | "
             "after p50 | after p90 | after store calls |",
             "|---|---:|---:|---:|---|---:|---:|---|"]

    def cell(row: dict[str, Any], side: str, stat: str) -> str:
        return f"{row[side][stat]} ({row[side + '_cpu'][stat]})"

    for ident, row in [*result["lookups"].items(), ("all", {**every, "bytes": ""})]:
        lines.append(f"| {ident} | {row['bytes']} | {cell(row, 'before', 'p50_ms')} | "
                     f"{cell(row, 'before', 'p90_ms')} | {_calls(row.get('before_calls', {}))} | "
                     f"{cell(row, 'after', 'p50_ms')} | {cell(row, 'after', 'p90_ms')} | "
                     f"{_calls(row.get('after_calls', {}))} |")
    if "through_app" in result:
        lines += ["", "Through the whole application (its WSGI stack, kept answers off), each "
                  "side in a process of its own, in turns; CPU time of the process, "
                  f"milliseconds; load average {' '.join(map(str, result['load_average'][-1]))}"
                  " at the end.", "",
                  "| entity | before p50 | before p90 | after p50 | after p90 | after/before |",
                  "|---|---:|---:|---:|---:|---:|"]
        for ident, sides in result["through_app"].items():
            before, after = sides["before"], sides["after"]
            lines.append(f"| {ident} | {before['p50_ms']} | {before['p90_ms']} | "
                         f"{after['p50_ms']} | {after['p90_ms']} | "
                         f"{after['p50_ms'] / before['p50_ms']:.2f} |")
    save_results("lookup", result, lines)


if __name__ == "__main__":
    main()
