#!/usr/bin/env bash
# Shared by the setup scripts: install Debian packages when root, say loudly when not possible.
apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[ci] installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
      || echo "[ci] WARNING: could not install $*; the tests that need them will fail in CI"
  else
    echo "[ci] WARNING: cannot install $* (not root or no apt-get); the tests that need them will fail in CI"
  fi
}
