#!/bin/bash
# Takes the screenshots in data/screenshots/: `vigil --demo` under Xvfb
# (simulated users, attacks included), every page in light and dark.
#
#   build-aux/screenshots.sh [BUILD_DIR]     (default: _build)
#
# Needs xvfb-run, dbus-run-session, xdotool and imagemagick's import.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$(cd "${1:-$source_dir/_build}" && pwd)
out_dir="$source_dir/data/screenshots"
warm_up_s=${VIGIL_SCREENSHOT_WARM_UP:-45}

for tool in xvfb-run dbus-run-session xdotool import; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing" >&2; exit 1; }
done

# Runs inside the X server: one demo per colour scheme.
shoot() {
  local suffix=$1 pid window
  GSETTINGS_SCHEMA_DIR="$build_dir/data" GSETTINGS_BACKEND=memory \
    "$build_dir/src/vigil" --demo &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 100); do
    window=$(xdotool search --onlyvisible --name '^Vigil$' 2>/dev/null | head -n1 || true)
    [ -n "$window" ] && break
    sleep 0.2
  done
  [ -n "$window" ] || { echo "screenshots: no window" >&2; return 1; }
  xdotool windowmove "$window" 0 0 windowsize "$window" 1280 800
  sleep "$warm_up_s"

  local page=1
  for name in live sessions users audit server; do
    xdotool windowfocus --sync "$window" key "alt+$page"
    page=$((page + 1))
    if [ "$name" = sessions ]; then
      # Show a session's details: real pointer input on the first row.
      sleep 1
      xdotool mousemove 300 140 click 1 sleep 0.5 key Return || true
    fi
    sleep 2
    import -window root "$out_dir/$name$suffix.png"
  done
  xdotool key ctrl+comma
  sleep 2
  import -window root "$out_dir/preferences$suffix.png"
  kill "$pid"
  wait "$pid" || true
}

if [ "${VIGIL_SCREENSHOTS_INSIDE:-}" = 1 ]; then
  ADW_DEBUG_COLOR_SCHEME=prefer-light shoot ""
  ADW_DEBUG_COLOR_SCHEME=prefer-dark shoot "-dark"
  cp "$out_dir/live.png" "$out_dir/main-window.png"
  cp "$out_dir/live-dark.png" "$out_dir/main-window-dark.png"
  exit 0
fi

export VIGIL_SCREENSHOTS_INSIDE=1
exec xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- "$0" "$build_dir"
