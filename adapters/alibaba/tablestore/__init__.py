"""Tablestore (OTS) implementations of the storage ports, sharing one ``OTSClient``.

- ``errors``        SDK and transport exceptions as port errors (and a failed row condition)
- ``client``        the OTSClient (no SDK retries: the use cases own the retry policy) and the row
                    primitives: get, put, insert, update, delete, paged scans, conditions
- ``overflow``      strings over a cell's limit kept in the blob store (OSS), resolved on read
- ``rows``          the one converter between the stored attrs values and rows (cattrs)
- ``tables``        the tables with their keys and lifetimes; create, list and describe them
- ``users``, ``jobs``, ``logs``, ``trials``, ``results``, ``state``, ``actions``: one module per
  table family
- ``repositories``  the seven stores over one client, and ``build`` for the container

Importing this package does not import the SDK (it is slow to import); the first client does.
"""

from .actions import TablestoreActionStore
from .client import SCAN_PAGE, TableClient
from .errors import PROVIDER
from .jobs import TablestoreJobs
from .logs import TablestoreLogs
from .overflow import INLINE_LIMIT_BYTES, OVERFLOW_SUFFIX
from .repositories import TablestoreRepositories, build
from .results import TablestoreResults
from .state import TablestoreBotState, TablestoreIdempotencyKeys
from .tables import TABLES, create_tables, missing_tables, table_ttl
from .trials import TablestoreTrials
from .users import BALANCE_ATTEMPTS, REMEMBERED_OPS, TablestoreUsers

__all__ = [
    "BALANCE_ATTEMPTS", "INLINE_LIMIT_BYTES", "OVERFLOW_SUFFIX", "PROVIDER", "REMEMBERED_OPS", "SCAN_PAGE", "TABLES",
    "TableClient", "TablestoreActionStore", "TablestoreBotState", "TablestoreIdempotencyKeys", "TablestoreJobs", "TablestoreLogs",
    "TablestoreRepositories", "TablestoreResults", "TablestoreTrials", "TablestoreUsers", "build",
    "create_tables", "missing_tables", "table_ttl",
]
