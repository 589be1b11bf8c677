"""What the nesting check of a restore costs per 20 MB of N-Quads, in-process: lines the
parser refuses at their first `(` (after a triple term), one long line of unclosed IRIs
(`<a <a <a …`), valid lines holding triple terms, and plain lines. With --before DIR (a
checkout of an earlier version), that version's kg/nesting.py is measured beside, the two
taking turns; medians over --rounds are reported.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from bench.report import write_result

SIZE = 20 << 20
LINES = {
    "refused at `(`": b"<u:a> <u:b> <<(" + b"(" * 50 + b"\n",
    "unclosed IRIs, one line": b"<a ",
    "valid triple terms": (b"<urn:s> <urn:p> <<( <urn:a> <urn:b> <<( <urn:c> <urn:d> "
                           b"<urn:e> )>> )>> <urn:g> .\n"),
    "plain": b'<urn:a> <urn:b> "some literal text here" <urn:g> .\n',
}


def _module(code: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"nesting_{abs(hash(code))}",
                                                  code / "kg" / "nesting.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seconds(module: ModuleType, text: bytes) -> float:
    started = time.perf_counter()
    module.first_too_deep(io.BytesIO(text))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, default=None)
    options = parser.parse_args()
    codes = {"after": Path(__file__).resolve().parent.parent}
    if options.before is not None:
        codes["before"] = options.before.resolve()
    modules = {name: _module(code) for name, code in codes.items()}
    texts = {name: line * (SIZE // len(line)) for name, line in LINES.items()}
    runs: dict[str, dict[str, list[float]]] = {v: {t: [] for t in texts} for v in modules}
    for round_ in range(options.rounds):
        order = list(modules) if round_ % 2 == 0 else list(reversed(modules))
        for text_name, text in texts.items():
            for version in order:
                runs[version][text_name].append(_seconds(modules[version], text))
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "loadavg": Path("/proc/loadavg").read_text().split()[:3],
              "cpus": os.cpu_count(), "rounds": options.rounds,
              "seconds_per_20MB": {v: {t: round(statistics.median(s), 3) for t, s in r.items()}
                                   for v, r in runs.items()}}
    write_result("nesting-check", result, _markdown)


def _markdown(result: object) -> str:
    assert isinstance(result, dict)
    figures = result["seconds_per_20MB"]
    versions = list(figures)
    lines = [f"# Restore nesting check, seconds per 20 MB (median of {result['rounds']})", "",
             f"{result['date']}, load {' '.join(result['loadavg'])}, {result['cpus']} CPUs", "",
             "| input | " + " | ".join(versions) + (" | before/after |" if len(versions) > 1
                                                    else " |"),
             "|---|" + "---|" * (len(versions) + (len(versions) > 1))]
    for text in LINES:
        row = [f"{figures[v][text]:.3f}" for v in versions]
        if len(versions) > 1:
            row.append(f"{figures['before'][text] / max(figures['after'][text], 1e-9):.1f}x")
        lines.append(f"| {text} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
