"""Safe YAML loading, with libyaml's C parser when PyYAML was built with it (several times
faster than the pure-Python one; the process definitions and seeds are read often)."""
from __future__ import annotations

from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)  # nosec B506: a safe loader, C or Python
