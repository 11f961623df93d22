"""A bad input file stops the build with a message that names the problem, not a SQL error."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    CONTRACT_COLUMNS,
    PROJECT_DIR,
    DbtBuildError,
    build_warehouse,
    connect_warehouse,
)


def test_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    events = tmp_path / "no_customer.csv"
    header = [c for c in CONTRACT_COLUMNS if c != "customer_id"]
    events.write_text(",".join(header) + "\n" + ",".join(["x"] * len(header)) + "\n")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(events, tmp_path / "build")
    message = str(failure.value)
    assert "lack required column(s): customer_id." in message
    assert str(events) in message


def test_semicolon_separated_file_is_named_with_its_separator(tmp_path: Path) -> None:
    """A spreadsheet's CSV export in a locale that separates by ';' (its messages holding commas,
    which threw the CSV reader's own error) stops with what to change."""
    events = tmp_path / "semicolons.csv"
    row = ["e1", "2026-10-01T10:00:00+09:00", "@ch", "u1", "message", "customer", "", "",
           "네, 감사합니다, 확인했어요"]
    events.write_text(";".join(CONTRACT_COLUMNS) + "\n" + ";".join(row) + "\n", encoding="utf-8")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(events, tmp_path / "build")
    message = str(failure.value)
    assert f"The chat event file '{events}' is separated by semicolons, not commas" in message
    assert "Save it as comma-separated UTF-8 CSV with the header: " + ",".join(CONTRACT_COLUMNS) \
        in message


GOOD_ROW = ["e1", "2026-10-01T10:00:00+09:00", "@ch", "u1", "room_opened", "customer", "", "", ""]


def test_a_later_file_with_another_separator_is_named_too(tmp_path: Path) -> None:
    """Every matched file's header is checked, not only the first file's: a day's export saved
    with tabs next to good files stops the build naming that file (DuckDB's CSV reader would
    stop on it too, with advice about its own options)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    with gzip.open(landing / "day_1.csv.gz", "wt", encoding="utf-8") as file:
        file.write(",".join(CONTRACT_COLUMNS) + "\n" + ",".join(GOOD_ROW) + "\n")
    later = landing / "day_2.csv.gz"
    with gzip.open(later, "wt", encoding="utf-8") as file:
        file.write("\ufeff" + "\t".join(CONTRACT_COLUMNS) + "\n"
                   + "\t".join(["e2", *GOOD_ROW[1:8], "네, 감사합니다"]) + "\n")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv.gz", tmp_path / "build")
    assert f"The chat event file '{later}' is separated by tabs, not commas" in str(failure.value)


def landing_with_a_good_file(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "day_1.csv").write_text(
        ",".join(CONTRACT_COLUMNS) + "\n" + ",".join(GOOD_ROW) + "\n", encoding="utf-8")
    return landing


def test_a_file_missing_a_column_next_to_good_files_is_named(tmp_path: Path) -> None:
    """The reader unites the files by column name: a day's file with a misspelt header next to
    good files was read with event_id empty, every row rejected, and the build passed. Each
    file's header is checked on its own."""
    landing = landing_with_a_good_file(tmp_path)
    renamed = landing / "day_2.csv"
    header = ["id" if column == "event_id" else column for column in CONTRACT_COLUMNS]
    renamed.write_text(",".join(header) + "\n" + ",".join(["e2", *GOOD_ROW[1:]]) + "\n",
                       encoding="utf-8")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert f"'{renamed}' lack required column(s): event_id. Found: id," in str(failure.value)


def test_a_parquet_file_missing_a_column_next_to_good_files_is_named(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    good, short = landing / "day_1.parquet", landing / "day_2.parquet"
    columns = ", ".join(f"'{value}' as {column}"
                        for column, value in zip(CONTRACT_COLUMNS, GOOD_ROW, strict=True))
    with duckdb.connect() as connection:
        connection.execute(f"copy (select {columns}) to '{good}' (format parquet)")
        connection.execute(f"copy (select * exclude (customer_id) from '{good}')"
                           f" to '{short}' (format parquet)")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.parquet", tmp_path / "build")
    assert f"'{short}' lack required column(s): customer_id. Found: event_id," in str(
        failure.value)


def test_an_empty_file_next_to_good_files_is_named(tmp_path: Path) -> None:
    """A file of 0 bytes (an export that failed?) passed silently next to good files, and on
    its own stopped with 'Found: column0'. It stops, saying it has no header line."""
    landing = landing_with_a_good_file(tmp_path)
    empty = landing / "day_2.csv"
    empty.write_bytes(b"")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert f"The chat event file '{empty}' has no header line (it is empty" in str(failure.value)


def test_a_file_saved_as_cp949_is_named_with_its_encoding(tmp_path: Path) -> None:
    """Excel saves Korean CSV as CP949: DuckDB's reader stopped on it quoting the header as
    'Line 2' and advising ignore_errors=true, an option the project does not expose."""
    landing = landing_with_a_good_file(tmp_path)
    korean = landing / "day_2.csv"
    korean.write_bytes((",".join(CONTRACT_COLUMNS) + "\n"
                        + ",".join(["e2", *GOOD_ROW[1:8], "네 감사합니다"]) + "\n").encode("cp949"))
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert (f"The chat event file '{korean}' is not UTF-8: it reads as CP949 (EUC-KR)"
            in str(failure.value))


def test_a_file_that_mixes_line_endings_is_named_with_its_counts(tmp_path: Path) -> None:
    """A file joined from a Windows and a Unix export: DuckDB's reader stopped on it with 'The
    CSV Parser state machine reached an invalid state' (or, when the mix starts early, a sniffer
    error). Here the LF lines start past the first 64 KiB, and the CRLF part carries a line
    break inside a quoted message, which is not a line ending."""
    landing = landing_with_a_good_file(tmp_path)
    mixed = landing / "day_2.csv"
    rows = [",".join([f"m{i}", *GOOD_ROW[1:4], "message", "customer", "", "",
                      '"첫 줄\n둘째 줄"' if i == 0 else "네 감사합니다"]) for i in range(3000)]
    mixed.write_bytes((",".join(CONTRACT_COLUMNS) + "\r\n" + "\r\n".join(rows[:2000]) + "\r\n"
                       + "\n".join(rows[2000:]) + "\n").encode("utf-8"))
    assert mixed.stat().st_size > 2 * 64 * 1024
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert (f"The chat event file '{mixed}' mixes line endings (2001 CRLF and 1000 LF)"
            in str(failure.value))


def test_line_endings_are_counted_across_the_chunks_a_file_is_read_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The check reads a file in chunks: a quoted field, or a CRLF, cut by a chunk's end is not
    miscounted (chunks of 7 bytes cut both here)."""
    monkeypatch.syspath_prepend(str(PROJECT_DIR / "udfs"))
    import kakao_udfs

    monkeypatch.setattr(kakao_udfs, "LINE_ENDING_CHUNK_BYTES", 7)
    windows = tmp_path / "windows.csv"
    windows.write_bytes(b'ab,cde\r\n1,"x\ny"\r\n2,"p\r\nq\nr"\r\n3,z\r\n')
    assert kakao_udfs.csv_mixed_line_endings(str(windows)) is None
    joined = tmp_path / "joined.csv.gz"
    with gzip.open(joined, "wb") as file:
        file.write(b'a,b\r\n1,"x\ny"\r\n2,"p""q"\n3,z\n')
    assert kakao_udfs.csv_mixed_line_endings(str(joined)) == "2 CRLF and 2 LF"


def test_a_file_whose_last_line_has_an_extra_field_is_named_not_dropped(tmp_path: Path) -> None:
    """A message with an unquoted comma in a day's last line: DuckDB's reader took that line for
    the file's dialect and the lines before it for a preamble, read no row of the file and said
    nothing; the build passed without the day's events (found by a new user). The build stops,
    naming the file and the line."""
    landing = landing_with_a_good_file(tmp_path)
    build_warehouse(landing / "*.csv", tmp_path / "build")
    rows = [[f"m{i}", *GOOD_ROW[1:4], "message", "customer", "", "", "안녕하세요"]
            for i in range(3)]
    rows[-1][-1] = "네, 감사합니다"
    day_2 = landing / "day_2.csv"
    day_2.write_text("\n".join(",".join(row) for row in [CONTRACT_COLUMNS, *rows]) + "\n",
                     encoding="utf-8")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert (f"The chat event file '{day_2}' has lines with another number of fields than its "
            "header (its header has 9 fields, line 4 has 10). A comma inside a value splits it"
            in str(failure.value))


def test_a_line_cut_short_in_a_loaded_file_is_named(tmp_path: Path) -> None:
    """A file appended to while a build read it ends in half a line; the next build reads the
    file again (its signature changed) and names the line, instead of DuckDB's sniffer error."""
    landing = landing_with_a_good_file(tmp_path)
    build_warehouse(landing / "*.csv", tmp_path / "build")
    day_1 = landing / "day_1.csv"
    with day_1.open("a", encoding="utf-8") as file:
        file.write("e2,2026-10-01T10:05:00+09:00,@ch,u1,mess")
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(landing / "*.csv", tmp_path / "build")
    assert (f"The chat event file '{day_1}' has lines with another number of fields than its "
            "header (its header has 9 fields, line 3 has 5)." in str(failure.value))


def test_fields_are_counted_as_the_csv_reader_reads_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """Commas and line breaks inside double quotes, doubled quotes, a byte-order mark and blank
    lines are not field-count errors; every line that differs is counted, the first named."""
    monkeypatch.syspath_prepend(str(PROJECT_DIR / "udfs"))
    import kakao_udfs

    good = tmp_path / "good.csv"
    good.write_bytes('\ufeffa,b,c\r\n1,"x, y","p\r\nq"\r\n\r\n2,"say ""hi, there""",z\r\n'
                     .encode("utf-8"))
    assert kakao_udfs.csv_field_count_error(str(good)) is None
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wb") as file:
        file.write(b'a,b,c\n1,"x\ny",z\n\n2,"p\nq"\n4,5,6,7\n8,9\n')
    # the first wrong record starts on line 5 (line 3 is the second half of a quoted field)
    assert kakao_udfs.csv_field_count_error(str(bad)) == (
        "its header has 3 fields, line 5 has 2, and 2 more lines differ")


def test_converting_a_file_with_an_extra_field_to_parquet_stops_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """scripts/events_to_parquet.py (for Spark) read the same file with the same reader: it
    wrote a Parquet file of no rows. It stops naming the file and the line, and writes nothing."""
    monkeypatch.syspath_prepend(str(PROJECT_DIR / "scripts"))
    from events_to_parquet import convert

    source = tmp_path / "day_2.csv"
    source.write_text(",".join(CONTRACT_COLUMNS) + "\n" + ",".join(GOOD_ROW) + "\n"
                      + ",".join(GOOD_ROW[:-1]) + ",네, 감사합니다\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=(
            "day_2.csv has lines with another number of fields than its header "
            r"\(its header has 9 fields, line 3 has 10\)")):
        convert(str(source), tmp_path / "parquet")
    assert not list((tmp_path / "parquet").glob("*"))


def test_converting_messages_without_sender_type_to_parquet_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """For Spark as for DuckDB (D37): a file of room events may leave sender_type out, a file
    with messages may not."""
    monkeypatch.syspath_prepend(str(PROJECT_DIR / "scripts"))
    from events_to_parquet import convert

    header = "event_id,occurred_at,channel_id,customer_id,event_type\n"
    rooms = tmp_path / "rooms.csv"
    rooms.write_text(header + "e1,2026-10-01 10:00,@ch,u1,room_opened\n", encoding="utf-8")
    assert [path.name for path in convert(str(rooms), tmp_path / "parquet")] == ["rooms.parquet"]
    chat = tmp_path / "chat.csv"
    chat.write_text(header + "e2,2026-10-01 10:01,@ch,u1,message\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"chat\.csv has 1 message row\(s\) but no sender_type"):
        convert(str(chat), tmp_path / "parquet")


def test_path_matching_no_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(DbtBuildError, match="No files match chat_events_path"):
        build_warehouse(tmp_path / "nothing_here" / "*.csv", tmp_path / "build")


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text("[]")
    with pytest.raises(DbtBuildError, match=r"must end in \.csv, \.csv\.gz or \.parquet"):
        build_warehouse(events, tmp_path / "build")


def test_header_only_file_builds_with_no_charges(tmp_path: Path) -> None:
    events = tmp_path / "header_only.csv"
    events.write_text(",".join(CONTRACT_COLUMNS) + "\r\n")
    with connect_warehouse(build_warehouse(events, tmp_path / "build")) as connection:
        counts = connection.execute(
            "select (select count(*) from marts.fct_room_charges),"
            " (select count(*) from marts.fct_monthly_fees),"
            " (select count(*) from marts.fct_chat_event_audit)"
        ).fetchone()
    assert counts == (0, 0, 0)


def test_parquet_input_gives_the_same_charges_as_csv(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "events" / "source_document_examples.csv"
    parquet = tmp_path / "events.parquet"
    with connect_warehouse(None) as connection:
        connection.execute(
            f"copy (select * from read_csv('{fixtures}', all_varchar = true))"
            f" to '{parquet}' (format parquet)"
        )
    query = (
        "select channel_id, billing_date, charge_reason, count(*) from marts.fct_room_charges"
        " group by all order by all"
    )
    with connect_warehouse(build_warehouse(fixtures, tmp_path / "csv")) as connection:
        from_csv = connection.execute(query).fetchall()
    with connect_warehouse(build_warehouse(parquet, tmp_path / "parquet")) as connection:
        from_parquet = connection.execute(query).fetchall()
    assert len(from_csv) == 6
    assert from_parquet == from_csv
