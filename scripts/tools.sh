#!/usr/bin/env bash
# Installs the pinned local engine (MiniStack and the SAM translator) into .tools/.
source "$(dirname "$0")/lib.sh"

req="$ROOT/tools/engine-requirements.txt"
stamp="$ENGINE_VENV/.installed-$(sha256sum "$req" | cut -c1-16)"
if [[ -f "$stamp" ]]; then
  exit 0
fi
say "installing the local AWS engine into .tools/engine (pinned in tools/engine-requirements.txt)"
rm -rf "$ENGINE_VENV"
python3 -m venv "$ENGINE_VENV"
"$ENGINE_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
"$ENGINE_VENV/bin/pip" check >/dev/null
touch "$stamp"
