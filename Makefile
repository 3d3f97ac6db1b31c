# Docs API. `make run` serves on the embedded SQLite default; `make test` runs
# every suite: the server's Go tests and the three client libraries'.
# Go lives in /usr/local/go on the project's machines, not always on PATH.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := $(CURDIR)/bin/docsapi
export DOCSAPI_BIN := $(BIN)
# Shown by `docsapi version` and in docsapi_build_info.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

.PHONY: run build test test-server test-clients test-go-client test-python-client test-ts-client \
	test-client-installs test-go-install test-python-install test-ts-install bench deps

run: build
	$(BIN) serve

build: deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/docsapi

deps:
	@./scripts/deps

test: build test-server test-clients

test-server:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...
	# The HTTP suite again, on PostgreSQL (skipped without DOCSAPI_TEST_POSTGRES_URL).
	DOCSAPI_TEST_HTTP_ENGINE=postgres $(GO) test -race -count=1 -timeout 4m ./http/

test-clients: test-go-client test-python-client test-ts-client test-client-installs

test-go-client:
	cd clients/go && $(GO) vet ./... && $(GO) test -count=1 ./...

test-python-client:
	cd clients/python && python3 -m unittest discover -s tests

test-ts-client:
	cd clients/typescript && npm ci --no-audit --no-fund && npm test

# Each client installed from this checkout into a scratch project exactly as
# its README says (Go: replace + GOPROXY=off; Python: pip --no-index in a new
# venv; TypeScript: npm install linked, copied and packed), then the README's
# quick start run against a real `docsapi serve`.
test-client-installs: test-go-install test-python-install test-ts-install

test-go-install test-python-install test-ts-install: build
	python3 clients/scripts/install_check.py $(patsubst test-%-install,%,$(subst -ts-,-typescript-,$@))

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./inmem/
