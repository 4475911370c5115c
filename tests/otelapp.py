"""A small bookshop traced by OpenTelemetry auto-instrumentation, with planted problems and healthy
endpoints, for the profile and trace tests and the judgement bench.

    python tests/otelapp.py shop --dsn DSN --schema S --pricing URL [--otlp URL] [--setup]
    python tests/otelapp.py pricing [--otlp URL]

`shop` is Flask + SQLAlchemy 2 on PostgreSQL (psycopg 3), instrumented by
opentelemetry-instrumentation-flask, -sqlalchemy and -urllib; `pricing` is a Flask service that
answers in 40 ms. Spans go to `--otlp` (an OTLP/HTTP endpoint, .../v1/traces) through the SDK's
BatchSpanProcessor and the real OTLP/HTTP exporter; without it nothing is exported (profiling runs).

Endpoints of `shop` (AUTHORS authors with BOOKS_EACH books each):
- GET /books/<id>        healthy: one query by primary key;
- GET /authors/eager     healthy: every author and their books in two queries (selectinload);
- GET /authors/lazy      planted N+1: the authors, then each author's books loaded lazily (1 + 40 queries);
- GET /quote/<id>        planted sequential calls: price, stock, shipping and tax asked one after another
                         from the 40 ms pricing service (four independent calls);
- GET /report           planted CPU work: scores every title against a pattern CPU_ROUNDS times
                         (`score_titles`, pure Python in this file; `re.search` with one pattern).

The server is threaded (werkzeug's, one thread per request), so a profiler that watches only the main
thread (cProfile) sees the accept loop and none of the handlers. Prints {"port": N} once listening on
127.0.0.1 (an ephemeral port); stops when stdin closes, flushing its spans.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time

AUTHORS = 40
BOOKS_EACH = 5
PRICING_MS = 40
CPU_ROUNDS = 250
TITLE_PATTERN = r"(\w+) (of|and) (\w+)"


def tracing(service: str, otlp: str | None):
    """The global TracerProvider, exporting over OTLP/HTTP when an endpoint is given."""
    if not otlp:
        return None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp), schedule_delay_millis=200))
    trace.set_tracer_provider(provider)
    return provider


def score_titles(titles: list[str]) -> int:
    """The CPU-heavy endpoint's work: pure Python over every title, one regex search each."""
    score = 0
    for _ in range(CPU_ROUNDS):
        for title in titles:
            if re.search(TITLE_PATTERN, title):
                score += 1
            for ch in title:
                score = (score * 31 + ord(ch)) % 1_000_003
    return score


def shop_app(args, instrumented: bool):
    from flask import Flask, jsonify
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, create_engine, select
    from sqlalchemy.orm import DeclarativeBase, Session, relationship, selectinload

    class Base(DeclarativeBase):
        metadata = MetaData(schema=args.schema)

    class Author(Base):
        __tablename__ = "authors"
        id = Column(Integer, primary_key=True)
        name = Column(String(80), nullable=False)
        books = relationship("Book", back_populates="author", lazy="select")

    class Book(Base):
        __tablename__ = "books"
        id = Column(Integer, primary_key=True)
        title = Column(String(120), nullable=False)
        author_id = Column(Integer, ForeignKey(Author.id), nullable=False, index=True)
        author = relationship(Author, back_populates="books")

    engine = create_engine(args.dsn.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=8)
    if instrumented:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        from opentelemetry.instrumentation.urllib import URLLibInstrumentor

        # The instrumentation declares sqlalchemy < 2.1 and does nothing on 2.1 unless told to skip the check;
        # its event hooks are the same on 2.1.
        SQLAlchemyInstrumentor().instrument(engine=engine, skip_dep_check=True)
        URLLibInstrumentor().instrument()
    if args.setup:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            words = ["war", "peace", "light", "dark", "river", "stone", "night", "glass"]
            for a in range(1, AUTHORS + 1):
                session.add(Author(id=a, name=f"author {a}", books=[
                    Book(id=(a - 1) * BOOKS_EACH + b + 1,
                         title=f"{words[(a + b) % 8].title()} of {words[(a * b) % 8]} {a}.{b}")
                    for b in range(BOOKS_EACH)]))

    app = Flask("shop")

    @app.get("/books/<int:book_id>")
    def book(book_id: int):
        with Session(engine) as session:
            found = session.get(Book, book_id)
            return jsonify(id=found.id, title=found.title)

    @app.get("/authors/eager")
    def authors_eager():
        with Session(engine) as session:
            authors = session.scalars(select(Author).options(selectinload(Author.books)).order_by(Author.id)).all()
            return jsonify([{"name": a.name, "books": len(a.books)} for a in authors])

    @app.get("/authors/lazy")
    def authors_lazy():
        with Session(engine) as session:
            authors = session.scalars(select(Author).order_by(Author.id)).all()
            return jsonify([{"name": a.name, "books": len(a.books)} for a in authors])  # one query each

    @app.get("/quote/<int:book_id>")
    def quote(book_id: int):
        from urllib.request import urlopen

        parts = {}
        for part in ("price", "stock", "shipping", "tax"):  # independent, asked one after another
            with urlopen(f"{args.pricing}/{part}/{book_id}", timeout=10) as resp:
                parts[part] = json.loads(resp.read())["value"]
        return jsonify(parts)

    @app.get("/report")
    def report():
        with Session(engine) as session:
            titles = list(session.scalars(select(Book.title)))
        return jsonify(score=score_titles(titles))

    return app


def pricing_app():
    from flask import Flask, jsonify

    app = Flask("pricing")

    @app.get("/<part>/<int:book_id>")
    def answer(part: str, book_id: int):
        time.sleep(PRICING_MS / 1000)
        return jsonify(value=book_id * len(part))

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["shop", "pricing"])
    parser.add_argument("--dsn")
    parser.add_argument("--schema")
    parser.add_argument("--pricing", help="base URL of the pricing service")
    parser.add_argument("--otlp", help="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces")
    parser.add_argument("--setup", action="store_true", help="create and fill the tables first")
    args = parser.parse_args(argv)
    provider = tracing(args.role, args.otlp)
    app = shop_app(args, provider is not None) if args.role == "shop" else pricing_app()
    if provider is not None:
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor().instrument_app(app)
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(json.dumps({"port": server.server_port}), flush=True)

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        server.shutdown()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    server.serve_forever()
    if provider is not None:
        provider.shutdown()


if __name__ == "__main__":
    main()
