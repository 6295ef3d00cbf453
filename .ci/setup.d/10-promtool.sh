#!/usr/bin/env bash
# promtool (Debian package `prometheus`) checks the Prometheus exposition format in the tests.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v promtool >/dev/null 2>&1 || apt_install prometheus
