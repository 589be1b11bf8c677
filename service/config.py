"""Read the service configuration once: defaults < file < DMKG_* environment < overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.paths import default_layout
from kg.store.factory import StoreSettings

DEFAULTS: dict[str, Any] = {
    # Project folder holding ontology/, kg/facts/ and queries/.
    "HOME": str(default_layout().root),
    # The base that relative IRIs in updates resolve against: one no client controls (never
    # the Host a request names). The dataset's own IRIs are fixed by the build (kg/namespaces).
    "IRI_BASE": "https://w3id.org/dmkg/",
    # Store: oxigraph (on disk, loaded from dist/), memory (Oxigraph in memory), rdflib, or a
    # SPARQL server as sparql+http://HOST/PATH.
    "STORE": "oxigraph",
    # A SPARQL server's update endpoint (default: the query endpoint) and credentials.
    "STORE_UPDATE_URL": "",
    "STORE_USER": "",
    "STORE_PASSWORD": "",
    # Folder of the on-disk store (default: HOME/var/store).
    "STORE_DIR": "",
    # RDF files to serve instead of the built graph, each FILE or FILE=GRAPH-IRI.
    "DATA": [],
    # Seconds a query may run before it is stopped with a 503 (0: no limit).
    "QUERY_TIMEOUT": 10.0,
    # Megabytes of memory the queries running in one process may hold beyond what it held
    # before they started; past it they get a 503 and the process is replaced (0: no cap).
    "QUERY_MEMORY_MB": 1024,
    # Bytes a query or update text may hold (413 beyond); bulk data goes through the Graph
    # Store Protocol.
    "MAX_QUERY_BYTES": 1024 * 1024,
    # Rows (or triples) an answer may hold; longer answers are cut and say so (0: no cap).
    "RESULT_LIMIT": 100_000,
    # Megabytes of entity answers (REST look-ups, IRI pages) kept until the data changes
    # (0: none kept).
    "RESPONSE_CACHE_MB": 64,
    # Bytes a request body may hold (413 beyond).
    "MAX_REQUEST_BYTES": 10 * 1024 * 1024,
    # Bytes a backup sent to /admin/restore may hold (413 beyond); read to a temporary file.
    "MAX_RESTORE_BYTES": 1 << 30,
    # Megabytes of request bodies one worker reads at once (503 with Retry-After beyond).
    "REQUEST_BUFFER_MB": 128,
    # Requests per second each client may make, with bursts up to RATE_BURST (0: no limit).
    "RATE_LIMIT": 50.0,
    "RATE_BURST": 200,
    # Requests one client may have in progress at once (0: no limit): below a worker's 8
    # threads, so that one client never holds them all.
    "CONCURRENCY_LIMIT": 4,
    # A file of `NAME TOKEN` lines: writes (SPARQL Update, Graph Store Protocol) are enabled
    # for the holders of these bearer tokens. Empty: the service is read-only.
    "WRITE_TOKENS": "",
    # Where every write is recorded (default: HOME/var/audit.log).
    "AUDIT_LOG": "",
    # Proxies in front of the service whose X-Forwarded-For names the client (0: none).
    "PROXY_HOPS": 0,
    # Where each request is logged, in the Combined Log Format: a file, or "-" for standard
    # error. Empty: no access log.
    "ACCESS_LOG": "",
    # Addresses of those proxies, separated by commas: X-Forwarded-* headers are believed
    # from them only.
    "TRUSTED_PROXIES": "",
    # Tests only: let SERVICE and LOAD through the query guard (1), to show that query
    # processes have no network of their own. Never set it on a real service.
    "TEST_WITHOUT_GUARD": 0,
}

ENV_PREFIX = "DMKG_"


def _read_file(path: Path) -> Any:
    """Read a YAML configuration file, or say in one line why it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise ValueError(f"{path}: the configuration file cannot be read "
                         f"({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: the configuration file is not UTF-8 ({error.reason} at "
                         f"byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not YAML"
        raise ValueError(f"{path}: the configuration file is not valid YAML{where}: "
                         f"{problem}") from None


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the file named by DMKG_CONFIG, DMKG_* variables and overrides."""
    config = dict(DEFAULTS)
    config_file = os.environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        data = _read_file(Path(config_file))
        if not isinstance(data, dict):
            raise ValueError(f"{config_file}: the configuration must be a mapping of settings")
        config.update({str(k).upper(): v for k, v in data.items()})
    for key in DEFAULTS:
        value = os.environ.get(ENV_PREFIX + key)
        if value is not None:
            config[key] = value.split(os.pathsep) if isinstance(DEFAULTS[key], list) else value
    config.update(overrides or {})
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    for key, default in DEFAULTS.items():
        if isinstance(default, int | float) and not isinstance(config[key], bool):
            try:
                config[key] = type(default)(config[key])
            except (TypeError, ValueError):
                raise ValueError(f"setting {key} must be a number, not {config[key]!r}") from None
            if config[key] < 0:
                raise ValueError(f"setting {key} must not be negative")
    config["TRUSTED_PROXIES"] = ",".join(
        a.strip() for a in str(config["TRUSTED_PROXIES"] or "").split(",") if a.strip())
    if not config["STORE_DIR"]:
        config["STORE_DIR"] = str(Path(config["HOME"]) / "var" / "store")
    return config


@dataclass(frozen=True)
class Settings:
    """The service's settings, typed, read once when the application is made."""

    home: Path
    iri_base: str
    store: str
    store_update_url: str
    store_user: str
    store_password: str
    store_dir: Path
    data: tuple[str, ...]
    query_timeout: float
    query_memory_mb: int
    max_query_bytes: int
    result_limit: int
    response_cache_mb: int
    max_request_bytes: int
    request_buffer_mb: int
    max_restore_bytes: int
    rate_limit: float
    rate_burst: int
    concurrency_limit: int
    write_tokens: str
    audit_log: Path
    proxy_hops: int
    access_log: str
    trusted_proxies: frozenset[str]
    test_without_guard: bool

    @property
    def storage(self) -> StoreSettings:
        """What the store factory (kg.store.factory) takes to open the store."""
        return StoreSettings(self.store, self.home, self.store_dir, self.data,
                             bool(self.write_tokens), self.store_update_url, self.store_user,
                             self.store_password)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        """Type the merged settings of load_config."""
        home = Path(config["HOME"])
        return cls(
            home=home, iri_base=str(config["IRI_BASE"]), store=str(config["STORE"]),
            store_update_url=str(config["STORE_UPDATE_URL"] or ""),
            store_user=str(config["STORE_USER"] or ""),
            store_password=str(config["STORE_PASSWORD"] or ""),
            store_dir=Path(config["STORE_DIR"]), data=tuple(config["DATA"] or ()),
            query_timeout=float(config["QUERY_TIMEOUT"]),
            query_memory_mb=int(config["QUERY_MEMORY_MB"]),
            max_query_bytes=int(config["MAX_QUERY_BYTES"]),
            result_limit=int(config["RESULT_LIMIT"]),
            response_cache_mb=int(config["RESPONSE_CACHE_MB"]),
            max_request_bytes=int(config["MAX_REQUEST_BYTES"]),
            request_buffer_mb=int(config["REQUEST_BUFFER_MB"]),
            max_restore_bytes=int(config["MAX_RESTORE_BYTES"]),
            rate_limit=float(config["RATE_LIMIT"]), rate_burst=int(config["RATE_BURST"]),
            concurrency_limit=int(config["CONCURRENCY_LIMIT"]),
            write_tokens=str(config["WRITE_TOKENS"] or ""),
            audit_log=Path(config["AUDIT_LOG"] or home / "var" / "audit.log"),
            proxy_hops=int(config["PROXY_HOPS"]), access_log=str(config["ACCESS_LOG"] or ""),
            trusted_proxies=frozenset(a for a in str(config["TRUSTED_PROXIES"]).split(",") if a),
            test_without_guard=bool(int(config["TEST_WITHOUT_GUARD"])))


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the settings once: defaults, the DMKG_CONFIG file, DMKG_* variables, overrides."""
    return Settings.of(load_config(overrides))
