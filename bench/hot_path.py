"""Where one request's time goes: the wire benchmark's calls, in process, without HTTP.

    python bench/hot_path.py [--calls 2000] [--ops GetItem,FindItem,UpdateItem] [--profile]

Starts the emulator on a store file (the same WSGI stack ``ews-propose serve`` runs: the
inspector, Graph routing, memory reclaiming, the EWS application), seeds it with
bench/wire.py's data over real HTTP, then calls the WSGI stack directly with the wire
benchmark's request bodies ``--calls`` times per operation and prints microseconds per
call (and for bench/baseline.py's hand-written GetItem handler, called the same way):
the calling thread's CPU time (steadier than wall time on a shared machine; the
server's own threads are idle meanwhile) and wall time, best of ``--repeat`` runs.
``--profile`` runs the same calls under cProfile and prints the functions with the
most time inside them (own time, ``tottime``) and the biggest subtrees (``cumtime``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import make_app  # noqa: E402
from bench.wire import ADELE, basic, seed  # noqa: E402
from ews_propose.server import EmulatorServer, ServerConfig  # noqa: E402


def caller(wsgi, endpoint_path: str, authorization: str):
    """A function making one WSGI call with a body, checking for a 200."""
    def call(body: bytes) -> bytes:
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"] = status

        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": endpoint_path, "QUERY_STRING": "",
            "CONTENT_TYPE": "text/xml; charset=utf-8", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": authorization, "HTTP_HOST": "127.0.0.1", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1",
        }
        answer = wsgi(environ, start_response)
        out = b"".join(answer)
        close = getattr(answer, "close", None)
        if close is not None:
            close()
        if not seen["status"].startswith("200"):
            raise SystemExit(f"{seen['status']}: {out[:400]!r}")
        return out
    return call


# (label, [(file ending, function name)]): the first found is the subtree's root.
_PARTS = [
    ("whole WSGI stack", [("ews_propose/memory.py", "wrapped")]),
    ("EWS application (routing, auth)", [("ews_propose/soap/app.py", "__call__")]),
    ("SOAP pipeline (spyne's or soap/pipeline.py)", [("spyne/server/wsgi.py", "handle_rpc"),
                                                     ("ews_propose/soap/pipeline.py", "answer")]),
    ("  parse and envelope checks", [("spyne/server/_base.py", "generate_contexts"),
                                     ("ews_propose/soap/protocol.py", "create_in_document")]),
    ("  the operation (operations.operation's method)", [("ews_propose/soap/operations/__init__.py", "method")]),
    ("    rules and store (get_items, calendar_view, update_item)", [("ews_propose/rules/engine.py", "get_items"),
                                   ("ews_propose/rules/engine.py", "calendar_view"),
                                   ("ews_propose/rules/engine.py", "update_item")]),
    ("    item serialization", [("ews_propose/soap/items/text.py", "item_element"),
                                ("ews_propose/soap/items/text.py", "item_text"),
                                ("ews_propose/soap/items/text.py", "items_element"),
                                ("ews_propose/soap/items/text.py", "items_text")]),
    ("  answer serialization", [("spyne/server/_base.py", "get_out_string_pull")]),
]


def breakdown(stats: pstats.Stats, op: str, per_call_us: float) -> str:
    """The profile's big subtrees as shares of the whole stack, and what they come to in
    microseconds of an unprofiled call (the profiler slows Python calls more than C)."""
    entries = stats.stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = None
    lines = [f"| {op} | share of the stack (cProfile) | us of a {per_call_us:.0f} us call |", "|---|---|---|"]
    for label, candidates in _PARTS:
        spent = 0.0
        for ending, name in candidates:
            spent += sum(v[3] for k, v in entries.items() if k[0].endswith(ending) and k[2] == name)
        if total is None:
            total = spent or 1.0
        if spent:
            lines.append(f"| {label} | {spent / total:.0%} | {per_call_us * spent / total:.0f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--ops", default="GetItem,FindItem,UpdateItem")
    ap.add_argument("--repeat", type=int, default=3, help="runs of --calls each; the best is printed")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--lax-schema", action="store_true", help="without request validation (serve --lax-schema)")
    ap.add_argument("--top", type=int, default=0, help="with --profile: also print the N biggest functions")
    ap.add_argument("--no-baseline", action="store_true", help="skip bench/baseline.py's GetItem handler")
    ap.add_argument("--port", type=int, default=18100, help="the port seeding uses (default 18100)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmulatorServer(ServerConfig(port=args.port, store=str(Path(tmp) / "store.sqlite3"),
                                             strict_schema=not args.lax_schema))
        server.start()
        try:
            seeded = seed(server.endpoint)
            baseline = make_app(seeded["getitem_response"], seeded["request_id"], basic(ADELE))
            runs = [(op, *seeded["bodies"][op], server.wsgi) for op in args.ops.split(",")]
            if not args.no_baseline:
                runs.append(("baseline", [seeded["bodies"]["GetItem"][0][0]], ADELE, baseline))
            for op, bodies, user, wsgi in runs:
                call = caller(wsgi, "/EWS/Exchange.asmx", basic(user))
                for n in range(50):  # warm the caches
                    call(bodies[n % len(bodies)])
                best_wall = best_cpu = float("inf")
                for _ in range(args.repeat):
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    for n in range(args.calls):
                        call(bodies[n % len(bodies)])
                    best_cpu = min(best_cpu, time.thread_time() - started_cpu)
                    best_wall = min(best_wall, time.perf_counter() - started)
                print(f"{op:<10} {best_cpu / args.calls * 1e6:8.1f} us CPU a call, {best_wall / args.calls * 1e6:8.1f} us "
                      f"wall (best of {args.repeat} x {args.calls} calls)", flush=True)
                if args.profile:
                    profile = cProfile.Profile()
                    profile.enable()
                    for n in range(args.calls):
                        call(bodies[n % len(bodies)])
                    profile.disable()
                    out = io.StringIO()
                    stats = pstats.Stats(profile, stream=out)
                    if op != "baseline":
                        print(breakdown(stats, op, best_cpu / args.calls * 1e6))
                    if args.top:
                        stats.sort_stats("tottime").print_stats(args.top)
                        stats.sort_stats("cumtime").print_stats(args.top)
                        print(out.getvalue())
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
