#!/usr/bin/env bash
# Prints the base URL of the API deployed on the running engine; fails when there is none.
source "$(dirname "$0")/lib.sh"
engine_up && [[ -f "$OUTPUTS_FILE" ]] || { echo "no API is running: start one with 'make run'" >&2; exit 1; }
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["LocalApiUrl"])' "$OUTPUTS_FILE"
