"""DSN passwords never reach error text: malformed URIs and conninfo strings, fixed and fuzzed.

Every DSN points at 127.0.0.1 port 1 (nothing listens: refused at once) or is malformed, so no case
can reach a server; the commands must say one line, exit 2 and never show the password.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tools.db import connect, redact
from tools.errors import InputError

PW = "Zq9xSecr3t"  # the password in every fixed case; found nowhere else in any message

MALFORMED = [
    # URIs
    f"postgresql://u:{PW}@127.0.0.1:1/db",
    f"postgres://u:{PW}@127.0.0.1:1/db",
    f"postgresql://u:{PW}@127.0.0.1:notaport/db",
    f"postgresql://u:{PW}@127.0.0.1:99999/db",
    f"postgresql://u:{PW}@127.0.0.1:-1/db",
    f"postgresql://u:{PW}@[::1/db",
    f"postgresql://u:{PW}@[]:1/db",
    f"postgresql://u:{PW}@127.0.0.1:1/db?foo=bar",
    f"postgresql://u:{PW}@127.0.0.1:1/db?sslmode",
    f"postgresql://u:{PW}@127.0.0.1:1/db?sslmode=a=b",
    f"postgresql://u:{PW}@127.0.0.1:1/db?sslmode=bogus",
    f"postgresql://u:{PW}@127.0.0.1:1/db?connect_timeout=abc",
    f"postgresql://u:{PW}@127.0.0.1:1/db?%zz=1",
    f"postgresql://u:{PW}@127.0.0.1:1/db?application_name=%00",
    f"postgresql://u:{PW}%zz@127.0.0.1:1/db",
    f"postgresql://u:{PW}%00@127.0.0.1:1/db",
    f"postgresql://u:{PW} x@127.0.0.1:1/db",
    f"postgresql://u:{PW}@127.0.0.1:1/db x",
    f"postgresql://u:{PW}@127.0.0.1:1,127.0.0.1:1/db?hostaddr=127.0.0.1",
    f"postgresql://u:{PW}@127.0.0.1:1/db?port=1,2,3",
    f"postgresql://u:{PW}@127.0.0.1:1/db?target_session_attrs=nope",
    f"postgresql://u:{PW}@127.0.0.1:1/db?password={PW}x",
    f"postgresql://u@127.0.0.1:1/db?password={PW}&bogus",
    f"postgresql://u@127.0.0.1:1/db?sslpassword={PW}&sslmode=nope",
    f"postgresql://u:{PW}@127.0.0.1:1:2/db",
    f"postgresql://u:{PW}@127.0.0.1:1/db?gssencmode=bogus",
    f"postgresql://u:{PW}@127.0.0.1:1/db?channel_binding=maybe",
    f"postgresql://u:{PW}@@127.0.0.1:1/db",
    f"postgresql://:{PW}@127.0.0.1:1/db?host=",
    f"postgresql://u:{PW}@127.0.0.1:1/db?keepalives=yes",
    f"PostgreSQL://u:{PW}@127.0.0.1:1/db",
    f"postgresql+psycopg://u:{PW}@127.0.0.1:1/db",
    f"mysql://u:{PW}@127.0.0.1:1/db",
    f"u:{PW}@127.0.0.1:1/db",
    # key=value conninfo
    f"host=127.0.0.1 port=1 user=u password={PW}",
    f"host=127.0.0.1 port=1 user=u password='{PW}",
    f"host=127.0.0.1 port=1 user=u password={PW} bogus",
    f"host=127.0.0.1 port=1 user=u password={PW} bogus=1",
    f"host=127.0.0.1 port=x user=u password={PW}",
    f"host=127.0.0.1 port=1 user=u password = {PW} sslmode=maybe",
    f"password={PW} host=127.0.0.1 port=1 connect_timeout=soon",
    f"password={PW}host=127.0.0.1 port=1",
    f"host=127.0.0.1 port=1 password='{PW}\\' user=u",
    f"host=127.0.0.1 port=1 sslpassword={PW} sslmode=verify",
    f"host=127.0.0.1 port=1 user=u password={PW} options='-c x",
    f"{PW}",
    f"password {PW}",
]


def assert_silent(message: str, password: str = PW) -> None:
    assert password not in message
    assert password.lower() not in message.lower()


@pytest.mark.parametrize("dsn", MALFORMED)
def test_malformed_dsns_never_show_the_password(dsn, run_cli):
    assert_silent(redact(dsn))
    for argv in (("db", "health", "--dsn", dsn), ("db", "explain", "--dsn", dsn, "SELECT 1")):
        code, out, err = run_cli(*argv)
        assert (code, out) == (2, ""), err
        assert err.count("\n") == 1 and "PostgreSQL" in err
        assert_silent(err)


def test_the_list_is_long_enough():
    assert len(MALFORMED) >= 40


_PASSWORD_CHARS = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~ '\"\\"
_TEMPLATES = [
    "postgresql://u:{pw}@127.0.0.1:1/db",
    "postgresql://u:{pw}@127.0.0.1:1/db?{junk}",
    "postgresql://u:{pw}{junk}@127.0.0.1:1/db",
    "postgresql://u:{junk}{pw}@127.0.0.1:1/{junk}",
    "postgresql://{junk}:{pw}@127.0.0.1:1",
    "postgresql://u@127.0.0.1:1/db?password={pw}&{junk}",
    "host=127.0.0.1 port=1 password={pw} {junk}",
    "host=127.0.0.1 port=1 password='{pw}' {junk}",
    "{junk} password={pw} host=127.0.0.1 port=1",
    "host=127.0.0.1 port=1 sslpassword={pw} {junk}",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from(_TEMPLATES),
    middle=st.text(_PASSWORD_CHARS, min_size=4, max_size=24),
    junk=st.text(_PASSWORD_CHARS, max_size=12),
)
def test_fuzzed_dsns_never_show_the_password(template, middle, junk):
    password = f"k{middle}Q"  # the marker letters keep it from matching ordinary message text by chance
    assume(password not in junk)
    dsn = template.format(pw=password, junk=junk)
    assert password not in redact(dsn)
    try:
        conn = connect(dsn, timeout_s=2)
    except InputError as exc:
        text = str(exc)
        assert "\n" not in text
        assert password not in text, text
    else:  # pragma: no cover - nothing listens on port 1
        conn.close()
        pytest.fail(f"connected with {dsn!r}")
