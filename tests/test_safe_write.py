"""Every file a command writes goes through tools.safe_write: no symlink followed, no silent overwrite,
an atomic replace, never through a FIFO. Each writing command is tried the way an attacker's checkout
would try it (a committed symlink at the output name), with an existing file, and for a clean write."""

from __future__ import annotations

import cProfile
import os
import stat
from pathlib import Path

import pytest

from tools.errors import InputError
from tools.safe_write import check_target, write_file

REVIEW_DIFF = str(Path(__file__).parent / "data" / "review" / "perf102_redis_keys.diff")
VICTIM = "precious: the runner's own file\n"


@pytest.fixture(autouse=True)
def checkout(monkeypatch, tmp_path):
    """Run in a fresh directory, as the review Action runs in the pull request's checkout; no LLM."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LMAGENT_MODEL"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "checkout"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file outside the checkout that a planted symlink points at."""
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM)
    return path


def _a_profile(tmp_path) -> str:
    prof = cProfile.Profile()
    prof.enable()
    sorted(str(i) for i in range(20_000))
    prof.disable()
    path = tmp_path / "run.prof"
    prof.dump_stats(path)
    return str(path)


def _argv(command: str, out: str, tmp_path) -> list[str]:
    """The command line of each command that writes a file, writing to ``out``."""
    if command == "review":
        return ["review", "--offline", "--diff", REVIEW_DIFF, "--output", f"sarif={out}"]
    if command == "cache-pattern":
        return ["cache-pattern", "cache-aside", "--key", "user:{user_id}", "--out", out]
    return ["profile", _a_profile(tmp_path), "--flamegraph", out]


COMMANDS = ["review", "cache-pattern", "profile"]
NAMES = {"review": "lmagent-review.sarif", "cache-pattern": "user_cache.py", "profile": "flame.svg"}
WRITTEN = {"review": '"version": "2.1.0"', "cache-pattern": "def ", "profile": "<svg"}


def _one_error_line(err: str, path: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: "), err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_planted_symlink_is_not_followed(command, run_cli, checkout, victim, tmp_path):
    name = NAMES[command]
    (checkout / name).symlink_to(victim)
    code, _, err = run_cli(*_argv(command, name, tmp_path))
    assert code == 2
    _one_error_line(err, name)
    assert "symbolic link" in err
    assert victim.read_text() == VICTIM and (checkout / name).is_symlink()
    # --force overwrites files, never through a link
    code, _, err = run_cli(*_argv(command, name, tmp_path), "--force")
    assert code == 2 and "symbolic link" in err and victim.read_text() == VICTIM


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlinked_directory_inside_the_checkout_is_not_followed(command, run_cli, checkout, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (checkout / "reports").symlink_to(outside)
    for out in (f"reports/{NAMES[command]}", str(checkout / "reports" / NAMES[command])):
        code, _, err = run_cli(*_argv(command, out, tmp_path))
        assert code == 2, err
        _one_error_line(err, out)
        assert "'reports'" in err and "symbolic link" in err
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_an_existing_file_needs_force(command, run_cli, checkout, tmp_path):
    name = NAMES[command]
    target = checkout / name
    target.write_text(VICTIM)
    target.chmod(0o640)
    code, _, err = run_cli(*_argv(command, name, tmp_path))
    assert code == 2
    _one_error_line(err, name)
    assert "--force" in err and target.read_text() == VICTIM
    code, _, err = run_cli(*_argv(command, name, tmp_path), "--force")
    assert code in (0, 1), err
    assert WRITTEN[command] in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's permissions are kept


@pytest.mark.parametrize("command", COMMANDS)
def test_a_clean_write_is_whole_and_leaves_no_temporary_file(command, run_cli, checkout, tmp_path):
    (checkout / "out").mkdir()
    out = f"out/{NAMES[command]}"
    code, _, err = run_cli(*_argv(command, out, tmp_path))
    assert code in (0, 1), err
    assert WRITTEN[command] in (checkout / out).read_text()
    assert os.listdir(checkout / "out") == [NAMES[command]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_is_refused_without_blocking(command, run_cli, checkout, tmp_path):
    name = NAMES[command]
    os.mkfifo(checkout / name)
    code, _, err = run_cli(*_argv(command, name, tmp_path), "--force")
    assert code == 2 and "FIFO" in err
    _one_error_line(err, name)


def test_review_refuses_before_the_llm_call_and_one_file_named_twice(run_cli, checkout, server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    (checkout / "r.sarif").write_text(VICTIM)
    code, _, err = run_cli("review", "--diff", REVIEW_DIFF, "--output", "sarif=r.sarif")
    assert code == 2 and err.startswith("r.sarif: ")
    assert not server.requests  # refused before the review paid for an LLM call
    code, _, err = run_cli("review", "--offline", "--diff", REVIEW_DIFF, "--output", "sarif=x",
                           "--output", "json=x")
    assert code == 2 and "same file" in err and not (checkout / "x").exists()


def test_profile_refuses_the_flamegraph_before_running_the_program(run_cli, checkout):
    (checkout / "flame.svg").write_text(VICTIM)
    script = checkout / "app.py"
    script.write_text("open('ran', 'w').close()\n")
    code, _, err = run_cli("profile", "--flamegraph", "flame.svg", "--", "python", str(script))
    assert code == 2 and err.startswith("flame.svg: ")
    assert not (checkout / "ran").exists()


# --- the writer itself --------------------------------------------------------------------


def test_write_file_creates_replaces_and_refuses(checkout, victim):
    write_file("a.txt", "één\n")
    assert (checkout / "a.txt").read_bytes() == "één\n".encode()
    with pytest.raises(InputError, match="already exists"):
        write_file("a.txt", "x")
    write_file("a.txt", b"\x00bytes", force=True)
    assert (checkout / "a.txt").read_bytes() == b"\x00bytes"
    (checkout / "link").symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"):
        write_file("link", "x", force=True)
    (checkout / "dangling").symlink_to(checkout / "nowhere")
    with pytest.raises(InputError, match="symbolic link"):
        write_file("dangling", "x")
    assert not (checkout / "nowhere").exists()
    (checkout / "d").mkdir()
    with pytest.raises(InputError, match="a directory"):
        write_file("d", "x", force=True)
    for bad in ("", "dir/", ".", ".."):
        with pytest.raises(InputError, match="not a file name"):
            write_file(bad, "x")
    with pytest.raises(InputError) as info:
        write_file("missing/x.txt", "x")
    assert str(info.value) == "missing/x.txt: No such file or directory"
    assert victim.read_text() == VICTIM
    assert sorted(os.listdir(checkout)) == ["a.txt", "d", "dangling", "link"]


def test_directories_outside_the_working_directory_are_the_users_choice(checkout, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)  # like /tmp -> /private/tmp on macOS
    write_file(str(tmp_path / "alias" / "out.txt"), "ok")
    assert (real / "out.txt").read_text() == "ok"
    write_file("../alias/rel.txt", "ok")  # `..` leaves the checkout, the link above it is followed...
    assert (real / "rel.txt").read_text() == "ok"
    (checkout / "inner").symlink_to(real)
    (checkout / "sub").mkdir()
    with pytest.raises(InputError, match="'inner'"):  # ...one inside it is not
        write_file("sub/../inner/x.txt", "x")


def test_check_target_says_what_write_file_would_say(checkout, victim):
    (checkout / "link").symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"):
        check_target("link", force=True)
    check_target("new.txt")
    (checkout / "new.txt").write_text("x")
    with pytest.raises(InputError, match="--force"):
        check_target("new.txt")
    check_target("new.txt", force=True)


def test_a_temporary_name_is_not_predictable(checkout, monkeypatch):
    """The temporary file is created with O_EXCL under a random name: two writes never share it."""
    seen = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        if isinstance(path, str) and path.startswith(".lmagent-"):
            assert flags & os.O_EXCL and flags & os.O_NOFOLLOW
            seen.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    write_file("a", "1")
    write_file("b", "2")
    assert len(seen) == 2 and seen[0] != seen[1] and len(seen[0]) >= len(".lmagent-") + 16
