"""A small blog served over HTTP by a real ORM, for the query-log tests (tests/test_sql_log_orm.py).

    python tests/ormapp.py --orm sqlalchemy|django --driver psycopg2|psycopg --dsn DSN --schema S
                           --application-name NAME --logging min_duration|statement

Tables `authors` and `posts` must exist in schema S (the test creates and fills them). Two endpoints,
each answering {"queries": <statements the ORM ran>}:
- GET /posts/lazy: the 12 newest posts, then each post's author loaded lazily (1 + 12 queries);
- GET /posts/eager: the same page with its authors loaded in one more query (selectinload /
  prefetch_related: 2 queries).
Statement logging is turned on for the app's own connections only (libpq `options`, superuser):
`min_duration` sets log_min_duration_statement = 0, `statement` sets log_statement = 'all' and
log_duration = on. One server thread, so one pooled connection serves every request. Prints
{"port": N} once listening on 127.0.0.1 (an ephemeral port); stops when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

PAGE = 12
LOGGING = {
    "min_duration": "-c log_min_duration_statement=0",
    "statement": "-c log_statement=all -c log_duration=on",
}


def sqlalchemy_app(args):
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Text, create_engine, event, select
    from sqlalchemy.orm import DeclarativeBase, Session, relationship, selectinload

    class Base(DeclarativeBase):
        metadata = MetaData(schema=args.schema)  # SQLAlchemy qualifies every name: FROM s.authors

    class Author(Base):
        __tablename__ = "authors"
        id = Column(Integer, primary_key=True)
        name = Column(Text, nullable=False)

    class Post(Base):
        __tablename__ = "posts"
        id = Column(Integer, primary_key=True)
        title = Column(Text, nullable=False)
        author_id = Column(Integer, ForeignKey(Author.id), nullable=False)
        author = relationship(Author, lazy="select")

    parts = urlsplit(args.dsn)
    url = f"postgresql+{args.driver}://{parts.netloc}{parts.path}"
    engine = create_engine(url, connect_args={"options": LOGGING[args.logging],
                                              "application_name": args.application_name})
    executed = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: executed.__setitem__(0, executed[0] + 1))

    def app(environ, start_response):
        eager = environ["PATH_INFO"].endswith("/eager")
        before = executed[0]
        with Session(engine) as session:
            query = select(Post).order_by(Post.id.desc()).limit(PAGE)
            if eager:
                query = query.options(selectinload(Post.author))
            names = [post.author.name for post in session.scalars(query)]
        return respond(start_response, {"queries": executed[0] - before, "authors": len(set(names))})

    return app


def django_app(args):
    if args.driver == "psycopg2":
        sys.modules["psycopg"] = None  # Django takes psycopg 3 when it can import it
    import django
    from django.conf import settings

    parts = urlsplit(args.dsn)
    settings.configure(
        DEBUG=False, SECRET_KEY="test", ALLOWED_HOSTS=["*"], MIDDLEWARE=[], ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes"], USE_TZ=True,
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "postgres", "HOST": parts.hostname, "PORT": parts.port or 5432,
            "CONN_MAX_AGE": None,  # one persistent connection, as production Django apps run
            "OPTIONS": {"options": f"-c search_path={args.schema} {LOGGING[args.logging]}",
                        "application_name": args.application_name},
        }},
    )
    django.setup()
    from django.db import connection, models
    from django.http import JsonResponse

    class Author(models.Model):
        name = models.TextField()

        class Meta:
            app_label = "blog"
            db_table = "authors"

    class Post(models.Model):
        title = models.TextField()
        author = models.ForeignKey(Author, on_delete=models.CASCADE)

        class Meta:
            app_label = "blog"
            db_table = "posts"

    executed = [0]

    def counting(execute, sql, params, many, context):
        executed[0] += 1
        return execute(sql, params, many, context)

    def page(request, eager: bool):
        before = executed[0]
        with connection.execute_wrapper(counting):
            posts = Post.objects.order_by("-id")
            if eager:
                posts = posts.prefetch_related("author")
            names = [post.author.name for post in posts[:PAGE]]
        return JsonResponse({"queries": executed[0] - before, "authors": len(set(names))})

    from django.urls import path

    global urlpatterns
    urlpatterns = [path("posts/lazy", lambda r: page(r, False)), path("posts/eager", lambda r: page(r, True))]
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


urlpatterns: list = []


def respond(start_response, body: dict):
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orm", choices=["sqlalchemy", "django"], required=True)
    ap.add_argument("--driver", choices=["psycopg2", "psycopg"], required=True)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--application-name", required=True)
    ap.add_argument("--logging", choices=sorted(LOGGING), required=True)
    args = ap.parse_args()
    app = sqlalchemy_app(args) if args.orm == "sqlalchemy" else django_app(args)
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    print(json.dumps({"port": server.server_port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
