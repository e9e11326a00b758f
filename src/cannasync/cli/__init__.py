"""The ``cannasync`` command: serve, scheduler, sync, reconcile, demo, sandbox, db, token."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from cannasync.cli.servers import KEEP_ALIVE_SECONDS
from cannasync.connectors.registry import VENDORS
from cannasync.sandboxes.catalogue import OPTIONS, SANDBOXES, describe
from cannasync.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations.")
token_app = typer.Typer(no_args_is_help=True, help="Organization API tokens.")
user_app = typer.Typer(no_args_is_help=True, help="People who sign in to the merchant console.")
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")

console = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """The REST API, the console and the store, and the scheduler tick; runs jobs in-process threads, or sends
    them to the broker when CANNASYNC_BROKER_URL is set."""
    from cannasync.jobs.modes import build_workers
    from cannasync.jobs.runtime import Runtime, configure_logging
    from cannasync.web.site import create_site

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    runtime = Runtime(settings)
    if host or port:
        settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    # With CANNASYNC_BROKER_URL the tick sends its work to the broker (cannasync worker runs it); else threads here.
    workers = build_workers(runtime, public_url=settings.resolved_public_url)
    workers.start()
    try:
        uvicorn.run(
            create_site(
                runtime.db,
                workers.dispatcher,
                broker_url=settings.broker_url,
                redis_url=settings.resolved_redis_url,
                broker_namespace=settings.broker_namespace,
            ),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=False,  # our request log line carries the correlation id and masks secret path parts
            log_config=None,  # uvicorn's lines go through our handler (configure_logging), JSON when asked
            timeout_keep_alive=KEEP_ALIVE_SECONDS,  # clients close idle connections first (cli/servers.py)
        )
    finally:
        workers.stop()
        runtime.close()


@app.command()
def scheduler() -> None:
    """The dispatch tick without the API. With CANNASYNC_BROKER_URL it only ticks and sends work to the broker;
    without, it runs due syncs and pushes on in-process workers too. Runs until interrupted."""
    from cannasync.jobs.modes import build_workers
    from cannasync.jobs.runtime import Runtime, configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    # Distributed processes leave migrations to `cannasync db upgrade`, so that many starting at once never race.
    runtime = Runtime(settings, migrate=not settings.broker_url)
    workers = build_workers(runtime, public_url=settings.resolved_public_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    workers.start()
    mode = "sending work to the broker" if settings.broker_url else "with in-process workers"
    console.print(f"scheduler ticking every {settings.tick_seconds}s, {mode}; Ctrl-C to stop")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        workers.stop()
        runtime.close()


@app.command()
def worker(
    threads: Annotated[int | None, typer.Option(help="Jobs run at once (default CANNASYNC_WORKERS)")] = None,
    queue: Annotated[
        list[str] | None, typer.Option(help="Take only this queue: runs or pushes (repeatable; default both)")
    ] = None,
) -> None:
    """A distributed worker: runs the syncs and pushes the schedulers send to CANNASYNC_BROKER_URL.

    Stops cleanly on SIGTERM or Ctrl-C: jobs under way finish first. Run `cannasync db upgrade` once before.
    """
    from cannasync.jobs.broker import PUSHES, RUNS
    from cannasync.jobs.distributed import serve_worker
    from cannasync.jobs.runtime import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    if not settings.broker_url:
        console.print("cannasync worker needs CANNASYNC_BROKER_URL (redis://… or amqp://…)")
        raise typer.Exit(2)
    unknown = set(queue or ()) - {RUNS, PUSHES}
    if unknown:
        console.print(f"unknown queue {', '.join(sorted(unknown))}: choose runs or pushes")
        raise typer.Exit(2)
    serve_worker(settings, threads=threads or settings.workers, queues=queue or None)


@app.command()
def sync(
    integration_id: int,
    flow: Annotated[str, typer.Option(help="menu_sync, order_status or reconcile")] = "menu_sync",
) -> None:
    """Run one flow of one integration now, in the foreground, and print its counts."""
    from concurrent.futures import ThreadPoolExecutor

    from cannasync.jobs.runtime import Runtime, configure_logging
    from cannasync.jobs.scheduler import Dispatcher

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    runtime = Runtime(settings)
    with ThreadPoolExecutor(max_workers=1) as executor:
        run_id = Dispatcher(runtime.db, executor).run_now(integration_id, flow, trigger="cli")
    with runtime.db.uow() as uow:
        run = uow.runs.get(run_id)
        assert run is not None
        console.print(f"run {run.id}: {run.status}", run.counts, run.error or "")
        failed = run.status != "succeeded"
    runtime.close()
    raise typer.Exit(1 if failed else 0)


@app.command()
def reconcile(
    integration_id: int,
    limit: Annotated[int, typer.Option(help="Differences to list at most")] = 50,
) -> None:
    """Compare a store's POS with the hub now (the POS is only read), repair what is safe, and list every
    difference with its cause. Exits 1 when the run failed, 3 when a difference needs a person."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.table import Table

    from cannasync.jobs.runtime import Runtime, configure_logging
    from cannasync.jobs.scheduler import Dispatcher

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    runtime = Runtime(settings)
    with ThreadPoolExecutor(max_workers=1) as executor:
        run_id = Dispatcher(runtime.db, executor).run_now(integration_id, "reconcile", trigger="cli")
    with runtime.db.uow() as uow:
        run = uow.runs.get(run_id)
        assert run is not None
        differences = uow.drift.differences(run_id, limit)
        table = Table("kind", "what", "ours", "POS", "cause", "repair", title=f"reconciliation run {run.id}")
        for row in differences:
            table.add_row(
                row.kind, row.label, _brief(row.ours), _brief(row.theirs), row.explanation,
                f"{row.repair}: {row.repair_detail}",
            )  # fmt: skip
        console.print(f"run {run.id}: {run.status}", run.counts, run.error or "")
        if differences:
            Console().print(table)
        failed = run.status != "succeeded"
        needs_person = int(run.counts.get("needs_person", 0))
    runtime.close()
    raise typer.Exit(1 if failed else 3 if needs_person else 0)


def _brief(values: dict[str, object]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items())


@app.command()
def demo(
    once: Annotated[bool, typer.Option("--once", help="Exit when the story is told")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON summary object at the end")] = False,
    items: Annotated[int, typer.Option(help="Catalogue size of each POS sandbox the demo serves")] = 250,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox's generated catalogue")] = 7,
) -> None:
    """Tell the whole story against local sandboxes: connect, sync, order, push, statuses."""
    from cannasync.cli.demo import run_demo

    summary_ok = run_demo(_settings(), once=once, json_out=json_out, items=items, seed=seed)
    raise typer.Exit(0 if summary_ok else 1)


@app.command()
def doctor(
    vendor: Annotated[str, typer.Argument(help=", ".join(VENDORS))],
    credentials_file: Annotated[
        Path,
        typer.Option(
            "--credentials-file",
            help='JSON {"credentials": {…}, "settings": {…}}: the fields of the vendor\'s card (README, "doctor")',
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object")] = False,
) -> None:
    """Check a real vendor account with only reads (no order, customer or webhook is created) and print a report
    with no secret in it, fit to send to support. Exit 0: usable; 1: not usable; 2: the file needs fixing."""
    import json

    from cannasync.connectors.registry import UnknownVendor
    from cannasync.connectors.registry import vendor as vendor_spec
    from cannasync.flows import doctor as account_check
    from cannasync.flows.integrations import InvalidSettings, checked_config
    from cannasync.jobs.runtime import configure_logging

    try:
        spec = vendor_spec(vendor)
    except UnknownVendor as error:
        typer.echo(error.args[0], err=True)
        raise typer.Exit(2) from None
    try:
        document = json.loads(credentials_file.read_text(encoding="utf-8"))
    except OSError as error:
        typer.echo(f"cannot read {credentials_file}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, UnicodeDecodeError) as error:
        typer.echo(f"{credentials_file} is not valid JSON: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        credentials, vendor_settings = account_check.read_credentials_file(spec, document)
        checked_config(spec, credentials, vendor_settings)  # what to fix is named before anything is asked
    except InvalidSettings as error:
        typer.echo(f"{credentials_file}: {error}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json)
    report = account_check.check(spec.name, credentials, vendor_settings)
    if json_out:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(report.text(), nl=False)
    raise typer.Exit(0 if report.usable else 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to CANNASYNC_DATABASE_URL (or the embedded SQLite file)."""
    from cannasync.jobs.runtime import Runtime

    runtime = Runtime(_settings(), migrate=True)
    runtime.close()
    console.print("database is up to date")


@token_app.command("create")
def token_create(
    organization: Annotated[str, typer.Option("--org", help="Organization name (created if new)")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
) -> None:
    """Issue a bearer token for an organization. It is shown once; only its digest is stored."""
    from cannasync.jobs.runtime import Runtime

    runtime = Runtime(_settings())
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named(organization)
        token = uow.accounts.issue_token(org.id, name)
    runtime.close()
    typer.echo(token)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="The e-mail they sign in with")],
    organization: Annotated[str, typer.Option("--org", help="Organization name (created if new)")],
    password: Annotated[str | None, typer.Option(help="Their password; default: a random one, printed once")] = None,
) -> None:
    """Create a console user (or set an existing user's password). Only a salted scrypt digest is stored."""
    import secrets

    from cannasync.jobs.runtime import Runtime

    chosen = password or secrets.token_urlsafe(12)
    if len(chosen) < 8:
        console.print("[red]a password needs at least 8 characters[/red]")
        raise typer.Exit(2)
    runtime = Runtime(_settings())
    with runtime.db.uow() as uow:
        org = uow.accounts.organization_named(organization)
        uow.users.set_user(org.id, email, chosen)
    runtime.close()
    typer.echo(f"{email} can sign in at /console" + ("" if password else f" with password {chosen}"))


@app.command(no_args_is_help=True, help=f"Local imitations of the vendor APIs (no account needed).\n\n{describe()}")
def sandbox(
    name: Annotated[str, typer.Argument(metavar="NAME", help=f"Which sandbox: {', '.join(SANDBOXES)}")],
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: the sandbox's own)")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    items: Annotated[int | None, typer.Option(help=OPTIONS["items"])] = None,
    seed: Annotated[int | None, typer.Option(help=OPTIONS["seed"])] = None,
    locations: Annotated[int | None, typer.Option(help=OPTIONS["locations"])] = None,
    rps: Annotated[float | None, typer.Option(help=OPTIONS["rps"])] = None,
    per_minute: Annotated[int | None, typer.Option(help=OPTIONS["per_minute"])] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help=OPTIONS["quiet"])] = False,
) -> None:
    """Serve one sandbox (sandboxes/catalogue.py) until interrupted."""
    row = SANDBOXES.get(name)
    if row is None:
        typer.echo(f"no sandbox {name!r}; known: {', '.join(SANDBOXES)}", err=True)
        raise typer.Exit(2)
    given = {"items": items, "seed": seed, "locations": locations, "rps": rps, "per_minute": per_minute}
    given["quiet"] = quiet or None
    refused = [option for option, value in given.items() if value is not None and option not in row.defaults]
    if refused:
        flags = ", ".join(f"--{option.replace('_', '-')}" for option in refused)
        typer.echo(f"the {name} sandbox takes no {flags}", err=True)
        raise typer.Exit(2)
    options = {option: default if given[option] is None else given[option] for option, default in row.defaults.items()}
    chosen = row.port if port is None else port
    console.print(row.banner.format(host=host, port=chosen))
    row.run(host, chosen, options)
