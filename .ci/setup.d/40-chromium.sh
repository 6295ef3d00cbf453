#!/usr/bin/env bash
# chromium (Debian package) opens the HTML report in the browser tests (test/reports/html.browser.test.ts),
# driven by playwright-core with the system browser; fonts-dejavu-core gives its screenshots readable text.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v chromium >/dev/null 2>&1 || apt_install chromium fonts-dejavu-core
