"""Typed read paths (tools/readpath.py): what a model's tool call may open, decided on the type.

The conversation-level attacks (a pasted diff naming /etc/passwd, a new tool with an oddly named path
field, attachments) are in tests/test_runtime_openai.py; here is the pure rule and the type."""

from __future__ import annotations

import os

import pytest
from pydantic import BaseModel, ValidationError

from tools.readpath import (
    READ_GRANT,
    REFUSED,
    PathLabel,
    ReadGrant,
    ReadPath,
    ReadRefused,
    check_read,
    path_fields,
)
from tools.registry import TOOLS


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_only_the_paths_given_open_compared_after_resolving(project):
    given = project / "run.prof"
    given.write_text("x")
    other = project / "other.prof"
    other.write_text("x")
    assert check_read(str(given), [str(given)]) == str(given)
    assert check_read("./run.prof", [str(given)]) == str(given)  # relative or absolute: the same file
    assert check_read(str(project / "sub" / ".." / "run.prof"), ["run.prof"]) == str(given)
    with pytest.raises(ReadRefused, match="not a file the user gave"):
        check_read(str(other), [str(given)])
    with pytest.raises(ReadRefused, match="not a file the user gave"):
        check_read(str(given) + "x", [str(given)])


def test_a_directory_given_allows_what_is_under_it_and_no_symlink_escapes(project, tmp_path):
    data = project / "data"
    data.mkdir()
    (data / "k6.json").write_text("{}")
    outside = tmp_path / "outside.txt"
    outside.write_text("TOP-SECRET")
    (data / "innocent.json").symlink_to(outside)
    assert check_read(str(data / "k6.json"), [str(data)]) == str(data / "k6.json")
    with pytest.raises(ReadRefused):
        check_read(str(data / "innocent.json"), [str(data)])  # the link leads out of the allowed tree
    with pytest.raises(ReadRefused):
        check_read(str(data / ".." / ".." / "outside.txt"), [str(data)])


def test_naming_the_public_key_does_not_open_the_private_one(project):
    ssh = project / "keys"
    ssh.mkdir()
    (ssh / "id_rsa").write_text("PRIVATE")
    (ssh / "id_rsa.pub").write_text("ssh-rsa AAAA")
    with pytest.raises(ReadRefused):
        check_read(str(ssh / "id_rsa"), [str(ssh / "id_rsa.pub")])


@pytest.mark.parametrize("where", [
    "/etc/passwd", "/proc/self/environ", "/sys/kernel/notes", "/dev/zero", "~/.ssh/id_ed25519", "~/.aws/credentials",
    "~/.config/gcloud/application_default_credentials.json", "~/.bashrc", "~/.netrc", "~/.kube/config",
])
def test_sensitive_locations_are_refused_even_when_given(project, where):
    with pytest.raises(ReadRefused, match="refused"):
        check_read(where, [where, "/"])


@pytest.mark.parametrize("name", [".env", ".env.production", "prod.env", "server.key", "cert.pem", "id_ecdsa",
                                  "credentials.json", "secrets.toml", ".git/config", "store.p12"])
def test_key_credential_and_env_files_are_refused_in_the_project_too(project, name):
    target = project / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x")
    with pytest.raises(ReadRefused, match="refused"):
        check_read(str(target), [str(project)])


def test_a_link_to_a_key_is_refused_whatever_its_name(project, tmp_path):
    key = tmp_path / "id_rsa"
    key.write_text("PRIVATE")
    link = project / "samples.txt"
    link.symlink_to(key)
    with pytest.raises(ReadRefused, match="id_rsa"):
        check_read(str(link), [str(link)])


def test_dotfiles_in_the_project_are_fine_outside_they_are_not(project, tmp_path):
    inside = project / ".lmagent" / "k6.json"
    inside.parent.mkdir()
    inside.write_text("{}")
    assert check_read(str(inside), [str(project)]) == str(inside)
    outside = tmp_path / ".cache" / "k6.json"
    outside.parent.mkdir()
    outside.write_text("{}")
    with pytest.raises(ReadRefused, match="dotfiles outside the project"):
        check_read(str(outside), [str(tmp_path)])


class _Inner(BaseModel):
    where: ReadPath


class _OddlyNamed(BaseModel):
    """A tool nobody wrote yet: its path fields are not called path or paths."""

    config_location: ReadPath
    extra_inputs: list[_Inner] = []
    by_name: dict[str, ReadPath] = {}
    shown_as: PathLabel | None = None


def test_the_rule_holds_on_the_type_whatever_the_field_is_called(project, tmp_path):
    ok = project / "ok.json"
    ok.write_text("{}")
    grant = ReadGrant(allowed=(str(ok),))
    secret = str(tmp_path / "elsewhere.txt")
    for args in ({"config_location": secret},
                 {"config_location": str(ok), "extra_inputs": [{"where": secret}]},
                 {"config_location": str(ok), "by_name": {"a": secret}}):
        with pytest.raises(ValidationError) as exc:
            _OddlyNamed.model_validate(args, context={READ_GRANT: grant})
        assert [e["type"] for e in exc.value.errors()] == [REFUSED]
    accepted = _OddlyNamed.model_validate({"config_location": "ok.json", "shown_as": "/etc/passwd"},
                                          context={READ_GRANT: grant})
    assert accepted.config_location == str(ok)  # the tool gets the resolved path; a label is never opened
    assert _OddlyNamed.model_validate({"config_location": secret}).config_location == secret  # no grant: the CLI
    assert path_fields(_OddlyNamed) == {"config_location": "read", "extra_inputs": "read", "by_name": "read",
                                        "shown_as": "label"}


def test_every_path_field_of_every_registered_tool_is_typed():
    """A new tool that takes a file must say whether it opens it (ReadPath) or only names it (PathLabel):
    a plain `str` path field would slip past the guard."""
    for name, spec in TOOLS.items():
        model, _ = spec.load()
        typed = path_fields(model)
        for field, info in model.model_fields.items():
            said = f"{field} {info.description or ''}".lower()
            if any(word in said for word in ("path", "file")) and field not in typed:
                pytest.fail(f"{name}.{field} names a file but is not typed ReadPath or PathLabel")


def test_registry_calls_hold_model_calls_to_the_grant(project, tmp_path):
    samples = tmp_path / "samples.txt"
    samples.write_text("120 ms\n180 ms\n")
    spec = TOOLS["thresholds"]
    with pytest.raises(ValidationError) as exc:
        spec.call({"paths": [str(samples)]}, read_grant=ReadGrant())
    assert exc.value.errors()[0]["type"] == REFUSED
    report = spec.call({"paths": [str(samples)]}, read_grant=ReadGrant(allowed=(str(samples),)))
    assert report.tool == "thresholds"
    assert spec.call({"paths": [str(samples)]}).tool == "thresholds"  # no grant: a user's own call
    assert os.path.exists(samples)
