#!/bin/sh
# Fails when a translatable string is missing, untranslated or fuzzy in any
# translation listed in po/LINGUAS, or when a translation's format strings do
# not match the original's. Usage: po-complete.sh SOURCE_ROOT
set -eu

root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"

echo "1..$(grep -cv '^#' po/LINGUAS)"

xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
  --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --files-from=po/POTFILES.in \
  --output="$tmp/template.pot"

n=0
status=0
for lang in $(grep -v '^#' po/LINGUAS); do
  n=$((n + 1))
  msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$tmp/template.pot" -o "$tmp/$lang.po"
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1) || {
    echo "not ok $n - $lang: msgfmt --check failed: $stats"
    status=1
    continue
  }
  case "$stats" in
    *untranslated* | *fuzzy*)
      echo "not ok $n - $lang is incomplete: $stats"
      LC_ALL=C msgattrib --untranslated --only-fuzzy "$tmp/$lang.po" 2>/dev/null | head -40 | sed 's/^/# /'
      LC_ALL=C msgattrib --untranslated "$tmp/$lang.po" | grep '^msgid' | head -20 | sed 's/^/# /'
      status=1
      ;;
    *)
      echo "ok $n - $lang: $stats"
      ;;
  esac
done

exit $status
