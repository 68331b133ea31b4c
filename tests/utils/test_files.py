import importlib.util
import json
import re
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.utils._dataframe import load_table as load_table_from_dataframe
from sklearn_workflow.utils._files import SAMPLE_BYTES, load_table, read_table

# One small table written in every format: numbers with a missing value, text with
# separators and quotes inside, accents, ISO dates and missing cells.
COLUMNS = {
    "amount": [1234.5, 12.25, None, -3.0],
    "count": [1, 2, 3, 4],
    "city": ["Köln; Süd", 'Zürich, "Altstadt"', None, "Straße|Weg\tA"],
    "name": ["é", "ü", "ß", "plain"],
    "signup": ["2024-01-05", None, "2023-12-31", "2024-02-29"],
}


def _expected():
    frame = pd.DataFrame(COLUMNS)
    frame["signup"] = pd.to_datetime(frame["signup"], format="ISO8601")
    return frame


def _records():
    return [dict(zip(COLUMNS, row)) for row in zip(*COLUMNS.values())]


def _csv(sep=",", decimal=".", encoding="utf-8", compression=None):
    def write(path):
        _expected().to_csv(
            path,
            sep=sep,
            decimal=decimal,
            encoding=encoding,
            compression=compression,
            index=False,
        )

    return write


def _text(text, encoding="utf-8"):
    return lambda path: path.write_bytes(text.encode(encoding))


def _json_lines(path):
    path.write_text("\n".join(json.dumps(r) for r in _records()) + "\n")


def _excel(path):
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _expected().to_excel(writer, sheet_name="Data", index=False)
        pd.DataFrame({"other": [1]}).to_excel(writer, sheet_name="Notes")


SAME_TABLE = [
    ("comma.csv", _csv(), "separator ',', decimal '.', encoding utf-8"),
    ("semicolon.csv", _csv(";", ","), "separator ';', decimal ','"),
    ("semicolon_point.csv", _csv(";"), "separator ';', decimal '.'"),
    ("tab.tsv", _csv("\t"), r"separator '\t', decimal '.'"),
    ("tab_comma.txt", _csv("\t", ","), r"separator '\t', decimal ','"),
    ("pipe.dat", _csv("|", ","), "separator '|', decimal ','"),
    ("latin1.csv", _csv(";", ",", "latin-1"), "encoding cp1252 (detected)"),
    ("windows.csv", _csv(",", ".", "cp1252"), "encoding cp1252 (detected)"),
    ("bom.csv", _csv(encoding="utf-8-sig"), "encoding utf-8-sig"),
    ("excel_unicode.txt", _csv("\t", ",", "utf-16"), "encoding utf-16"),
    ("packed.csv.gz", _csv(";", ",", "cp1252", "gzip"), "(gzip): 4 rows"),
    ("packed.csv.bz2", _csv(compression="bz2"), "(bz2): 4 rows"),
    ("packed.tsv.xz", _csv("\t", compression="xz"), "(xz): 4 rows"),
    ("packed.zip", _csv(";", ",", compression="zip"), "(zip): 4 rows"),
    ("table.parquet", lambda p: _expected().to_parquet(p), "Parquet"),
    ("table.pq", lambda p: _expected().to_parquet(p), "Parquet"),
    ("records.json", lambda p: p.write_text(json.dumps(_records())), "JSON records"),
    ("records.txt", lambda p: p.write_text(json.dumps(_records())), "JSON records"),
    ("lines.jsonl", _json_lines, "JSON lines"),
    ("lines.ndjson", _json_lines, "JSON lines"),
    ("lines.json", _json_lines, "JSON lines"),
    ("columns.json", lambda p: p.write_text(json.dumps(COLUMNS)), "JSON columns"),
    (
        "wrapped.json",
        lambda p: p.write_text(json.dumps({"columns": COLUMNS})),
        "JSON columns",
    ),
    ("book.xlsx", _excel, "Excel, first of 2 sheets 'Data'"),
]


_NO_OPENPYXL = pytest.mark.skipif(
    importlib.util.find_spec("openpyxl") is None, reason="needs openpyxl"
)


@pytest.mark.parametrize(
    "name, write, said",
    [
        pytest.param(*case, id=case[0], marks=_NO_OPENPYXL)
        if case[0].endswith(".xlsx")
        else pytest.param(*case, id=case[0])
        for case in SAME_TABLE
    ],
)
def test_load_table_reads_every_format_to_the_same_frame(tmp_path, name, write, said):
    path = tmp_path / name
    write(path)
    messages = []
    frame = load_table(path, say=messages.append)
    pd.testing.assert_frame_equal(frame, _expected())
    assert len(messages) == 1
    assert messages[0].startswith(f"read {name}")
    assert "4 rows, 5 columns" in messages[0]
    assert said in messages[0]
    # Text formats carry dates as text; Parquet and Excel carry dates.
    text_dates = not name.endswith((".parquet", ".pq", ".xlsx"))
    assert ("dates in 'signup'" in messages[0]) == text_dates


def test_load_table_is_importable_where_it_used_to_be():
    assert load_table_from_dataframe is load_table


def test_read_table_reports_the_dialect(tmp_path):
    _csv(";", ",", "cp1252")(tmp_path / "d.csv")
    _, source = read_table(tmp_path / "d.csv")
    assert (source.format, source.separator, source.decimal) == ("csv", ";", ",")
    assert (source.encoding, source.encoding_detected) == ("cp1252", True)
    assert (source.n_rows, source.n_columns) == (4, 5)
    assert source.date_columns == ("signup",)


def test_load_table_reads_pandas_json_orients(tmp_path):
    frame = pd.DataFrame({"x": np.arange(12) * 1.5, "s": list("abcdefghijkl")})
    for orient in ("columns", "split", "records"):
        path = tmp_path / f"{orient}.json"
        frame.to_json(path, orient=orient)
        pd.testing.assert_frame_equal(load_table(path), frame)


def test_load_table_reads_thousands_only_where_every_value_is_a_number(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text(
        "Betrag;Tag;Version;Menge\n"
        "1.234,5;01.02.2024;1.5;3\n"
        "12,25;03.04.2024;1.10;2.000\n"
        "-1.000.000;05.06.2024;2.0;1\n"
    )
    messages = []
    frame = load_table(path, say=messages.append)
    np.testing.assert_array_equal(frame["Betrag"], [1234.5, 12.25, -1_000_000.0])
    np.testing.assert_array_equal(frame["Menge"], [3, 2000, 1])
    assert frame["Tag"].tolist() == ["01.02.2024", "03.04.2024", "05.06.2024"]
    assert frame["Version"].tolist() == ["1.5", "1.10", "2.0"]
    assert "thousands '.'" in messages[0]


@pytest.mark.parametrize(
    "sep, values", [(";", [1.5, 2.25]), ("\t", ["1,500", "2,250"])]
)
def test_load_table_reads_1_500_as_a_decimal_only_between_semicolons(
    tmp_path, sep, values
):
    # Between tabs, 1,500 may be a number with a thousands separator: it stays
    # text rather than becoming 1.5.
    (tmp_path / "x.txt").write_text(f"x{sep}n\n1,500{sep}1\n2,250{sep}2\n")
    assert load_table(tmp_path / "x.txt")["x"].tolist() == values


def test_load_table_takes_the_separator_an_excel_first_line_names(tmp_path):
    (tmp_path / "hint.csv").write_text("sep=;\nx;note\n1,5;a\n2;b,c\n")
    frame = load_table(tmp_path / "hint.csv")
    assert frame.columns.tolist() == ["x", "note"]
    assert frame["x"].tolist() == [1.5, 2.0]
    assert frame["note"].tolist() == ["a", "b,c"]


def test_load_table_reads_quoted_separators_and_newlines(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('id;note\n1;"a;b\nsecond line"\n2;"say ""hi"", then; go"\n')
    frame = load_table(path)
    assert frame["note"].tolist() == ["a;b\nsecond line", 'say "hi", then; go']


@pytest.mark.parametrize(
    "text, column, values",
    [
        ("y\n1\n2\n", "y", [1, 2]),
        ("x\n1,5\n-2,25\n", "x", [1.5, -2.25]),
        ('note\n"a, b; c"\nplain\n', "note", ["a, b; c", "plain"]),
    ],
)
def test_load_table_reads_a_single_column(tmp_path, text, column, values):
    (tmp_path / "one.csv").write_text(text)
    frame = load_table(tmp_path / "one.csv")
    assert frame.columns.tolist() == [column]
    assert frame[column].tolist() == values


def test_load_table_detects_an_encoding_past_the_sample(tmp_path):
    rows = SAMPLE_BYTES // 4 + 10
    text = "a,b\n" + "1,x\n" * rows + "2,Grüße\n"
    (tmp_path / "late.csv").write_bytes(text.encode("latin-1"))
    messages = []
    frame = load_table(tmp_path / "late.csv", say=messages.append)
    assert frame["b"].iloc[-1] == "Grüße"
    assert len(frame) == rows + 1
    assert "encoding cp1252 (detected)" in messages[0]


def test_load_table_prefers_windows_1252_among_equal_code_pages(tmp_path):
    # é, ï and € read the same in several code pages; ï and € differ in cp1250.
    text = "name;price\nCafé;3,5\nnaïve;€ 4\n"
    (tmp_path / "fr.csv").write_bytes(text.encode("cp1252"))
    frame = load_table(tmp_path / "fr.csv")
    assert frame["name"].tolist() == ["Café", "naïve"]
    assert frame["price"].tolist() == ["3,5", "€ 4"]


def test_load_table_keeps_iso_dates_only(tmp_path):
    pd.DataFrame(
        {
            "when": ["2024-01-05 10:00:00", "2024-02-11 00:30:00", None] * 10,
            "day": ["05/01/2024", "11/02/2024", None] * 10,
            "code": ["2024-01", "A-12", "7"] * 10,
        }
    ).to_csv(tmp_path / "d.csv", sep=";", index=False)
    frame = load_table(tmp_path / "d.csv")
    assert frame["when"].dtype.kind == "M"
    assert frame["when"].isna().sum() == 10
    assert frame["day"].dtype.kind != "M"
    assert frame["code"].dtype.kind != "M"


def _zip_of_two(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x\n1\n")
        archive.writestr("b.csv", "x\n2\n")


@pytest.mark.parametrize(
    "name, write, err_msg",
    [
        ("none.csv", None, r"cannot read '.*none\.csv': no such file"),
        ("empty.csv", _text(""), r"'.*empty\.csv' is empty: no text in it"),
        ("blank.csv", _text("\n  \n"), r"'.*blank\.csv' is empty: no text in it"),
        (
            "header.csv",
            _text("a;b;target\n"),
            r"'.*header\.csv' is empty: a header with 3 columns \('a', 'b', "
            r"'target'\) and no rows",
        ),
        (
            "ragged.csv",
            _text("a;b;c\n1;2\n3;4;5;6\n7\n8;9;10;11;12\n"),
            r"could not tell the separator of '.*ragged\.csv': it reads as one "
            r"column named 'a;b;c', whose header holds ';'",
        ),
        (
            "binary.csv",
            lambda p: p.write_bytes(b"\x00\x01\x02\xff\xfe" * 100),
            r"cannot read '.*binary\.csv' as a table: it holds binary data",
        ),
        (
            "scalar.json",
            _text("42"),
            r"cannot read '.*scalar\.json' as a table: the JSON holds one int",
        ),
        (
            "matrix.json",
            _text("[[1, 2], [3, 4]]"),
            r"a JSON list of list, not of records",
        ),
        (
            "meta.json",
            _text('{"name": "x", "version": 2}'),
            r"a JSON object with keys 'name', 'version' is neither records",
        ),
        ("empty.json", _text("[]"), r"'.*empty\.json' is empty: no columns"),
        (
            "broken.json",
            _text('[{"a": 1}, {"a": '),
            r"cannot read '.*broken\.json' as a table: JSONDecodeError",
        ),
        (
            "two.zip",
            _zip_of_two,
            r"the zip archive holds 2 files \(a\.csv, b\.csv\); put one table in it",
        ),
        (
            "broken.parquet",
            _text("not parquet"),
            r"cannot read '.*broken\.parquet' as a table: ",
        ),
    ],
)
def test_load_table_errors(tmp_path, name, write, err_msg):
    if write is not None:
        write(tmp_path / name)
    with pytest.raises(BadInputError, match=err_msg) as info:
        load_table(tmp_path / name)
    assert len(str(info.value).splitlines()) == 1


@pytest.mark.parametrize("name, engine", [("b.xlsx", "openpyxl"), ("b.xls", "xlrd")])
def test_load_table_says_how_to_install_excel_support(
    tmp_path, monkeypatch, name, engine
):
    (tmp_path / name).write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, engine, None)
    with pytest.raises(
        BadInputError, match=rf"need {engine}; pip install sklearn-workflow\[xlsx\]"
    ):
        load_table(tmp_path / name)


# Text that pandas keeps as text: never a number, a boolean or a missing marker.
_TEXT = st.text(st.sampled_from(list("abzéüß ,;|\t\"'\n")), max_size=6).map(
    lambda s: "t" + s
)
_DIALECTS = [
    (sep, decimal)
    for sep in (",", ";", "\t", "|")
    for decimal in (".", ",")
    if (sep, decimal) != (",", ",")
]


def _unambiguous(value):
    return re.fullmatch(r"-?[1-9]\d{0,2}\.\d{3}", repr(value)) is None


@st.composite
def _frames(draw):
    n_rows = draw(st.integers(1, 8))
    kinds = draw(st.lists(st.sampled_from(["float", "text"]), min_size=1, max_size=4))
    columns = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            # 1.234 written 1,234 between tabs could be thousands: see
            # test_load_table_reads_1_500_as_a_decimal_only_between_semicolons.
            values = st.floats(allow_infinity=False).filter(_unambiguous) | st.none()
        else:
            values = _TEXT | st.none()
        column = draw(st.lists(values, min_size=n_rows, max_size=n_rows))
        if kind == "text" and all(v is None for v in column):
            column[0] = "t"
        columns[f"{kind}_{i}"] = column
    frame = pd.DataFrame(columns)
    for name, kind in zip(columns, kinds):
        if kind == "float":
            frame[name] = frame[name].astype(np.float64)
    return frame


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=_frames(), dialect=st.sampled_from(_DIALECTS))
def test_load_table_round_trips_any_dialect(tmp_path_factory, frame, dialect):
    sep, decimal = dialect
    path = tmp_path_factory.mktemp("dialect") / "t.csv"
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    pd.testing.assert_frame_equal(load_table(path), frame)
