# Docs API. `make run` serves on the embedded SQLite default; `make test` runs
# every suite: the server's Go tests and the three client libraries'.
# Go lives in /usr/local/go on the project's machines, not always on PATH.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := $(CURDIR)/bin/docsapi
export DOCSAPI_BIN := $(BIN)
# Shown by `docsapi version` and in docsapi_build_info.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

.PHONY: run build test test-deps test-server test-clients test-go-client test-python-client test-ts-client \
	test-client-installs test-go-install test-python-install test-ts-install bench bench-scale deps fuzz soak

run: build
	$(BIN) serve

# Running the server needs Go alone; the tests and the benchmarks install
# what they need on top (scripts/deps).
build:
	@./scripts/deps run
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/docsapi

deps:
	@./scripts/deps

test: test-deps build test-server test-clients fuzz

test-deps:
	@./scripts/deps test

test-server:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...
	# The HTTP suite again, on PostgreSQL (skipped without DOCSAPI_TEST_POSTGRES_URL).
	# Without -race: the run above races the same handlers, ./postgres/ the
	# engine, and with it this run was 2 of `make test`'s 10 minutes.
	DOCSAPI_TEST_HTTP_ENGINE=postgres $(GO) test -count=1 -timeout 4m ./http/

test-clients: test-go-client test-python-client test-ts-client test-client-installs

test-go-client:
	cd clients/go && $(GO) vet ./... && $(GO) test -count=1 ./...

test-python-client:
	cd clients/python && python3 -m unittest discover -s tests

test-ts-client:
	cd clients/typescript && npm ci --no-audit --no-fund && npm test

# Each client installed from this checkout into a scratch project exactly as
# its README says (Go: require + replace, GOPROXY=off; Python: pip --no-index in a new
# venv; TypeScript: npm install linked, copied and packed), then the README's
# quick start run against a real `docsapi serve`.
test-client-installs: test-go-install test-python-install test-ts-install

test-go-install test-python-install test-ts-install: test-deps build
	python3 clients/scripts/install_check.py $(patsubst test-%-install,%,$(subst -ts-,-typescript-,$@))

# The Go micro-benchmarks (./redis/ skips without DOCSAPI_TEST_REDIS_URL),
# then bench/run.sh's load runs, BENCH_D seconds each: on SQLite, and on
# PostgreSQL + Redis too when DOCSAPI_TEST_POSTGRES_URL and
# DOCSAPI_TEST_REDIS_URL are set. docs/performance.md has longer runs.
BENCH_D ?= 2
bench:
	@./scripts/deps bench
	$(GO) test -run '^$$' -bench . -benchmem ./inmem/ ./http/ ./redis/ ./sqlite/
	D=$(BENCH_D) ./bench/run.sh

# Resident memory at 1,000,000 resources and 100,000 keys, and the first
# list page at 1,000 vs 1,000,000 rows, on SQLite (a few minutes).
bench-scale: build
	$(GO) run ./bench/scale -bin $(BIN)

# Each fuzz target for a number of inputs (5 targets: about a minute in
# all here); FUZZTIME=5m runs each for a time instead. A count, not a time,
# by default: Go 1.26's fuzzer can fail a target with a bare "context
# deadline exceeded" when -fuzztime's clock runs out while a worker is busy
# (go.dev/issue/75804, fixed in Go 1.27), and did so in CI on a parser that
# found nothing. Their seeds also run as plain tests; a failing input is
# saved under http/testdata/fuzz/ and then replays as a test too.
FUZZTIME ?=
FUZZ_TARGETS := FuzzRequestBody:25000 FuzzQuery:20000 FuzzID:8000 FuzzIdempotencyKey:50000 FuzzAuthorization:50000
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		f=$${t%%:*}; budget=$(if $(FUZZTIME),$(FUZZTIME),$${t##*:}x); \
		echo "fuzz $$f for $$budget"; \
		$(GO) test ./http -run '^$$' -fuzz "^$$f\$$" -fuzztime $$budget || exit 1; \
	done

# The full crash soak: 20 kill -9 and 5 SIGTERM restarts under mixed load,
# on SQLite and on PostgreSQL + Redis (set DOCSAPI_TEST_POSTGRES_URL and
# DOCSAPI_TEST_REDIS_URL). `make test` runs a short one (3 and 1).
soak: build
	DOCSAPI_SOAK_KILLS=20 DOCSAPI_SOAK_TERMS=5 $(GO) test -count=1 -timeout 20m -run '^TestSoak' -v ./cmd/docsapi/
