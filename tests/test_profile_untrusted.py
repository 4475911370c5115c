"""A profile is untrusted data: `lmagent profile FILE` never runs FILE, and no pstats dump, however
damaged or crafted, crashes or hangs the process (marshal.loads segfaults on 17 bytes)."""

from __future__ import annotations

import cProfile
import json
import marshal
import math
import os
import random
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_cli

from tools.errors import InputError
from tools.profile import parse_profile
from tools.profile.pstats import MarshalError, read_marshal

ROOT = Path(__file__).resolve().parent.parent
# A tuple that holds a reference to itself and is used as a dict key before it is complete:
# marshal.loads hashes the half-built tuple and CPython dies with SIGSEGV (exit 139).
SELF_REFERENCE = b"\xa8" + struct.pack("<i", 1) + b"{r" + struct.pack("<i", 0) + b"i" + struct.pack("<i", 1) + b"0"


def _lmagent(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _workload() -> None:
    import json as json_module

    data = [{"id": i, "name": f"user-{i}", "tags": ["a", "b"]} for i in range(300)]
    for _ in range(3):
        json_module.loads(json_module.dumps(data))
    sorted(str(i) for i in range(2_000))


def _real_dump() -> bytes:
    prof = cProfile.Profile()
    prof.enable()
    _workload()
    prof.disable()
    prof.create_stats()
    return marshal.dumps(prof.stats)  # what dump_stats writes


REAL = _real_dump()


# --- a file argument is data ----------------------------------------------------------------


def _planted_program(tmp_path: Path, name: str) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    program = tmp_path / name
    program.write_text(f"#!{sys.executable}\nopen({str(marker)!r}, 'w').close()\n")
    program.chmod(0o755)
    return program, marker


@pytest.mark.parametrize("argv", [
    ["./run.prof"],  # executable, python shebang: was run under cProfile
    ["run.prof", "--json"],
    ["app.py"],  # a .py file: was run
    ["python", "app.py"],  # several words without `--`: were a command
])
def test_a_file_argument_is_never_run(tmp_path, argv):
    _, marker = _planted_program(tmp_path, "run.prof")
    _planted_program(tmp_path, "app.py")
    proc = _lmagent("profile", *argv, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert not marker.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "`lmagent profile -- python" in lines[0]


def test_a_program_runs_only_after_double_dash(tmp_path):
    program, marker = _planted_program(tmp_path, "app.py")
    proc = _lmagent("profile", "--json", "--", sys.executable, str(program), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker.exists() and json.loads(proc.stdout)["tool"] == "profile"
    # options after `--` belong to the program, not to lmagent
    marker.unlink()
    proc = _lmagent("profile", "--json", "--", sys.executable, str(program), "--top", "0", cwd=tmp_path)
    assert proc.returncode == 0 and marker.exists(), proc.stderr


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give one profile FILE"),
    (["a.prof", "b.prof"], "give one profile FILE"),
    (["--"], "give the program to run after `--`"),
    (["a.prof", "--", "python", "app.py"], "not both"),
    (["--top", "0", "a.prof"], "--top: must be between 1 and 500"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, argv, message):
    proc = _lmagent("profile", *argv, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_the_tool_the_model_calls_cannot_run_a_program(tmp_path):
    """Chat, the model and the offline composer reach profiles only through the registry entry: its
    input names a file to read or pasted text, and reading a program does not run it."""
    from tools.registry import get

    spec = get("profile")
    assert set(spec.openai_schema()["function"]["parameters"]["properties"]) == {"path", "text", "top"}
    assert not spec.side_effects
    program, marker = _planted_program(tmp_path, "run.prof")
    for arguments in ({"path": str(program)}, {"path": str(program), "command": [sys.executable, str(program)]},
                      {"text": f"#!{sys.executable}\nimport os\n"}):
        with pytest.raises(InputError):
            spec.call(arguments)
    assert not marker.exists()


# --- pstats without marshal.loads -----------------------------------------------------------


def test_the_dump_that_crashed_marshal_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "crash.prof").write_bytes(SELF_REFERENCE)
    proc = _lmagent("profile", "crash.prof", cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)  # was -11 (SIGSEGV), shell status 139
    assert proc.stderr.strip() == "crash.prof: not a cProfile/pstats dump (a reference to an object that is still " \
                                  "being read)"


def test_the_reader_reads_what_marshal_reads_on_a_real_dump():
    assert read_marshal(REAL) == marshal.loads(REAL)
    stats = read_marshal(REAL)
    assert any(key[2] == "_workload" for key in stats)


_scalar = (st.none() | st.booleans() | st.integers(-(2**200), 2**200)
           | st.floats(allow_nan=False) | st.text(max_size=40) | st.binary(max_size=20))
_values = st.recursive(_scalar, lambda inner: st.tuples(inner, inner) | st.lists(inner, max_size=5).map(tuple)
                       | st.dictionaries(_scalar, inner, max_size=5), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_values, st.sampled_from([2, 3, 4]))
def test_the_reader_agrees_with_marshal_on_every_value_of_its_subset(value, version):
    data = marshal.dumps(value, version)
    try:
        got = read_marshal(data)
    except MarshalError as exc:
        assert "nested deeper" in str(exc)  # the one refusal on valid data: deeper than a dump nests
        return
    assert got == marshal.loads(data)


@pytest.mark.parametrize(("data", "reason"), [
    (SELF_REFERENCE, "still being read"),
    (b"r" + struct.pack("<i", 0), "bad reference 0"),
    (b"(" + struct.pack("<i", 2**31 - 1), "bad tuple size"),
    (b"l" + struct.pack("<i", -(2**31)), "bad integer size"),
    (b"a" + struct.pack("<i", 10**9) + b"abc", "bad string size"),
    (b"[" + struct.pack("<i", 0), "unexpected type code 0x5b"),  # lists: no dump holds one
    (marshal.dumps(compile("1", "x", "eval")), "unexpected type code"),  # code objects never load
    (marshal.dumps({frozenset(): 1}), "unexpected type code"),
    (b"{" + b"{0" + b"N0", "bad marshal data: unhashable type"),  # a dict as a key
    (b")\x05" + b"N" * 4, "truncated"),
    (marshal.dumps(((((((((((1,),),),),),),),),),)), "nested deeper than a profile"),
])
def test_what_the_reader_refuses(data, reason):
    with pytest.raises(MarshalError, match=reason):
        read_marshal(data)


# --- fuzzing: mutated real dumps ------------------------------------------------------------

# Pieces of marshal that make the interesting damage: references, flagged containers, huge sizes.
_TOKENS = [b"r\x00\x00\x00\x00", b"r\x05\x00\x00\x00", b"\xa9\x01", b"\xa8\x01\x00\x00\x00", b"{", b"0",
           b"(\xff\xff\xff\x7f", b"l\xff\xff\xff\x7f", b"l\x01\x00\x00\x00\xff\xff", b"g", b"z\xff",
           b"f\x03nan", b"f\x03inf", b"i\xff\xff\xff\xff", b"N", b"c", b"<"]


def mutate(base: bytes, ops: list[tuple[int, float, int, int]]) -> bytes:
    data = bytearray(base)
    for op, where, value, size in ops:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        if op == 0 and data:  # overwrite a byte
            data[at] = value
        elif op == 1:  # insert a marshal token
            data[at:at] = _TOKENS[value % len(_TOKENS)]
        elif op == 2:  # delete a run
            del data[at:at + size]
        elif op == 3:  # truncate
            del data[at:]
        elif op == 4:  # duplicate a run elsewhere
            data[at:at] = data[size:size + 64]
        elif op == 5 and data:  # set or clear the reference flag of a type code
            data[at] ^= 0x80
    return bytes(data)


_ops = st.lists(st.tuples(st.integers(0, 5), st.floats(0, 1), st.integers(0, 255), st.integers(1, 200)),
                min_size=1, max_size=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ops)
def test_fuzz_mutated_real_dumps_only_raise_input_error(ops):
    try:
        profile = parse_profile(mutate(REAL, ops), "fuzz.prof")
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert profile.format == "pstats" and profile.funcs
    for stat in profile.funcs.values():
        assert math.isfinite(stat.self_time) and math.isfinite(stat.cum_time)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(ops=_ops)
def test_fuzz_mutated_real_dumps_through_the_cli(tmp_path, run_cli, ops):
    path = tmp_path / "fuzz.prof"
    path.write_bytes(mutate(REAL, ops))
    check_cli(*run_cli("profile", str(path), "--json"))


def test_a_thousand_mutated_dumps_in_a_real_process_never_crash_or_hang(tmp_path):
    """In-process tests cannot see a segfault (it would take pytest down): a child process reads
    1,000 seeded mutations through the CLI's entry point and must exit normally, in bounded time."""
    rng = random.Random(14)
    for i in range(1000):
        ops = [(rng.randrange(6), rng.random(), rng.randrange(256), rng.randrange(1, 200))
               for _ in range(rng.randrange(1, 6))]
        (tmp_path / f"m{i}.prof").write_bytes(mutate(REAL, ops))
    (tmp_path / "crash.prof").write_bytes(SELF_REFERENCE)
    child = textwrap.dedent("""\
        import contextlib, io, json, sys
        from pathlib import Path
        from agent.cli import main
        codes = {}
        for path in sorted(Path(sys.argv[1]).glob("*.prof")):
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                code = main(["profile", str(path), "--json"])
            lines = err.getvalue().strip().splitlines()
            assert code in (0, 1) or (code == 2 and len(lines) == 1 and "internal error" not in lines[0]), (path, code, lines)
            codes[code] = codes.get(code, 0) + 1
        print(json.dumps(codes))
    """)
    proc = subprocess.run([sys.executable, "-c", child, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    codes = json.loads(proc.stdout)
    assert sum(codes.values()) == 1001 and codes.get("2", 0) > 0
