"""Coverage-guided fuzzing of the query guard with atheris (run by test_atheris.py).

Every input the guard lets through is run by Oxigraph (the plain form the guard returns, as
the service runs it), whose SERVICE support would call the canary named in the seeds; the
canary counting a connection is a guard bypass.

    python -m tests.attack.guard_fuzzer PORT -runs=20000
    DMKG_FUZZ_UNGUARDED=1 python -m …   # a control: without the guard, the canary is called
"""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports():
    from kg.sparql_reading import Unreadable, read
    from kg.sparql_text import remote_operations

import pyoxigraph as ox

STORE = ox.Store()
STORE.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))


GUARDED = not os.environ.get("DMKG_FUZZ_UNGUARDED")


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    if GUARDED:
        try:
            query = read(text, only_oxigraph=True)
        except Unreadable:
            return
        if remote_operations(query):
            return
        text = query.text
    try:
        result = STORE.query(text)
        if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
            for _ in result:
                pass
    except Exception:  # Oxigraph's own errors are not what is fuzzed here
        pass


def main() -> None:
    atheris.Setup(sys.argv[:1] + sys.argv[2:], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
