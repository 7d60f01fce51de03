#!/usr/bin/env bash
# Installs the pinned local engine (MiniStack and the SAM translator) into .tools/.
source "$(dirname "$0")/lib.sh"

pinned_venv "$ENGINE_VENV" "$ROOT/tools/engine-requirements.txt" "the local AWS engine (MiniStack)"
