# Sourced by scripts/test.sh: make sure a PostgreSQL server is reachable and export
# FAULTBOX_TEST_DATABASE_URL.  A test that needs it never skips: it fails.
if [ -z "${FAULTBOX_TEST_DATABASE_URL:-}" ]; then
  # FAULTBOX_TEST_PRIVATE_PG=1 forces the private server (to test this path).
  if [ -z "${FAULTBOX_TEST_PRIVATE_PG:-}" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export FAULTBOX_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test"
  else
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      echo "== installing PostgreSQL (Debian package)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PGDIR=$(mktemp -d /tmp/faultbox-pg.XXXXXX)
    PGPORT=55432
    chown -R postgres "$PGDIR" 2>/dev/null || true
    as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    as_pg "$PGBIN/initdb -D $PGDIR/data -U postgres -A trust" >/dev/null
    as_pg "$PGBIN/pg_ctl -D $PGDIR/data -o '-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1' -l $PGDIR/log -w start" >/dev/null
    as_pg "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres test"
    export FAULTBOX_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/test"
    trap 'as_pg "$PGBIN/pg_ctl -D $PGDIR/data -m fast stop" >/dev/null 2>&1 || true' EXIT
  fi
fi
echo "== PostgreSQL for storage tests: $FAULTBOX_TEST_DATABASE_URL"
