"""Reading a table from the file a user has.

CSV files come with any of four separators (``,`` ``;`` tab ``|``), decimal commas,
Windows or Latin-1 encodings and compression; tables also come as Parquet, JSON
(records, lines or a dict of columns) and Excel. :func:`read_table` works out which
from the name and a sample of the contents (64 KiB, however large the file is),
reads the file with pandas, and says what it found in a :class:`TableSource`.
"""

import bz2
import codecs
import contextlib
import csv
import gzip
import importlib
import io
import itertools
import json
import lzma
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from sklearn_workflow.exceptions import BadInputError

__all__ = ["TableSource", "load_table", "read_table"]

# Bytes read to sniff the encoding, the separator and the decimal mark.
SAMPLE_BYTES = 1 << 16
# Rows of the sample compared when sniffing the separator.
SAMPLE_ROWS = 200
# Share of the sample's rows that must have as many fields as the header.
CONSISTENT_SHARE = 0.8
SEPARATORS = (",", ";", "\t", "|")
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz"}
COMPRESSIONS[".zip"] = "zip"
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")

# Numbers as a sample shows them. "1.500" and "1,500" are ambiguous: a decimal
# with three digits, or thousands; a first group of thousands never starts with 0.
_COMMA_DECIMAL = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+(?:[eE][+-]?\d+)?")
_POINT_DECIMAL = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")
_POINT_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+")
_COMMA_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+")
# A number written with a decimal comma and, maybe, '.' between thousands.
_GROUPED_NUMBER = r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?"

# The first line Excel writes to say the separator: "sep=;".
_SEPARATOR_HINT = re.compile(r"sep=(.)\r?\n")

# What pandas, the decompressors and the parsers raise on a file they cannot read.
_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    ImportError,
    csv.Error,
    lzma.LZMAError,
    zipfile.BadZipFile,
)


@dataclass(frozen=True)
class TableSource:
    """What :func:`read_table` found out about a file.

    Attributes
    ----------
    name : str
        The file name.
    format : {"csv", "json", "parquet", "excel"}
    n_rows, n_columns : int
    separator, decimal, thousands : str or None
        The CSV dialect; ``thousands`` is set when some column held numbers
        written with ``.`` between groups of thousands.
    encoding : str or None
        The text encoding of a CSV or JSON file, as Python names it.
    encoding_detected : bool
        True when the file is not UTF-8 and the encoding was detected.
    compression : {"gzip", "bz2", "xz", "zip"} or None
    layout : str or None
        How a JSON file holds the table: "records", "lines", "columns" or "split".
    sheet : str or None
        The Excel sheet read (the first one), out of ``n_sheets``.
    n_sheets : int or None
    date_columns : tuple of str
        Text columns read as dates.
    """

    name: str
    format: str
    n_rows: int = 0
    n_columns: int = 0
    separator: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    encoding_detected: bool = False
    compression: str | None = None
    layout: str | None = None
    sheet: str | None = None
    n_sheets: int | None = None
    date_columns: tuple = ()

    def describe(self):
        """One line: the file, its shape and how it was read."""
        if self.format == "csv":
            how = [f"separator {self.separator!r}", f"decimal {self.decimal!r}"]
            how += [f"thousands {self.thousands!r}"] if self.thousands else []
        elif self.format == "json":
            how = [f"JSON {self.layout}"]
        elif self.format == "excel":
            first = f"first of {self.n_sheets} sheets" if self.n_sheets > 1 else "sheet"
            how = [f"Excel, {first} {self.sheet!r}"]
        else:
            how = ["Parquet"]
        if self.encoding is not None:
            detected = " (detected)" if self.encoding_detected else ""
            how.append(f"encoding {self.encoding}{detected}")
        if self.date_columns:
            how.append("dates in " + ", ".join(map(repr, self.date_columns)))
        packed = f" ({self.compression})" if self.compression else ""
        return (
            f"read {self.name}{packed}: {self.n_rows:,} rows, {self.n_columns} "
            f"columns; " + ", ".join(how)
        )


def load_table(path, *, say=None):
    """Read a table file (CSV, JSON, Parquet, Excel) into a pandas DataFrame.

    The separator (``,`` ``;`` tab ``|``), the decimal mark and the encoding of a
    CSV file are sniffed from a sample, so a French or German Excel export
    (``;`` and ``12,5``), a tab-separated file or a Windows-1252 file read as
    they look in a spreadsheet. gzip, bz2, xz and single-file zip archives are
    opened by their suffix. Text columns whose values are ISO-8601 dates
    (``2024-07-01``, ``2024-07-01 12:30:00``; at least 95% of the non-missing
    values) are parsed to datetimes, as a CSV cannot say they are dates; the
    ``run``, ``predict`` and ``check`` commands all read files this way, so a
    model sees the same types at fit and at prediction time.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``, ``.txt`` or any other name (delimited text),
        ``.json`` (records, JSON lines or a dict of columns), ``.jsonl`` or
        ``.ndjson``, ``.parquet`` or ``.pq``, ``.xlsx`` or ``.xls`` (the first
        sheet; needs ``pip install sklearn-workflow[xlsx]``); text files may end
        in ``.gz``, ``.bz2``, ``.xz`` or ``.zip``.
    say : callable, default=None
        Called with one line saying what was read and how (separator, decimal
        mark, encoding, sheet).

    Returns
    -------
    frame : DataFrame

    Raises
    ------
    BadInputError
        The file does not exist, cannot be parsed, has no rows or no columns,
        or its separator could not be told.

    See Also
    --------
    read_table : The same, also returning what was detected.
    pandas.read_csv : Reads one dialect, told in advance; this function sniffs it.

    Examples
    --------
    A German spreadsheet export: ``;`` between fields, decimal commas, Windows
    encoding and a missing cell.

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "umsatz.csv"
    >>> text = "Stadt;Umsatz\\nKöln;1.234,5\\nMünchen;\\n"
    >>> _ = path.write_bytes(text.encode("cp1252"))
    >>> load_table(path, say=print)
    read umsatz.csv: 2 rows, 2 columns; separator ';', decimal ',', thousands '.',
    encoding cp1252 (detected)
         Stadt  Umsatz
    0     Köln  1234.5
    1  München     NaN
    >>> folder.cleanup()
    """
    frame, source = read_table(path)
    if say is not None:
        say(source.describe())
    return frame


def read_table(path):
    """Read a table file and tell how it was read.

    Parameters
    ----------
    path : str or Path
        See :func:`load_table`.

    Returns
    -------
    frame : DataFrame
    source : TableSource
        The format, dialect, encoding and shape found.

    Raises
    ------
    BadInputError
        See :func:`load_table`.

    Examples
    --------
    A JSON file holding a list of records, one of them without a ``city``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "people.json"
    >>> _ = path.write_text('[{"age": 31, "city": "Lyon"}, {"age": 45}]')
    >>> frame, source = read_table(path)
    >>> source.describe()
    'read people.json: 2 rows, 2 columns; JSON records, encoding utf-8'
    >>> frame["city"].isna().tolist()
    [False, True]
    >>> folder.cleanup()
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"cannot read {str(path)!r}: no such file")
    kind, compression, member = _file_kind(path)
    reader = {
        "parquet": _read_parquet,
        "excel": _read_excel,
        "json": _read_json,
        "jsonl": _read_json,
    }.get(kind, _read_delimited)
    try:
        frame, source = reader(path, compression, member)
    except BadInputError:
        raise
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    _check_shape(frame, path, source)
    source = _finish_columns(frame, source)
    return frame, replace(source, n_rows=frame.shape[0], n_columns=frame.shape[1])


def _unreadable(path, exc):
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return BadInputError(
        f"cannot read {str(path)!r} as a table: {type(exc).__name__}: {first_line}"
    )


def _file_kind(path):
    """The format, the compression and, for a zip archive, the file inside."""
    suffix = path.suffix.lower()
    compression = COMPRESSIONS.get(suffix)
    member = None
    inner = path.stem if compression else path.name
    if compression == "zip":
        member = inner = _zip_member(path)
    suffix = Path(inner).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet", compression, member
    if suffix in EXCEL_SUFFIXES:
        return "excel", compression, member
    if suffix == ".json":
        return "json", compression, member
    if suffix in JSON_LINES_SUFFIXES:
        return "jsonl", compression, member
    return "csv", compression, member


def _zip_member(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(path, exc) from exc
    files = [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX")]
    if len(files) != 1:
        raise BadInputError(
            f"cannot read {str(path)!r} as a table: the zip archive holds "
            f"{len(files)} files ({', '.join(files[:5]) or 'none'}); put one table "
            "in it"
        )
    return files[0]


@contextlib.contextmanager
def _open_binary(path, compression, member):
    """The decompressed bytes of the file, as a binary file object."""
    if compression == "zip":
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            yield handle
        return
    opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression)
    with (opener or open)(path, "rb") as handle:
        yield handle


def _read_sample(path, compression, member):
    """The first ``SAMPLE_BYTES`` bytes, and whether the file goes on after them."""
    with _open_binary(path, compression, member) as handle:
        sample = handle.read(SAMPLE_BYTES + 1)
    return sample[:SAMPLE_BYTES], len(sample) > SAMPLE_BYTES


def _sniff_encoding(sample, path):
    """The encoding of a text sample, and whether it had to be detected.

    UTF-8 (with or without a byte-order mark) and UTF-16 with its mark are
    recognised at once; anything else is detected with charset-normalizer.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if b"\x00" in sample:
        raise BadInputError(
            f"cannot read {str(path)!r} as a table: it holds binary data (NUL "
            "bytes), not text"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return _detect_encoding(sample, path), True
    return "utf-8", False


def _detect_encoding(data, path):
    """The most likely encoding of non-UTF-8 bytes.

    A short sample often decodes to the same text in several 8-bit code pages;
    among the equally likely ones, Windows-1252 (the encoding of spreadsheet
    exports in Western Europe and the Americas, and a superset of Latin-1's
    letters) is preferred.
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise BadInputError(
            f"cannot read {str(path)!r} as a table: its bytes are not text in "
            "any known encoding"
        )
    best = matches[0]
    tied = [
        m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)
    ]
    for name in ("cp1252", "latin_1"):
        if any(name in m.could_be_from_charset for m in tied):
            return name
    return best.encoding


def _encoding_past_sample(path, compression, member):
    """The encoding of a file whose sample was UTF-8 but whose rest is not."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open_binary(path, compression, member) as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                start = max(0, exc.start - SAMPLE_BYTES // 2)
                return _detect_encoding(chunk[start : start + SAMPLE_BYTES], path)
    return "utf-8"


def _decode_sample(sample, encoding, truncated):
    text = codecs.getincrementaldecoder(encoding)().decode(sample, final=not truncated)
    if truncated:
        text = text[: text.rfind("\n") + 1] or text
    return text


def _read_delimited(path, compression, member):
    sample, truncated = _read_sample(path, compression, member)
    if not sample.strip():
        raise BadInputError(f"{str(path)!r} is empty: no text in it")
    encoding, detected = _sniff_encoding(sample, path)
    text = _decode_sample(sample, encoding, truncated)
    if text.lstrip()[:1] in ("[", "{"):
        with contextlib.suppress(ValueError, TypeError, BadInputError):
            return _read_json(path, compression, member, lines=None)
    hint = _SEPARATOR_HINT.match(text)
    text = text[hint.end() :] if hint else text
    separator, rows = _sniff_separator(text, truncated, hint and hint.group(1))
    decimal = _sniff_decimal(rows, separator)
    options = {"sep": separator, "decimal": decimal, "skiprows": 1 if hint else 0}
    try:
        frame = _read_csv(path, compression, member, encoding=encoding, **options)
    except UnicodeDecodeError:
        encoding, detected = _encoding_past_sample(path, compression, member), True
        frame = _read_csv(path, compression, member, encoding=encoding, **options)
    source = TableSource(
        path.name,
        "csv",
        encoding=codecs.lookup(encoding).name,
        encoding_detected=detected,
        compression=compression,
        separator=separator,
        decimal=decimal,
    )
    return frame, source


def _read_csv(path, compression, member, **options):
    with _open_binary(path, compression, member) as handle:
        return pd.read_csv(handle, quotechar='"', **options)


def _sniff_separator(text, truncated, told=None):
    """The separator of a CSV sample, and the sample's rows split by it.

    A candidate must split the header into two fields or more and split at
    least ``CONSISTENT_SHARE`` of the rows into as many; among those the most
    consistent wins, then csv.Sniffer's guess, then the one giving more fields.
    A sample no candidate splits is one column: its separator is the one that
    leaves most rows whole. A separator ``told`` (by a ``sep=;`` first line,
    which Excel reads and writes) is taken as it is.
    """
    if told is not None:
        return told, _split_rows(text, told, truncated)
    rows = {sep: _split_rows(text, sep, truncated) for sep in SEPARATORS}
    sniffed = _sniffer_guess(text)

    def score(sep):
        header, *others = [len(row) for row in rows[sep]] or [0]
        share = sum(n == header for n in others) / len(others) if others else 1.0
        return (header > 1 and share >= CONSISTENT_SHARE, share, sep == sniffed, header)

    best = max(SEPARATORS, key=score)
    if not score(best)[0]:
        best = max(SEPARATORS, key=lambda sep: _share_of_single_fields(rows[sep]))
    return best, rows[best]


def _share_of_single_fields(rows):
    return sum(len(row) == 1 for row in rows) / len(rows) if rows else 0.0


def _split_rows(text, sep, truncated):
    """The first ``SAMPLE_ROWS`` rows of a sample, split by ``sep``."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
    try:
        rows = [row for _, row in zip(range(SAMPLE_ROWS), reader) if row]
    except csv.Error:
        return []
    if truncated and len(rows) < SAMPLE_ROWS:
        rows = rows[:-1]  # the last record may be cut in a quoted field
    return rows


def _sniffer_guess(text):
    try:
        return (
            csv.Sniffer().sniff(text[:8192], delimiters="".join(SEPARATORS)).delimiter
        )
    except csv.Error:
        return None


def _sniff_decimal(rows, separator):
    """ "," when the sample's number columns are written ``12,5`` or ``1.234,5``.

    Each column votes for the decimal mark its numbers show: ``12,5`` or
    ``1.000.000`` for a comma, ``12.5`` for a point. ``1,500`` votes for a comma
    only in a ``;`` file (a ``,`` between thousands comes with ``,`` between
    fields), and ``1.500`` for nothing. A comma needs at least as many columns
    as a point, and a separator other than ``,``.
    """
    if separator == ",":
        return "."
    votes = {",": 0, ".": 0}
    for column in itertools.zip_longest(*rows[1:], fillvalue=""):
        cells = [cell.strip() for cell in column]
        comma = any(_is_comma_decimal(cell, separator) for cell in cells)
        point = any(_is_point_decimal(cell) for cell in cells)
        if comma != point:
            votes["," if comma else "."] += 1
    return "," if votes[","] and votes[","] >= votes["."] else "."


def _is_comma_decimal(cell, separator):
    if _POINT_THOUSANDS.fullmatch(cell):
        return cell.count(".") > 1  # 1.000.000, not 1.500
    if _COMMA_THOUSANDS.fullmatch(cell):
        return separator == ";"
    return _COMMA_DECIMAL.fullmatch(cell) is not None


def _is_point_decimal(cell):
    if _POINT_THOUSANDS.fullmatch(cell):
        return False
    return _POINT_DECIMAL.fullmatch(cell) is not None


def _read_json(path, compression, member, lines=None):
    """A JSON file: records, JSON lines, or a dict of columns."""
    with _open_binary(path, compression, member) as handle:
        data = handle.read()
    if not data.strip():
        raise BadInputError(f"{str(path)!r} is empty: no text in it")
    encoding, detected = _sniff_encoding(data[:SAMPLE_BYTES], path)
    text = data.decode(encoding).strip()
    if lines is None:
        lines = Path(member or path.name).suffix.lower() in JSON_LINES_SUFFIXES
    document, layout = None, "lines"
    if not lines:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            if not (text.startswith("{") and exc.msg == "Extra data"):
                raise
    if document is None:
        document = json.loads("[" + ",".join(filter(None, text.splitlines())) + "]")
    else:
        layout = None
    frame, found = _json_frame(document, path)
    source = TableSource(
        path.name,
        "json",
        layout=layout or found,
        encoding=codecs.lookup(encoding).name,
        encoding_detected=detected,
        compression=compression,
    )
    return frame, source


def _json_frame(document, path):
    """The table a parsed JSON document holds, and how it holds it."""
    if isinstance(document, list):
        if document and not isinstance(document[0], dict):
            raise BadInputError(
                f"cannot read {str(path)!r} as a table: a JSON list of "
                f"{type(document[0]).__name__}, not of records (objects)"
            )
        return pd.DataFrame(document), "records"
    if not isinstance(document, dict):
        raise BadInputError(
            f"cannot read {str(path)!r} as a table: the JSON holds one "
            f"{type(document).__name__}"
        )
    if {"columns", "data"} <= document.keys():
        return pd.DataFrame(document["data"], columns=document["columns"]), "split"
    values = list(document.values())
    if len(values) == 1 and _is_table(values[0]):  # {"data": [...]}
        return _json_frame(values[0], path)
    if values and all(isinstance(v, list) for v in values):
        return pd.DataFrame(document), "columns"
    if values and all(isinstance(v, dict) for v in values):
        return pd.DataFrame(document).reset_index(drop=True), "columns"
    raise BadInputError(
        f"cannot read {str(path)!r} as a table: a JSON object with keys "
        f"{', '.join(map(repr, list(document)[:5]))} is neither records, JSON lines "
        "nor a dict of columns"
    )


def _is_table(value):
    """True for a list of records or a dict of columns, as one JSON value."""
    if isinstance(value, list):
        return bool(value) and isinstance(value[0], dict)
    return isinstance(value, dict) and all(
        isinstance(v, list | dict) for v in value.values()
    )


def _read_parquet(path, compression, member):
    if compression is None:
        return pd.read_parquet(path), TableSource(path.name, "parquet")
    with _open_binary(path, compression, member) as handle:
        data = io.BytesIO(handle.read())
    return pd.read_parquet(data), TableSource(
        path.name, "parquet", compression=compression
    )


def _read_excel(path, compression, member):
    engine = (
        "xlrd" if Path(member or path.name).suffix.lower() == ".xls" else "openpyxl"
    )
    try:
        importlib.import_module(engine)
    except ImportError as exc:
        raise BadInputError(
            f"cannot read {str(path)!r}: Excel files need {engine}; "
            "pip install sklearn-workflow[xlsx]"
        ) from exc
    if compression is None:
        book = pd.ExcelFile(path, engine=engine)
    else:
        with _open_binary(path, compression, member) as handle:
            book = pd.ExcelFile(io.BytesIO(handle.read()), engine=engine)
    with book:
        sheet = book.sheet_names[0]
        frame = pd.read_excel(book, sheet_name=sheet)
    source = TableSource(
        path.name, "excel", sheet=sheet, n_sheets=len(book.sheet_names)
    )
    return frame, replace(source, compression=compression)


def _check_shape(frame, path, source):
    """Refuse a table without rows or columns, or one a wrong separator glued."""
    n_rows, n_columns = frame.shape
    if n_columns == 0:
        raise BadInputError(f"{str(path)!r} is empty: no columns")
    if n_rows == 0:
        names = ", ".join(map(repr, map(str, frame.columns[:5])))
        more = ", ..." if n_columns > 5 else ""
        raise BadInputError(
            f"{str(path)!r} is empty: a header with {n_columns} columns "
            f"({names}{more}) and no rows"
        )
    if source.format != "csv" or n_columns != 1:
        return
    name = str(frame.columns[0])
    held = [sep for sep in SEPARATORS if sep in name]
    if held:
        raise BadInputError(
            f"could not tell the separator of {str(path)!r}: it reads as one "
            f"column named {name[:60]!r}, whose header holds "
            f"{' and '.join(map(repr, held))} but whose rows do not split the same "
            "way"
        )


def _finish_columns(frame, source):
    """Numbers with thousands separators to numbers; ISO date text to dates."""
    from sklearn_workflow.utils._dataframe import column_kind, is_date_strings

    if source.decimal == ",":
        converted = _grouped_numbers_to_numbers(frame)
        source = replace(source, thousands="." if converted else None)
    dates = []
    for name in frame.columns:
        col = frame[name]
        if column_kind(col) == "categorical" and is_date_strings(col):
            frame[name] = pd.to_datetime(col, errors="coerce", format="ISO8601")
            dates.append(str(name))
    return replace(source, date_columns=tuple(dates))


def _grouped_numbers_to_numbers(frame):
    """Turn text columns of ``1.234,5`` numbers into numbers, in place.

    pandas' ``thousands="."`` would also glue ``01.02.2024`` into 1022024 and
    ``1.5`` into 15, so only the columns whose every value is such a number are
    converted. Returns the names of the converted columns.
    """
    converted = []
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_string_dtype(col.dtype) or col.dtype == object):
            continue
        text = col.dropna()
        if len(text) == 0 or not all(isinstance(v, str) for v in text.iloc[:1]):
            continue
        text = text.astype(str)
        if not text.str.contains(".", regex=False).any():
            continue
        if not text.str.fullmatch(_GROUPED_NUMBER).all():
            continue
        plain = text.str.replace(".", "", regex=False).str.replace(
            ",", ".", regex=False
        )
        frame[name] = pd.to_numeric(plain).reindex(frame.index)
        converted.append(name)
    return converted
