"""``ketenbrug stuf check FILE...``: what each StUF file is, and whether it is schema-valid.

Also runnable as ``python -m stuf.cli check FILE...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from privacy.masking import mask_text
from stuf.envelope import unwrap
from stuf.errors import StufError
from stuf.model import Bevestiging, Fout, ZdsVersion
from stuf.parse import detect_function, parse_element
from stuf.schema import validate_element
from stuf.xml import parse_xml

__all__ = ["check_file", "check_files", "main"]


def check_file(path: str, out: TextIO) -> bool:
    """Print one file's report; True when the codec understood it (warnings allowed)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=out)
        return False
    try:
        element, _soap = unwrap(parse_xml(data))
        message = parse_element(element)
    except StufError as exc:
        print(f"{path}: NOT UNDERSTOOD: {exc}", file=out)
        return False
    sg = message.stuurgegevens
    if isinstance(message, Bevestiging | Fout):
        function = message.berichtcode
    else:
        function = detect_function(element).split("_")[0]
    version = message.version
    print(f"{path}:", file=out)
    print(f"  version:          {version.value if version else 'any (StUF generic)'}", file=out)
    print(f"  berichtcode:      {sg.berichtcode if sg else message_code(message)}", file=out)
    print(f"  entiteittype:     {(sg.entiteittype if sg else None) or '-'}", file=out)
    print(f"  function:         {function}", file=out)
    print(f"  referentienummer: {(sg.referentienummer if sg else None) or '-'}", file=out)
    for warning in message.warnings:
        print(f"  warning:          {mask_text(warning)}", file=out)
    if isinstance(message, Fout):
        print(
            f"  fout:             {message.code} {message.plek}: {message.omschrijving}", file=out
        )
    target = element
    if etree_localname(element.tag) == "Fault":
        target = next(el for el in element.iter() if etree_localname(el.tag).endswith("Bericht"))
    versions = [version] if version else list(ZdsVersion)
    for schema_version in versions:
        findings = validate_element(target, schema_version)
        label = f"schema ZDS {schema_version.value}:"
        if not findings:
            print(f"  {label:<17} valid", file=out)
        for finding in findings:
            print(f"  {label:<17} {finding}", file=out)
    return True


def message_code(message: Bevestiging | Fout | object) -> str:
    """The berichtcode of a message without stuurgegevens."""
    return str(getattr(message, "berichtcode", "-"))


def etree_localname(tag: object) -> str:
    """Local name of an element tag ('' for comments and PIs)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def check_files(paths: list[str], out: TextIO = sys.stdout) -> int:
    """Report on each file; 0 when every file was understood (warnings allowed), else 1."""
    results = [check_file(path, out) for path in paths]
    return 0 if results and all(results) else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m stuf.cli check FILE...``."""
    parser = argparse.ArgumentParser(prog="stuf", description="StUF-ZKN (ZDS 1.1/1.2) tools")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="parse and schema-check StUF message files")
    check.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    return check_files(args.files)


if __name__ == "__main__":
    sys.exit(main())
