#!/usr/bin/env bash
# Builds the language-identification corpus (corpus/lang/) from the gettext
# catalogues that Debian packages ship: downloads the packages with apt
# (nothing else is fetched), unpacks their .mo files, turns them back into
# .po text with msgunfmt, and hands them to scripts/lang_corpus.py, which
# cleans the strings and splits them into a tuning and a held-out part.
# Usage: scripts/lang-corpus.sh [OUT_DIR]   (default: corpus/lang)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/corpus/lang}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Packages whose catalogues cover many languages, with both short interface
# strings and longer help texts (Swahili comes from VLC and Tux Paint).
PACKAGES=(
  apt dpkg debconf-i18n tasksel-data coreutils tar util-linux-locales e2fsprogs-l10n libc-l10n gnupg-l10n
  libglib2.0-data libgtk-3-common libgtk2.0-common gnome-desktop3-data nautilus-data evince-common
  gedit-common gimp-data inkscape vlc-l10n tuxpaint-data
)

command -v msgunfmt >/dev/null || {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gettext
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debs" "$WORK/root" "$WORK/po"
(cd "$WORK/debs" && apt-get download "${PACKAGES[@]}" >/dev/null)
for deb in "$WORK"/debs/*.deb; do
  dpkg-deb -x "$deb" "$WORK/root"
  echo "$(basename "$deb")" >>"$WORK/packages.txt"
done

# locale/<LOCALE>/LC_MESSAGES/<domain>.mo -> po/<LOCALE>/<domain>.po
find "$WORK/root" -path '*/locale/*/LC_MESSAGES/*.mo' | sort | while read -r mo; do
  locale="$(basename "$(dirname "$(dirname "$mo")")")"
  mkdir -p "$WORK/po/$locale"
  msgunfmt --no-wrap "$mo" -o "$WORK/po/$locale/$(basename "$mo" .mo).po" 2>/dev/null || true
done

python3 "$ROOT/scripts/lang_corpus.py" "$WORK/po" "$OUT" "$WORK/packages.txt"
