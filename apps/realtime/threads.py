"""The gateway's database calls, off the event loop and on a thread pool.

Channels' ``database_sync_to_async`` runs every call of a process on one thread by default
(``thread_sensitive=True``), so a burst of connects would queue every socket's authentication behind
the others (measured: 100 connects at once under load took over 5 s). The gateway's calls share no
transaction, so they run on the executor's threads instead, each with its own connection.
"""

from functools import partial

from channels.db import database_sync_to_async

db = partial(database_sync_to_async, thread_sensitive=False)
