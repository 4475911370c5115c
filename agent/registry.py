"""The team: every persona in a directory, with handoff partners resolved.

The directory is, in order: the ``--personas DIR`` argument, ``LMAGENT_PERSONAS``, or the personas
shipped with the package. Partners come from each persona's "Interacción con Otros Roles" table: the
Rol column is matched against the other personas' names ("DevOps" → "DevOps Engineer").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.persona import Persona, load_persona
from tools.errors import InputError
from tools.paths import default_personas_dir
from tools.text import fold


@dataclass(frozen=True)
class Partner:
    slug: str
    role_label: str  # the Rol cell as written
    collaboration: str  # the Colaboración cell


@dataclass
class Registry:
    personas: dict[str, Persona]
    partners: dict[str, list[Partner]] = field(default_factory=dict)
    unresolved: dict[str, list[str]] = field(default_factory=dict)  # slug -> Rol cells matching nobody

    @classmethod
    def from_dir(cls, directory: str | Path | None = None) -> Registry:
        root = Path(directory) if directory else default_personas_dir()
        if not root.is_dir():
            raise InputError("personas directory not found", str(root))
        files = sorted(p for p in root.glob("*.md") if p.name.lower() != "readme.md")
        files += sorted(root.glob("*/SKILL.md"))
        if not files:
            raise InputError("no persona files (*.md) in directory", str(root))
        return cls.from_personas([load_persona(f) for f in files])

    @classmethod
    def from_personas(cls, personas: list[Persona]) -> Registry:
        by_slug: dict[str, Persona] = {}
        for p in personas:
            if p.slug in by_slug:
                raise InputError(f"duplicate persona slug '{p.slug}' (also in {by_slug[p.slug].path})", p.path, 1)
            by_slug[p.slug] = p
        reg = cls(personas=by_slug)
        reg._resolve_partners()
        return reg

    def _resolve_partners(self) -> None:
        for persona in self.personas.values():
            found: list[Partner] = []
            missing: list[str] = []
            for label, collaboration in persona.interaction_roles():
                slug = self.match_role(label, exclude=persona.slug)
                if slug is None:
                    missing.append(label)
                elif all(p.slug != slug for p in found):
                    found.append(Partner(slug, label, collaboration))
            self.partners[persona.slug] = found
            if missing:
                self.unresolved[persona.slug] = missing

    def match_role(self, label: str, exclude: str | None = None) -> str | None:
        """The persona a role label names: exact name or slug, else the closest superset of its words."""
        words = set(_words(label))
        if not words:
            return None
        best: tuple[int, str] | None = None
        for slug, p in self.personas.items():
            if slug == exclude:
                continue
            name_words = set(_words(p.name)) | set(_words(slug))
            if fold(label).strip() in (fold(p.name), slug):
                return slug
            if words <= name_words:
                extra = len(set(_words(p.name)) - words)
                if best is None or extra < best[0]:
                    best = (extra, slug)
        return best[1] if best else None

    def get(self, slug: str) -> Persona:
        try:
            return self.personas[slug]
        except KeyError:
            known = ", ".join(sorted(self.personas))
            raise InputError(f"unknown persona '{slug}' (known: {known})") from None

    def __iter__(self):
        return iter(self.personas.values())

    def __len__(self) -> int:
        return len(self.personas)


def _words(text: str) -> list[str]:
    import re

    return [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w]
