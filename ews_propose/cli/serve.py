"""``ews-propose serve``: run the emulator."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .. import schemas
from ..directory import Directory, DirectoryError
from ..inspector import is_loopback
from ..rules.limits import Limits
from ..server import EmulatorServer, ServerConfig, WorkerPool
from ..soap.app import DEFAULT_MAX_REQUEST_BYTES
from ..store import StoreError, describe, is_url, open_store
from ..tls import TlsError, TlsFiles, local_tls_files, own_tls_files, tls_dir_for
from ..versions import DEFAULT_BUILD, Build
from ._common import EXIT_USAGE


def default_store_path() -> str:
    """``$XDG_DATA_HOME/ews-propose/store.sqlite3`` (``~/.local/share/...`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "ews-propose" / "store.sqlite3")


def _build(text: str) -> Build:
    try:
        return Build.parse_server(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def _at_least(minimum: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: expected a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --max-request-seconds {text!r}: expected a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"--max-request-seconds must be more than 0 and at most 3600, got {text}")
    return value


# The smallest request body worth serving: an empty SOAP envelope is about 300 bytes.
MIN_REQUEST_BYTES = 1024


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the EWS emulator")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument("--directory", metavar="FILE",
                       help="TOML file of mailboxes (default: the built-in demo mailboxes)")
    serve.add_argument("--store", metavar="PATH|:memory:|URL", default=None,
                       help=f"SQLite store file, :memory:, or a PostgreSQL database as "
                       f"postgresql://user:password@host:port/database, which several processes and "
                       f"machines can share (docs/scale-out.md) (default {default_store_path()})")
    serve.add_argument("--server-build", type=_build, default=DEFAULT_BUILD, metavar="X",
                       help=f"emulated Exchange build, e.g. 15.00.0800.007 (default {DEFAULT_BUILD})")
    serve.add_argument("--threads", type=_at_least(1, "--threads"), default=4, help="request threads per worker (default 4)")
    serve.add_argument("--workers", type=_at_least(1, "--workers"), default=1, metavar="N",
                       help="server processes sharing the port and the store (default 1)")
    serve.add_argument("--max-request-bytes", type=_at_least(MIN_REQUEST_BYTES, "--max-request-bytes"),
                       default=DEFAULT_MAX_REQUEST_BYTES, metavar="N",
                       help=f"largest request body accepted; larger ones get HTTP 413 "
                       f"(default {DEFAULT_MAX_REQUEST_BYTES})")
    serve.add_argument("--max-ids-per-request", type=_at_least(1, "--max-ids-per-request"),
                       default=Limits.max_ids_per_request, metavar="N",
                       help="item ids one request may name; past them ErrorTooManyObjectsOpened, then "
                       f"ErrorBatchProcessingStopped (default {Limits.max_ids_per_request})")
    serve.add_argument("--max-recipients", type=_at_least(1, "--max-recipients"),
                       default=Limits.max_recipients, metavar="N",
                       help="distinct attendees of a meeting or recipients of a message; more are "
                       f"refused with ErrorInvalidRecipients (default {Limits.max_recipients})")
    serve.add_argument("--max-request-seconds", type=_positive_seconds, default=Limits.max_request_seconds,
                       metavar="S", help="time one request may take; past it ErrorTimeoutExpired (Graph: 504) "
                       f"and its changes are rolled back (default {Limits.max_request_seconds:g})")
    schema = serve.add_mutually_exclusive_group()
    schema.add_argument("--lax-schema", dest="strict_schema", action="store_false",
                        help="accept requests that break wsdl/ for their RequestServerVersion (by default "
                        "they get ErrorSchemaValidation with line, position and violated element, as "
                        "Exchange answers them); for a client known to be sloppy, see docs/wire-fidelity.md")
    schema.add_argument("--strict-schema", dest="strict_schema", action="store_true",
                        help=argparse.SUPPRESS)  # the default since issue 13; kept for old scripts
    serve.set_defaults(strict_schema=True)
    serve.add_argument("--no-inspector", dest="inspector", action="store_false",
                       help="no web inspector at /inspector/ (on by default; without credentials on a "
                       "loopback address, behind the mailboxes' credentials on any other)")
    tls = serve.add_argument_group("HTTPS")
    tls.add_argument("--tls", action="store_true",
                     help="serve HTTPS with a certificate from a local CA, made at the first start "
                     "in tls/ beside the store and reused (its ca.pem path is printed)")
    tls.add_argument("--cert", metavar="PEM", help="serve HTTPS with this certificate (chain) instead; needs --key")
    tls.add_argument("--key", metavar="PEM", help="the private key of --cert")
    serve.set_defaults(run=serve_command)


def _tls_files(args: argparse.Namespace, store: str) -> TlsFiles | None:
    if bool(args.cert) != bool(args.key):
        raise ValueError("--cert and --key go together")
    if (args.tls or args.cert) and args.workers > 1:
        raise ValueError("--tls and --cert serve from one process; leave out --workers")
    if args.cert:
        return own_tls_files(args.cert, args.key)
    if args.tls:
        # A database server has no folder to keep the CA beside: the default store's.
        beside = default_store_path() if is_url(store) else store
        return local_tls_files(tls_dir_for(beside, default_store_path()), args.host)
    return None


def serve_command(args: argparse.Namespace) -> int:
    # Each input is checked on its own, so the one line printed names the real cause.
    try:
        directory = Directory.load(args.directory) if args.directory else Directory.demo()
    except DirectoryError as exc:
        return _fail(str(exc))
    store_path = args.store or default_store_path()
    if args.workers > 1 and store_path == ":memory:":
        return _fail("--workers needs a store file: processes cannot share :memory:")
    try:
        tls = _tls_files(args, store_path)
    except (TlsError, ValueError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        print(f"ews-propose: cannot prepare the TLS files: {exc}", file=sys.stderr)
        return 1
    try:
        store = open_store(store_path)
    except StoreError as exc:
        return _fail(str(exc))
    config = ServerConfig(host=args.host, port=args.port, store=store_path, build=args.server_build,
                          threads=args.threads, max_request_bytes=args.max_request_bytes,
                          workers=args.workers, tls=tls, inspector=args.inspector,
                          strict_schema=args.strict_schema,
                          limits=Limits(max_ids_per_request=args.max_ids_per_request,
                                        max_recipients=args.max_recipients,
                                        max_request_seconds=args.max_request_seconds))
    if args.strict_schema:
        schemas.prepare_request_checks()  # not on the first request of each worker or thread
    try:
        if args.workers > 1:
            store.close()  # the workers open their own
            server: EmulatorServer | WorkerPool = WorkerPool(config, directory)
        else:
            server = EmulatorServer(config, directory, store=store)
    except OSError as exc:
        store.close()
        reason = _LISTEN_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
        return _fail(f"cannot listen on {args.host}:{args.port}: {reason}")
    _banner(args, server, config, directory)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if isinstance(server, WorkerPool):
            server.stop()
        else:
            server.store.close()
    return 0


_LISTEN_REASONS = {
    errno.EADDRINUSE: "the port is already in use (another ews-propose?); pick another with --port, "
                      "or --port 0 for a free one",
    errno.EACCES: "permission denied (ports below 1024 need privileges); pick another with --port",
    errno.EADDRNOTAVAIL: "this machine has no such address; use --host 127.0.0.1 or 0.0.0.0",
}


def _fail(message: str) -> int:
    print(f"ews-propose: {message}", file=sys.stderr)
    return EXIT_USAGE


def _banner(args: argparse.Namespace, server: EmulatorServer | WorkerPool, config: ServerConfig,
            directory: Directory) -> None:
    autodiscover = server.endpoint.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover")
    lines = [
        f"ews-propose listening on {server.endpoint}",
        f"  WSDL:   {server.wsdl_url}",
        f"  Graph:  {server.graph_url}/ (Authorization: Bearer TOKEN)",
        f"  Autodiscover: {autodiscover}.svc (SOAP), {autodiscover}.xml (POX)",
    ]
    if args.inspector:
        where = server.endpoint.replace("/EWS/Exchange.asmx", "/inspector/")
        lines.append(f"  Inspector: {where}" + ("" if is_loopback(args.host) else "  (a mailbox's credentials)"))
    lines += [
        f"  build:  {config.build} (newest schema {config.build.newest_schema})",
        f"  store:  {describe(config.store)}",
    ]
    tls = config.tls
    if tls is not None:
        lines.append(f"  TLS CA: {tls.ca}  (trust this file)" if tls.ca else f"  TLS:    {tls.cert}")
    if args.workers > 1:
        lines.append(f"  workers: {args.workers} processes x {args.threads} threads")
    lines.append("  mailboxes (HTTP Basic):")
    for mailbox in directory:
        # Only the built-in demo passwords are printed; a directory file's stay secret.
        secret = mailbox.password if not args.directory else "(from directory file)"
        token = f"  token: {mailbox.token}" if mailbox.token and not args.directory else ""
        lines.append(f"    {mailbox.smtp:<28} {mailbox.kind:<5} {mailbox.name:<22} password: {secret}{token}")
    try:
        for line in lines:
            print(line, flush=True)
    except BrokenPipeError:
        # `serve | head -1`: the reader has what it wanted; keep serving, print nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
