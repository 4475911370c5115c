"""yaml.safe_load whose every failure is a yaml.YAMLError with a position.

PyYAML's constructors raise plain Python errors for scalars they cannot build: ``2024-13-01``
(ValueError: month must be in 1..12), ``!!int ''`` (IndexError), ``!!bool maybe`` (KeyError),
``!!timestamp abc`` (AttributeError), or an integer of more than 4300 digits (ValueError). Callers
already turn a YAMLError into a ``path:line: message`` InputError; this makes those cases one too.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, IndexError, KeyError, AttributeError):
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {value[:40]!r} as {node.tag.rsplit(':', 1)[-1]}", node.start_mark,
            ) from None


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
