"""Views of personas, the team graph and routing decisions."""

from __future__ import annotations

from agent.render import console


def print_persona_list(reg) -> None:
    from rich.table import Table

    table = Table(title=f"{len(reg)} personas")
    table.add_column("slug", style="bold")
    table.add_column("name")
    table.add_column("activates on", overflow="fold")
    table.add_column("hands off to", overflow="fold")
    for p in reg:
        partners = ", ".join(x.slug for x in reg.partners[p.slug]) or "—"
        table.add_row(p.slug, f"{p.name}\n[dim]{p.role}[/]", ", ".join(p.activates_on), partners)
    console().print(table)
    for slug, labels in reg.unresolved.items():
        console().print(f"[yellow]▲ {slug}: roles with no persona: {', '.join(labels)}[/]")


def print_persona(persona, partners) -> None:
    from rich.panel import Panel
    from rich.tree import Tree

    con = console()
    con.print(Panel(f"[bold]{persona.name}[/] ({persona.slug})\n{persona.role}\n[dim]{persona.path}[/]",
                    title=persona.format))
    con.print(f"[bold]activates on:[/] {', '.join(persona.activates_on) or '—'}")
    con.print(f"[bold]expertise:[/] {', '.join(persona.expertise) or '—'}")
    con.print(f"[bold]hands off to:[/] {', '.join(f'{p.slug} ({p.collaboration})' for p in partners) or '—'}")
    tree = Tree("[bold]sections[/]")

    def add(node, section):
        branch = node.add(f"{section.title} [dim]line {section.line}[/]")
        for child in section.children:
            add(branch, child)

    for s in persona.sections:
        add(tree, s)
    con.print(tree)
    con.print(f"[dim]{len(persona.tables)} tables, {len(persona.code_blocks)} code blocks[/]")


def print_graph(reg) -> None:
    from rich.tree import Tree

    tree = Tree("[bold]handoff graph[/]")
    for p in reg:
        node = tree.add(f"[bold]{p.slug}[/] [dim]{p.name}[/]")
        for partner in reg.partners[p.slug]:
            node.add(f"→ {partner.slug} [dim]{partner.collaboration}[/]")
        for label in reg.unresolved.get(p.slug, []):
            node.add(f"[yellow]→ {label} (no persona)[/]")
    console().print(tree)


def mermaid_graph(reg) -> str:
    lines = ["graph LR"]
    for p in reg:
        lines.append(f'    {_node(p.slug)}["{p.name}"]')
    for p in reg:
        for partner in reg.partners[p.slug]:
            label = partner.collaboration.replace('"', "'")
            lines.append(f'    {_node(p.slug)} -->|"{label}"| {_node(partner.slug)}')
    return "\n".join(lines)


def _node(slug: str) -> str:
    return slug.replace("-", "_")


def print_route(result) -> None:
    con = console()
    style = "yellow" if result.fallback else "green"
    con.print(f"[{style}]→ {result.persona}[/]  confidence {result.confidence:.2f}"
              + ("  [yellow](fallback: below the confidence floor)[/]" if result.fallback else ""))
    if result.reason:
        con.print(f"[dim]{result.reason}[/]")
    for m in result.matched:
        con.print(f"  • {m}")
    if result.alternatives:
        con.print("[dim]alternatives: " + ", ".join(f"{a.persona} {a.score:.2f}" for a in result.alternatives) + "[/]")
