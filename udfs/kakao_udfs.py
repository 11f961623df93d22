"""DuckDB functions the project registers through dbt-duckdb's plugin hook (profiles.yml).

`kakao_pseudonym(text)`: HMAC-SHA256 of a customer id under the key in the environment variable
KAKAO_PSEUDONYM_KEY, as hex. The key is read here, at call time, and never enters SQL, compiled
models or logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os

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


class Plugin(BasePlugin):
    """Registers the project's functions on every connection dbt-duckdb opens."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
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
