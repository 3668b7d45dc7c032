#!/usr/bin/env bash
# Sourced by scripts/pymesos-interop.sh and scripts/bench/run_pymesos.sh: creates a
# virtualenv with pymesos 0.3.15 at "$VENV" (with "$PYTHON") unless one is there already.
#
# pymesos needs `http-parser`, whose C extension does not build on Python >= 3.11
# (longintrepr.h is gone); the recipe installs http-parser's pure-Python parser
# (http_parser.pyparser, which pymesos falls back to) by building the sdist with its
# extension switched off. Every failing step exits 1 with a message naming it.
#
# Needs: VENV, PYTHON; the caller may define fail() (a default is provided).

HTTP_PARSER_VERSION=0.9.0
PYMESOS_VERSION=0.3.15

declare -F fail >/dev/null || fail() { echo "pymesos-venv: FAIL: $*" >&2; exit 1; }

install_venv() {
  echo "pymesos-venv: creating virtualenv $VENV" >&2
  rm -rf "$VENV.tmp"
  "$PYTHON" -m venv "$VENV.tmp" || fail "cannot create a virtualenv with $PYTHON"
  local pip="$VENV.tmp/bin/pip"
  local work
  work="$(mktemp -d)"
  # http-parser, pure Python: fetch the sdist and build it with run_setup(False).
  "$pip" download --quiet --no-deps --no-binary :all: "http-parser==$HTTP_PARSER_VERSION" -d "$work" \
    || fail "cannot download http-parser==$HTTP_PARSER_VERSION from PyPI (is the package index reachable?)"
  tar xzf "$work/http-parser-$HTTP_PARSER_VERSION.tar.gz" -C "$work" || fail "cannot unpack http-parser"
  sed -i 's/run_setup(not IS_PYPY)/run_setup(False)/' "$work/http-parser-$HTTP_PARSER_VERSION/setup.py"
  grep -q 'run_setup(False)' "$work/http-parser-$HTTP_PARSER_VERSION/setup.py" \
    || fail "http-parser's setup.py changed; cannot switch its C extension off"
  "$pip" install --quiet "$work/http-parser-$HTTP_PARSER_VERSION" || fail "cannot install pure-Python http-parser"
  "$pip" install --quiet "pymesos==$PYMESOS_VERSION" \
    || fail "cannot install pymesos==$PYMESOS_VERSION from PyPI (is the package index reachable?)"
  rm -rf "$work"
  "$VENV.tmp/bin/python" -c 'import pymesos; from http_parser.http import HttpParser' \
    || fail "pymesos does not import in the new virtualenv"
  mv "$VENV.tmp" "$VENV"
}

if ! "$VENV/bin/python" -c 'import pymesos' 2>/dev/null; then
  rm -rf "$VENV"
  install_venv
fi
