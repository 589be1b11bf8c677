"""Search engines side by side on the synthetic graph: the trigram catalogue it replaced,
Tantivy (the engine in use) and SQLite FTS5.

Each (scale, engine) runs in its own process, on the same data loaded into an in-memory
Oxigraph store: index build time, opening a built index again (what a service start does),
resident memory the engine adds, and search latency (p50/p99, one page of 20 with the
total) for an exact name, a prefix, a piece of a name, a broad word, a misspelling, a
word of the quotes, that word misspelt, and two words of which one is misspelt. Results go
to bench/results/search-engines-*.json and .md.

    python -m bench.search_engines [--scales 10000 100000 1000000] [--engines tantivy]
                                   [--no-starts] [--note "what was measured"]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

from bench.catalogue_baseline import Catalogue as Trigrams
from bench.synthetic import write
from kg.catalogue import Catalogue
from kg.search import build
from kg.search.fields import fold
from kg.store.oxigraph_backend import OxigraphBackend

RESULTS = Path(__file__).resolve().parent / "results"
ENGINES = ("trigram catalogue", "tantivy", "sqlite fts5")


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3),
            "p90_ms": round(samples[int(len(samples) * 0.9)], 3),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3)}


def misspell(word: str) -> str:
    """The word with two neighbouring letters swapped: one edit for Tantivy."""
    return word[:1] + word[2] + word[1] + word[3:] if len(word) > 3 else word


def two_words(backend: OxigraphBackend) -> str:
    """Two words of the first summary: its first word, and misspelt its longest other."""
    text = backend.select_values('''SELECT ?text WHERE {
        ?claim <https://w3id.org/dmkg/ontology#summary> ?text
        FILTER(CONTAINS(STR(?text), " ")) } ORDER BY ?text LIMIT 1''')[0][0] or ""
    first, *others = text.split()
    return f"{first} {misspell(max(others, key=len))}"


class Fts5:
    """Names and texts in SQLite FTS5 (trigram tokenizer for names, unicode61 for texts)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)

    @classmethod
    def build(cls, backend: OxigraphBackend, path: Path) -> Fts5:
        records, _ = build.read(backend)
        db = sqlite3.connect(path)
        db.executescript("""
            CREATE TABLE names(entity TEXT, folded TEXT, name TEXT);
            CREATE VIRTUAL TABLE grams USING fts5(folded, content='names',
                                                  tokenize='trigram');
            CREATE VIRTUAL TABLE texts USING fts5(entity UNINDEXED, body,
                                                  tokenize='unicode61 remove_diacritics 2');
        """)
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", (
            (iri, fold(n), n) for iri, r in records.items()
            for n in [*r.labels.values(), *(a for _, a in r.alt_labels)]))
        db.execute("INSERT INTO grams(grams) VALUES ('rebuild')")
        db.execute("CREATE INDEX by_name ON names(folded)")
        db.executemany("INSERT INTO texts VALUES (?, ?)", (
            (iri, t) for iri, r in records.items() for t in r.texts))
        db.commit()
        db.close()
        return cls(path)

    def find(self, text: str) -> tuple[int, list[str]]:
        """Exact, then prefix, then substring names, then texts: total and a page of 20."""
        wanted = fold(text)
        quoted = '"' + wanted.replace('"', '""') + '"'
        rows = self.db.execute("""
            WITH hits(entity, tier) AS (
              SELECT entity, 4 FROM names WHERE folded = ?1
              UNION ALL SELECT entity, 3 FROM names WHERE folded > ?1 AND folded < ?1 || x'ff'
              UNION ALL SELECT n.entity, 2 FROM grams JOIN names n ON n.rowid = grams.rowid
                        WHERE length(?1) >= 3 AND grams MATCH ?2
              UNION ALL SELECT entity, 1 FROM texts WHERE texts MATCH ?2),
            best AS (SELECT entity, max(tier) AS tier FROM hits GROUP BY entity)
            SELECT entity, count(*) OVER () FROM best ORDER BY tier DESC, entity LIMIT 20
        """, (wanted, quoted)).fetchall()
        return (rows[0][1] if rows else 0), [r[0] for r in rows]


def one(triples: int, engine: str, data: Path, work: Path) -> dict[str, Any]:
    """Figures for one engine at one scale (run in a process of its own)."""
    backend = OxigraphBackend.in_memory()
    backend.load(data)
    before = rss_mb()
    start = time.perf_counter()
    finder: Callable[[str], object]
    if engine == "trigram catalogue":
        trigrams = Trigrams.from_backend(backend)
        built_s = time.perf_counter() - start
        opened_s = built_s  # nothing is kept: every start builds it again
        finder = lambda text: trigrams.find(text, limit=20)  # noqa: E731
        probe = trigrams.by_id("substance/synthetic-1").label()  # type: ignore[union-attr]
    elif engine == "tantivy":
        folder = build.build_into(work, "bench", backend)
        built_s = time.perf_counter() - start
        start = time.perf_counter()
        catalogue = Catalogue.open(folder)
        opened_s = time.perf_counter() - start
        finder = lambda text: catalogue.find(text, limit=20)  # noqa: E731
        probe = catalogue.by_id("substance/synthetic-1").label()  # type: ignore[union-attr]
    else:
        fts = Fts5.build(backend, work / "fts.sqlite")
        built_s = time.perf_counter() - start
        start = time.perf_counter()
        fts = Fts5(work / "fts.sqlite")
        opened_s = time.perf_counter() - start
        finder = fts.find
        probe = fold(backend.select_values(
            '''SELECT ?n WHERE { <https://w3id.org/dmkg/id/substance/synthetic-1>
               <http://www.w3.org/2000/01/rdf-schema#label> ?n FILTER(LANG(?n) = "en") }'''
        )[0][0] or "")
    after = rss_mb()
    quote_word = "tomika"  # syllables: found in quotes and summaries
    searches = {"exact": probe, "prefix": probe[:4], "substring": probe[2:7],
                "broad": "finding", "misspelt": misspell(probe), "text": quote_word,
                "text misspelt": misspell(quote_word),
                "two words, one misspelt": two_words(backend)}
    figures: dict[str, Any] = {
        "engine": engine, "triples": triples, "build_s": round(built_s, 2),
        "open_s": round(opened_s, 3), "memory_mb": round(after - before, 1),
        "probe": probe,
    }
    for name, text in searches.items():
        result = finder(text)
        figures[f"{name}_total"] = result[0] if isinstance(result, tuple) else None
        figures[name] = timed(lambda t=text: finder(t), 50 if name == "broad" else 200)
    if engine == "tantivy":
        figures["misspelt_first"] = catalogue.find(misspell(probe), limit=1)[1][0].entity.id
        figures["index_mb"] = round(sum(f.stat().st_size for f in folder.iterdir()) / 2**20, 1)
    return figures


def start(home: Path, case: str) -> dict[str, Any]:
    """Open the on-disk store of home/dist/dmkg.nq and its search engine, as a start does.

    case "tantivy": the index opened from beside the store (built first when missing);
    "trigram catalogue": the old catalogue, built at every start; "application": the whole
    service's application factory.
    """
    from kg.store.factory import open_backend
    from service.app import create_app
    from service.config import load_settings
    from service.services import index_folder, open_catalogue

    settings = load_settings({"HOME": str(home), "STORE_DIR": str(home / "store"),
                              "STORE": "oxigraph"})
    began = time.perf_counter()
    if case == "application":
        create_app(settings)
    elif case == "tantivy":
        open_catalogue(open_backend(settings.storage), index_folder(settings))
    else:
        Trigrams.from_backend(open_backend(settings.storage))
    return {"start_s": round(time.perf_counter() - began, 2), "rss_mb": round(rss_mb(), 1)}


def _child(queue: Any, task: Callable[..., dict[str, Any]], *args: Any) -> None:
    queue.put(task(*args))


def _in_process(context: Any, task: Callable[..., dict[str, Any]], *args: Any
                ) -> dict[str, Any]:
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, task, *args))
    process.start()
    while True:
        try:
            found: dict[str, Any] = queue.get(timeout=5)
            break
        except Empty:  # still working, unless it died (then it never answers)
            if not process.is_alive():
                raise RuntimeError(f"{task.__name__} failed (exit code {process.exitcode})"
                                   ) from None
    process.join()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES))
    parser.add_argument("--no-starts", dest="starts", action="store_false",
                        help="time the searches alone, not the service starts")
    parser.add_argument("--note", default="", help="a line on what was measured")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    starts: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="dmkg-bench-") as tmp:
        for scale in args.scales:
            data = Path(tmp) / f"synthetic-{scale}.nq"
            lines = write(scale, data)
            for engine in args.engines:
                work = Path(tmp) / f"{engine.replace(' ', '-')}-{scale}"
                work.mkdir()
                rows.append(_in_process(context, one, lines, engine, data, work))
                print(json.dumps(rows[-1]), flush=True)
            if not args.starts:
                continue
            # Service starts: the first loads the store and builds the index, the next ones
            # open both.
            home = Path(tmp) / f"home-{scale}"
            (home / "dist").mkdir(parents=True)
            data.rename(home / "dist" / "dmkg.nq")
            for label, case in (("store and Tantivy index, first (load, build)", "tantivy"),
                                ("store and Tantivy index, built (open)", "tantivy"),
                                ("store built, trigram catalogue (built every start)",
                                 "trigram catalogue"),
                                ("whole application, store and index built", "application")):
                figures = _in_process(context, start, home, case)
                starts.append({"triples": lines, "case": label, **figures})
                print(json.dumps(starts[-1]), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    result = {"benchmark": "search engines side by side (in process, synthetic graph)",
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "commit": commit, "note": args.note, "rows": rows, "starts": starts}
    names = ("exact", "prefix", "substring", "broad", "misspelt", "text", "text misspelt",
             "two words, one misspelt")
    lines_md = [f"# {result['benchmark']} ({result['date']}, {commit})", "",
                *([args.note, ""] if args.note else []),
                "p50 / p99 in ms for one page of 20 with the total; build and open in s; "
                "memory: resident MB the engine adds; (n): matches", "",
                "| triples | engine | build s | open s | memory MB | "
                + " | ".join(names) + " |",
                "|---:|---|---:|---:|---:|" + "---|" * len(names)]
    for row in rows:
        cells = [f"{row[n]['p50_ms']:.2f} / {row[n]['p99_ms']:.2f} ({row[n + '_total']})"
                 if n in row else "" for n in names]
        lines_md.append(f"| {row['triples']} | {row['engine']} | {row['build_s']} | "
                        f"{row['open_s']} | {row['memory_mb']} | " + " | ".join(cells) + " |")
    if starts:
        lines_md += ["", "Start on the on-disk Oxigraph store: opening the store and the "
                     "search engine; resident MB of the whole process after it", "",
                     "| triples | case | start s | resident MB |", "|---:|---|---:|---:|"]
    lines_md += [f"| {s['triples']} | {s['case']} | {s['start_s']} | {s['rss_mb']} |"
                 for s in starts]
    RESULTS.mkdir(exist_ok=True)
    stamp = str(result["date"]).replace(":", "").replace("-", "")[:15]
    for name in (f"search-engines-{stamp}", "search-engines-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{name}.md").write_text("\n".join(lines_md) + "\n")
    print("\n".join(lines_md))


if __name__ == "__main__":
    main()
