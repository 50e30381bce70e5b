"""Code generated from proto/coterie/v1/coterie.proto by grpcio-tools (see
scripts/python-tests.sh, which checks it for drift). Do not edit by hand."""
