#!/usr/bin/env bash
# PostgreSQL and Redis (Debian packages `postgresql`, `redis-server`): the fleet tests start their own servers
# from these binaries on loopback ports in temp dirs. The Debian services themselves are not used.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
