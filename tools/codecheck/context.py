"""What kind of file a changed path is: application code, a test, a migration, docs, an example...

A finding means something else in each: an N+1 in a test costs nothing in production, a per-row UPDATE
in a migration runs once at deploy time, a password in the docs is an example. The rules stay the
same; the review lowers the severity (see ``cap``) and the secret rule reads it to judge a value.
"""

from __future__ import annotations

import re
from typing import Literal

from tools.findings import SEVERITY_RANK, Severity

Context = Literal["app", "test", "migration", "docs", "example", "ci", "vendored", "i18n", "tooling"]

_TEST_DIRS = {"tests", "test", "testing", "spec", "specs", "__tests__", "cypress", "e2e", "fixtures", "testdata",
              "test_data", "__fixtures__", "mocks", "__mocks__"}
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_(tests?|testing)\.py|conftest\.py|tests\.py|.*\.(spec|test)\.[jt]sx?)$")
_MIGRATION_DIRS = {"migrations", "migration", "alembic", "revisions", "migrate"}
_DOCS_DIRS = {"docs", "doc", "documentation", "man"}
_DOC_FILE = re.compile(r"\.(md|rst|txt|adoc|markdown)$|^(readme|changelog|contributing|install)", re.I)
_EXAMPLE_FILE = re.compile(r"(\.(example|sample|dist|template|tmpl|default)$)|(^|[._-])(example|sample)s?([._-]|$)",
                           re.I)
_CI_FILE = re.compile(r"^(docker-compose.*\.ya?ml|compose.*\.ya?ml|vagrantfile|\.gitlab-ci\.yml|jenkinsfile|"
                      r"\.travis\.yml|tox\.ini|noxfile\.py)$", re.I)
_CI_DIRS = {".github", ".ci", ".circleci", ".gitlab", ".buildkite", ".devcontainer"}
# Built or vendored front-end code: minified, bundled, source maps, hashed asset names (main-CA4_OjGq.js).
_VENDORED = re.compile(r"\.min\.(js|css)$|\.bundle(\.dev)?\.js$|\.(js|css)\.map$|(^|/)(vendor|vendored|node_modules|"
                       r"third_party|site-packages|dist)/|[.-](?=[A-Za-z0-9_]*\d)[A-Za-z0-9_]{8}\.(js|css)$", re.I)
# Development data generators and one-off scripts: query counts do not matter there.
_TOOLING_FILE = re.compile(r"^(populate|seed|generate_fake|fake_data|load_fixtures|make_fixtures)\w*\.py$", re.I)
_I18N = re.compile(r"\.(po|pot|mo|xliff|xlf|arb)$|(^|/)(locale|locales|i18n|l10n|translations|lang)/", re.I)


def path_context(path: str) -> Context:
    """The kind of file ``path`` is, from its location and name only (first match wins)."""
    low = path.replace("\\", "/")
    parts = [p for p in low.lower().split("/") if p]
    name = parts[-1] if parts else ""
    dirs = set(parts[:-1])
    if _VENDORED.search(low):
        return "vendored"
    if _I18N.search(low):
        return "i18n"
    if dirs & _TEST_DIRS or _TEST_FILE.match(name):
        return "test"
    if _is_migration(parts):
        return "migration"
    if dirs & _CI_DIRS or _CI_FILE.match(name):
        return "ci"
    if _TOOLING_FILE.match(name):
        return "tooling"
    if _EXAMPLE_FILE.search(name):
        return "example"
    if dirs & _DOCS_DIRS or _DOC_FILE.search(name):
        return "docs"
    return "app"


def _is_migration(parts: list[str]) -> bool:
    from tools.sql.rules import is_migration_path

    # Alembic keeps its env.py next to versions/ (alembic/, db/revisions/): it runs only at migration time.
    return is_migration_path("/".join(parts)) or bool(set(parts[:-1]) & _MIGRATION_DIRS)


def cap(severity: Severity, ceiling: Severity) -> Severity:
    """``severity``, lowered to ``ceiling`` when above it."""
    return severity if SEVERITY_RANK[severity] <= SEVERITY_RANK[ceiling] else ceiling
