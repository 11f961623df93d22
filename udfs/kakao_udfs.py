"""DuckDB functions the project registers through dbt-duckdb's plugin hook (profiles.yml).

`kakao_pseudonym(text)`: HMAC-SHA256 of a customer id under the key in the environment variable
KAKAO_PSEUDONYM_KEY, as hex. The key is read here, at call time, and never enters SQL, compiled
models or logs.

`kakao_csv_header(path)`: the first line of a CSV file (`.csv.gz` decompressed), or null if it
cannot be read as a local file; how the build tells a file saved with another separator, or
without a contract column, apart before DuckDB's CSV reader fails on it with a message about its
own options (or, next to good files, reads the missing column as empty).

`kakao_csv_encoding(path)`: null when the start of a CSV file (its first 64 KiB) is UTF-8, else the
encoding it reads as (`cp949` for Korean text saved by Excel, or `unknown`); null too for a file
it cannot read.

`kakao_csv_mixed_line_endings(path)`: null when every line of a CSV file ends the same way, else
how many end in CRLF and how many in LF alone (line breaks inside quoted fields do not count);
DuckDB's CSV reader stops on such a file with a message about its sniffer or its state machine.
It reads the whole file, so the build calls it only for files it has not loaded.

`kakao_csv_field_count_error(path)`: null when every line of a CSV file has as many fields as
its header, else the header's count and the first line that differs. DuckDB's reader stops on
such a file with a sniffer error, or, when only the last lines differ, takes them for the
file's dialect and reads no row of it at all, without an error. It reads the whole file, so the
build calls it only for files it has not loaded.

`kakao_publish_stage(dir)` and `kakao_publish_commit(staging_dir, dir)`: the file-system half of
publishing the marts (macro publish_marts, on-run-end). The first makes an empty version folder
versions/<id>.partial in the publish folder and returns its absolute path; the SQL writes every
mart's file there; the second renames it to versions/<id>, renames a new catalog (a small DuckDB
file of views over that version's files) over the old one and then a new symlink over `current`.
Each rename is atomic, so a reader of the catalog or of `current`, and a build killed at any
moment, finds all of one build's marts, never a mix. The version before stays for readers that
still have it open; older ones, and whatever an interrupted publish left, are removed. Both run
once per build, in the dbt process.

`kakao_publish_link(source_dir, target_dir)`: hard-links the files of a folder of the version
before into the version being written (a copy where the file system has no hard links): how a
day of the audit whose rows did not change is carried over without writing it again (macro
publish_audit_by_day). Returns the number of files.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import hmac
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

KEY_VARIABLE = "KAKAO_PSEUDONYM_KEY"


def pseudonymize(value: str | None) -> str | None:
    """Keyed hash of one id (null stays null); fails loudly without a key."""
    if value is None:
        return None
    key = os.environ.get(KEY_VARIABLE, "")
    if not key:
        raise RuntimeError(f"{KEY_VARIABLE} is not set; it is required to pseudonymise ids")
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def open_csv(path: str, mode: str, **text: str) -> Any:
    """A local CSV file, decompressed when its name ends in .gz."""
    return (gzip.open if path.lower().endswith(".gz") else open)(path, mode, **text)


def csv_header(path: str | None) -> str | None:
    """The first line of a (gzipped) CSV file, without its line ending and byte-order mark; null
    for a path that is not a readable local file (the CSV reader then has the last word)."""
    if path is None:
        return None
    try:
        with open_csv(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as file:
            return file.readline(64 * 1024).rstrip("\r\n")
    except (OSError, EOFError):
        return None


ENCODING_SAMPLE_BYTES = 64 * 1024


def csv_encoding(path: str | None) -> str | None:
    """Null when the first 64 KiB of the (gzipped) file are UTF-8 (a character cut at the end of
    the sample included), else `cp949` when it decodes as that, else `unknown`."""
    if path is None:
        return None
    try:
        with open_csv(path, "rb") as file:
            sample = file.read(ENCODING_SAMPLE_BYTES)
    except (OSError, EOFError):
        return None
    try:
        sample.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and len(sample) == ENCODING_SAMPLE_BYTES:
            return None
    try:
        sample.decode("cp949")
        return "cp949"
    except UnicodeDecodeError:
        return "unknown"


LINE_ENDING_CHUNK_BYTES = 16 * 1024 * 1024
QUOTED = re.compile(rb'"[^"]*"')


def csv_mixed_line_endings(path: str | None) -> str | None:
    """Null when the (gzipped) file's line breaks outside quoted fields are all CRLF or all LF
    alone (or it cannot be read), else `N CRLF and M LF`. Read in chunks; a quoted field or a
    CRLF cut by a chunk's end is carried into the next chunk."""
    if path is None:
        return None
    crlf = lf = 0
    carried = b""
    try:
        with open_csv(path, "rb") as file:
            while True:
                chunk = file.read(LINE_ENDING_CHUNK_BYTES)
                data = carried + chunk
                if not chunk:
                    carried = b""
                elif data.count(b'"') % 2:
                    cut = data.rindex(b'"')
                    data, carried = data[:cut], data[cut:]
                elif data.endswith(b"\r"):
                    data, carried = data[:-1], data[-1:]
                else:
                    carried = b""
                outside = QUOTED.sub(b"", data)
                ends_in_crlf = outside.count(b"\r\n")
                crlf += ends_in_crlf
                lf += outside.count(b"\n") - ends_in_crlf
                if not chunk:
                    break
    except (OSError, EOFError):
        return None
    return f"{crlf} CRLF and {lf} LF" if crlf and lf else None


def csv_field_count_error(path: str | None) -> str | None:
    """Null when every line of the (gzipped) file has as many fields as its header (quoted
    fields may hold commas and line breaks; blank lines do not count), or it cannot be read;
    else the header's count and the first line that differs, e.g. `its header has 9 fields,
    line 5 has 10, and 2 more lines differ`."""
    if path is None:
        return None
    expected = None
    wrong, first, line = 0, "", 1  # line: where the next record starts
    try:
        with open_csv(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as file:
            lines = csv.reader(file)
            for fields in lines:
                starts_on, line = line, lines.line_num + 1
                if not fields:
                    continue
                if expected is None:
                    expected = len(fields)
                elif len(fields) != expected:
                    wrong += 1
                    if wrong == 1:
                        first = f"its header has {expected} fields, line {starts_on} has "
                        first += f"{len(fields)}"
    except (OSError, EOFError, csv.Error):
        return None
    if wrong == 2:
        first += ", and 1 more line differs"
    elif wrong > 2:
        first += f", and {wrong - 1:,} more lines differ"
    return first or None


# The publish folder: versions/<id>/ holds one build's Parquet files, `current` is a symlink to
# the version readers should read, CATALOG_FILE a DuckDB file of views (schema marts) over the
# same version's files, for BI tools.
VERSIONS = "versions"
CURRENT = "current"
CATALOG_FILE = "kakao_billing_marts.duckdb"
CATALOG_STORAGE_VERSION = "v1.0.0"
PARTIAL = ".partial"  # suffix of a version folder still being written
TEMPORARY = ".tmp-"  # prefix of the new catalog and symlink until they are renamed into place
FORMER_STAGING = ".staging-"  # staging folders of the layout before versions


def remove(path: Path) -> None:
    """Delete a file, symlink or folder; one that is already gone is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def publish_stage(publish_dir: str) -> str:
    """Create the folder versions/<id>.partial in publish_dir (made absolute); return its path.

    <id> is the UTC time and a random suffix, so that versions sort by time. What interrupted
    publishes left (partial versions, temporary files) is removed first: a build holds the
    warehouse's write lock, so no other build is publishing into this folder at the same time.
    """
    target = Path(publish_dir).expanduser().absolute()
    (target / VERSIONS).mkdir(parents=True, exist_ok=True)
    for leftover in [*(target / VERSIONS).glob("*" + PARTIAL), *target.glob(TEMPORARY + "*"),
                     *target.glob(FORMER_STAGING + "*")]:
        remove(leftover)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = target / VERSIONS / f"{stamp}-{uuid.uuid4().hex[:6]}{PARTIAL}"
    staging.mkdir()
    return str(staging)


def publish_link(source_dir: str, target_dir: str) -> str:
    """Hard-link every file of source_dir into target_dir (created); a copy where the file
    system refuses hard links. Returns how many files."""
    target = Path(target_dir)
    target.mkdir(parents=True)
    files = sorted(path for path in Path(source_dir).iterdir() if path.is_file())
    for file in files:
        try:
            os.link(file, target / file.name)
        except OSError:
            shutil.copy2(file, target / file.name)
    return str(len(files))


def published_marts(version: Path) -> list[Path]:
    """A version's marts: a Parquet file each, or a folder of them (the audit, by day)."""
    return sorted(path for path in version.iterdir()
                  if path.suffix == ".parquet" or (path.is_dir() and path.suffix == ""))


def write_catalog(path: Path, marts: list[Path]) -> None:
    """A DuckDB file of views marts.<name> over the marts' Parquet files (absolute paths; every
    file under a mart's folder, its partition folders read as folders only), in the oldest
    storage format this DuckDB writes, so that any DuckDB client from 1.0 on (the CLI, a BI
    tool's driver) can open it, whatever version built the warehouse."""
    with duckdb.connect() as connection:
        quoted = str(path).replace("'", "''")
        connection.execute(f"attach '{quoted}' as published_catalog "
                           f"(storage_version '{CATALOG_STORAGE_VERSION}')")
        connection.execute("create schema published_catalog.marts")
        for mart in marts:
            files = f"{mart}/**/*.parquet" if mart.is_dir() else str(mart)
            quoted = files.replace("'", "''")
            connection.execute(f'create view published_catalog.marts."{mart.stem}" as '
                               f"select * from read_parquet('{quoted}', hive_partitioning = false)")
        connection.execute("detach published_catalog")


def published_versions(target: Path) -> set[str]:
    """The version folders `current` and the catalog point to: those readers may have open."""
    versions: set[str] = set()
    with contextlib.suppress(OSError):
        versions.add(Path(os.readlink(target / CURRENT)).name)
    with contextlib.suppress(duckdb.Error), duckdb.connect(
            str(target / CATALOG_FILE), read_only=True) as catalog:
        for (sql,) in catalog.execute(
                "select sql from duckdb_views() where schema_name = 'marts'").fetchall():
            versions.update(re.findall(rf"/{VERSIONS}/([^/']+)/[^']*\.parquet'", sql))
    return versions


def publish_commit(staging_dir: str, publish_dir: str) -> str:
    """Publish the version staged in staging_dir; returns what the build logs.

    Three renames, each atomic on one file system, so that a reader, and a build killed at any
    moment, finds one complete version, the previous one or this one:
    1. versions/<id>.partial, its files all written, becomes versions/<id>;
    2. the catalog of views over that folder's files, written under a temporary name, is
       renamed over CATALOG_FILE;
    3. a symlink to versions/<id>, made under a temporary name, is renamed over `current`.
    Then every version but this one and those `current` and the catalog pointed to before
    (a reader may still be reading them) is removed, and so are the Parquet files that
    builds before versions published at the top of the folder.
    """
    target = Path(publish_dir).expanduser().absolute()
    staging = Path(staging_dir)
    if staging.parent != target / VERSIONS or staging.suffix != PARTIAL:
        raise ValueError(f"{staging} is not a partial version folder of {target}")
    version = staging.with_suffix("")
    os.rename(staging, version)
    keep = {version.name, *published_versions(target)}
    marts = published_marts(version)

    catalog = target / f"{TEMPORARY}{version.name}-{CATALOG_FILE}"
    write_catalog(catalog, marts)
    os.replace(catalog, target / CATALOG_FILE)
    link = target / f"{TEMPORARY}{version.name}-{CURRENT}"
    os.symlink(Path(VERSIONS) / version.name, link)
    if (target / CURRENT).is_dir() and not (target / CURRENT).is_symlink():
        # a copy of the folder that turned the link into a folder: a rename cannot replace it
        remove(target / CURRENT)
    os.replace(link, target / CURRENT)

    for old in (target / VERSIONS).iterdir():
        if old.name not in keep:
            remove(old)
    former = sorted(target.glob("*.parquet"))
    for path in former:
        path.unlink()
    message = (f"Published {len(marts)} marts as Parquet to {version} (now {target / CURRENT})"
               f" and the views in {target / CATALOG_FILE}")
    if former:
        message += (f"\nRemoved {len(former)} Parquet file{'s' if len(former) > 1 else ''} from"
                    f" the top of {target}, where earlier builds published them; the marts are"
                    f" now in {target / CURRENT}/")
    return message


def lock_holder(path: str) -> str | None:
    """The process that holds a DuckDB file's lock, as DuckDB names it ("process 123 (python)"),
    or None when the file is free, missing, or cannot be probed for another reason (the
    connection that follows then reports it)."""
    if not os.path.exists(path):
        return None
    try:
        # Opened for writing, as the build will (a reader's shared lock would let a read-only
        # probe through), and without vacuum: closing checkpoints whatever the write-ahead log
        # holds, and the build's own checkpoint decides which tables to rewrite.
        duckdb.connect(path, config={"max_vacuum_tasks": 0}).close()
    except duckdb.IOException as error:
        held = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
        if "lock" in str(error).lower():
            return f"process {held.group(2)} ({held.group(1)})" if held else "another process"
    except duckdb.Error:
        pass  # e.g. opened in this process under another configuration: not a lock
    return None


class Plugin(BasePlugin):
    """Registers the project's functions on every connection dbt-duckdb opens, sets the
    database's spill directory (plugin config `temp_directory`), and creates the warehouse
    file's folder before the first connection."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.temp_directory = plugin_config.get("temp_directory")

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        """Just before DuckDB opens the warehouse file: create its folder, so that a first build
        on a new KAKAO_DUCKDB_PATH does not stop on DuckDB's 'No such file or directory'; and
        when another process holds the file, stop with a message instead of the traceback of
        DuckDB's lock error (dbt reports a RuntimeError raised here as a connection error)."""
        path = str(getattr(creds, "path", "") or "")
        if path and path != ":memory:" and ":" not in path.split("/", 1)[0]:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            held = lock_holder(path)
            if held:
                raise RuntimeError(
                    f"The warehouse {path} is in use by {held}: DuckDB lets one process write a "
                    "database file, and any process that has it open, even read-only (a BI tool, "
                    "a notebook, another dbt build), blocks the writer. Nothing was written. "
                    "Close it, or wait for the other build to finish, then run again; BI tools "
                    "read the published marts instead (docs/bi-tools.md).")
        super().update_connection_config(creds, config)

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        if self.temp_directory:
            # Only when it differs: DuckDB refuses to switch it once anything has spilled.
            wanted = os.path.abspath(self.temp_directory)
            current = conn.execute("select current_setting('temp_directory')").fetchall()[0][0]
            if not current or os.path.abspath(current) != wanted:
                conn.execute("set temp_directory = '" + wanted.replace("'", "''") + "'")
        # A connection dbt-duckdb reuses may have it already; replace it.
        with contextlib.suppress(duckdb.InvalidInputException):
            conn.remove_function("kakao_pseudonym")
        conn.create_function(
            "kakao_pseudonym",
            pseudonymize,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            type="native",
            null_handling="special",
            side_effects=False,
        )
        file_functions = {
            "kakao_csv_header": (csv_header, ["VARCHAR"]),
            "kakao_csv_encoding": (csv_encoding, ["VARCHAR"]),
            "kakao_csv_mixed_line_endings": (csv_mixed_line_endings, ["VARCHAR"]),
            "kakao_csv_field_count_error": (csv_field_count_error, ["VARCHAR"]),
            "kakao_publish_stage": (publish_stage, ["VARCHAR"]),
            "kakao_publish_commit": (publish_commit, ["VARCHAR", "VARCHAR"]),
            "kakao_publish_link": (publish_link, ["VARCHAR", "VARCHAR"]),
        }
        for name, (function, arguments) in file_functions.items():
            with contextlib.suppress(duckdb.InvalidInputException):
                conn.remove_function(name)
            conn.create_function(
                name,
                function,
                [duckdb.sqltype(argument) for argument in arguments],
                duckdb.sqltype("VARCHAR"),
                type="native",
                null_handling="special",  # they may return null
                side_effects=True,
            )
