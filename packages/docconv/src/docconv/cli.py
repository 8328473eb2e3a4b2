"""The `docconv` command line.

Exit codes (stable, for scripts):

| code | meaning |
|---|---|
| 0 | success (``check``: the documents hold the same data) |
| 1 | ``check`` only: the documents differ |
| 2 | usage error (bad option, missing argument) |
| 3 | malformed input (the message gives line and column) |
| 4 | refused by the safety policy (entities, external DTD, size or depth limit) |
| 5 | the mapping cannot hold the data (invalid name, lossy readable conversion, ...) |
| 6 | input/output error (file not found, not writable) |

With a folder, every file is tried; the exit code is that of the first failure.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from docconv._api import (
    check,
    json_to_xml,
    stream_json_to_xml,
    stream_xml_to_json,
    xml_to_json,
)
from docconv._exceptions import DocconvError, MappingError, ParseError, SecurityError
from docconv._readable import force_list_from_xsd
from docconv._safety import Limits
from docconv._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_USAGE = 2
EXIT_MALFORMED = 3
EXIT_REFUSED = 4
EXIT_MAPPING = 5
EXIT_IO = 6

app = typer.Typer(
    name="docconv",
    help="Lossless, fast, streaming and safe JSON <-> XML conversion.",
    no_args_is_help=True,
    add_completion=False,
    epilog=(
        "Exit codes: 0 ok (check: same data), 1 check: different, 2 usage, 3 malformed input,"
        " 4 refused by the safety policy, 5 the mapping cannot hold the data, 6 I/O error."
    ),
)
err = Console(stderr=True)


class MappingChoice(StrEnum):
    """The mappings offered on the command line."""

    lossless = "lossless"
    readable = "readable"
    w3c = "w3c"
    jsonml = "jsonml"


def exit_code(exc: BaseException) -> int:
    """The documented exit code for an error.

    Args:
        exc: the error.

    Returns:
        3, 4, 5 or 6.
    """
    if isinstance(exc, ParseError):
        return EXIT_MALFORMED
    if isinstance(exc, SecurityError):
        return EXIT_REFUSED
    if isinstance(exc, MappingError | DocconvError):
        return EXIT_MAPPING
    return EXIT_IO


@app.callback()
def main() -> None:
    """Convert JSON to XML and back without losing data; see each command's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-docconv."""
    typer.echo(__version__)


MappingOption = Annotated[
    MappingChoice,
    typer.Option(
        "--mapping",
        "-m",
        help="lossless (W3C for JSON, JsonML for XML), readable (xmltodict style), w3c or jsonml.",
    ),
]
InputArg = Annotated[
    str, typer.Argument(help="Input file or folder; '-' (default) reads stdin.", show_default=False)
]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Output file or folder (mirrored); default stdout."),
]
MaxBytesOpt = Annotated[
    int | None, typer.Option("--max-bytes", help="Largest document (or streamed record) in bytes.")
]
MaxDepthOpt = Annotated[int, typer.Option("--max-depth", help="Deepest nesting accepted.")]


def _limits(max_bytes: int | None, max_depth: int) -> Limits:
    return Limits(
        max_bytes=max_bytes if max_bytes is not None else Limits().max_bytes,
        max_depth=max_depth,
        huge_tree=max_depth > 256,
    )


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def _stdout() -> IO[bytes]:
    return sys.stdout.buffer


def _fail(exc: BaseException, where: str) -> int:
    code = exit_code(exc)
    err.print(f"[red]error[/red] {where}: {exc}", highlight=False, soft_wrap=True)
    return code


def _run(
    input_path: str,
    output: str | None,
    suffix: str,
    pattern: str,
    convert: Callable[[Path | None], bytes],
    stream: Callable[[IO[bytes]], Iterator[bytes]] | None,
) -> None:
    """Convert one file, stdin, or every matching file of a folder (mirrored)."""
    source = None if input_path == "-" else Path(input_path)
    if source is not None and source.is_dir():
        if output is None:
            err.print("[red]error[/red] converting a folder needs --output FOLDER")
            raise typer.Exit(EXIT_USAGE)
        raise typer.Exit(_run_folder(source, Path(output), suffix, pattern, convert))
    try:
        if stream is not None:
            try:
                with (
                    source.open("rb") if source else _nullcontext(_stdin()) as handle,
                    Path(output).open("wb") if output else _nullcontext(_stdout()) as sink,
                ):
                    for chunk in stream(handle):
                        sink.write(chunk)
            except DocconvError:
                if output:  # never leave half a document behind
                    Path(output).unlink(missing_ok=True)
                raise
            return
        data = convert(source)
        if output:
            Path(output).write_bytes(data)
        else:
            _stdout().write(data)
            _stdout().flush()
    except (DocconvError, OSError) as exc:
        raise typer.Exit(_fail(exc, input_path)) from None


class _nullcontext:  # noqa: N801 - reads like contextlib.nullcontext, typed for IO
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def __enter__(self) -> IO[bytes]:
        return self.handle

    def __exit__(self, *args: object) -> None:
        self.handle.flush()


def _run_folder(
    source: Path, target: Path, suffix: str, pattern: str, convert: Callable[[Path | None], bytes]
) -> int:
    files = sorted(path for path in source.rglob(pattern) if path.is_file())
    first_failure = EXIT_OK
    done = failed = 0
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("converting", total=len(files))
        for path in files:
            destination = (target / path.relative_to(source)).with_suffix(suffix)
            try:
                data = convert(path)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(data)
                done += 1
            except (DocconvError, OSError) as exc:
                failed += 1
                code = _fail(exc, str(path))
                first_failure = first_failure or code
            progress.advance(task)
    err.print(f"{done} converted, {failed} failed, into {target}", highlight=False)
    return first_failure


@app.command("json2xml")
def json2xml(
    input_path: InputArg = "-",
    output: OutputOpt = None,
    mapping: MappingOption = MappingChoice.lossless,
    root: Annotated[
        str | None,
        typer.Option(help="Readable/--stream: wrap the data in an element of this name."),
    ] = None,
    tag: Annotated[
        str, typer.Option(help="--stream readable: element name of each item.")
    ] = "item",
    lines: Annotated[
        bool | None,
        typer.Option(
            "--lines/--array",
            help="--stream: the input is JSON lines / one array (default: from the first byte).",
            show_default=False,
        ),
    ] = None,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Read a top-level JSON array (or JSON lines) item by item, in constant memory.",
        ),
    ] = False,
    max_bytes: MaxBytesOpt = None,
    max_depth: MaxDepthOpt = 256,
) -> None:
    """Convert JSON to XML (files, folders of *.json, or stdin)."""
    limits = _limits(max_bytes, max_depth)

    def convert(path: Path | None) -> bytes:
        data = path.read_bytes() if path else _stdin().read()
        return json_to_xml(data, mapping=mapping.value, root=root, limits=limits)

    def streamer(handle: IO[bytes]) -> Iterator[bytes]:
        return stream_json_to_xml(
            handle, mapping=mapping.value, root=root or "root", tag=tag, lines=lines, limits=limits
        )

    _run(input_path, output, ".xml", "*.json", convert, streamer if stream else None)


@app.command("xml2json")
def xml2json(
    input_path: InputArg = "-",
    output: OutputOpt = None,
    mapping: MappingOption = MappingChoice.lossless,
    indent: Annotated[
        int | None, typer.Option(help="Indent JSON by this many spaces (default compact).")
    ] = None,
    force_list: Annotated[
        list[str] | None,
        typer.Option(
            "--force-list",
            help="Readable: element name or /path (* steps) that is always a list; repeatable.",
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(help="Readable: an XSD; elements that may repeat are always lists."),
    ] = None,
    typed: Annotated[
        bool, typer.Option("--typed", help="Readable: canonical numbers/booleans become typed.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--lossy",
            help="Readable: fail (default) or drop what the readable form cannot hold.",
        ),
    ] = True,
    stream_tag: Annotated[
        str | None,
        typer.Option(
            "--stream",
            help="Stream: convert each element of this name to one JSON line, in constant memory.",
        ),
    ] = None,
    max_bytes: MaxBytesOpt = None,
    max_depth: MaxDepthOpt = 256,
) -> None:
    """Convert XML to JSON (files, folders of *.xml, or stdin)."""
    limits = _limits(max_bytes, max_depth)
    forced: set[str] = set(force_list or [])
    if schema is not None:
        try:
            forced |= force_list_from_xsd(schema)
        except (DocconvError, OSError) as exc:
            raise typer.Exit(_fail(exc, str(schema))) from None
    options: dict[str, Any] = {
        "mapping": mapping.value,
        "force_list": forced or None,
        "typed": typed,
        "strict": strict,
        "limits": limits,
    }

    def convert(path: Path | None) -> bytes:
        data = path.read_bytes() if path else _stdin().read()
        return (xml_to_json(data, indent=indent, **options) + "\n").encode("utf-8")

    def streamer(handle: IO[bytes]) -> Iterator[bytes]:
        return stream_xml_to_json(handle, stream_tag or "*", **options)

    _run(input_path, output, ".json", "*.xml", convert, streamer if stream_tag else None)


@app.command("check")
def check_command(
    first: Annotated[Path, typer.Argument(help="A JSON or XML file.")],
    second: Annotated[Path, typer.Argument(help="The other file.")],
    mapping: MappingOption = MappingChoice.lossless,
    force_list: Annotated[
        list[str] | None, typer.Option("--force-list", help="Readable: always-list elements.")
    ] = None,
    typed: Annotated[bool, typer.Option("--typed", help="Readable: typed scalars.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify that a JSON file and an XML file hold the same data (exit 0 same, 1 different)."""
    try:
        json_path, xml_path = _which_is_which(first, second)
        result = check(
            json_path.read_bytes(),
            xml_path.read_bytes(),
            mapping=mapping.value,
            force_list=set(force_list) if force_list else None,
            typed=typed,
        )
    except (DocconvError, OSError) as exc:
        raise typer.Exit(_fail(exc, "check")) from None
    if as_json:
        typer.echo(
            json.dumps(
                {"equal": result.equal, "mapping": result.mapping, "difference": result.difference}
            )
        )
    elif result.equal:
        typer.echo(f"same data: {json_path} and {xml_path} ({result.mapping})")
    else:
        typer.echo(f"different: {result.difference}")
    raise typer.Exit(EXIT_OK if result.equal else EXIT_DIFFERENT)


def _looks_like_xml(path: Path) -> bool:
    if path.suffix.lower() == ".xml":
        return True
    if path.suffix.lower() == ".json":
        return False
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _which_is_which(first: Path, second: Path) -> tuple[Path, Path]:
    first_xml, second_xml = _looks_like_xml(first), _looks_like_xml(second)
    if first_xml == second_xml:
        err.print("[red]error[/red] check needs one JSON file and one XML file")
        raise typer.Exit(EXIT_USAGE)
    return (second, first) if first_xml else (first, second)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
