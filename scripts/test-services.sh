# Sourced by scripts/test.sh: make sure PostgreSQL and Redis servers are reachable and
# export FAULTBOX_TEST_DATABASE_URL and FAULTBOX_TEST_REDIS_URL.  A test that needs one
# never skips: it fails.  Private servers started here are stopped at exit.
_cleanups=()
_run_cleanups() { for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done; }
trap _run_cleanups EXIT
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
    _cleanups+=("as_pg '$PGBIN/pg_ctl -D $PGDIR/data -m fast stop'")
  fi
fi
echo "== PostgreSQL for storage tests: $FAULTBOX_TEST_DATABASE_URL"

# Redis: the scale mode's queue (tests on PostgreSQL run with it) and the fault tests,
# which start private redis-server instances to restart them (so the binary must exist).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing Redis (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # Debian's package starts a system service on 6379; it is fine to use it.
fi
if [ -z "${FAULTBOX_TEST_REDIS_URL:-}" ]; then
  if [ -z "${FAULTBOX_TEST_PRIVATE_REDIS:-}" ] && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    export FAULTBOX_TEST_REDIS_URL="redis://127.0.0.1:6379/0"
  else
    REDISDIR=$(mktemp -d /tmp/faultbox-redis.XXXXXX)
    redis-server --port 56379 --bind 127.0.0.1 --dir "$REDISDIR" --save "" \
      --appendonly no --daemonize yes --pidfile "$REDISDIR/pid" --logfile "$REDISDIR/log"
    for _ in $(seq 50); do redis-cli -p 56379 ping >/dev/null 2>&1 && break; sleep 0.1; done
    export FAULTBOX_TEST_REDIS_URL="redis://127.0.0.1:56379/0"
    _cleanups+=("kill \$(cat '$REDISDIR/pid')")
  fi
fi
echo "== Redis for scale-mode tests: $FAULTBOX_TEST_REDIS_URL"

# The deployment guide's nginx config is checked with `nginx -t` (tests/unit/test_deploy_files.py).
if ! command -v nginx >/dev/null 2>&1; then
  echo "== installing nginx-light (Debian package) to check the deployment guide's config"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi

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
