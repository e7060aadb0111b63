"""The ``ews-propose`` command. Each subcommand group lives in its own module with a
``register(subparsers)`` function that adds its parsers and sets ``run``."""

from __future__ import annotations

import argparse
import sys

from . import client_commands, conformance, seed, serve

COMMAND_MODULES = [serve, client_commands, conformance, seed]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ews-propose",
        description="Offline Exchange Web Services emulator and client for the propose-new-time "
        "meeting workflow.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
