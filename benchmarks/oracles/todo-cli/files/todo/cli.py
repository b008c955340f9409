"""Command line: add, list, done."""

import argparse
import sys

from . import store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todo")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("add").add_argument("text")
    commands.add_parser("list")
    commands.add_parser("done").add_argument("number", type=int)
    args = parser.parse_args(argv)
    path = store.store_path()
    if args.command == "add":
        number = store.add(path, args.text)
        print(f"added {number}")
    elif args.command == "list":
        for number, item in enumerate(store.load(path), start=1):
            mark = "x" if item["done"] else " "
            print(f"{number}. [{mark}] {item['text']}")
    else:
        try:
            store.mark_done(path, args.number)
        except IndexError as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0
