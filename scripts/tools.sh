#!/usr/bin/env bash
# Installs the pinned tools into .tools/: the local engine (MiniStack and the SAM
# translator; `tools.sh engine`) and the Lambda runtime interface emulator for make
# bench-cold (`tools.sh rie`). Without an argument, both.
source "$(dirname "$0")/lib.sh"

what="${1:-all}"
case "$what" in
  engine | rie | all) ;;
  *) echo "usage: $0 [engine|rie]" >&2; exit 2 ;;
esac
if [[ "$what" == engine || "$what" == all ]]; then
  pinned_venv "$ENGINE_VENV" "$ROOT/tools/engine-requirements.txt" "the local AWS engine (MiniStack)"
  pinned_venv "$MAIL_VENV" "$ROOT/tools/mail-requirements.txt" "the local mail catcher (aiosmtpd)"
fi
if [[ "$what" == rie || "$what" == all ]]; then
  pinned_go_tool "$RIE" "$RIE_PACKAGE" "$RIE_VERSION"
fi
