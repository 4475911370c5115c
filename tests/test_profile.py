"""tools.profile on real cProfile dumps of real workloads, plus speedscope/collapsed input and bad input."""

from __future__ import annotations

import cProfile
import json
import re
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_cli, check_error, check_result, json_number, near_number

from tools.errors import InputError
from tools.profile import ProfileInput, detect_profile, load_profile, parse_profile, profile_tool


def _profiled(tmp_path, fn, *args, name="run.prof"):
    """Run fn under cProfile and dump the stats the way `python -m cProfile -o` does."""
    prof = cProfile.Profile()
    prof.enable()
    fn(*args)
    prof.disable()
    path = tmp_path / name
    prof.dump_stats(path)
    return str(path)


def _codes(report):
    return {f.code for f in report.findings}


def _by_code(report, code):
    return [f for f in report.findings if f.code == code]


# --- the workloads ------------------------------------------------------------------------


def close_enough(a, b):
    return abs(a - b) < 2


def pairs_quadratic(values):
    """Deliberately O(n²): compares every value with every other one."""
    return [(a, b) for a in values for b in values if close_enough(a, b)]


def wait_for_io():
    for _ in range(6):
        time.sleep(0.015)


def match_emails(lines):
    """Builds a new pattern string per line: more patterns than re's cache holds, so it recompiles."""
    return sum(1 for i, line in enumerate(lines) if re.search(r"(\w+)@(\w+)\.com" + str(i % 600), line))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def small_queries(conn, table, n):
    for i in range(n):
        conn.execute(f"SELECT v FROM {table} WHERE id = %s", (i % 10,)).fetchone()


# --- findings on real profiles ------------------------------------------------------------


def test_quadratic_helper_is_many_cheap_calls_from_a_nested_loop(tmp_path):
    path = _profiled(tmp_path, pairs_quadratic, list(range(400)))
    report = profile_tool(ProfileInput(path=path))
    hits = _by_code(report, "PROF001")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.location.node == "close_enough"
    assert hit.evidence["calls"] == 400 * 400
    assert hit.evidence["calls_per_caller_call"] == 400 * 400  # one listcomp call made them all
    assert "O(n²)" in hit.suggestion
    assert "PROF002" not in _codes(report)
    names = [f.name for f in report.data.hot_path]
    assert any(n.startswith("pairs_quadratic") for n in names)


def test_sleep_bound_profile_is_io_wait_not_cpu(tmp_path):
    path = _profiled(tmp_path, wait_for_io)
    report = profile_tool(ProfileInput(path=path))
    [hit] = _by_code(report, "PROF002")
    assert hit.evidence["wait_pct"] > 80
    assert "<built-in method time.sleep>" in hit.evidence["wait_functions"]
    assert report.data.hot_path[-1].name == "<built-in method time.sleep>"
    assert "PROF001" not in _codes(report)


def test_regex_heavy_profile_points_at_regex_and_recompilation(tmp_path):
    lines = [f"user{i}@example.com" for i in range(2500)]
    path = _profiled(tmp_path, match_emails, lines)
    report = profile_tool(ProfileInput(path=path))
    regex = [f for f in _by_code(report, "PROF004") if f.evidence["category"] == "regex"]
    assert len(regex) == 1
    assert regex[0].evidence["pct"] > 50
    assert regex[0].evidence["pattern_compilations"] >= 600
    assert "compile each pattern once" in regex[0].suggestion


def test_exponential_recursion_is_a_memoization_candidate(tmp_path):
    path = _profiled(tmp_path, fib, 20)
    report = profile_tool(ProfileInput(path=path))
    [hit] = _by_code(report, "PROF003")
    assert hit.location.node == "fib"
    assert hit.evidence["primitive_calls"] == 1
    assert hit.evidence["calls"] > 10_000
    assert "PROF001" not in _codes(report)  # per-call time of a recursive function means nothing


@pytest.mark.postgres
def test_time_in_the_postgres_driver_hands_off_to_data_engineer(tmp_path, pg_conn):
    table = "prof_items"
    pg_conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v text)")
    pg_conn.execute(f"INSERT INTO {table} SELECT g, 'v' || g FROM generate_series(0, 9) g")
    path = _profiled(tmp_path, small_queries, pg_conn, table, 300)
    report = profile_tool(ProfileInput(path=path))
    [hit] = _by_code(report, "PROF005")
    assert hit.handoff == "data-engineer"
    assert "lmagent sql --log" in hit.suggestion
    assert hit.evidence["execute_calls"] >= 300


def test_top_lists_are_sorted_and_bounded(tmp_path):
    path = _profiled(tmp_path, pairs_quadratic, list(range(100)))
    data = profile_tool(ProfileInput(path=path, top=5)).data
    assert len(data.top_self) == 5 and len(data.top_cumulative) == 5
    assert [r.self_time for r in data.top_self] == sorted((r.self_time for r in data.top_self), reverse=True)
    assert [r.cum_time for r in data.top_cumulative] == sorted((r.cum_time for r in data.top_cumulative),
                                                               reverse=True)
    assert data.functions >= 5


# --- other formats --------------------------------------------------------------------------

PYSPY_COLLAPSED = textwrap.dedent("""\
    <module> (app.py:40);main (app.py:30);handle (app.py:20);select (selectors.py:468) 700
    <module> (app.py:40);main (app.py:30);handle (app.py:20);render (app.py:12) 200
    <module> (app.py:40);main (app.py:30);load (app.py:8) 100
""")


def test_collapsed_stacks_hot_path_and_wait():
    report = profile_tool(ProfileInput(text=PYSPY_COLLAPSED))
    data = report.data
    assert (data.format, data.unit, data.total) == ("collapsed", "samples", 1000)
    assert [f.name for f in data.hot_path] == [
        "<module> (app.py:40)", "main (app.py:30)", "handle (app.py:20)", "select (selectors.py:468)",
    ]
    assert data.hot_path[2].pct == pytest.approx(90.0)
    [wait] = _by_code(report, "PROF002")
    assert wait.evidence["wait_pct"] == pytest.approx(70.0)


def test_collapsed_lines_without_counts_are_skipped_and_reported():
    text = PYSPY_COLLAPSED + "this line has no count\n"
    data = profile_tool(ProfileInput(text=text)).data
    assert data.total == 1000
    assert data.skipped and "line 4" in data.skipped[0]


def _speedscope(profiles, frames):
    return json.dumps({"$schema": "https://www.speedscope.app/file-format-schema.json",
                       "shared": {"frames": frames}, "profiles": profiles})


def test_speedscope_sampled_profile_in_seconds():
    frames = [{"name": "main", "file": "app.py", "line": 1}, {"name": "parse", "file": "/usr/lib/python3.11/json/decoder.py", "line": 5},
              {"name": "work", "file": "app.py", "line": 9}]
    doc = _speedscope([{"type": "sampled", "name": "MainThread", "unit": "seconds", "startValue": 0, "endValue": 1,
                        "samples": [[0, 1], [0, 1], [0, 2]], "weights": [0.01, 0.01, 0.01]}], frames)
    report = profile_tool(ProfileInput(text=doc))
    assert report.data.unit == "seconds"
    assert report.data.total == pytest.approx(0.03)
    [json_hit] = [f for f in _by_code(report, "PROF004") if f.evidence["category"] == "json"]
    assert json_hit.evidence["pct"] == pytest.approx(66.7, abs=0.1)


def test_speedscope_evented_profile_counts_calls():
    frames = [{"name": "main"}, {"name": "step"}]
    events = [{"type": "O", "frame": 0, "at": 0}]
    for i in range(3):
        events += [{"type": "O", "frame": 1, "at": 10 + 20 * i}, {"type": "C", "frame": 1, "at": 20 + 20 * i}]
    events.append({"type": "C", "frame": 0, "at": 100})
    doc = _speedscope([{"type": "evented", "name": "t", "unit": "milliseconds", "startValue": 0, "endValue": 100,
                        "events": events}], frames)
    data = profile_tool(ProfileInput(text=doc)).data
    step = next(r for r in data.top_self if r.name == "step")
    assert step.calls == 3
    assert step.self_time == pytest.approx(0.030)
    assert data.total == pytest.approx(0.100)


PYSPY_WORKLOAD = textwrap.dedent("""\
    import time

    def busy():
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            sum(i * i for i in range(2000))

    def nap():
        time.sleep(0.5)

    busy()
    nap()
""")


def _py_spy(tmp_path, fmt, *flags):
    """Record the workload with the real py-spy (a dev dependency; needs ptrace, which root has)."""
    import shutil
    import subprocess

    exe = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    assert exe, "py-spy is a dev dependency: pip install -e '.[dev]'"
    script = tmp_path / "workload.py"
    script.write_text(PYSPY_WORKLOAD)
    out = tmp_path / f"pyspy.{fmt}"
    proc = subprocess.run([exe, "record", "-r", "250", "-f", fmt, "-o", str(out), *flags, "--", sys.executable,
                           str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return str(out)


def test_real_py_spy_speedscope_hot_path(tmp_path):
    report = profile_tool(ProfileInput(path=_py_spy(tmp_path, "speedscope")))
    data = report.data
    assert (data.format, data.unit) == ("speedscope", "seconds")
    names = [frame.name.split(" ")[0] for frame in data.hot_path]
    assert "busy" in names
    assert "nap" not in names  # py-spy drops idle samples unless --idle


def test_real_py_spy_native_idle_stacks_show_the_sleep_as_wait(tmp_path):
    report = profile_tool(ProfileInput(path=_py_spy(tmp_path, "raw", "--idle", "--native")))
    [wait] = _by_code(report, "PROF002")
    assert 30 <= wait.evidence["wait_pct"] <= 70  # half the run sleeps
    assert any(name.startswith(("clock_nanosleep", "time_sleep", "nanosleep")) for name in wait.evidence["wait_functions"])


def test_detect_profile_tells_formats_apart(tmp_path):
    pstats_bytes = Path(_profiled(tmp_path, fib, 5)).read_bytes()
    assert detect_profile(pstats_bytes) == "pstats"
    assert detect_profile(PYSPY_COLLAPSED) == "collapsed"
    assert detect_profile(_speedscope([], [])) == "speedscope"
    assert detect_profile('{"resourceSpans": []}') is None
    assert detect_profile("the p95 went from 300ms to 2s, why?") is None
    assert detect_profile("SELECT * FROM t;") is None


# --- bad input ------------------------------------------------------------------------------


def test_truncated_speedscope_json_names_the_line():
    doc = _speedscope([{"type": "sampled", "name": "t", "unit": "none", "samples": [[0]], "weights": [1]}],
                      [{"name": "a"}])
    with pytest.raises(InputError, match="invalid JSON") as err:
        parse_profile(doc[: len(doc) // 2])
    assert err.value.line == 1


def test_empty_and_garbage_profiles_are_input_errors(tmp_path):
    empty = tmp_path / "empty.prof"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty profile"):
        load_profile(str(empty))
    cut = tmp_path / "cut.prof"
    cut.write_bytes(Path(_profiled(tmp_path, fib, 5)).read_bytes()[:40])
    with pytest.raises(InputError, match="pstats"):
        load_profile(str(cut))
    with pytest.raises(InputError, match="empty profile"):
        parse_profile(_speedscope([{"type": "sampled", "name": "t", "samples": [], "weights": []}], []))
    with pytest.raises(InputError, match="frame that does not exist"):
        parse_profile(_speedscope([{"type": "sampled", "name": "t", "samples": [[3]], "weights": [1]}], []))
    with pytest.raises(InputError, match="collapsed"):
        parse_profile("just some words\nand more")
    with pytest.raises(InputError):
        load_profile(str(tmp_path / "missing.prof"))


def test_pstats_with_a_wrong_structure_is_rejected(tmp_path):
    import marshal

    bad = tmp_path / "bad.prof"
    bad.write_bytes(marshal.dumps({("a.py", 1, "f"): (1, 1, 0.1)}))
    with pytest.raises(InputError, match="bad entry"):
        load_profile(str(bad))


def test_pstats_edges_from_unknown_callers_are_dropped_and_said(tmp_path):
    import marshal

    stats = {("a.py", 1, "f"): (1, 1, 0.2, 0.2, {("gone.py", 9, "g"): (1, 1, 0.2, 0.2)})}
    path = tmp_path / "merged.prof"
    path.write_bytes(marshal.dumps(stats))
    data = profile_tool(ProfileInput(path=str(path))).data
    assert data.functions == 1 and data.hot_path[0].name == "f (a.py:1)"
    assert data.skipped == ["1 call edge(s) from functions without an entry in the dump were ignored"]


# Frame names as profilers write them: printable, no spaces or `;`; a stack never starts with `{` (JSON).
_frame = st.text(st.characters(whitelist_categories=("L", "N", "P", "S"), blacklist_characters=";"),
                 min_size=1, max_size=12).filter(lambda f: not f.startswith("{"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_fuzz_profile_text_only_raises_input_error(text):
    try:
        report = profile_tool(ProfileInput(text=text))
    except InputError:
        return
    assert report.data.total > 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(_frame, min_size=1, max_size=6), st.integers(1, 1000)), min_size=1, max_size=20))
def test_fuzz_collapsed_totals_and_hot_path(stacks):
    text = "\n".join(f"{';'.join(frames)} {count}" for frames, count in stacks)
    data = profile_tool(ProfileInput(text=text)).data
    assert data.total == sum(count for _, count in stacks)
    for frame in data.hot_path:
        assert 0 < frame.pct <= 100.0 + 1e-9
    pcts = [f.pct for f in data.hot_path]
    assert pcts == sorted(pcts, reverse=True)  # a child never carries more than its parent


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_binary_profile_only_raises_input_error(blob):
    try:
        profile = parse_profile(blob, "fuzz.prof")
    except InputError:
        return
    assert profile.format == "pstats" and profile.funcs


# --- CLI ------------------------------------------------------------------------------------


def test_cli_json_and_flamegraph_svg(tmp_path, run_cli):
    path = _profiled(tmp_path, pairs_quadratic, list(range(300)))
    svg = tmp_path / "flame.svg"
    code, out, err = run_cli("profile", path, "--json", "--flamegraph", str(svg))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tool"] == "profile"
    assert any(f["code"] == "PROF001" for f in doc["findings"])
    tree = ET.parse(svg)
    titles = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("close_enough") for t in titles)
    assert any(t.startswith("pairs_quadratic") for t in titles)


def test_cli_flamegraph_html_and_rich_output(tmp_path, run_cli):
    path = _profiled(tmp_path, wait_for_io)
    html = tmp_path / "flame.html"
    code, out, _ = run_cli("profile", path, "--flamegraph", str(html))
    assert code == 0
    assert "hot path" in out and "PROF002" in out
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "time.sleep" in page


def test_cli_runs_a_script_under_cprofile(tmp_path, run_cli):
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent("""\
        import sys, time
        def nap():
            time.sleep(0.05)
        print("script output must not reach stdout")
        nap()
        if sys.argv[1] == "fail":
            raise RuntimeError("the script failed after its work")
    """))
    code, out, err = run_cli("profile", "--json", "--", sys.executable, str(script), "ok")
    assert code == 0, err
    assert "script output must not reach stdout" in err
    doc = json.loads(out)
    assert any(f["code"] == "PROF002" for f in doc["findings"])
    assert any("nap" in frame["name"] for frame in doc["data"]["hot_path"])
    code, out, err = run_cli("profile", "--json", "--", sys.executable, str(script), "fail")
    assert code == 0 and "exited with status 1" in err
    assert json.loads(out)["tool"] == "profile"


def test_cli_runs_a_python_console_script_by_its_shebang(tmp_path, run_cli):
    tool = tmp_path / "busytool"
    tool.write_text(f"#!{sys.executable}\n" + textwrap.dedent("""\
        def close_enough(a, b):
            return abs(a - b) < 2
        values = list(range(300))
        print(len([(a, b) for a in values for b in values if close_enough(a, b)]))
    """))
    tool.chmod(0o755)
    code, out, err = run_cli("profile", "--json", "--", str(tool))
    assert code == 0, err
    hit = next(f for f in json.loads(out)["findings"] if f["code"] == "PROF001")
    assert hit["location"]["node"] == "close_enough" and hit["location"]["path"] == str(tool)


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, run_cli):
    bad = tmp_path / "bad.json"
    bad.write_text('{"shared": {"frames": [')
    code, out, err = run_cli("profile", str(bad))
    assert code == 2
    assert err.strip().count("\n") == 0 and err.startswith(f"{bad}:1: invalid JSON")
    code, _, err = run_cli("profile", "--", "ruby", "x.rb")
    assert code == 2 and "only Python programs" in err


def test_cli_reads_collapsed_stacks_from_stdin(run_cli):
    code, out, _ = run_cli("profile", "-", "--json", stdin=PYSPY_COLLAPSED)
    assert code == 0
    assert json.loads(out)["data"]["format"] == "collapsed"


# --- near-numbers ---------------------------------------------------------------------------------

def _profile_or_refuse(**source) -> None:
    try:
        report = profile_tool(ProfileInput(**source))
    except InputError as error:
        check_error(error)
        return
    check_result(report)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["main;work {n}\n", "main;work {n}\nmain;idle 5\n", "main (app.py:{n});work (app.py:2) 5\n",
                        "main;work (libc.so.{n}) 4\nmain 1\n"]), near_number)
def test_fuzz_near_numbers_in_collapsed_stacks(template, number):
    _profile_or_refuse(text=template.replace("{n}", number))


@settings(max_examples=300, deadline=None)
@given(json_number, st.sampled_from(["weights", "at", "frame", "line"]), st.sampled_from(["seconds", "none"]))
def test_fuzz_near_numbers_in_speedscope(number, field, unit):
    value = {"weights": "[{n}, {n}]", "at": "{n}", "frame": "{n}", "line": "{n}"}
    sampled = (f'{{"type": "sampled", "name": "s", "unit": "{unit}", "samples": [[0], [0, 1]], '
               f'"weights": {value["weights"] if field == "weights" else "[1, 2]"}}}')
    evented = (f'{{"type": "evented", "name": "e", "unit": "{unit}", "events": [{{"type": "O", "frame": 0, "at": 0}}, '
               f'{{"type": "O", "frame": {value["frame"] if field == "frame" else 1}, '
               f'"at": {value["at"] if field == "at" else 1}}}, {{"type": "C", "frame": 1, "at": 2}}, '
               f'{{"type": "C", "frame": 0, "at": 3}}]}}')
    frames = f'[{{"name": "a", "line": {value["line"] if field == "line" else 1}}}, {{"name": "b"}}]'
    text = f'{{"shared": {{"frames": {frames}}}, "profiles": [{sampled}, {evented}]}}'
    _profile_or_refuse(text=text.replace("{n}", number))


_PSTATS_NUMBER = st.one_of(
    st.floats(), st.integers(min_value=-(10**400), max_value=10**400), st.sampled_from([True, None, "1", 2**63]),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4), _PSTATS_NUMBER)
def test_fuzz_near_numbers_in_pstats(tmp_path_factory, position, number):
    import marshal

    entry = [3, 3, 0.2, 0.5]
    edge = [3, 3, 0.2, 0.5]
    (entry if position < 4 else edge)[position % 4 if position < 4 else 3] = number
    stats = {("a.py", 1, "f"): (*entry, {("b.py", 2, "g"): tuple(edge)}), ("b.py", 2, "g"): (1, 1, 0.3, 0.8, {})}
    path = tmp_path_factory.mktemp("p") / "n.prof"
    path.write_bytes(marshal.dumps(stats))
    _profile_or_refuse(path=str(path))


def test_times_no_profile_measures_are_refused(tmp_path):
    import marshal

    cases = [
        ((float("inf"), 1, 0.1, 1.0), "bad entry"),  # was OverflowError: cannot convert float infinity to integer
        ((1, 1, float("inf"), 1.0), "bad entry"),  # was inf in --json
        ((1, 10**400, 0.1, 0.2), "bad entry"),  # was OverflowError: int too large to convert to float
        ((1, 1, 1e-300, 1e9), "no time recorded"),  # cum / total was 1e309: inf in --json
        ((1, 1, float("nan"), 1.0), "bad entry"),  # was ValueError: max() arg is an empty sequence
    ]
    for entry, message in cases:
        path = tmp_path / "p.prof"
        path.write_bytes(marshal.dumps({("a.py", 1, "f"): (*entry, {})}))
        with pytest.raises(InputError, match=message):
            profile_tool(ProfileInput(path=str(path)))
    huge = _speedscope([{"type": "sampled", "name": "s", "unit": "seconds", "samples": [[0], [0]],
                         "weights": [1e308, 1e308]}], [{"name": "a"}])
    with pytest.raises(InputError, match="more than a profile measures"):
        profile_tool(ProfileInput(text=huge))
    # Finite, but 100 * time overflows before the division by the total.
    events = [{"type": "O", "frame": 0, "at": -1.7e306}, {"type": "C", "frame": 0, "at": 0}]
    with pytest.raises(InputError, match="1.7e[+]306 samples, more than a profile measures"):
        profile_tool(ProfileInput(text=_speedscope([{"type": "evented", "name": "e", "events": events}], [{"name": "a"}])))


def test_a_frame_open_for_no_time_has_no_row():
    # Opened and closed at one instant, 'b' is never on a timed stack: calls[b] had no entry (KeyError).
    events = [{"type": "O", "frame": 0, "at": 0}, {"type": "O", "frame": 1, "at": 1}, {"type": "C", "frame": 1, "at": 1},
              {"type": "C", "frame": 0, "at": 2}]
    doc = _speedscope([{"type": "evented", "name": "e", "unit": "seconds", "events": events}],
                      [{"name": "a"}, {"name": "b"}])
    data = profile_tool(ProfileInput(text=doc)).data
    assert [r.name for r in data.top_self] == ["a"] and data.total == 2


@pytest.mark.parametrize("number", ["9" * 400, "1e400", "nan", "١٢", "²", "1_000", "-5", "."])
def test_cli_near_numbers_exit_cleanly(run_cli, number):
    check_cli(*run_cli("profile", "-", "--json", stdin=f"main;work {number}\nmain;idle 5\n"))
