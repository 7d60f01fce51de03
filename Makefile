# The two commands: `make run` (bring the stack up on the local engine) and `make test`.
SHELL := /bin/bash
FUNCTIONS := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
GOARCH ?= $(shell go env GOARCH)
GO_FLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"
GO_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) go build $(GO_FLAGS)

.PHONY: docs-check run test restart-check mail mail-code web web-gen web-e2e screenshots unit-test mutation walkthrough collection fuzz chaos bench-api bench-cold enum-timing build build-hello invoke iam-check deploy-local api-url engine-start engine-stop lint cost capacity trace bench rotate-key admin-grant admin-revoke clean $(addprefix build-,$(FUNCTIONS))

run: ## start the engine, build, deploy, print the API URL, stay in the foreground
	@scripts/run.sh

test: ## unit tests and integration tests through the deployed API (-race)
	@scripts/test.sh

web: ## the web app (web/): typecheck, unit tests, production build into web/dist, JavaScript size check (≤ 150 KB gzipped)
	@scripts/web.sh build

web-gen: ## regenerate the web app's typed client (web/src/api/schema.d.ts) from api/openapi.yaml (make lint checks it is current)
	@scripts/web.sh gen

web-e2e: ## the browser journey, axe scans, 375 px and keyboard checks in headless Chromium against the running stack (part of make test)
	@scripts/web.sh e2e

screenshots: ## the browser journey, saving the README's screenshots into docs/img (against the running stack)
	@scripts/web.sh screenshots

unit-test:
	go test -race -count=1 ./...

mutation: ## the mutants of the money and security rules (tools/mutation/mutants.json) must each fail a test; writes docs/TESTING.md (slow, not in make test; ONLY=<id>[,<id>])
	@scripts/mutation.sh

walkthrough: ## run the README's curl walkthrough as pasted against the running stack
	@scripts/walkthrough.sh

restart-check: ## what survives a restart of make run, and that events flow after it: its own persisting engine on ENGINE_PORT + 50 (run by make test)
	@scripts/restart-check.sh

collection: ## run the Postman collection (api/wallet.postman_collection.json) with newman against the running stack
	@scripts/collection.sh

chaos: ## the bank workload with injected saga faults against the running stack, then the money check (CLIENTS=8 OPS=400 TIMEOUT=30m)
	@scripts/chaos.sh

iam-check: ## what AWS would refuse: the functions' recorded AWS calls against template.yaml's policies (IAM_UNUSED=fail also fails unused grants)
	@scripts/iam-check.sh

fuzz: ## schemathesis over api/openapi.yaml against the running stack (FUZZ_EXAMPLES=25)
	@scripts/fuzz.sh

build: $(addprefix build-,$(FUNCTIONS)) ## one bootstrap per function under build/<function>/

$(addprefix build-,$(FUNCTIONS)): build-%:
	@$(GO_BUILD) -o build/$*/bootstrap ./functions/$*

build-hello: ## the cold-start benchmark's hello-world bootstrap (tools/hello; not deployed), built like the functions
	@$(GO_BUILD) -o build/.hello/bootstrap ./tools/hello

# sam build: each function's Metadata (BuildMethod makefile, ContextPath and
# ProjectRootDirectory ".") makes SAM run `make build-<LogicalId>` here with ARTIFACTS_DIR
# set, so AWS gets the same stripped bootstrap that make build tests. LAMBDA_GOARCH
# follows the template's Architecture (arm64 by default; amd64 for x86_64).
LAMBDA_GOARCH ?= arm64
build-%Function:
	@CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) go build $(GO_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(shell echo '$*' | tr '[:upper:]' '[:lower:]')

invoke: ## run one deployed function with its sample event on seeded data: make invoke FN=MeFunction [EVENT=file] [RENDER=1]
	@scripts/invoke.sh "$(FN)" "$(EVENT)" "$(RENDER)"

deploy-local: ## rebuild and redeploy into the running engine (no restart)
	@scripts/deploy-local.sh

mail: ## print what the local stack emailed (sign-up codes, notices); EMAIL=<address> for one address
	@. scripts/lib.sh && engine_env && python3 scripts/mail.py $(EMAIL)

mail-code: ## print the latest code emailed to EMAIL=<address>
	@. scripts/lib.sh && engine_env && python3 scripts/mail.py --code "$(EMAIL)"

api-url: ## print the base URL of the running API
	@scripts/api-url.sh

engine-start:
	@scripts/engine.sh start

engine-stop:
	@scripts/engine.sh stop

docs-check: ## the Markdown: no machine-local path, no dead link or anchor, no unknown make target, no missing repo path in code
	@python3 scripts/docs-check.py

lint: ## docs-check, mutant snippets current, gofmt, Go file length, go mod tidy -diff, go vet, golangci-lint, deadcode, unusedexports, cfn-lint, sam validate --lint, sam build
	@scripts/lint.sh

cost: ## measure the cost per million transfers on the local engine (docs/COST.md); N=200
	@scripts/cost.sh

capacity: ## where each mix would stop scaling on AWS: hottest partition keys and account quotas (docs/CAPACITY.md); N=24
	@scripts/capacity.sh

trace: ## one transfer's whole story from the local stack's logs, oldest first: make trace ID=<transfer id>
	@. scripts/lib.sh && engine_env && go run ./cmd/trace --id "$(ID)"

rotate-key: ## rotate the token signing key of the local stack (docs/ARCHITECTURE.md, Auth)
	@. scripts/lib.sh && engine_env && go run ./cmd/rotatekey --outputs "$$OUTPUTS_FILE"

admin-grant: ## grant the admin role on the local stack: make admin-grant EMAIL=<address> REASON=<why> (cmd/admin; the account must be verified)
	@. scripts/lib.sh && engine_env && go run ./cmd/admin grant --email "$(EMAIL)" --reason "$(REASON)" --outputs "$$OUTPUTS_FILE"

admin-revoke: ## revoke the admin role on the local stack (ends the account's sessions): make admin-revoke EMAIL=<address> REASON=<why>
	@. scripts/lib.sh && engine_env && go run ./cmd/admin revoke --email "$(EMAIL)" --reason "$(REASON)" --outputs "$$OUTPUTS_FILE"

bench-api: ## latency of a transfer against a credit and hot-wallet throughput through the local API (redeploys with limits lifted)
	@scripts/bench-api.sh

enum-timing: ## whether sign-up, login or password reset tells a taken address from a free one: answers and timing of N interleaved pairs each (N=200; docs/SECURITY.md)
	@. scripts/lib.sh && engine_env && WALLET_API_URL="$$(scripts/api-url.sh)" go run ./cmd/enumtiming -n $(or $(N),200)

bench-cold: ## cold start of every bootstrap under the Lambda runtime interface emulator against hello-world (ROUNDS=10, ONLY=<regexp>)
	@scripts/bench-cold.sh

bench: ## Go benchmarks (time and allocations per operation)
	go test -run '^$$' -bench . -benchmem ./internal/...

clean:
	rm -rf build .local
