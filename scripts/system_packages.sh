#!/bin/sh
# The Debian packages `make test` needs besides Python (`make system-packages` runs this):
#   openjdk-17-jre-headless  Java 17, for the Spark parity tests (pyspark)
#   chromium, chromium-driver  the monthly statement's browser test (headless Chromium)
#   fonts-nanum  a Korean font, so that the statement's screenshot shows 한글
# Says nothing when all are there. Run as root, it installs the missing ones with apt-get;
# otherwise it stops and prints the one command to run.
# KAKAO_SYSTEM_PACKAGES_UID stands in for the user id (`id -u`), for the tests.
set -u

INSTALL_ALL="apt-get install -y openjdk-17-jre-headless chromium chromium-driver fonts-nanum"

missing=""
# Java 17 or later
if ! command -v java >/dev/null 2>&1 \
    || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
    missing="$missing openjdk-17-jre-headless"
fi
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if ! command -v fc-list >/dev/null 2>&1; then
    # fc-list (fontconfig) is how this finds the font; Chromium brings it too
    missing="$missing fonts-nanum fontconfig"
elif ! fc-list :lang=ko 2>/dev/null | grep -q .; then
    missing="$missing fonts-nanum"
fi

if [ -z "$missing" ]; then
    exit 0
fi

uid="${KAKAO_SYSTEM_PACKAGES_UID:-$(id -u)}"
if [ "$uid" != "0" ]; then
    echo "make test needs Debian packages that are missing:$missing."
    echo "Install them (as root) with:"
    echo "  sudo $INSTALL_ALL"
    exit 1
fi

echo "Installing the Debian packages make test needs:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
# shellcheck disable=SC2086  # one word per package
apt-get install -y -qq $missing >/dev/null || exit 1
