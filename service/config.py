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
}

ENV_PREFIX = "DMKG_"


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the file named by DMKG_CONFIG, DMKG_* variables and overrides."""
    config = dict(DEFAULTS)
    config_file = os.environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        data = yaml.safe_load(Path(config_file).read_text(encoding="utf-8")) or {}
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
    if not config["STORE_DIR"]:
        config["STORE_DIR"] = str(Path(config["HOME"]) / "var" / "store")
    return config
