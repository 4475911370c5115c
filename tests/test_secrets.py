"""Masking (tools/secrets.py): every secret kind people paste is hidden, in every syntax, and text that
only looks like a setting stays readable. The sinks (model request, checkpoint, outputs, error lines)
are tested where they live: tests/test_masking_sinks.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.secrets import find_secrets, mask_and_list_secrets, mask_secrets, mask_value, secret_name_kind

# (what, text, the secret that must not survive). Every literal below is made up.
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
KINDS = [
    # The twelve kinds issue 14 found stored in plain text, first.
    ("env DB_PASSWORD", "DB_PASSWORD=Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("env PGPASSWORD before a command", "PGPASSWORD=s3cr3t-pg psql -h db -U app", "s3cr3t-pg"),
    ("env JWT_SECRET", "JWT_SECRET=jwt-signing-9f8e7d", "jwt-signing-9f8e7d"),
    ("redis URL without user", "redis://:redispw42@cache:6379/0", "redispw42"),
    ("Authorization: Basic", "curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg==' https://api", "YWRtaW46aHVudGVyMg=="),
    ("password with @ in a URL", "postgresql://app:p@ss@w0rd@db.internal:5432/app", "ss@w0rd"),
    ("password with @ and : in a URL", "mysql://root:a:b@c/d@db/x", "a:b@c/d"),
    ("Bearer token", "Authorization: Bearer abc.def.ghi123", "abc.def.ghi123"),
    ("bearer in prose", "usa bearer tok_9a8b7c6d5e para probar", "tok_9a8b7c6d5e"),
    ("export with quotes", "export API_TOKEN='tok en with spaces'", "tok en with spaces"),
    ("YAML", "database:\n  password: hunter2-yaml\n", "hunter2-yaml"),
    ("JSON", '{"client_secret": "cs-123-abc", "user": "x"}', "cs-123-abc"),
    ("JSON escaped inside JSON", '{"text": "{\\"password\\": \\"esc4ped!\\"}"}', "esc4ped!"),
    ("TOML", '[db]\npassword = "toml-pw-1"\n', "toml-pw-1"),
    # Settings by name, in every case style.
    ("any *_PASSWORD", "SMTP_RELAY_PASSWORD=relay-9", "relay-9"),
    ("*_PASS", "DB_PASS=pass-77", "pass-77"),
    ("*_SECRET", "STRIPE_WEBHOOK_SECRET: whsecret99", "whsecret99"),
    ("*_TOKEN", "SENTRY_AUTH_TOKEN=sntrys_abc123", "sntrys_abc123"),
    ("*_KEY", "MY_SERVICE_KEY=svc-key-31337", "svc-key-31337"),
    ("SECRET_KEY", "SECRET_KEY = 'django-insecure-x7!'", "django-insecure-x7!"),
    ("SECRET_KEY_BASE", "SECRET_KEY_BASE=deadbeefcafe", "deadbeefcafe"),
    ("camelCase", "const cfg = { dbPassword: 'camel-pw-1', apiKey: 'camel-key-2' }", "camel-pw-1"),
    ("CamelCase connection string", "Server=db;Database=x;User Id=sa;Password=Conn$tr1ng;", "Conn$tr1ng"),
    ("Azure storage connection string",
     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4==;EndpointSuffix=core.windows.net",
     "Zm9vYmFyYmF6cXV4=="),
    ("Azure SAS URL", "https://acct.blob.core.windows.net/c/b?sv=2022&sig=AbCdEf%2B123%3D&se=2030", "AbCdEf%2B123%3D"),
    ("header X-Api-Key", "X-Api-Key: hdr-key-555", "hdr-key-555"),
    ("API key in prose", "my API key: prose-key-777", "prose-key-777"),
    ("password in prose", "the password is hunter2!", "hunter2!"),
    ("contraseña en prosa", "la contraseña es Clave#2024", "Clave#2024"),
    ("CLI flag", "app --db-password s3cr3t-flag --verbose", "s3cr3t-flag"),
    ("CLI flag with =", "app --token=flagtok123", "flagtok123"),
    ("curl -u", "curl -u admin:curlpw1 https://x", "curlpw1"),
    ("mysql -p", "mysql -u root -pMyPw123 shop", "MyPw123"),
    ("redis-cli -a", "redis-cli -h cache -a redis-auth-1 ping", "redis-auth-1"),
    ("redis.conf", "requirepass foobared99\n", "foobared99"),
    ("SQL role", "CREATE ROLE app LOGIN PASSWORD 'sql-pw-42';", "sql-pw-42"),
    ("SQL identified by", "CREATE USER u IDENTIFIED BY 'ora-pw-7';", "ora-pw-7"),
    ("XML", "<password>xml-pw-3</password>", "xml-pw-3"),
    ("Cookie", "Cookie: sessionid=abc123def456; csrftoken=zzz", "abc123def456"),
    ("PowerShell", '$env:DB_PASSWORD = "ps-pw-8"', "ps-pw-8"),
    ("docker-compose list", "environment:\n  - POSTGRES_PASSWORD=compose-pw\n", "compose-pw"),
    ("token as URL user", "https://x-access-token123456@github.com/o/r.git", "x-access-token123456"),
    # Known token formats.
    ("AWS access key id", "aws_access_key_id = AKIAZ7QR4MNB2XK9PLT5", "AKIAZ7QR4MNB2XK9PLT5"),
    ("AWS session key id", "ASIAZ7QR4MNB2XK9PLT5", "ASIAZ7QR4MNB2XK9PLT5"),
    ("AWS secret access key", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("GitHub classic", "token ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2", "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"),
    ("GitHub OAuth", "gho_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ("GitHub fine-grained", "github_pat_" + "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEF",
     "11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEF"),
    ("GitLab", "glpat-" + "xYz123AbC456dEf789gH", "xYz123AbC456dEf789gH"),
    ("Slack bot", "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKl", "1234567890123-AbCdEfGhIjKl"),
    ("Slack webhook", "https://hooks.slack.com/services/T0000/B0000/XXXXabcdXXXX", "XXXXabcdXXXX"),
    ("Stripe live", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("Stripe restricted", "rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("OpenAI", "sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"),
    ("OpenAI project", "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2", "A1b2C3d4E5f6G7h8I9j0K1l2"),
    ("Anthropic", "sk-ant-api03-" + "R2D2C3P0beepBoopBuzzWhirrClickSpin", "R2D2C3P0beepBoopBuzzWhirrClickSpin"),
    ("Google API", "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q"),
    ("Google OAuth client secret", "GOCSPX-" + "AbCdEfGhIjKlMnOpQrStUvWxYz12", "AbCdEfGhIjKlMnOpQrStUvWxYz12"),
    ("Azure AD client secret", "abc8Q~" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456"),
    ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("PEM private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
     "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    ("OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
     "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("PEM in JSON (service account)", '{"private_key": "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA\\n-----END RSA '
     'PRIVATE KEY-----\\n"}', "MIIEowIBAAKCAQEA"),
    ("truncated PEM", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1", "MHcCAQEEIIrYSSNQFaA2Hwf1"),
    ("npm", "//registry.npmjs.org/:_authToken=npm_" + "a" * 36, "npm_" + "a" * 36),
    ("PyPI", "pypi-AgEIcHlwaS5vcmc" + "B" * 50, "B" * 50),
    ("Hugging Face", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz12345678", "AbCdEfGhIjKlMnOpQrStUvWxYz12345678"),
    ("SendGrid", "SG." + "abcdefghijklmnopqrstuv" + "." + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg",
     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"),
    ("Vault", "VAULT=hvs." + "CAESIAbCdEfGhIjKlMnOpQrSt", "CAESIAbCdEfGhIjKlMnOpQrSt"),
]


@pytest.mark.parametrize(("what", "text", "secret"), KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_of_secret_is_masked(what, text, secret):
    masked, kinds = mask_and_list_secrets(text)
    assert secret not in masked, f"{what}: {masked!r}"
    assert kinds and "[masked:" in masked
    assert mask_and_list_secrets(masked) == (masked, [])  # idempotent: the mask never matches again


@pytest.mark.parametrize("text", [
    "max_tokens=800", "prompt_tokens: 120", "token_type: bearer", "password_hash = hash_password(raw)",
    "the token is expired", "Bearer authentication is used here", "password: str", "token: Optional[str] = None",
    "token = get_token()", "password = os.environ['DB_PASSWORD']", "connect(user=user, password=password)",
    "password = '${DB_PASSWORD}'", "DB_PASSWORD=<your-password>", "api_key: {{ secrets.API_KEY }}",
    "primary_key=True", "cache_key = f'user:{user_id}'", "PASSWORD_MIN_LENGTH = 12", "bypass=1",
    "SELECT * FROM users WHERE password = $1", "CHARS_PER_TOKEN = 4", "P95 de 1.8 s en /users",
    "Seq Scan on orders  (cost=0.00..18334.00 rows=5 width=97) (actual time=0.015..820.3 rows=5 loops=1)",
    "postgresql://db.internal:5432/app", "https://example.com/path?page=2", "git@github.com:org/repo.git",
    'OVERALL_STYLE = {"pass": "bold green", "fail": "bold red"}', "the user passes the key to the lock",
])
def test_text_that_only_looks_like_a_setting_is_left_alone(text):
    assert mask_secrets(text) == text


def test_shipped_personas_and_generated_cache_code_are_left_alone():
    """Masking runs on every answer and every output: the team's own texts must come through whole."""
    from tools.cache_patterns import PATTERNS, CachePatternInput, cache_pattern_tool

    for path in sorted(Path(__file__).resolve().parent.parent.glob("personas/*.md")):
        text = path.read_text()
        assert mask_secrets(text) == text, path.name
    for name in PATTERNS:
        report = cache_pattern_tool(CachePatternInput(pattern=name, key="user:{user_id}", ttl=300))
        assert mask_value(report) is report, name


def test_strict_findings_are_the_known_formats_and_quoted_literals():
    """find_secrets (the review bot's PERF190) stays strict: an unquoted `password=x` in prose is masked
    but is not a finding; a quoted literal or a known token format is."""
    assert find_secrets("password=s3cr3t!") == []
    assert [m.kind for m in find_secrets("password=s3cr3t!", loose=True)] == ["password_assignment"]
    line = 'TOKEN = "ghp_' + "A1b2C3d4" * 5 + '"; URL = "redis://user:s3cr3tpass@cache:6379/0"'
    assert [m.kind for m in find_secrets(line)] == ["github_token", "password_in_url"]
    assert [m.kind for m in find_secrets('password = "hunter2hunter2"')] == ["hardcoded_password"]
    (named,) = find_secrets("DB_PASSWORD=abc123", loose=True)
    assert named.name == "DB_PASSWORD" and named.kind == "password_assignment"


def test_mask_value_walks_structures_and_hides_values_under_secret_names():
    from tools.findings import Finding, Report

    args = {"password": "hunter2", "dsn": "postgres://u:pw1@h/db", "n": 3, "nested": [{"apiKey": "k-1"}]}
    kinds: list[str] = []
    masked = mask_value(args, kinds)
    assert "hunter2" not in json.dumps(masked) and "pw1" not in json.dumps(masked) and "k-1" not in json.dumps(masked)
    assert masked["n"] == 3 and sorted(kinds) == ["password_assignment", "password_in_url", "secret_assignment"]
    report = Report(tool="sql", findings=[Finding(code="SQL001", kind="select_star", severity="warning",
                                                  message="SELECT * in `SELECT * FROM t WHERE token = 'tok-42x'`")])
    out = mask_value(report)
    assert "tok-42x" not in out.model_dump_json() and out is not report and "tok-42x" in report.model_dump_json()
    clean = Report(tool="sql", findings=[])
    assert mask_value(clean) is clean  # nothing to hide: no copy
    assert secret_name_kind("AWS_SECRET_ACCESS_KEY") == "secret_assignment" and secret_name_kind("max_tokens") is None


PASSWORD_CHARS = st.text(alphabet="abcdefghijkLMNOP0123456789@:/!#%^*-_+.~$", min_size=6, max_size=24).filter(
    lambda s: any(c.isalnum() for c in s) and s.strip(".:~") == s and "://" not in s and not s.startswith(("$", "-")))
CONTEXTS = [
    "DB_PASSWORD={}", "export PGPASSWORD={}", 'password: "{}"', "password: {}", '{{"db_password": "{}"}}',
    "postgresql://app:{}@db.internal:5432/app", "redis://:{}@cache:6379", "SECRET_KEY='{}'", "--password {}",
    "apiToken = '{}'", "ACCESS_TOKEN={}", "Authorization: Basic {}",
]


@settings(max_examples=300, deadline=None)
@given(context=st.sampled_from(CONTEXTS), secret=PASSWORD_CHARS, before=st.sampled_from(["", "x ", "\n", "# config\n"]),
       after=st.sampled_from(["", " ", "\n", " # prod\n", "\nNEXT=1"]))
def test_fuzz_passwords_with_any_symbol_never_leak(context, secret, before, after):
    """Passwords holding '@', ':', '/', '#' and friends, in every syntax: never a piece left visible."""
    masked = mask_secrets(before + context.format(secret) + after)
    assert secret not in masked, masked
    assert mask_secrets(masked) == masked
