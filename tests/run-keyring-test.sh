#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the keyring tests of test-secrets (path given as the argument)
# against a throwaway gnome-keyring in a private D-Bus session, under a
# temporary HOME, so that they never touch the user's own keyring.
# Prints TAP; skips when dbus-run-session or gnome-keyring-daemon is missing.
set -euo pipefail

if [ "${1-}" = --in-session ]; then
  # Second stage, inside dbus-run-session.
  tmp=$2
  test_binary=$3

  export HOME="$tmp/home"
  export XDG_DATA_HOME="$HOME/.local/share"
  export XDG_CONFIG_HOME="$HOME/.config"
  export XDG_CACHE_HOME="$HOME/.cache"
  export XDG_RUNTIME_DIR="$tmp/runtime"
  mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
  mkdir -m 0700 "$XDG_RUNTIME_DIR"
  unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

  # --unlock creates the login keyring with this password, unlocked, as the
  # default collection; the daemon prints the variables its clients need.
  keyring_env=$(echo -n testpassword | gnome-keyring-daemon --unlock --components=secrets)
  eval "$keyring_env"
  export GNOME_KEYRING_CONTROL

  # The daemon claims its bus name shortly after it forks; wait for it
  # rather than let the first call race it into D-Bus activation.
  owner_pid=
  for _ in $(seq 50); do
    if reply=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus / \
                 org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null); then
      owner_pid=$(echo "$reply" | awk '{ print $2 }')
      break
    fi
    sleep 0.1
  done
  if [ -z "$owner_pid" ]; then
    echo "gnome-keyring-daemon did not claim org.freedesktop.secrets" >&2
    exit 1
  fi

  # The daemon's pid also lets a test stop it, to play a hung service.
  status=0
  VIGIL_TEST_KEYRING=1 VIGIL_TEST_KEYRING_PID=$owner_pid \
    "$test_binary" -p /secrets/keyring || status=$?
  # Wait until the daemon is gone (or a zombie), so that it is no longer
  # writing under $tmp when the first stage removes it.
  kill -CONT "$owner_pid" 2>/dev/null || true
  kill "$owner_pid" 2>/dev/null || true
  for _ in $(seq 50); do
    stat=$(cat "/proc/$owner_pid/stat" 2>/dev/null) || break
    state=${stat##*) }
    [ "${state%% *}" = Z ] && break
    sleep 0.1
  done
  exit "$status"
fi

test_binary=${1:?usage: run-keyring-test.sh TEST-SECRETS-BINARY}

for tool in dbus-run-session dbus-send gnome-keyring-daemon timeout; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool is not installed"
    exit 0
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# timeout: nothing here may hang the suite, whatever the daemon does.
status=0
timeout --kill-after=5 60 \
  dbus-run-session -- "$0" --in-session "$tmp" "$test_binary" || status=$?
exit "$status"
