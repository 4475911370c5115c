"""`lmagent personas list|show|validate|graph`."""

from __future__ import annotations

import argparse

from agent.commands._common import add_json_arg, add_personas_arg, load_registry


def register(sub) -> None:
    p = sub.add_parser("personas", help="list, show, validate and graph personas",
                       description="Inspect the team of personas.")
    psub = p.add_subparsers(dest="personas_command", metavar="ACTION")
    psub.required = True

    ls = psub.add_parser("list", help="list personas with their triggers and handoff partners")
    add_personas_arg(ls)
    add_json_arg(ls)
    ls.set_defaults(func=run_list)

    show = psub.add_parser("show", help="show one persona: front-matter, sections, tables, partners")
    show.add_argument("slug")
    add_personas_arg(show)
    add_json_arg(show)
    show.set_defaults(func=run_show)

    val = psub.add_parser("validate", help="check persona files; prints path:line: message per problem")
    val.add_argument("paths", nargs="+", metavar="PATH", help="persona files or directories")
    add_json_arg(val)
    val.set_defaults(func=run_validate)

    graph = psub.add_parser("graph", help="print the handoff graph (rich tree, or Mermaid for docs)")
    graph.add_argument("--format", choices=["tree", "mermaid"], default="tree",
                       help="tree: rich view for people; mermaid: a diagram to paste into docs")
    graph.add_argument("--check", action="store_true",
                       help="exit 1 when a role in an interaction table matches no persona")
    add_personas_arg(graph)
    add_json_arg(graph)
    graph.set_defaults(func=run_graph)


def run_list(args: argparse.Namespace) -> int:
    reg = load_registry(args)
    if args.json:
        from agent.render import print_json

        print_json([
            {"slug": p.slug, "name": p.name, "role": p.role, "activates_on": p.activates_on,
             "expertise": p.expertise, "partners": [x.slug for x in reg.partners[p.slug]], "path": p.path}
            for p in reg
        ])
        return 0
    from agent.render.personas import print_persona_list

    print_persona_list(reg)
    return 0


def run_show(args: argparse.Namespace) -> int:
    reg = load_registry(args)
    persona = reg.get(args.slug)
    if args.json:
        from agent.render import print_json

        data = persona.model_dump(mode="json", exclude={"body"})
        data["partners"] = [x.__dict__ for x in reg.partners[persona.slug]]
        print_json(data)
        return 0
    from agent.render.personas import print_persona

    print_persona(persona, reg.partners[persona.slug])
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agent.persona import load_persona
    from agent.registry import Registry
    from tools.errors import InputError

    files: list[Path] = []
    for raw in args.paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(f for f in path.glob("*.md") if f.name.lower() != "readme.md")
            files += sorted(path.glob("*/SKILL.md"))
        else:
            files.append(path)
    errors: list[str] = []
    personas = []
    for f in files:
        try:
            personas.append(load_persona(f))
        except InputError as exc:
            if not f.exists():
                raise  # unreadable input is a usage error (exit 2), not a failed check
            errors.append(str(exc))
    if personas and not errors:
        try:
            Registry.from_personas(personas)
        except InputError as exc:
            errors.append(str(exc))
    if args.json:
        from agent.render import print_json

        print_json({"valid": [p.path for p in personas], "errors": errors})
    else:
        import sys

        from agent.render import error_line

        for e in errors:
            print(error_line(e), file=sys.stderr)
        if not errors:
            print(f"{len(personas)} persona file(s) valid")
    return 1 if errors else 0


def run_graph(args: argparse.Namespace) -> int:
    from agent.render.personas import graph_data, mermaid_graph, print_graph

    reg = load_registry(args)
    if args.json:
        from agent.render import print_json

        print_json(graph_data(reg))
    elif args.format == "mermaid":
        print(mermaid_graph(reg))
    else:
        print_graph(reg)
    return 1 if args.check and reg.unresolved else 0
