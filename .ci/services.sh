# Test services on loopback for dronewall's CI (sourced by .ci/run; usable by hand:
# `source .ci/services.sh` then run pytest in the same shell; `dw_services_stop` ends them).
#
# * Debian packages the tests need, installed when missing (root; apt): PostgreSQL 15 with
#   PostGIS 3 (store tests on PostgreSQL) and chromium (browser tests).
# * A throwaway PostgreSQL cluster (trust auth, 127.0.0.1 only, fsync off) in a temp folder,
#   run as the postgres user (initdb refuses root).
# Exports DRONEWALL_TEST_PG (an admin URL; each test module creates its own database) and
# DRONEWALL_CHROMIUM. Recipe: shared/research/infra.md (option B).

dw_services_start() {
  local need=() p
  for p in postgresql-15 postgresql-15-postgis-3 chromium; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if ((${#need[@]})); then
    echo "services: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  DW_PGBIN=/usr/lib/postgresql/15/bin
  DW_SVC=$(mktemp -d /tmp/dronewall-ci-XXXXXX)
  chown postgres:postgres "$DW_SVC"
  DW_PGPORT=${DW_PGPORT:-55432}
  runuser -u postgres -- "$DW_PGBIN/initdb" -D "$DW_SVC/pg" -U postgres --auth=trust -E UTF8 \
    --no-locale >/dev/null
  runuser -u postgres -- "$DW_PGBIN/pg_ctl" -D "$DW_SVC/pg" -l "$DW_SVC/pg.log" -w \
    -o "-p $DW_PGPORT -k $DW_SVC -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null
  export DRONEWALL_TEST_PG="postgresql://postgres@127.0.0.1:$DW_PGPORT/postgres"
  export DRONEWALL_CHROMIUM=/usr/bin/chromium
  echo "services: PostgreSQL + PostGIS on 127.0.0.1:$DW_PGPORT, chromium $DRONEWALL_CHROMIUM" >&2
}

dw_services_stop() {
  if [ -n "${DW_SVC:-}" ] && [ -d "$DW_SVC" ]; then
    runuser -u postgres -- "$DW_PGBIN/pg_ctl" -D "$DW_SVC/pg" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DW_SVC"
  fi
}
