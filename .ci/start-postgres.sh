# Sourced by .ci/run: installs PostgreSQL from Debian's packages when missing, starts it on 127.0.0.1 with a
# throwaway data folder (stopped and removed when CI exits) and exports MDLSYNC_TEST_PG_URL for the tests.
# When it cannot be started, the variable stays unset and the PostgreSQL tests say they were skipped.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(pg_bin)" ] && command -v apt-get >/dev/null; then
  echo "ci: installing PostgreSQL from Debian's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) ||
    echo "ci: PostgreSQL could not be installed"
fi

start_postgres() {
  local bin port data as
  bin="$(pg_bin)"
  [ -n "$bin" ] || return 1
  # The first free port from 54330 (a developer's own server may hold the usual ones).
  port=54330
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  # initdb refuses to run as root: run the server as the package's postgres user, in a folder it can reach (a /tmp
  # closed to other users would keep it out).
  as=()
  local base=/tmp
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || return 1
    runuser -u postgres -- test -x /tmp || base=/var/tmp
  fi
  data="$(mktemp -d "$base/mdlsync-ci-pg.XXXXXX")"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$data"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$data" -A trust -U mdlsync >/dev/null || return 1
  "${as[@]}" "$bin/pg_ctl" -D "$data" -o "-h 127.0.0.1 -p $port -k $data" -l "$data/server.log" -w start >/dev/null ||
    return 1
  # shellcheck disable=SC2064 # expand now: the folder and binary are fixed for this run
  trap "${as[*]} '$bin/pg_ctl' -D '$data' -m fast stop >/dev/null 2>&1; rm -rf '$data'" EXIT
  export MDLSYNC_TEST_PG_URL="postgres://mdlsync@127.0.0.1:$port/postgres"
  echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the PostgreSQL tests"
}

start_postgres || echo "ci: PostgreSQL could not be started: the PostgreSQL tests will be skipped"
