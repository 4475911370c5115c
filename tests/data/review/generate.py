"""Regenerate the review fixtures: `.venv/bin/python tests/data/review/generate.py`.

Writes tests/data/review/<name>.diff (a git diff of each before/after pair) and <name>.expected.

Expected findings are authored as `# expect: CODE` / `-- expect: CODE` markers on the after side.
"""
import difflib
import pathlib
import re

OUT = pathlib.Path(__file__).resolve().parent
OUT.mkdir(parents=True, exist_ok=True)
MARK = re.compile(r"(?:#|--) expect: ([A-Z0-9, ]+)")


def diff_for(path, before, after):
    a = before.splitlines(keepends=True) if before is not None else []
    b = after.splitlines(keepends=True)
    head = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        head.append("new file mode 100644\n")
    body = list(difflib.unified_diff(a, b, fromfile=f"a/{path}" if before is not None else "/dev/null",
                                     tofile=f"b/{path}", n=3))
    return "".join(head + body)


def write(name, files):
    text, expected = "", []
    for path, before, after in files:
        text += diff_for(path, before, after)
        for i, line in enumerate(after.splitlines(), 1):
            m = MARK.search(line)
            if m:
                for code in m.group(1).split(","):
                    expected.append(f"{path}:{i} {code.strip()}")
    (OUT / f"{name}.diff").write_text(text)
    (OUT / f"{name}.expected").write_text("".join(e + "\n" for e in sorted(expected)))


# --- PERF101 query_in_loop
write("perf101_query_in_loop", [("app/orders.py", '''\
def load(db, ids):
    out = []
    for i in ids:
        out.append(db.execute("SELECT name FROM users WHERE id = %s", (i,)))
    return out
''', '''\
def load(db, ids):
    out = []
    for i in ids:
        out.append(db.execute("SELECT name FROM users WHERE id = %s", (i,)))
    return out


def load_orders(session, users):
    return [session.query(Order).filter_by(user_id=u.id).first() for u in users]  # expect: PERF101


async def load_profiles(conn, ids):
    profiles = []
    for i in ids:
        profiles.append(await conn.fetchrow("SELECT bio FROM profiles WHERE id = $1", i))  # expect: PERF101
    return profiles


def load_django(ids):
    while ids:
        yield User.objects.get(pk=ids.pop())  # expect: PERF101


def load_sqlalchemy(db, ids):
    return {i: db.session.get(User, i) for i in ids}  # expect: PERF101
''')])
write("clean_perf101_query_in_loop", [("app/orders.py", None, '''\
def load(db, ids):
    return db.execute("SELECT id, name FROM users WHERE id = ANY(%s)", (list(ids),))


def load_orders(session, users):
    orders = session.query(Order).filter(Order.user_id.in_([u.id for u in users])).all()
    by_user = {}
    for order in orders:
        by_user.setdefault(order.user_id, []).append(order)
    for row in db.execute("SELECT id FROM t"):
        print(row.get("id"), {}.get(row))
    return by_user


async def fetch_pages(urls, session):
    async with aiohttp.ClientSession() as http:
        return [await http.get(u) for u in urls] + [await session.get(u) for u in urls]
''')])

# --- PERF102 redis_keys
write("perf102_redis_keys", [("app/cache.py", '''\
import redis

r = redis.Redis()
''', '''\
import redis

r = redis.Redis()


def invalidate_user(user_id):
    for key in r.keys(f"user:{user_id}:*"):  # expect: PERF102
        r.delete(key)


def count_sessions(client):
    return len(client.execute_command("KEYS", "session:*"))  # expect: PERF102
''')])
write("clean_perf102_redis_keys", [("app/cache.py", None, '''\
import redis

r = redis.Redis()


def invalidate_user(user_id, settings):
    for key in r.scan_iter(match=f"user:{user_id}:*", count=1000):
        r.delete(key)
    return list(settings.keys())
''')])

# --- PERF103 blocking_call_in_async
write("perf103_blocking_call_in_async", [("app/api.py", '''\
import time

import requests
''', '''\
import time
from subprocess import run

import psycopg
import requests


async def fetch_user(user_id):
    resp = requests.get(f"https://users.internal/{user_id}", timeout=5)  # expect: PERF103
    time.sleep(0.1)  # expect: PERF103
    return resp.json()


async def export(path):
    run(["gzip", path])  # expect: PERF103
    conn = psycopg.connect("dbname=app")  # expect: PERF103
    return conn


def sync_is_fine():
    time.sleep(1)
''')])
write("clean_perf103_blocking_call_in_async", [("app/api.py", None, '''\
import asyncio

import httpx
import requests


async def fetch_user(client: httpx.AsyncClient, user_id):
    resp = await client.get(f"https://users.internal/{user_id}")
    await asyncio.sleep(0.1)
    other = await asyncio.to_thread(requests.get, "https://x.internal", timeout=5)

    def worker():
        return requests.get("https://y.internal", timeout=5)

    return resp.json(), other, await asyncio.to_thread(worker)
''')])

# --- PERF104 http_without_timeout
write("perf104_http_without_timeout", [("app/client.py", '''\
import requests

requests.get("https://old.example.com")
''', '''\
import httpx
import requests as rq
from urllib.request import urlopen

rq.get("https://old.example.com")  # expect: PERF104
session = rq.Session()


def ping():
    rq.post("https://api.example.com/ping", json={})  # expect: PERF104
    session.get("https://api.example.com/health")  # expect: PERF104
    httpx.get("https://api.example.com", timeout=None)  # expect: PERF104
    return urlopen("https://api.example.com")  # expect: PERF104
''')])
write("clean_perf104_http_without_timeout", [("app/client.py", None, '''\
import httpx
import requests

session = requests.Session()


def ping(**kwargs):
    requests.post("https://api.example.com/ping", json={}, timeout=(3.05, 10))
    session.get("https://api.example.com/health", timeout=5)
    requests.get("https://api.example.com", **kwargs)
    return httpx.get("https://api.example.com")
''')])

# --- PERF105 cache_set_without_ttl
write("perf105_cache_set_without_ttl", [("app/profile_cache.py", None, '''\
import json

import redis

redis_client = redis.Redis()


def cache_profile(user_id, profile):
    redis_client.set(f"user:{user_id}", json.dumps(profile))  # expect: PERF105


def cache_stats(stats):
    pipe = redis_client.pipeline()
    pipe.hset("stats:daily", mapping=stats)  # expect: PERF105
    pipe.execute()
''')])
write("clean_perf105_cache_set_without_ttl", [("app/profile_cache.py", None, '''\
import json

import redis

redis_client = redis.Redis()


def cache_profile(user_id, profile, ctx_var):
    redis_client.set(f"user:{user_id}", json.dumps(profile), ex=300)
    redis_client.setex("flags", 60, "1")
    ctx_var.set(user_id)


def cache_stats(stats):
    redis_client.hset("stats:daily", mapping=stats)
    redis_client.expire("stats:daily", 86400)
''')])

# --- PERF106 unbounded_query_in_handler
write("perf106_unbounded_query_in_handler", [("app/routes.py", None, '''\
from fastapi import APIRouter

router = APIRouter()


@router.get("/orders")
def list_orders(session):
    return session.query(Order).order_by(Order.id).all()  # expect: PERF106


def list_users(request):
    cur = connection.cursor()
    cur.execute("SELECT id, name FROM users")
    return cur.fetchall()  # expect: PERF106


def batch_job(session):
    return session.query(Order).all()
''')])
write("clean_perf106_unbounded_query_in_handler", [("app/routes.py", None, '''\
from fastapi import APIRouter

router = APIRouter()


@router.get("/orders")
def list_orders(session, after: int = 0):
    return session.query(Order).filter(Order.id > after).order_by(Order.id).limit(50).all()


def list_users(request):
    cur = connection.cursor()
    cur.execute("SELECT id, name FROM users ORDER BY id LIMIT 100")
    return cur.fetchall(), User.objects.all()[:20]
''')])

# --- PERF107 sync_sleep_retry
write("perf107_sync_sleep_retry", [("app/retry.py", None, '''\
import time

import requests

RETRY_DELAY = 2


def fetch(url):
    for _ in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.RequestException:
            time.sleep(RETRY_DELAY)  # expect: PERF107
    raise RuntimeError(url)


def poll(job):
    while True:
        try:
            return job.result()
        except TimeoutError:
            time.sleep(1)  # expect: PERF107
''')])
write("clean_perf107_sync_sleep_retry", [("app/retry.py", None, '''\
import random
import time

import requests


def fetch(url):
    delay = 0.1
    for attempt in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.RequestException:
            time.sleep(delay * 2 ** attempt + random.uniform(0, 0.1))
    raise RuntimeError(url)


def tick(items):
    for item in items:
        item.process()
        time.sleep(0.5)
''')])

# --- PERF108 repeated_call_in_loop_invariant
write("perf108_repeated_call_in_loop_invariant", [("app/parse.py", None, '''\
import json
import re


def parse(lines, raw_config, allowed):
    out = []
    for line in lines:
        pattern = re.compile(r"^(\\w+)=(.*)$")  # expect: PERF108
        config = json.loads(raw_config)  # expect: PERF108
        if line in set(allowed):  # expect: PERF108
            out.append((pattern.match(line), config))
    return out
''')])
write("clean_perf108_repeated_call_in_loop_invariant", [("app/parse.py", None, '''\
import json
import re

PATTERN = re.compile(r"^(\\w+)=(.*)$")


def parse(lines, raw_config, allowed):
    config = json.loads(raw_config)
    allowed_set = set(allowed)
    out = []
    for line in lines:
        item = json.loads(line)
        seen = set(item)
        seen.add(line)
        if line in allowed_set:
            out.append((PATTERN.match(line), config, re.compile(line)))
    return out
''')])

# --- SQL rules (via tools.sql), in a .sql file and in Python literals
write("sql_rules", [("db/reports.sql", '''\
SELECT * FROM legacy_table;
''', '''\
SELECT * FROM legacy_table;
SELECT * FROM orders WHERE status = 'open'; -- expect: SQL002
SELECT id FROM users WHERE email LIKE '%@example.com'; -- expect: SQL003
SELECT id FROM users ORDER BY id LIMIT 20 OFFSET 4000; -- expect: SQL005
DELETE FROM sessions; -- expect: SQL006
UPDATE users SET active = false; -- expect: SQL007
SELECT id FROM users WHERE lower(email) = 'a@b.c'; -- expect: SQL004
'''), ("app/queries.py", None, '''\
def search(db, term):
    return db.execute(
        "SELECT id, name FROM products WHERE name LIKE '%' || %s || '%'",  # expect: SQL003
        (term,),
    )
''')])
write("clean_sql_rules", [("db/reports.sql", None, '''\
SELECT id, status FROM orders WHERE status = 'open';
SELECT id FROM users WHERE email LIKE 'alice%';
SELECT id FROM users WHERE id > 4000 ORDER BY id LIMIT 20;
DELETE FROM sessions WHERE expires_at < now();
UPDATE users SET active = false WHERE last_login < now() - interval '1 year';
'''), ("app/queries.py", None, '''\
def search(db, term):
    label = "Select an option from the list"
    return label, db.execute("SELECT id, name FROM products WHERE name LIKE %s || '%'", (term,))
''')])

# --- PERF190 secret_in_diff
# Every secret here is made up. The clean twin holds what issue 18 saw flagged by the old keyword pattern:
# test logins, i18n catalogues, the shell's PWD, documented placeholders, well-known defaults, AWS's own
# example key (healthchecks, CTFd, flower, netbox and fastapi-template all have lines like these).
write("perf190_secret_in_diff", [("config/settings.py", None, '''\
import os

DATABASE_URL = "postgresql://app:Hk29xLq7Zt4Wm1Rv@db.internal:5432/app"  # expect: PERF190
AWS_ACCESS_KEY_ID = "AKIA2E0A8F3B244C9986"  # expect: PERF190
DB_PASSWORD = "N3tb0x-Pr0d-2024!q"  # expect: PERF190
SECRET_KEY = "k7Qm2xRp9Lw4Zt8Vb3Nh6Jc1Df5Sa0EgYu"  # expect: PERF190
STRIPE_WEBHOOK_SECRET = "whsec_Zk3LmQ8xR2vT9pW4nB7cH1dF6sJ0aE5g"  # expect: PERF190
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY")
'''), (".env", None, '''\
GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 # expect: PERF190
POSTGRES_PASSWORD=Vb7kq2LmZp9xWr4TfQ81 # expect: PERF190
''')])
write("clean_perf190_secret_in_diff", [("config/settings.py", None, '''\
import os

DATABASE_URL = os.environ["DATABASE_URL"]
EXAMPLE_URL = "postgresql://app:${DB_PASSWORD}@db.internal:5432/app"
password = os.environ.get("PASSWORD")
SECRET_KEY = os.getenv("SECRET_KEY", "---")
BROKER_API = "http://guest:guest@localhost:15672/api/"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
'''), ("hc/front/tests/test_login.py", None, '''\
def test_login(self):
    self.client.login(username="alice@example.org", password="password")
    form = {"email": "alice@example.org", "password": "s3cr3t-Test-Pw"}
'''), ("app/locale/de.json", None, '''\
{"password": "Passwort", "secret": "Geheimnis"}
'''), ("tests/unit/test_utils.py", None, '''\
with patch.dict(os.environ, {'PWD': '/home/user'}):
    pass
'''), ("docs/api.md", None, '''\
    --data '{"api_key": "your-api-key", "name": "Backups"}'
'''), (".env", None, '''\
POSTGRES_PASSWORD=changethis
FIRST_SUPERUSER_PASSWORD=changethis
''')])
