#!/usr/bin/env bash
# Builds the language-identification corpus (corpus/lang/) from the gettext
# catalogues that Debian packages ship: downloads the packages with apt
# (nothing else is fetched), unpacks their .mo files, turns them back into
# .po text with msgunfmt, and hands them to scripts/lang_corpus.py, which
# cleans the strings and splits them into a tuning and a held-out part.
# Its prose part comes from Debian's translated manual pages, rendered as
# text with groff and cleaned into sentences by scripts/lang_prose.py.
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

# Translated manual pages: sentences, where catalogues hold terse strings.
MANPAGES=(
  manpages-cs manpages-da manpages-de manpages-el manpages-es manpages-fi manpages-fr manpages-hu
  manpages-id manpages-it manpages-mk manpages-nb manpages-nl manpages-pl manpages-pt-br manpages-ro
  manpages-ru manpages-sr manpages-sv manpages-tr manpages-uk manpages-vi
)

command -v msgunfmt >/dev/null && command -v groff >/dev/null || {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gettext groff-base
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# unpack NAME PACKAGE...: downloads the packages into $WORK/NAME-debs, unpacks
# them into $WORK/NAME and lists their files in $WORK/NAME.txt.
unpack() {
  local name="$1"
  shift
  mkdir -p "$WORK/$name-debs" "$WORK/$name"
  (cd "$WORK/$name-debs" && apt-get download "$@" >/dev/null)
  for deb in "$WORK/$name-debs"/*.deb; do
    dpkg-deb -x "$deb" "$WORK/$name"
    basename "$deb" >>"$WORK/$name.txt"
  done
}

unpack root "${PACKAGES[@]}"

# locale/<LOCALE>/LC_MESSAGES/<domain>.mo -> po/<LOCALE>/<domain>.po
find "$WORK/root" -path '*/locale/*/LC_MESSAGES/*.mo' | sort | while read -r mo; do
  locale="$(basename "$(dirname "$(dirname "$mo")")")"
  mkdir -p "$WORK/po/$locale"
  msgunfmt --no-wrap "$mo" -o "$WORK/po/$locale/$(basename "$mo" .mo).po" 2>/dev/null || true
done

python3 "$ROOT/scripts/lang_corpus.py" "$WORK/po" "$OUT" "$WORK/root.txt"

# man/<LOCALE>/manN/<page>.gz -> text/<LOCALE>/manN/<page>.txt, one long line per paragraph.
unpack man "${MANPAGES[@]}"
find "$WORK/man/usr/share/man" -name '*.gz' | sort | while read -r page; do
  relative="${page#"$WORK/man/usr/share/man/"}"
  mkdir -p "$WORK/text/$(dirname "$relative")"
  zcat "$page" | preconv -e utf-8 2>/dev/null | groff -man -Tutf8 -P-cbou -rLL=2000n -rHY=0 -dAD=l 2>/dev/null \
    >"$WORK/text/${relative%.gz}.txt" || true
done
python3 "$ROOT/scripts/lang_prose.py" "$WORK/text" "$OUT"
{
  echo
  echo "The prose part (prose-tune.tsv, prose-heldout.tsv) comes from the manual pages of these packages:"
  sed 's/^/  /' "$WORK/man.txt"
} >>"$OUT/SOURCES"
