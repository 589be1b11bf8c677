"""Read the service configuration once: defaults < file < DMKG_* environment < overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kg.paths import default_layout

DEFAULTS: dict[str, Any] = {
    # Project folder holding ontology/, kg/facts/ and queries/.
    "HOME": str(default_layout().root),
    # Public base of the IRIs; the service answers for them on any host.
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
    # Rows (or triples) an answer may hold; longer answers are cut and say so (0: no cap).
    "RESULT_LIMIT": 100_000,
    # Megabytes of entity answers (REST look-ups, IRI pages) kept until the data changes
    # (0: none kept).
    "RESPONSE_CACHE_MB": 64,
    # Bytes a request body may hold (413 beyond).
    "MAX_REQUEST_BYTES": 10 * 1024 * 1024,
    # Requests per second each client may make, with bursts up to RATE_BURST (0: no limit).
    "RATE_LIMIT": 50.0,
    "RATE_BURST": 200,
    # Requests one client may have in progress at once (0: no limit).
    "CONCURRENCY_LIMIT": 8,
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
