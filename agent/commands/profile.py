"""`lmagent profile FILE | -- python script.py [args]`: the bottleneck in a CPU profile.

A file argument is data, never a program, whatever its name, mode or first line: a program runs
only when the user writes it after an explicit `--`. The tool behind the registry entry (what chat,
the model and the offline composer call) only reads profiles; running a program exists only here.
"""

from __future__ import annotations

import argparse
import os
import sys

from agent.commands._common import add_fail_on_arg, add_force_arg, add_json_arg
from tools.errors import InputError


def register(sub) -> None:
    p = sub.add_parser(
        "profile", help="find the bottleneck in a cProfile/pstats, speedscope or collapsed-stack profile",
        description="Analyze a profile (cProfile/pstats dump, py-spy speedscope JSON, collapsed stacks; - is "
                    "stdin) or run `-- python script.py [args]` under cProfile and analyze it: top functions, "
                    "the hot path and findings.",
        epilog="examples: lmagent profile out.prof --flamegraph flame.svg | lmagent profile -- python app.py --n 10",
    )
    p.add_argument("target", nargs="*", metavar="FILE | -- COMMAND",
                   help="a profile file (always read as data, never run), or after `--` a Python command to "
                        "run under cProfile (python script.py ..., script.py, or a console script such as pytest)")
    p.add_argument("--top", type=int, default=20, help="functions to list by self and cumulative time (default 20)")
    p.add_argument("--flamegraph", metavar="OUT", help="write a flame graph: OUT.svg, or OUT.html for a web page")
    add_force_arg(p, "--flamegraph")
    add_fail_on_arg(p, "never")
    add_json_arg(p)
    p.set_defaults(func=run)
    p.parse_known_args = _split_at_double_dash(p.parse_known_args)


def _split_at_double_dash(parse_known_args):
    """argparse drops the `--` it reads, so `profile x.prof` and `profile -- x.prof` would parse alike.
    Split the command line at the first `--` before argparse sees it: what follows is the program."""

    def parse(args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        program = None
        if "--" in args:
            cut = args.index("--")
            args, program = args[:cut], args[cut + 1:]
        namespace, extras = parse_known_args(args, namespace)
        namespace.program = program
        return namespace, extras

    return parse


def run(args: argparse.Namespace) -> int:
    from agent.render import exit_code, print_json
    from tools.profile import analyze, load_profile

    program = getattr(args, "program", None)
    if program == []:
        raise InputError("give the program to run after `--`: `lmagent profile -- python script.py [args]`",
                         path="lmagent profile")
    if program and args.target:
        raise InputError("give a profile FILE, or a program after `--`, not both", path="lmagent profile")
    if program is None and len(args.target) != 1:
        raise InputError("give one profile FILE, or a program to run after `--`: "
                         "`lmagent profile -- python script.py [args]`", path="lmagent profile")
    if not 1 <= args.top <= 500:
        raise InputError("must be between 1 and 500", path="--top")
    if args.flamegraph and not args.flamegraph.endswith((".svg", ".html", ".htm")):
        raise InputError("needs a .svg or .html file name", path="--flamegraph")
    if args.flamegraph:
        from tools.safe_write import check_target

        check_target(args.flamegraph, force=args.force)  # before running anything
    if program is not None:
        import tempfile

        # A fresh private directory: the profile cProfile writes there cannot be a planted name.
        with tempfile.TemporaryDirectory(prefix="lmagent-profile-") as tmp:
            out = os.path.join(tmp, "run.prof")
            returncode = run_under_cprofile(program, out)
            profile = load_profile(out)
        if returncode:
            print(f"lmagent profile: the command exited with status {returncode}; analyzing what it recorded",
                  file=sys.stderr)
    else:
        profile = _load_file(args.target[0])
    report = analyze(profile, top=args.top)
    if args.flamegraph:
        _write_flamegraph(profile, args.flamegraph, " ".join(program or args.target), args.force)
    if args.json:
        print_json(report)
    else:
        from agent.render.profile import print_profile

        print_profile(report)
    return exit_code(report, args.fail_on)


def _load_file(path: str):
    """Read a profile file; a program given without `--` is refused with the command that runs it."""
    from tools.profile import load_profile

    hint = f"a program, not a profile: to run it under cProfile, `lmagent profile -- python {path}`"
    if path.endswith(".py"):
        raise InputError(f"is {hint}", path=path)
    try:
        return load_profile(path)
    except InputError:
        if _starts_with_shebang(path):
            raise InputError(f"looks like {hint}", path=path) from None
        raise


def _starts_with_shebang(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == b"#!"
    except OSError:
        return False


def run_under_cprofile(command: list[str], out: str) -> int:
    """Run ``python script.py args`` as `python -m cProfile -o OUT script.py args`.

    The script's stdout is relayed to our stderr so that stdout stays the report (and valid --json).
    A script that raises still leaves a profile (cProfile writes it on the way out); note that
    cProfile swallows ``sys.exit``, so an exit status set that way is not seen here.
    """
    import subprocess

    argv = _cprofile_argv(command, out)
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=command[0]) from None
    try:
        for line in proc.stdout:
            sys.stderr.write(line.decode("utf-8", "replace"))
            sys.stderr.flush()
        returncode = proc.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the script too; cProfile still writes what it recorded.
        returncode = proc.wait()
    if not os.path.exists(out) or os.path.getsize(out) == 0:
        raise InputError(f"the command exited with status {returncode} before cProfile wrote a profile",
                         path=command[0])
    return returncode


def _cprofile_argv(command: list[str], out: str) -> list[str]:
    """`python [opts] X` → `python -m cProfile -o OUT X`; a .py file or a Python console script
    (pytest, uvicorn: an executable with a python shebang) runs under its own interpreter."""
    import shutil

    if os.path.basename(command[0]).startswith("python"):
        return [command[0], "-m", "cProfile", "-o", out, *command[1:]]
    if command[0].endswith(".py"):
        return [sys.executable, "-m", "cProfile", "-o", out, *command]
    interpreter = _python_shebang(command[0])
    if interpreter is not None:
        return [*interpreter, "-m", "cProfile", "-o", out, shutil.which(command[0]), *command[1:]]
    raise InputError("only Python programs can run under cProfile: python ..., a .py file or a Python "
                     "console script", path=command[0])


def _python_shebang(name: str) -> list[str] | None:
    """The interpreter command of an executable Python script on PATH (or at a path), else None."""
    import shlex
    import shutil

    program = shutil.which(name)
    if program is None:
        return None
    try:
        with open(program, "rb") as fh:
            shebang = fh.readline(512)
    except OSError:
        return None
    if not (shebang.startswith(b"#!") and b"python" in shebang):
        return None
    return shlex.split(shebang[2:].decode("utf-8", "replace"))


def _write_flamegraph(profile, out: str, title: str, force: bool) -> None:
    from agent.render.profile import flamegraph_html, flamegraph_svg
    from tools.safe_write import write_file

    render = flamegraph_svg if out.endswith(".svg") else flamegraph_html
    write_file(out, render(profile.tree(), f"{title} ({profile.format})", profile.unit), force=force)
    print(f"flame graph written to {out}", file=sys.stderr)
