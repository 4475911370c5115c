"""`lmagent profile FILE | -- python script.py [args]`: the bottleneck in a CPU profile."""

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
                   help="a profile file, or after `--` a Python command to run under cProfile "
                        "(python script.py ..., script.py, or a console script such as pytest)")
    p.add_argument("--top", type=int, default=20, help="functions to list by self and cumulative time (default 20)")
    p.add_argument("--flamegraph", metavar="OUT", help="write a flame graph: OUT.svg, or OUT.html for a web page")
    add_force_arg(p, "--flamegraph")
    add_fail_on_arg(p, "never")
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.render import exit_code, print_json
    from tools.profile import analyze, load_profile

    if not args.target:
        raise SystemExit("lmagent profile: error: give a profile FILE or `-- python script.py [args]`")
    if not 1 <= args.top <= 500:
        raise SystemExit("lmagent profile: error: --top must be between 1 and 500")
    if args.flamegraph and not args.flamegraph.endswith((".svg", ".html", ".htm")):
        raise SystemExit("lmagent profile: error: --flamegraph needs a .svg or .html file name")
    if args.flamegraph:
        from tools.safe_write import check_target

        check_target(args.flamegraph, force=args.force)  # before running anything
    if _is_command(args.target):
        import tempfile

        # A fresh private directory: the profile cProfile writes there cannot be a planted name.
        with tempfile.TemporaryDirectory(prefix="lmagent-profile-") as tmp:
            out = os.path.join(tmp, "run.prof")
            returncode = run_under_cprofile(args.target, out)
            profile = load_profile(out)
        if returncode:
            print(f"lmagent profile: the command exited with status {returncode}; analyzing what it recorded",
                  file=sys.stderr)
    else:
        profile = load_profile(args.target[0])
    report = analyze(profile, top=args.top)
    if args.flamegraph:
        _write_flamegraph(profile, args.flamegraph, " ".join(args.target), args.force)
    if args.json:
        print_json(report)
    else:
        from agent.render.profile import print_profile

        print_profile(report)
    return exit_code(report, args.fail_on)


def _is_command(target: list[str]) -> bool:
    """One argument is a profile file; several, a lone script.py or a Python console script are a command."""
    return len(target) > 1 or target[0].endswith(".py") or _python_shebang(target[0]) is not None


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
