#!/usr/bin/env bash
# Installs the S3 client the gateway's tests drive (boto3, written by others) into a
# virtualenv at target/s3-client (or $COTERIE_S3_VENV), and prints the path of its python.
# Idempotent: a venv that already has the pinned boto3 is kept. Needs python3 with venv and
# the package registry; `.ci/run` calls it before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BOTO3_VERSION="1.44.5"
VENV="${COTERIE_S3_VENV:-$PWD/target/s3-client}"
if ! "$VENV/bin/python" -c "import boto3, sys; sys.exit(boto3.__version__ != '$BOTO3_VERSION')" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "boto3==$BOTO3_VERSION"
fi
echo "$VENV/bin/python"
