#!/bin/sh
# Regenerate the build system. automake does not install tap-driver.sh on its
# own (only test-driver), so copy it from automake's own library directory.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
