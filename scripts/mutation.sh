#!/usr/bin/env bash
# make mutation: every mutant of tools/mutation/mutants.json (cmd/mutation) in a scratch
# copy of the repository, the unit tests of the packages it names and then the DynamoDB
# adapter tests against the local engine; writes docs/TESTING.md and fails when a mutant
# survives or a mutant's snippet is stale. ONLY=<id>[,<id>…] runs some, without the page.
# Starts the engine when none is running (nothing is deployed: the adapter tests make
# tables of their own) and stops what it started. Not part of make test: it is slow.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

use_engine
engine_env
say "mutation testing against the engine at $ENGINE_URL"
go run ./cmd/mutation ${ONLY:+-only "$ONLY"}
