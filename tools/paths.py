"""Where shipped data lives, found the same way by agent/ and by tools that cannot import agent/."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_personas_dir() -> Path:
    """$LMAGENT_PERSONAS, else personas/ next to the packages (a checkout or editable install),
    else the copy a wheel installs under <prefix>/share/lmagent/personas."""
    env = os.environ.get("LMAGENT_PERSONAS")
    if env:
        return Path(env)
    source_tree = Path(__file__).resolve().parent.parent / "personas"
    if source_tree.is_dir():
        return source_tree
    return Path(sys.prefix) / "share" / "lmagent" / "personas"


def docs_dir() -> Path:
    """docs/ next to the packages (a checkout or editable install), else the rule pages a wheel installs
    under <prefix>/share/lmagent/docs."""
    source_tree = Path(__file__).resolve().parent.parent / "docs"
    if source_tree.is_dir():
        return source_tree
    return Path(sys.prefix) / "share" / "lmagent" / "docs"
