"""strategy-review corpus list|build|status|add|search|fetch"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import handle_errors, print_json

app = typer.Typer(help="The exemplar corpus of public-sector strategies.", no_args_is_help=True)
ManifestOption = typer.Option(None, "--manifest", help="Use another manifest.json.")


@app.command("list")
@handle_errors
def list_sources(
    json_output: bool = typer.Option(False, "--json"), manifest: Path | None = ManifestOption
) -> None:
    """List the exemplar sources with their URLs."""
    from .. import corpus

    sources = corpus.load_manifest(manifest).sources
    if json_output:
        print_json([s.model_dump() for s in sources])
        return
    for s in sources:
        typer.echo(
            f"{s.id}\n  {s.title} ({s.organisation}, {s.year or 'n.d.'}, {s.sector})\n  {s.url}"
        )


@app.command("build")
@handle_errors
def build(
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        "--force",
        help="Re-embed everything; a damaged local store is set aside first.",
    ),
    manifest: Path | None = ManifestOption,
) -> None:
    """(Re)index the corpus notes, fetched documents and added documents."""
    from .. import corpus

    result = corpus.build(manifest, rebuild=rebuild)
    verb = "indexed" if result["rebuilt"] else "up to date:"
    typer.echo(f"{verb} {result['indexed']} passages (corpus {result['corpus_version']})")


@app.command("status")
@handle_errors
def status(json_output: bool = typer.Option(False, "--json")) -> None:
    """Show the live exemplar collection, its size and versions, and where the store is."""
    from .. import corpus

    info = corpus.status()
    if json_output:
        print_json(info)
        return
    typer.echo(f"store: {info['location']} ({info['mode']})")
    if info["collection"] is None:
        typer.echo("exemplars: not built (run `strategy-review corpus build`)")
    else:
        typer.echo(
            f"exemplars: {info['collection']}, {info['count']} passages, built {info['built_at']} "
            f"with {info['built_with']}"
        )
    state = (
        "up to date" if info["up_to_date"] else "out of date (run `strategy-review corpus build`)"
    )
    typer.echo(
        f"corpus version: built {info['built_version']}, manifest {info['corpus_version']}: {state}"
    )
    typer.echo(f"manifest version: {info['manifest_version']}")
    typer.echo(f"collections: {info['collections']} live, {info['retired']} retired")


@app.command("add")
@handle_errors
def add(
    paths: list[Path] = typer.Argument(..., help="Documents to add (any format ingest reads)."),
    title: str = typer.Option(..., "--title"),
    organisation: str = typer.Option(..., "--organisation"),
    year: int | None = typer.Option(None, "--year"),
    url: str = typer.Option("", "--url"),
    sector: str = typer.Option("central", "--sector", help="health, local or central"),
    source_id: str | None = typer.Option(None, "--id", help="Source id (default: from the title)."),
) -> None:
    """Add your own exemplar documents to the corpus."""
    from .. import corpus

    source = corpus.add(paths, title, organisation, year, url, sector, source_id)
    typer.echo(f"added {source.id} ({len(paths)} file(s))")


@app.command("search")
@handle_errors
def search(
    query: str = typer.Argument(...),
    k: int = typer.Option(5, "-k", min=1, max=50),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Search the exemplar corpus (offline)."""
    from .. import corpus

    hits = corpus.search(query, k=k)
    if json_output:
        print_json(hits)
        return
    for hit in hits:
        where = f", {hit['page']}" if hit["page"] else ""
        typer.echo(f"[{hit['score']:.2f}] {hit['source_id']}{where} ({hit['kind']})")
        typer.echo(f"  {hit['title']} - {hit['url']}")
        typer.echo(f"  {hit['text'][:240]}")


@app.command("fetch")
@handle_errors
def fetch(
    only: list[str] = typer.Option(None, "--only", help="Source ids to fetch."),
    manifest: Path | None = ManifestOption,
    timeout: float = typer.Option(30.0, "--timeout"),
) -> None:
    """Download the manifest's public documents into the home directory (needs internet)."""
    from .. import corpus

    result = corpus.fetch(
        manifest, only or None, timeout, progress=lambda u: typer.echo(f"fetching {u}", err=True)
    )
    for item in result["fetched"]:
        typer.echo(f"ok {item['source_id']} {item['sha256'][:12]} {item['path']}")
    for item in result["failed"]:
        typer.echo(f"failed {item['source_id']} {item['url']}: {item['error']}", err=True)
    if result["failed"] and not result["fetched"]:
        raise typer.Exit(1)
