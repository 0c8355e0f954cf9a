"""Store tests run on SQLite and on a real PostgreSQL server.

The fixtures (``postgres``, ``store_url``, ``store``, ``service``) live in
tests/conftest.py, shared with the audit tests so that one PostgreSQL server
serves the whole session. The server is started from the Debian binaries
(devtools/postgres_server.py: initdb into a temp dir, as user ``postgres`` when we
are root; pg_ctl on a free loopback port with its unix socket in the temp
dir). With CI=true the PostgreSQL tests never skip: a server that cannot start
fails them. Locally they skip when the binaries are missing (``make postgres``
installs them).
"""
