"""The tables, their primary keys and lifetimes, and the operator's table commands.

Every primary key is one STRING column; ``table_prefix`` is prepended to each name.

============================  =====================  ==========  ==========================================
table                         primary key            TTL         attribute columns
============================  =====================  ==========  ==========================================
``users``                     ``user_id``            none        every ``User`` field (``trial`` as
                                                                 trial_status, ``micro_purchases`` as
                                                                 micro_package_purchases, ``settings`` as
                                                                 JSON), ops (JSON list of applied operation
                                                                 keys), worker_slots (JSON {job id: held
                                                                 until})
``audio_jobs``                ``job_id``             7 days      every ``Job`` field
``trial_requests``            ``user_id``            none        every ``TrialRequest`` field
``transcription_logs``        ``log_id``             90 days     every ``TranscriptionLog`` field
``payment_logs``              ``charge_id``          none        every ``PaymentLog`` field
``update_ids``                ``key``                2 days      claimed_at (idempotency keys)
``results_cache``             ``key``                30 days     every ``CachedResult`` field (paid_by: a
                              (``file_unique_id:                 JSON list of user ids)
                              mode:language``)
``bot_state``                 ``name``               none        value
``transcript_actions``        ``key`` (``act.<kind>.  30 days     every ``ActionRecord`` field; speaker
                              <job>``, ``names.<job>``,          names (JSON) and the name being asked
                              ``asking.<user>``)
============================  =====================  ==========  ==========================================

How a value becomes cells is ``rows``' one converter.
"""

from __future__ import annotations

from typing import Any

from .errors import sdk, translate

DAY_S = 86400

# Table name -> (primary key column, time to live in seconds or -1 for none).
TABLES: dict[str, tuple[str, int]] = {
    "users": ("user_id", -1),
    "audio_jobs": ("job_id", 7 * DAY_S),
    "trial_requests": ("user_id", -1),
    "transcription_logs": ("log_id", 90 * DAY_S),
    "payment_logs": ("charge_id", -1),
    "update_ids": ("key", 2 * DAY_S),
    # Cached transcripts expire (Policy.results_ttl_s is checked on read too, for older tables);
    # ``admin_cli create-tables`` creates it with RESULTS_TTL_S instead, and ``doctor`` compares them.
    "results_cache": ("key", 30 * DAY_S),
    "bot_state": ("name", -1),
    # Summaries, translations and speaker names of transcripts (``actions``).
    "transcript_actions": ("key", 30 * DAY_S),
}


def primary_key(table: str, key: str) -> list[tuple[str, str]]:
    return [(TABLES[table][0], key)]


def _client_and_prefix(target: Any, table_prefix: str | None) -> tuple[Any, str]:
    """A TableClient's SDK client and prefix (``table_prefix`` wins), or a bare OTSClient's."""
    from .client import TableClient

    if isinstance(target, TableClient):
        return target.client, target.table_prefix if table_prefix is None else table_prefix
    return target, table_prefix or ""


def _existing_tables(client: Any) -> set[str]:
    try:
        return set(client.list_table())
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, "list tables") from None


def missing_tables(target: Any, table_prefix: str | None = None) -> list[str]:
    """The tables of ``TABLES`` the instance lacks (empty when every one is there); for operators.

    ``target`` is a TableClient (TablestoreRepositories) or a bare OTSClient."""
    client, prefix = _client_and_prefix(target, table_prefix)
    existing = _existing_tables(client)
    return [prefix + name for name in TABLES if prefix + name not in existing]


def table_ttl(target: Any, name: str, table_prefix: str | None = None) -> int:
    """The time to live (seconds, -1: none) the service reports for table ``name`` (DescribeTable)."""
    client, prefix = _client_and_prefix(target, table_prefix)
    try:
        described = client.describe_table(prefix + name)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"describe table {prefix + name}") from None
    return int(described.table_options.time_to_live)


def create_tables(target: Any, table_prefix: str | None = None, ttls: dict[str, int] | None = None) -> list[str]:
    """Create every missing table (max one version, TTLs as in ``TABLES`` unless ``ttls`` names
    another, e.g. the results cache's ``RESULTS_TTL_S``); returns the created names.

    ``target`` is a TableClient (its client and prefix are used) or a bare OTSClient.
    """
    tablestore = sdk()
    client, prefix = _client_and_prefix(target, table_prefix)
    existing = _existing_tables(client)
    created = []
    for name, (pk_name, ttl) in TABLES.items():
        full = prefix + name
        if full in existing:
            continue
        ttl = (ttls or {}).get(name, ttl)
        try:
            client.create_table(
                tablestore.TableMeta(full, [(pk_name, "STRING")]),
                tablestore.TableOptions(time_to_live=ttl, max_version=1),
                tablestore.ReservedThroughput(tablestore.CapacityUnit(0, 0)),
            )
        except Exception as exc:  # noqa: BLE001
            error = translate(exc, f"create table {full}")
            if getattr(error, "code", "") == "OTSObjectAlreadyExist":
                continue
            raise error from None
        created.append(full)
    return created
