#!/bin/bash
# VNN-COMP: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS_FILE TIMEOUT
#
# Runs  node <repo>/dist/cli/main.js verify ONNX VNNLIB --timeout TIMEOUT \
#         --result-file RESULTS_FILE --quiet [--preset acasxu]
# (--preset acasxu when CATEGORY names the ACAS Xu benchmark, e.g. acasxu or 2022_acasxu).
# The CLI counts TIMEOUT from its own start and writes RESULTS_FILE atomically: sat (with the
# counterexample), unsat, timeout, unknown, or error. A stale RESULTS_FILE is removed first; if
# the CLI exits without writing one (e.g. it could not parse its arguments), this script writes
# `error`. Exit code: the CLI's (0 for every verdict, 2 bad input, 1 internal error).
# Environment: LIPCERT_NODE (the node binary, default: node on PATH), LIPCERT_EXTRA_ARGS
# (more CLI options, split at spaces, e.g. "--workers 4").
set -u

if [ "$#" -ne 6 ]; then
  echo "usage: $0 v1 CATEGORY ONNX VNNLIB RESULTS_FILE TIMEOUT" >&2
  exit 1
fi
VERSION_STRING=$1
CATEGORY=$2
ONNX_FILE=$3
VNNLIB_FILE=$4
RESULTS_FILE=$5
TIMEOUT=$6

if [ "$VERSION_STRING" != "v1" ]; then
  echo "$0: expected version string v1, got '$VERSION_STRING'" >&2
  exit 1
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SCRIPT_DIR")
CLI="$REPO/dist/cli/main.js"
NODE=${LIPCERT_NODE:-node}

ARGS=(verify "$ONNX_FILE" "$VNNLIB_FILE" --timeout "$TIMEOUT" --result-file "$RESULTS_FILE" --quiet)
shopt -s nocasematch
if [[ "$CATEGORY" == *acasxu* ]]; then
  ARGS+=(--preset acasxu)
fi
shopt -u nocasematch
if [ -n "${LIPCERT_EXTRA_ARGS:-}" ]; then
  # shellcheck disable=SC2206
  ARGS+=(${LIPCERT_EXTRA_ARGS})
fi

rm -f -- "$RESULTS_FILE"

# Run in the background so that a TERM/INT sent to this script reaches the CLI too.
"$NODE" "$CLI" "${ARGS[@]}" &
CHILD=$!
trap 'kill -TERM "$CHILD" 2>/dev/null' TERM INT
wait "$CHILD"
CODE=$?
# wait returns early (>128) when a trapped signal arrives: wait for the child to finish.
while kill -0 "$CHILD" 2>/dev/null; do
  wait "$CHILD"
  CODE=$?
done
trap - TERM INT

if [ ! -f "$RESULTS_FILE" ]; then
  TMP="$(dirname -- "$RESULTS_FILE")/.$(basename -- "$RESULTS_FILE").$$.tmp"
  if printf 'error\n' > "$TMP" 2>/dev/null; then
    mv -f -- "$TMP" "$RESULTS_FILE"
  fi
  [ "$CODE" -eq 0 ] && CODE=1
fi
exit "$CODE"
