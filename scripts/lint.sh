#!/usr/bin/env bash
# make lint: gofmt, Go file length, go mod tidy -diff, go vet, golangci-lint, deadcode, unusedexports,
# cfn-lint and sam validate --lint,
# with the tools pinned (tools/lint-requirements.txt, GOLANGCI_LINT_VERSION and
# DEADCODE_VERSION below) and installed into .tools/ on first use.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

GOLANGCI_LINT_VERSION=v2.15.0
DEADCODE_VERSION=v0.39.0 # golang.org/x/tools
GO_FILE_LINES_MAX=400
# What only tests reach, on purpose: the packages that exist for tests (fakes and
# conformance suites), and ledger.ApplyAll, the all-or-nothing apply the in-memory
# store and ledger's own property test share (it cannot move to a test package:
# ledger's internal tests would import it back).
DEADCODE_TEST_SUPPORT='^(internal/memstore/|internal/conformance/|internal/[a-z/]*test/[a-z]*\.go:|internal/ledger/moves\.go:[0-9]+:[0-9]+: unreachable func: ApplyAll$)'
LINT_VENV="$TOOLS_DIR/lint"
pinned_venv "$LINT_VENV" "$ROOT/tools/lint-requirements.txt" "cfn-lint and the SAM CLI"
golangci="$TOOLS_DIR/bin/golangci-lint"
if [[ ! -x "$golangci" ]] || ! "$golangci" version 2>/dev/null | grep -q "${GOLANGCI_LINT_VERSION#v}"; then
  say "installing golangci-lint $GOLANGCI_LINT_VERSION into .tools/bin"
  GOBIN="$TOOLS_DIR/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi

say "docs-check (no machine-local path, dead link or unknown make target in the Markdown)"
python3 "$ROOT/scripts/docs-check.py"

say "mutants (make mutation's list names code that is still there)"
go run ./cmd/mutation -check

say "gofmt"
unformatted="$(gofmt -l $(find . -name '*.go' -not -path './.tools/*'))"
[[ -z "$unformatted" ]] || { echo "not gofmt-ed:"; echo "$unformatted"; exit 1; }
say "file length (no Go file under internal/ over $GO_FILE_LINES_MAX lines: split it by concern)"
long="$(find internal -name '*.go' -exec wc -l {} + | awk -v max="$GO_FILE_LINES_MAX" '$2 != "total" && $1 > max')"
[[ -z "$long" ]] || { echo "$long"; exit 1; }
say "go mod tidy (no diff)"
go mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }
say "go vet"
go vet ./...
go vet -tags integration ./test/...
say "golangci-lint"
"$golangci" run ./...
say "deadcode (functions no main reaches: dead, or used only by tests)"
pinned_go_tool "$TOOLS_DIR/bin/deadcode" golang.org/x/tools/cmd/deadcode "$DEADCODE_VERSION"
unreachable="$("$TOOLS_DIR/bin/deadcode" ./...)"
dead="$(grep -Ev "$DEADCODE_TEST_SUPPORT" <<<"$unreachable" || true)"
[[ -z "$dead" ]] || { echo "unreachable from every main (delete it, or list a test-support package above):"; echo "$dead"; exit 1; }
say "unusedexports (exported names no code of the module uses: deadcode's blind spot, constants, variables and types)"
(cd "$ROOT/tools/unusedexports" && go mod tidy -diff && go vet ./... && go test -count=1 ./... && go run . -tags integration "$ROOT") ||
  { echo "unexport or delete what is listed above"; exit 1; }
say "web: the typed client is generated from the current api/openapi.yaml; tsc"
"$ROOT/scripts/web.sh" check-gen
say "cfn-lint"
"$LINT_VENV/bin/cfn-lint" template.yaml
say "sam validate --lint"
SAM_CLI_TELEMETRY=0 "$LINT_VENV/bin/sam" validate --lint --template template.yaml
say "sam build (what sam deploy ships: the Makefile's stripped bootstraps, samconfig.toml's settings)"
SAM_CLI_TELEMETRY=0 "$LINT_VENV/bin/sam" build >"$ROOT/.local/sam-build.log" 2>&1 ||
  { tail -30 "$ROOT/.local/sam-build.log"; exit 1; }
built="$(find "$ROOT/.aws-sam/build" -name bootstrap | wc -l)"
functions="$(grep -c 'Type: AWS::Serverless::Function' template.yaml)"
[[ "$built" == "$functions" ]] || { echo "sam build made $built bootstraps for $functions functions"; exit 1; }
echo "$built bootstraps, $(du -cb "$ROOT"/.aws-sam/build/*/bootstrap | tail -1 | cut -f1) bytes in all"
say "lint clean"
