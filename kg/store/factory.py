"""Open the backend a configuration asks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.store.base import Backend
from kg.store.embedded import file_identity, prepare_store
from kg.store.oxigraph_backend import OxigraphBackend
from kg.store.rdflib_backend import RdflibBackend
from kg.store.remote import RemoteBackend
from kg.store.writable import StoreOrigin, prepare_writable_store

ENGINES = ("oxigraph", "memory", "rdflib")


class StoreUnavailable(RuntimeError):
    """The configured store cannot be opened; the message says why and what to do."""


@dataclass(frozen=True)
class StoreSettings:
    """What opening a store takes: the service's settings of the store, typed."""

    engine: str  # oxigraph, memory, rdflib, or sparql+http://HOST/PATH
    home: Path  # the project folder, whose dist/dmkg.nq is served by default
    store_dir: Path  # the on-disk store's folder
    data: tuple[str, ...] = ()  # FILE[=GRAPH-IRI] to serve instead of dist/
    writable: bool = False  # writes are taken (the on-disk store, seeded once)
    store_update_url: str = ""  # a SPARQL server's update endpoint (default: its query one)
    store_user: str = ""
    store_password: str = ""

    @property
    def dataset(self) -> Path:
        """The built dataset served by default."""
        return self.home / "dist" / "dmkg.nq"


def parse_data_argument(argument: str) -> tuple[Path, str | None]:
    """Split FILE[=GRAPH-IRI] into a path and an optional graph name."""
    path, sep, graph = argument.partition("=")
    return Path(path), (graph if sep else None)


def _memory_backend(engine: str) -> Backend:
    return RdflibBackend() if engine == "rdflib" else OxigraphBackend.in_memory()


def remote_backend(settings: StoreSettings, url: str | None = None) -> RemoteBackend:
    """The SPARQL server named by STORE (sparql+http://…) or url, with its credentials."""
    target = url or settings.engine.removeprefix("sparql+")
    return RemoteBackend(target, settings.store_update_url or None,
                         settings.store_user or None, settings.store_password or None)


def _data_files(data: Sequence[str]) -> list[tuple[Path, str | None]]:
    files = [parse_data_argument(argument) for argument in data]
    for path, _graph in files:
        if not path.is_file():
            raise StoreUnavailable(f"{path}: no such file")
    return files


def prepare_writable(settings: StoreSettings) -> tuple[Path, StoreOrigin]:
    """Ready the on-disk store for writing: seeded from DATA, or kept in step with dist/."""
    engine, data = settings.engine, settings.data
    if engine != "oxigraph":
        raise StoreUnavailable(f"writes (WRITE_TOKENS) need the on-disk oxigraph store, "
                               f"not {engine}: their durability rests on its log")
    root = settings.store_dir / "writable"
    if data:
        return prepare_writable_store(root, _data_files(data), built=False)
    dataset = settings.dataset
    if not dataset.is_file():
        raise StoreUnavailable(f"{dataset} does not exist: run 'dmkg build' first")
    return prepare_writable_store(root, [(dataset, None)], built=True)


def open_backend(settings: StoreSettings) -> Backend:
    """Open the store named by STORE, filled from DATA files or from dist/."""
    engine, data = settings.engine, settings.data
    if engine.startswith(("sparql+http://", "sparql+https://")):
        if data:
            raise StoreUnavailable("DATA files are served from a local store; load them into "
                                   "the SPARQL server with 'dmkg load' instead")
        return remote_backend(settings)
    if engine not in ENGINES:
        raise StoreUnavailable(f"unknown STORE {engine!r}; use one of {', '.join(ENGINES)} "
                               "or sparql+http://HOST/PATH")
    if settings.writable:
        folder, source = prepare_writable(settings)
        return OxigraphBackend.writable(folder, source.protected)
    if data:
        backend = _memory_backend(engine)
        for path, graph in _data_files(data):
            backend.load(path, graph)
        return backend
    dataset = settings.dataset
    if not dataset.is_file():
        raise StoreUnavailable(f"{dataset} does not exist: run 'dmkg build' first")
    if engine == "oxigraph":
        identity = file_identity(dataset)
        folder, digest = prepare_store(dataset, settings.store_dir)
        backend = OxigraphBackend.on_disk(folder, digest[:16])
        if identity is not None and file_identity(dataset) == identity:
            backend.loaded_from = (dataset, identity)  # unchanged while it was loaded
        return backend
    backend = _memory_backend(engine)
    backend.load(dataset)
    return backend
