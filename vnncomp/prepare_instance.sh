#!/bin/bash
# VNN-COMP: prepare_instance.sh v1 CATEGORY ONNX VNNLIB
#
# lipcert needs no per-instance preparation (no conversion, no server to start). This checks
# that the two files are readable and that the CLI is built (dist/cli/main.js; built with
# `npm run build` when it is missing), then exits 0. Exit code 1: the instance
# cannot be run (missing file, or the build failed), with a message on stderr.
set -u

if [ "$#" -ne 4 ]; then
  echo "usage: $0 v1 CATEGORY ONNX VNNLIB" >&2
  exit 1
fi
VERSION_STRING=$1
CATEGORY=$2
ONNX_FILE=$3
VNNLIB_FILE=$4

if [ "$VERSION_STRING" != "v1" ]; then
  echo "$0: expected version string v1, got '$VERSION_STRING'" >&2
  exit 1
fi

# The repository is the folder above this script's own folder.
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SCRIPT_DIR")
CLI="$REPO/dist/cli/main.js"

for f in "$ONNX_FILE" "$VNNLIB_FILE"; do
  if [ ! -r "$f" ]; then
    echo "$0: cannot read $f" >&2
    exit 1
  fi
done

if [ ! -f "$CLI" ]; then
  echo "$0: $CLI is missing: building lipcert" >&2
  if ! (cd "$REPO" && npm run --silent build >&2) || [ ! -f "$CLI" ]; then
    echo "$0: the build failed" >&2
    exit 1
  fi
fi

echo "lipcert: nothing to prepare for $CATEGORY: $(basename "$ONNX_FILE") $(basename "$VNNLIB_FILE")"
exit 0
