#!/usr/bin/env bash
# The Python package's checks (python/): creates a virtualenv at target/python-venv (or
# $COTERIE_PY_VENV), installs ./python, pytest and the pinned grpcio-tools, checks that the
# checked-in generated code (python/coterie/v1) is what grpcio-tools makes of
# proto/coterie/v1/coterie.proto, builds the `coterie` binary if needed, and runs the pytest
# suite against real 3-member clusters of it. `.ci/run` calls it after `cargo test`.
#
#   scripts/python-tests.sh            # drift check + tests
#   scripts/python-tests.sh --regen    # rewrite python/coterie/v1 from the proto, then the same
#
# Needs python3 with venv and the package registry (PyPI). Bounded: every pip call and the
# test run have timeouts.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
GRPC_TOOLS_VERSION="1.85.1"
PYTEST_VERSION="9.2.0"
VENV="${COTERIE_PY_VENV:-$REPO/target/python-venv}"
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check --timeout 60 -q)

if ! "$PY" -c "import grpc_tools, pytest, importlib.metadata as m, sys; sys.exit(m.version('grpcio-tools') != '$GRPC_TOOLS_VERSION' or pytest.__version__ != '$PYTEST_VERSION')" 2>/dev/null; then
    python3 -m venv "$VENV"
    timeout 300 "${PIP[@]}" install "grpcio-tools==$GRPC_TOOLS_VERSION" "pytest==$PYTEST_VERSION"
fi

# The generated code: grpcio-tools' protoc, the proto, and the package's own status envelope.
generate() {
    local out=$1 includes
    includes=$("$PY" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
    "$PY" -m grpc_tools.protoc -Iproto -Ipython/proto -I"$includes" --python_out="$out" --grpc_python_out="$out" \
        --pyi_out="$out" coterie/v1/coterie.proto
    "$PY" -m grpc_tools.protoc -Ipython/proto -I"$includes" --python_out="$out" --pyi_out="$out" \
        coterie/v1/rpc_status.proto
}
if [[ "${1:-}" == "--regen" ]]; then
    generate python
    echo "regenerated python/coterie/v1 with grpcio-tools $GRPC_TOOLS_VERSION"
fi
GEN=$(mktemp -d)
trap 'rm -rf "$GEN"' EXIT
generate "$GEN"
if ! diff -r -x __init__.py -x __pycache__ "$GEN/coterie/v1" python/coterie/v1; then
    echo "python/coterie/v1 differs from what grpcio-tools $GRPC_TOOLS_VERSION generates from the proto:" >&2
    echo "run scripts/python-tests.sh --regen and commit the result" >&2
    exit 1
fi

timeout 300 "${PIP[@]}" install --force-reinstall --no-deps ./python
timeout 300 "${PIP[@]}" install ./python  # its dependencies (grpcio, protobuf), if missing
rm -rf python/build python/*.egg-info

COTERIE_BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/coterie"
cargo build -q -p coterie-cli
export COTERIE_BIN
# From the repository root: `import coterie` is the installed package, as a user gets it.
timeout 300 "$PY" -m pytest -q -p no:cacheprovider python/tests
