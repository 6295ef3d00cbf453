#!/usr/bin/env bash
# prometheus-alertmanager (Debian package of the same name): test/exporters/alertmanager.test.ts starts one on a loopback port.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v prometheus-alertmanager >/dev/null 2>&1 || apt_install prometheus-alertmanager
