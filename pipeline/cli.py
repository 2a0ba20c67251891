"""`lowprec <stage> ...`: the only thing workflow rules call, and what users run by hand.

Errors in what the user asked for are printed as one sentence with exit status 2; a
traceback means a bug in lowprec.
"""

from __future__ import annotations

import argparse
import sys

from pipeline import __version__


class UsageError(Exception):
    """A bad key or value from the user: printed as one sentence, never as a traceback."""


def _add_formats(subparsers) -> None:
    parser = subparsers.add_parser(
        "formats", help="tabulate number formats (bits, range, epsilon) as CSV",
        description="Write one CSV row per number format: widths, rounding, epsilon and range.",
    )
    parser.add_argument("names", nargs="+", help="format names, e.g. float16 e11m12 e5m10-sr")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.set_defaults(run=_run_formats)


def _run_formats(args) -> None:
    from pipeline.io.atomic import atomic_path
    from pipeline.precision import NumberFormat

    try:
        formats = [NumberFormat.parse(name) for name in args.names]
    except ValueError as error:
        raise UsageError(str(error)) from None
    header = "number_format,exponent_bits,significand_bits,rounding,epsilon,smallest_subnormal,smallest_normal,largest_finite"
    with atomic_path(args.out) as path, open(path, "w") as stream:
        stream.write(header + "\n")
        for fmt in formats:
            stream.write(
                f"{fmt},{fmt.exponent_bits},{fmt.significand_bits},{fmt.rounding},"
                f"{fmt.epsilon!r},{fmt.smallest_subnormal!r},{fmt.smallest_normal!r},"
                f"{fmt.largest_finite!r}\n"
            )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lowprec",
        description="Reduced-precision simulation stages: how many significand bits does a "
        "model need, and does stochastic rounding let it go lower?",
    )
    parser.add_argument("--version", action="version", version=f"lowprec {__version__}")
    subparsers = parser.add_subparsers(title="stages", metavar="STAGE", required=True)
    _add_formats(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except UsageError as error:
        print(f"lowprec: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
