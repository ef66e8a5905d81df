# credex-ci developer commands. `make test` is what CI runs (.ci/run).
SHELL := /usr/bin/env bash -o pipefail
SHARED ?= ../shared
EXAMPLE ?= examples/ledger-api
# The example's npm dependencies, installed once a lockfile: its own tests use
# them, and so does the engine's Bolt test (internal/localenv holds its test
# server to the example's neo4j-driver), so `make test` installs them first.
EXAMPLE_DEPS = $(EXAMPLE)/node_modules/.package-lock.json
FIXTURE ?= internal/source/testdata/credex-core
# The configuration the fixture's suites read at import (test values only).
FIXTURE_ENV = NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledger:7687 NEO_4J_LEDGER_SPACE_USER=neo4j \
  NEO_4J_LEDGER_SPACE_PASS=ledger-test-pass NEO_4J_SEARCH_SPACE_BOLT_URL=bolt://search:7687 \
  NEO_4J_SEARCH_SPACE_USER=neo4j NEO_4J_SEARCH_SPACE_PASS=search-test-pass \
  OPEN_EXCHANGE_RATES_API=oxr-test-key JWT_SECRET=jwt-test-secret
# actionlint, built from the Go module proxy (the Codespace installs the same).
ACTIONLINT_VERSION ?= v1.7.12

.PHONY: test test-e2e test-engine test-module test-workflows test-bindings test-terraform test-example test-fixture bindings bench

## test: every check CI runs, in order of speed (after the example's
## dependencies, which the engine's tests use too)
test: $(EXAMPLE_DEPS) test-engine test-module test-bindings test-workflows test-terraform test-example test-fixture

$(EXAMPLE_DEPS): $(EXAMPLE)/package-lock.json
	cd $(EXAMPLE) && npm ci --no-audit --no-fund

## test-engine: vet and unit/end-to-end tests of the plain-Go deploy engine
test-engine:
	go vet ./...
	go test -count=1 ./...

## test-module: the Dagger module builds and vets (it needs an engine to run);
## its unit tests run against the generated dispatch (the generated client
## needs a session in the environment at init, never used); the e2e harness
## passes its own tests against a fake CLI (the e2e tests proper skip without
## the pinned Dagger CLI: `make test-e2e`)
test-module:
	cd ci && go build ./... && go vet ./... && go vet -tags e2e ./e2e/...
	cd ci && DAGGER_SESSION_PORT=1 DAGGER_SESSION_TOKEN=unused go test -count=1 .
	cd ci && go test -tags e2e -count=1 -run '^TestHarness' ./e2e/

## test-e2e: the module's end-to-end tests through the pinned Dagger CLI
## (v0.21.8 on PATH and a container runtime); CREDEX_CI_E2E_NODE_IMAGE
## points the builds at a mirror of the Node image
test-e2e:
	cd ci && go test -tags e2e -count=1 -v -timeout 60m ./e2e/

## test-bindings: the committed Dagger bindings are what `dagger develop` makes
test-bindings:
	@if [ -x "$(SHARED)/dagger-codegen/generate" ]; then \
	  "$(SHARED)/dagger-codegen/generate" --check . ; \
	else echo "test-bindings: $(SHARED)/dagger-codegen not present, skipped"; fi

## test-workflows: actionlint on .github/workflows (with shellcheck on their
## run: scripts when it is installed; .ci/run installs it)
test-workflows:
	@if command -v shellcheck >/dev/null; then sc=shellcheck; else \
	  sc=; echo "test-workflows: no shellcheck, run: scripts unchecked (apt-get install shellcheck)"; fi; \
	go run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) -shellcheck="$$sc" -no-color

## test-terraform: the stacks with the real Terraform (>= 1.11) and AWS provider
## (mirror: $$CREDEX_TF_PLUGIN_MIRROR, default /opt/tf-plugins): fmt -check,
## init + validate of every stack, and a plan of staging and production
## against the local test bed (internal/tfrun, tag terraform)
test-terraform:
	go vet -tags terraform ./internal/tfrun/
	go test -count=1 -tags terraform ./internal/tfrun/

## test-example: the example service's own unit and integration tests
test-example: $(EXAMPLE_DEPS)
	cd $(EXAMPLE) && npm run build && npm test
	.ci/example-integration $(EXAMPLE)

## test-fixture: the credex-core-shaped fixture's unit suite fails without its
## configuration, naming what it lacks, and passes with it (what the e2e
## tests expect of `test`)
test-fixture:
	cd $(FIXTURE) && npm ci --no-audit --no-fund && npm run build
	cd $(FIXTURE) && if out=$$(npm run test:unit 2>&1); then \
	  echo "test-fixture: the unit suite passed without its configuration" >&2; exit 1; \
	elif ! grep -q 'missing configuration: set NEO_4J_LEDGER_SPACE_BOLT_URL' <<<"$$out"; then \
	  echo "test-fixture: the unit suite failed without its configuration, but not naming what it lacks:" >&2; echo "$$out" >&2; exit 1; fi
	cd $(FIXTURE) && env $(FIXTURE_ENV) npm run test:unit

## bindings: regenerate the Dagger bindings after changing a function of ci/
bindings:
	"$(SHARED)/dagger-codegen/generate" .

## bench: the performance figures (rollout outcome detection, the deploy graph vs its critical path, load generator vs autocannon)
bench:
	go run ./cmd/credex-bench
