"""Views of personas, the team graph and routing decisions."""

from __future__ import annotations

from agent.render import console, sink


@sink
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


@sink
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


@sink
def graph_data(reg) -> dict:
    """The handoff graph as plain data: nodes, directed edges, and role labels that match nobody."""
    return {
        "nodes": [{"slug": p.slug, "name": p.name, "role": p.role} for p in reg],
        "edges": [
            {"from": p.slug, "to": x.slug, "role_label": x.role_label, "collaboration": x.collaboration}
            for p in reg for x in reg.partners[p.slug]
        ],
        "unresolved": reg.unresolved,
    }


@sink
def print_graph(reg) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree("[bold]handoff graph[/]")
    edges = {(p.slug, x.slug) for p in reg for x in reg.partners[p.slug]}
    for p in reg:
        node = tree.add(f"[bold]{p.slug}[/] [dim]{escape(p.name)} — {escape(p.role)}[/]")
        for partner in reg.partners[p.slug]:
            arrow = "⇄" if (partner.slug, p.slug) in edges else "→"
            named = reg.personas[partner.slug].name
            alias = f" [dim](as “{escape(partner.role_label)}”)[/]" if partner.role_label != named else ""
            node.add(f"{arrow} [cyan]{partner.slug}[/]{alias}  {escape(partner.collaboration)}")
        for label in reg.unresolved.get(p.slug, []):
            node.add(f"[yellow]→ {escape(label)} (no persona)[/]")
    con = console()
    con.print(tree)
    missing = sum(len(v) for v in reg.unresolved.values())
    status = "[green]every role resolves[/]" if not missing else f"[yellow]{missing} role(s) match no persona[/]"
    con.print(f"[dim]{len(reg)} personas, {len(edges)} handoffs (⇄ both ways);[/] {status}")


# Words a Mermaid flowchart reserves: a node id equal to one of them breaks the diagram.
_MERMAID_RESERVED = {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click", "linkstyle"}


@sink
def mermaid_graph(reg) -> str:
    lines = ["graph LR"]
    for p in reg:
        lines.append(f'    {_node(p.slug)}["{_mermaid_text(p.name)}"]')
    for p in reg:
        for partner in reg.partners[p.slug]:
            lines.append(f'    {_node(p.slug)} -->|"{_mermaid_text(partner.collaboration)}"| {_node(partner.slug)}')
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace("|", "/")


def _node(slug: str) -> str:
    node = slug.replace("-", "_")
    return f"{node}_" if node in _MERMAID_RESERVED else node


@sink
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
