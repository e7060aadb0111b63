"""The ``ews-propose`` command. Each subcommand group lives in its own module with a
``register(subparsers)`` function that adds its parsers and sets ``run``."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata

from . import check, client_commands, conformance, seed, serve

COMMAND_MODULES = [serve, client_commands, conformance, seed, check]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ews-propose",
        description="Offline Exchange Web Services emulator and client for the propose-new-time "
        "meeting workflow.",
    )
    parser.add_argument("--version", action="version", version=f"ews-propose {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _version() -> str:
    try:
        return metadata.version("ews-propose")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # `ews-propose proposals --ids | head -1`: the reader took what it wanted.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


if __name__ == "__main__":
    sys.exit(main())
