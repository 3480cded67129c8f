"""Evidence settings: the time-stamping authority, read once from a settings file and the environment.

A settings file (``--settings FILE`` or ``MARKWATCH_SETTINGS``) is YAML; its ``evidence`` key holds::

    evidence:
      tsa_url: https://freetsa.org/tsr      # RFC 3161 time-stamping authority (HTTP POST)
      tsa_ca_file: /etc/markwatch/tsa-ca.pem  # the TSA's CA certificate (PEM): tokens are checked against it
      tsa_timeout: 20                        # seconds

``MARKWATCH_TSA_URL``, ``MARKWATCH_TSA_CA`` and ``MARKWATCH_TSA_TIMEOUT`` override the file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from markwatch.errors import ConfigError

#: Environment variables that override the settings file.
ENV_SETTINGS = "MARKWATCH_SETTINGS"  # path of the settings file
ENV_TSA_URL = "MARKWATCH_TSA_URL"  # evidence.tsa_url
ENV_TSA_CA = "MARKWATCH_TSA_CA"  # evidence.tsa_ca_file
ENV_TSA_TIMEOUT = "MARKWATCH_TSA_TIMEOUT"  # evidence.tsa_timeout


class EvidenceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tsa_url: str | None = Field(None, description="RFC 3161 time-stamping authority URL (http or https).")
    tsa_ca_file: Path | None = Field(
        None, description="PEM file with the TSA's CA certificate; tokens are verified against it."
    )
    tsa_timeout: float = Field(20.0, gt=0, description="Seconds to wait for the TSA.")

    @property
    def has_tsa(self) -> bool:
        return bool(self.tsa_url)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> EvidenceSettings:
    """The evidence settings from ``path`` (or ``$MARKWATCH_SETTINGS``) and the environment."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = path or (Path(env[ENV_SETTINGS]) if env.get(ENV_SETTINGS) else None)
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the settings file ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a settings file is a YAML mapping (evidence: {{tsa_url: …}})")
        section = data.get("evidence") or {}
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: `evidence` must be a mapping (evidence: {{tsa_url: …}})")
        raw.update(section)
    if env.get(ENV_TSA_URL):
        raw["tsa_url"] = env[ENV_TSA_URL]
    if env.get(ENV_TSA_CA):
        raw["tsa_ca_file"] = env[ENV_TSA_CA]
    if env.get(ENV_TSA_TIMEOUT):
        raw["tsa_timeout"] = env[ENV_TSA_TIMEOUT]
    known = list(EvidenceSettings.model_fields)
    unknown = [k for k in raw if k not in known]
    if unknown:
        near = difflib.get_close_matches(str(unknown[0]), known, n=1)
        hint = f" (did you mean {near[0]}?)" if near else f" (known: {', '.join(known)})"
        raise ConfigError(f"{path}: unknown key evidence.{unknown[0]}{hint}")
    try:
        settings = EvidenceSettings(**raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"evidence.{'.'.join(str(x) for x in err['loc'])}: {err['msg']} ({path or 'environment'})"
        ) from None
    if settings.tsa_url:
        parts = urlsplit(settings.tsa_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"evidence.tsa_url {settings.tsa_url!r} is not an http(s) URL")
        if settings.tsa_ca_file is None:
            raise ConfigError(
                "evidence.tsa_url is set but not evidence.tsa_ca_file (or MARKWATCH_TSA_CA): give the "
                "TSA's CA certificate (PEM) so its tokens can be checked"
            )
        if not settings.tsa_ca_file.is_file():
            raise ConfigError(f"evidence.tsa_ca_file {settings.tsa_ca_file}: no such file")
    return settings
