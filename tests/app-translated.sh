#!/bin/sh
# The uninstalled app (build-aux/run.sh runs it so) shows Russian with
# LANGUAGE=ru: its translations come from the build tree, not from a
# prefix it was never installed to. Usage: app-translated.sh PROGRAM
set -u
echo "1..2"
out=$(env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 LANGUAGE=ru "$1" --help 2>&1)
case "$out" in
  *"Провести звонок на этом компьютере"*) echo "ok 1 - --help is in Russian" ;;
  *) echo "not ok 1 - --help is not in Russian:"; echo "$out" | sed 's/^/# /' ;;
esac
out=$(env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C.UTF-8 "$1" --help 2>&1)
case "$out" in
  *"Host a call on this computer"*) echo "ok 2 - without LANGUAGE it is English" ;;
  *) echo "not ok 2 - --help without LANGUAGE:"; echo "$out" | sed 's/^/# /' ;;
esac
