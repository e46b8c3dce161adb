"""The database a benchmark works in: one of its own, never the development or test database.

With ``DATABASE_URL`` pointing at PostgreSQL, the benchmark gets a database named ``db_name``
beside the one named (created and dropped with ``reset_pg_database``); otherwise a SQLite file
in a fresh temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile


def configure(args, *, db_name: str, postgres_only: str = "") -> None:
    """Point Django at the benchmark's database; sets ``args.pg_admin_url`` (None on SQLite).

    ``postgres_only``: the message to stop with when ``DATABASE_URL`` is not PostgreSQL.
    """
    url = os.environ.get("DATABASE_URL", "")
    args.pg_admin_url = None
    args.db_name = db_name
    if url.startswith("postgres"):
        base, _sep, _db = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/{db_name}"
        args.pg_admin_url = f"{base}/postgres"
    elif postgres_only:
        sys.exit(postgres_only)
    else:
        args.tmp = tempfile.mkdtemp(prefix=f"{db_name}-")
        os.environ["DATABASE_URL"] = f"sqlite:///{args.tmp}/bench.sqlite3"
        os.environ["BAODAO_VAR_DIR"] = args.tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def reset_pg_database(args, *, drop_only: bool = False) -> None:
    """Drop the benchmark's PostgreSQL database and, unless ``drop_only``, create it empty."""
    import psycopg

    admin_url = args.pg_admin_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.db_name}")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {args.db_name}")
