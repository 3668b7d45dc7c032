#!/usr/bin/env bash
# Prepares a real Apache Mesos 1.11.0 master and agent for this machine, from the official
# libmesos carried by the PyPI artifact mesos.scheduler-1.11.0.linux-x86_64.tar.gz (facts:
# ../../../shared/reference/real-mesos-from-pypi.md, or the project's shared docs).
#
# Everything is cached under ${CARGO_TARGET_DIR:-./target}/real-mesos (override with
# REAL_MESOS_DIR); a second run only checks stamps. Steps:
#   1. the artifact, found on the PyPI simple index page of `mesos-scheduler`, checked
#      against its sha256 and unpacked;
#   2. the Debian libraries libmesos needs (libsvn1 libapr1 libaprutil1 libserf-1-1
#      libutf8proc2), fetched with `apt-get download` and unpacked with `dpkg-deb -x`
#      (nothing is installed);
#   3. our shims: CPython stubs, OpenSSL 1.0 stand-ins (libssl.so.1.0.0, libcrypto.so.1.0.0:
#      the versioned symbols libmesos references, each aborting if called: TLS is off), and a
#      libcurl.so.4 exporting the CURL_OPENSSL_3 symbols, forwarding to the system libcurl;
#   4. our launchers bin/mesos-master, bin/mesos-agent, bin/mesos-containerizer (sources in
#      scripts/real-mesos/src), linked against libmesos with an RPATH to the above, so that no
#      LD_LIBRARY_PATH leaks into executors.
# Prints `real-mesos: ready <dir>` on success; fails loudly, with the reason, otherwise.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
DIR="${REAL_MESOS_DIR:-$TARGET/real-mesos}"

ARTIFACT_NAME="mesos.scheduler-1.11.0.linux-x86_64.tar.gz"
ARTIFACT_SHA256="1d376f20bca6d05ee8b90c1c123a452b28753497ccc2f1c80ea3ac94c12e8f6e"
INDEX_URL="${REAL_MESOS_INDEX_URL:-https://pypi.org/simple/mesos-scheduler/}"
LIBMESOS_IN_ARTIFACT="usr/local/lib/python2.7/dist-packages/mesos/scheduler/_scheduler.so"
DEBIAN_PACKAGES=(libsvn1 libapr1 libaprutil1 libserf-1-1 libutf8proc2)

fail() { echo "real-mesos setup: FAIL: $*" >&2; exit 1; }
note() { echo "real-mesos setup: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || fail "missing tool '$1' ($2)"; }

[[ "$(uname -m)" == "x86_64" && "$(uname -s)" == "Linux" ]] \
  || fail "the artifact is a Linux x86_64 build; this is $(uname -s) $(uname -m)"
mkdir -p "$DIR"
# One setup at a time (tests may start several clusters at once).
exec 9>"$DIR/.lock"
flock 9

# 1. The artifact.
fetch_artifact() {
  need curl "to download the artifact from PyPI"
  need sha256sum "to check the artifact"
  local dl="$DIR/download" page url
  mkdir -p "$dl"
  if [[ ! -f "$dl/$ARTIFACT_NAME" ]] \
     || [[ "$(sha256sum "$dl/$ARTIFACT_NAME" | cut -d' ' -f1)" != "$ARTIFACT_SHA256" ]]; then
    note "fetching the PyPI index page $INDEX_URL"
    page="$(curl -fsSL --retry 2 --max-time 60 "$INDEX_URL")" \
      || fail "cannot fetch the PyPI index page $INDEX_URL (no network access to pypi.org?)"
    url="$(grep -o "href=\"[^\"]*/$ARTIFACT_NAME[^\"]*\"" <<<"$page" | head -1 \
           | sed -e 's/^href="//' -e 's/"$//' -e 's/#.*$//')"
    [[ -n "$url" ]] || fail "$ARTIFACT_NAME is not listed on $INDEX_URL"
    note "downloading $url"
    curl -fsSL --retry 2 --max-time 600 -o "$dl/$ARTIFACT_NAME.part" "$url" \
      || fail "cannot download $url (no network access to files.pythonhosted.org?)"
    local got
    got="$(sha256sum "$dl/$ARTIFACT_NAME.part" | cut -d' ' -f1)"
    [[ "$got" == "$ARTIFACT_SHA256" ]] \
      || { rm -f "$dl/$ARTIFACT_NAME.part"; fail "sha256 mismatch for $url: got $got, want $ARTIFACT_SHA256"; }
    mv "$dl/$ARTIFACT_NAME.part" "$dl/$ARTIFACT_NAME"
  fi
  rm -rf "$DIR/artifact"
  mkdir -p "$DIR/artifact"
  tar -xzf "$dl/$ARTIFACT_NAME" -C "$DIR/artifact" "./$LIBMESOS_IN_ARTIFACT" \
    || fail "cannot unpack $LIBMESOS_IN_ARTIFACT from $dl/$ARTIFACT_NAME"
  echo "$ARTIFACT_SHA256" >"$DIR/artifact/.ok"
}
if [[ "$(cat "$DIR/artifact/.ok" 2>/dev/null)" != "$ARTIFACT_SHA256" ]]; then
  fetch_artifact
fi
LIBMESOS="$DIR/artifact/$LIBMESOS_IN_ARTIFACT"

# 2. The Debian libraries.
fetch_debian() {
  need apt-get "to download Debian packages"
  need dpkg-deb "to unpack Debian packages"
  local debs="$DIR/debian/debs"
  rm -rf "$DIR/debian"
  mkdir -p "$debs" "$DIR/debian/root"
  if ! (cd "$debs" && apt-get download "${DEBIAN_PACKAGES[@]}" >"$DIR/debian/download.log" 2>&1); then
    note "apt-get download failed; running apt-get update first"
    apt-get update >"$DIR/debian/update.log" 2>&1 \
      || fail "apt-get update failed (see $DIR/debian/update.log; root and Debian archive access needed)"
    (cd "$debs" && apt-get download "${DEBIAN_PACKAGES[@]}" >"$DIR/debian/download.log" 2>&1) \
      || fail "apt-get download ${DEBIAN_PACKAGES[*]} failed (see $DIR/debian/download.log)"
  fi
  local deb
  for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$DIR/debian/root" || fail "cannot unpack $deb"
  done
  echo "${DEBIAN_PACKAGES[*]}" >"$DIR/debian/.ok"
}
if [[ "$(cat "$DIR/debian/.ok" 2>/dev/null)" != "${DEBIAN_PACKAGES[*]}" ]]; then
  fetch_debian
fi
DEBLIB="$DIR/debian/root/usr/lib/x86_64-linux-gnu"

# 3 + 4. Shims and launchers, rebuilt when their sources, this script or the paths change.
REAL_LIBCURL="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true) \
  | awk '$1 == "libcurl.so.4" && /x86-64/ { print $NF; exit }')"
REAL_LIBCURL="${REAL_LIBCURL:-/usr/lib/x86_64-linux-gnu/libcurl.so.4}"
STAMP="$(cat "$HERE"/src/* "$HERE/setup.sh" | sha256sum | cut -d' ' -f1) $DIR $REAL_LIBCURL"
if [[ "$(cat "$DIR/build.ok" 2>/dev/null)" != "$STAMP" ]]; then
  need gcc "to build the shims"
  need g++ "to build the launchers"
  need readelf "to list the OpenSSL symbols libmesos references"
  rm -rf "$DIR/lib" "$DIR/bin" "$DIR/gen" "$DIR/build.ok"
  mkdir -p "$DIR/lib" "$DIR/bin" "$DIR/gen"
  LIB="$DIR/lib"
  GEN="$DIR/gen"

  ln -s "$LIBMESOS" "$LIB/libmesos.so"
  gcc -shared -fPIC -O1 -o "$LIB/libpython-stub.so" "$HERE/src/pystub.c" \
    || fail "cannot build the CPython stubs"
  [[ -e "$REAL_LIBCURL" ]] || note "no system libcurl.so.4; libmesos's HTTP fetches will fail"
  gcc -shared -fPIC -O1 -o "$LIB/libcurl.so.4" -Wl,-soname,libcurl.so.4 \
    -Wl,--version-script,"$HERE/src/curl_shim.map" -DREAL_LIBCURL="\"$REAL_LIBCURL\"" \
    "$HERE/src/curl_shim.c" -ldl || fail "cannot build the libcurl shim"

  # The OpenSSL stand-ins: for each library libmesos needs a version from, every symbol it
  # references there, under the version it asks for. Versions come from `readelf -V`
  # (Version needs: File, then Name/Version index), symbols from `readelf --dyn-syms`.
  readelf -W -V "$LIBMESOS" | awk '
    /Version needs section/ { needs = 1; next }
    needs && /File:/ { for (i = 1; i <= NF; i++) if ($i == "File:") file = $(i + 1) }
    needs && /Name:/ {
      for (i = 1; i <= NF; i++) { if ($i == "Name:") name = $(i + 1); if ($i == "Version:") idx = $(i + 1) }
      print idx, file, name
    }' >"$GEN/versions.txt"
  readelf -W --dyn-syms "$LIBMESOS" | awk '$7 == "UND" && $8 ~ /@OPENSSL_1\.0\./ {
      split($8, parts, "@"); idx = $9; gsub(/[()]/, "", idx); print idx, parts[1] }' >"$GEN/openssl-syms.txt"
  [[ -s "$GEN/openssl-syms.txt" ]] || fail "found no OpenSSL symbols in $LIBMESOS"
  for lib in libssl.so.1.0.0 libcrypto.so.1.0.0; do
    awk -v lib="$lib" '
      FNR == NR { if ($2 == lib) { verof[$1] = $3; vers[$3] = 1 } next }
      ($1 in verof) { syms[verof[$1]] = syms[verof[$1]] " " $2 ";"; all[$2] = 1 }
      END {
        print "#include <stdio.h>\n#include <stdlib.h>" > (out ".c")
        print "static void openssl_stub_called(const char *name) {" > (out ".c")
        print "  fprintf(stderr, \"real-mesos: OpenSSL 1.0 stub %s called; TLS is unavailable\\n\", name);" > (out ".c")
        print "  abort();\n}" > (out ".c")
        for (s in all) printf "void %s(void) { openssl_stub_called(\"%s\"); }\n", s, s > (out ".c")
        prev = ""
        n = split("OPENSSL_1.0.0 OPENSSL_1.0.1 OPENSSL_1.0.2", order, " ")
        for (i = 1; i <= n; i++) {
          v = order[i]; if (!(v in vers)) continue
          marker = "real_mesos_stub_" v; gsub(/\./, "_", marker)
          printf "void %s(void) {}\n", marker > (out ".c")
          printf "%s {\n  global: %s;%s\n", v, marker, syms[v] > (out ".map")
          if (prev == "") printf "  local: *;\n" > (out ".map")
          printf "}%s;\n", (prev == "" ? "" : " " prev) > (out ".map")
          prev = v
        }
      }' out="$GEN/$lib" "$GEN/versions.txt" "$GEN/openssl-syms.txt"
    gcc -shared -fPIC -O1 -o "$LIB/$lib" -Wl,-soname,"$lib" \
      -Wl,--version-script,"$GEN/$lib.map" "$GEN/$lib.c" || fail "cannot build the $lib stand-in"
  done

  RPATH="$LIB:$DEBLIB"
  LINK=(-L"$LIB" -l:libmesos.so -lpython-stub -Wl,--allow-shlib-undefined
        -Wl,-rpath-link,"$RPATH" -Wl,--disable-new-dtags -Wl,-rpath,"$RPATH")
  pids=()
  for prog in master agent containerizer; do
    g++ -std=c++17 -O1 -fno-strict-aliasing -o "$DIR/bin/mesos-$prog" "$HERE/src/$prog.cpp" \
      "${LINK[@]}" >"$GEN/build-$prog.log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2; do
    prog=(master agent containerizer)
    wait "${pids[$i]}" || { cat "$GEN/build-${prog[$i]}.log" >&2; fail "cannot build mesos-${prog[$i]}"; }
  done
  echo "$STAMP" >"$DIR/build.ok"
fi

echo "real-mesos: ready $DIR"
