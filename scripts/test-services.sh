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

# Browser tests (tests/browser) drive Debian's chromium through Playwright; no browser
# is downloaded (no `playwright install`).  FAULTBOX_CHROMIUM names another binary.
CHROMIUM=${FAULTBOX_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "== installing chromium (Debian package) for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    AS_ROOT=""
  elif command -v sudo >/dev/null 2>&1; then
    AS_ROOT="sudo -n"
  else
    echo "error: $CHROMIUM is missing and installing it needs root (or sudo):" \
      "apt-get install chromium, or set FAULTBOX_CHROMIUM to a chromium binary" >&2
    exit 1
  fi
  apt_chromium() {
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends chromium >/dev/null
  }
  if ! apt_chromium; then
    $AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt_chromium || {
      echo "error: could not install Debian's chromium package (see apt-get's output above)" >&2
      exit 1
    }
  fi
  if [ ! -x "$CHROMIUM" ]; then
    echo "error: chromium was installed but $CHROMIUM is still missing" >&2
    exit 1
  fi
fi
echo "== chromium for browser tests: $CHROMIUM"
