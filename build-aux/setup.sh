# Shared by build-aux/run and build-aux/test: the Debian 12 packages Vigil
# needs, installed only when missing, and the meson build in _build.
# shellcheck shell=bash

VIGIL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

VIGIL_BUILD_PACKAGES=(
  meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libglib2.0-dev-bin libgtk-4-dev libadwaita-1-dev
  libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libsecret-1-dev libsodium-dev
  gettext desktop-file-utils appstream librsvg2-common
)

VIGIL_TEST_PACKAGES=(
  xvfb xauth dbus gnome-keyring at-spi2-core python3-pyatspi xdotool imagemagick
)

vigil_install_packages () {
  local missing=()
  local package

  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  echo "Installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Not root and no sudo: install ${missing[*]} first" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configures _build with the given options (reconfiguring when it exists)
# and builds it.
vigil_build () {
  cd "$VIGIL_TOP"
  if [ -f _build/build.ninja ]; then
    meson configure _build "$@"
  else
    meson setup _build "$@"
  fi
  meson compile -C _build
}
