"""The diff parser behind `lmagent review`: git and plain unified diffs, every header variant, fuzz."""

from __future__ import annotations

import contextlib
import difflib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from near_numbers import check_cli

from tools.codecheck import CodecheckInput, codecheck_tool
from tools.codecheck.diff import MAX_LINE, parse_diff
from tools.errors import InputError

GIT_DIFF = """\
diff --git a/app/a.py b/app/a.py
index 83db48f..bf269f4 100644
--- a/app/a.py
+++ b/app/a.py
@@ -1,4 +1,5 @@
 import os
-x = 1
+x = 2
+y = 3

 def f():
@@ -10,2 +11,3 @@ def f():
     pass
+    return 1
 z = 0
diff --git a/old name.py b/new name.py
similarity index 90%
rename from old name.py
rename to new name.py
index 1111111..2222222 100644
--- a/old name.py
+++ b/new name.py
@@ -1 +1 @@
-a = 1
+a = 2
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..3333333
Binary files /dev/null and b/img.png differ
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 4444444..0000000
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-print(1)
-print(2)
diff --git a/moved.py b/moved/here.py
similarity index 100%
rename from moved.py
rename to moved/here.py
"""


def test_git_diff_files_statuses_and_added_lines():
    files = {f.path: f for f in parse_diff(GIT_DIFF)}
    a = files["app/a.py"]
    assert a.status == "modified"
    assert a.added == {2: "x = 2", 3: "y = 3", 12: "    return 1"}
    assert a.hunks == [(1, 5), (11, 13)]
    assert a.in_hunk(4) and not a.in_hunk(8)
    renamed = files["new name.py"]
    assert (renamed.status, renamed.old_path, renamed.added) == ("renamed", "old name.py", {1: "a = 2"})
    assert files["img.png"].binary and files["img.png"].status == "added"
    assert files["gone.py"].status == "deleted" and not files["gone.py"].added
    pure_rename = files["moved/here.py"]
    assert (pure_rename.status, pure_rename.old_path, pure_rename.added) == ("renamed", "moved.py", {})
    assert "x = 2" in a.text and "rename from" not in a.text


def test_crlf_and_no_newline_marker():
    diff = ("--- a/w.py\r\n+++ b/w.py\r\n@@ -1,2 +1,2 @@\r\n a = 1\r\n-b = 2\r\n\\ No newline at end of file\r\n"
            "+b = 3\r\n\\ No newline at end of file\r\n")
    (f,) = parse_diff(diff)
    assert f.path == "w.py" and f.added == {2: "b = 3"}


def test_plain_unified_diff_with_timestamps_and_several_files():
    before, after = ["a\n", "b\n"], ["a\n", "c\n", "d\n"]
    one = "".join(difflib.unified_diff(before, after, "x/one.txt\t2024-01-01 10:00:00",
                                       "x/one.txt\t2024-01-02 10:00:00"))
    two = "".join(difflib.unified_diff([], ["new\n"], "/dev/null", "two.txt"))
    files = parse_diff(one + two)
    assert [(f.path, f.status, f.added) for f in files] == [
        ("x/one.txt", "modified", {2: "c", 3: "d"}),
        ("two.txt", "added", {1: "new"}),
    ]


def test_quoted_path_and_format_patch_preamble():
    diff = (
        "From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] café\n\n---\n caf\\303\\251.py | 1 +\n\n"
        'diff --git "a/caf\\303\\251.py" "b/caf\\303\\251.py"\nnew file mode 100644\n'
        '--- /dev/null\n+++ "b/caf\\303\\251.py"\n@@ -0,0 +1 @@\n+print("ok")\n-- \n2.43.0\n'
    )
    (f,) = parse_diff(diff)
    assert f.path == "café.py" and f.status == "added" and f.added == {1: 'print("ok")'}


def test_git_binary_patch_is_skipped_not_parsed():
    diff = ("diff --git a/b.bin b/b.bin\nindex 1..2 100644\nGIT binary patch\nliteral 5\n"
            "McmZ?d0001\n\nliteral 0\nHcmV?d00001\n\n"
            "diff --git a/c.py b/c.py\n--- a/c.py\n+++ b/c.py\n@@ -1 +1 @@\n-a\n+b\n")
    files = parse_diff(diff)
    assert [(f.path, f.binary, f.added) for f in files] == [("b.bin", True, {}), ("c.py", False, {1: "b"})]


def test_empty_diff_has_no_files_and_junk_is_an_input_error():
    assert parse_diff("") == []
    assert parse_diff("\n\n") == []
    with pytest.raises(InputError, match="not a unified diff"):
        parse_diff("hello, this is not a diff\n")
    with pytest.raises(InputError) as exc:
        parse_diff("@@ -1 +1 @@\n+x\n", source="p.diff")
    assert exc.value.path == "p.diff" and exc.value.line == 1
    with pytest.raises(InputError, match="beyond"):
        parse_diff("--- a/x\n+++ b/x\n@@ -1 +99999999 @@\n+x\n")


lines = st.lists(st.text(alphabet="ab \t+-@\\", max_size=6), max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=lines, after=lines, noise=st.text(max_size=200))
def test_fuzz_parser_round_trip_and_garbage(before, after, noise):
    """Any difflib diff parses to exactly its added lines; any text either parses or is an InputError."""
    old = [line + "\n" for line in before]
    new = [line + "\n" for line in after]
    diff = "".join(difflib.unified_diff(old, new, "a/f.txt", "b/f.txt", n=1))
    if diff:
        (f,) = parse_diff(diff)
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        expected = {j + 1: after[j] for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert")
                    for j in range(j1, j2)}
        assert f.added == expected
    for text in (noise, diff + noise, noise + diff):
        with contextlib.suppress(InputError):
            parse_diff(text)


# --- near-numbers in hunk headers -----------------------------------------------------------------

_HUNK_NUMBER = st.one_of(st.sampled_from(["0", "1", "2", "", "²", "١٢", "５", "-1", "9" * 12, "9" * 400, "9" * 5000]),
                         st.integers(0, 12).map(str))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(_HUNK_NUMBER, _HUNK_NUMBER, _HUNK_NUMBER, _HUNK_NUMBER),
       st.lists(st.sampled_from(["+for u in users:", "+    db.query(u)", " x = 1", "-y = 2", "", "+"]), max_size=6))
def test_fuzz_hunk_headers_with_odd_numbers(numbers, body):
    """Every added line lands on a line from 1 to MAX_LINE, or the header is a path:line error."""
    a, b, c, d = numbers
    header = f"@@ -{a}{',' + b if b else ''} +{c}{',' + d if d else ''} @@"
    text = "diff --git a/f.py b/f.py\n--- a/f.py\n+++ b/f.py\n" + "\n".join([header, *body]) + "\n"
    try:
        files = parse_diff(text, source="p.diff")
        report = codecheck_tool(CodecheckInput(diff=text))
    except InputError as error:
        assert error.path == "p.diff" and error.line == 4 and "\n" not in str(error)
        return
    assert all(1 <= n <= MAX_LINE for f in files for n in [*f.added, *f.new_side]), files
    assert report.data is not None


def test_hunk_numbers_int_cannot_read_or_line_zero_are_errors():
    for header in ("@@ -1 +" + "9" * 5000 + " @@", "@@ -0 +0 @@"):  # int() ValueError; line 0 then IndexError
        with pytest.raises(InputError, match="beyond|line 0"):
            parse_diff(f"--- a/x\n+++ b/x\n{header}\n+x\n")
    # More added lines than the header says: the extra ones are not the file's (line 0 before).
    (f,) = parse_diff("--- a/x\n+++ b/x\n@@ -1 +0,0 @@\n-old\n+import time\n")
    assert f.added == {} and f.new_side == {}
    report = codecheck_tool(CodecheckInput(diff="--- a/x.py\n+++ b/x.py\n@@ -1 +0,0 @@\n+import time\n"))
    assert report.findings == []


@pytest.mark.parametrize("numbers", ["1 +0,0", "0 +0", "1 +" + "9" * 5000, "1 +١٢", "1,² +1,2"])
def test_cli_review_of_odd_hunk_headers_exits_cleanly(run_cli, numbers):
    diff = f"--- a/x.py\n+++ b/x.py\n@@ -{numbers} @@\n+import time\n+time.sleep(1)\n"
    check_cli(*run_cli("review", "--diff", "-", "--offline", "--format", "json", stdin=diff))
