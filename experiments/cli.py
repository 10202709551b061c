"""The `cascade` command line."""

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cascade")
    parser.parse_args(argv)
    return 0
