# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

RUST2GO_CLI_VERSION := 0.4.2
TOOLS := $(CURDIR)/.tools
RUST2GO_CLI := $(TOOLS)/bin/rust2go-cli
ARCHIVE := $(CURDIR)/rust/target/release/libotelcol_rust.a
# The same library plus the test-only components of rust/testing/, for the reliability tests.
TEST_ARCHIVE := $(CURDIR)/rust/target/testlib/libotelcol_rust.a
TEST_TAGS := otelcolrust_testcomponents
# The sample distribution, built by tools/builder from examples/manifest.yaml.
MANIFEST := $(CURDIR)/examples/manifest.yaml
COLLECTOR := $(CURDIR)/bin/sample-distribution/otelcol-rust
# The builder's cargo runs share the workspace's target directory, so a distribution reuses the
# dependencies the workspace already built (the crate itself and the final LTO link remain).
BUILDER = cd tools/builder && CARGO_TARGET_DIR=$(CURDIR)/rust/target
GO_MODULE := github.com/otelcol-rust/otelcol-rust/go

# Go's build cache does not notice a rebuilt Rust archive. Recording the archive's hash in the
# link flags makes every Go link (and test binary) depend on the archive's content, and
# rustffi's TestLinkedArchiveIsCurrent fails when the two disagree.
go_env = GOFLAGS="-ldflags=-X=$(GO_MODULE)/internal/rustffi.archiveDigest=$$(sha256sum $(1) | cut -d' ' -f1)"
GO_ENV = $(call go_env,$(ARCHIVE))

.PHONY: check-bazel bazel-fix bench test-bench test-contrib test-builder test-new-component run build rust rust-testlib test test-rust test-go test-reliability reliability generate check-generated lint tools clean

## run: build the sample collector and run it with examples/config.yaml
run: build
	@echo "otelcol-rust: rust_sample answers on http://localhost:8080/ and http://localhost:8081/; OTLP in on localhost:4317 (gRPC) and :4318 (HTTP), sent on by rust_otlphttp to the loopback receiver on :4319; the Rust receiver rust_otlphttp takes OTLP/HTTP on :4320 (Ctrl-C stops)"
	$(COLLECTOR) --config $(CURDIR)/examples/config.yaml

## build: the sample distribution (examples/manifest.yaml), through tools/builder as users do
build:
	$(BUILDER) go run . --config $(MANIFEST)

rust:
	cd rust && cargo build --locked --release -p otelcol-rust-staticlib

rust-testlib:
	cd rust && cargo build --locked --release -p otelcol-rust-staticlib --features test-components,bench-abi
	mkdir -p $(dir $(TEST_ARCHIVE)) && cp rust/target/release/libotelcol_rust.a $(TEST_ARCHIVE)

## test: every check and test suite (what CI runs)
test: check-generated check-bazel lint test-rust test-reliability test-go test-bench test-contrib test-builder test-new-component

test-rust:
	cd rust && FUZZ_EXECS=5000 cargo test --locked --workspace

test-go: rust
	cd go && $(GO_ENV) go test -race -count=1 ./...
	cd third_party/rust2go && go test -race -count=1 ./...

# The builder: manifest checks, generation, and end-to-end builds of examples/manifest.yaml.
test-builder: rust
	$(BUILDER) go test -count=1 ./...

# tools/new-component's output passes check-bazel, lint, test-rust and the link test, in a copy
# of this tree that shares rust/target (about a minute with warm outputs). Skipped inside the
# copy's own make test (make reliability runs that), which sets NEW_COMPONENT_NESTED.
test-new-component:
	@if [[ -n "$${NEW_COMPONENT_NESTED:-}" ]]; then echo "test-new-component: skipped in the copy's own make test"; else tools/new-component-test.sh; fi

# Bounded versions of the reliability suite (go/reliability, docs/reliability.md).
test-reliability: rust-testlib
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -race -count=1 -tags $(TEST_TAGS) ./reliability/ ./internal/rustffi/ ./internal/rusttelemetry/ ./rustextension/ ./rustexporter/ ./rustprocessor/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -v -tags $(TEST_TAGS) -run '^(TestChurn|TestDeadlinesAreHonoured|TestExporterLifecycleChurn|TestReloadsWithTrafficFlowing|TestReceiverLifecycleChurn|TestReceiverBackPressure|TestReceiverMalformedAndHugeRequests)$$' -fuzz '^FuzzRustConfig$$' -fuzztime 10s ./reliability/
	tools/leakcheck.sh

## reliability: the long runs (fuzzing for minutes, 10x churn) behind docs/reliability.md, and
## the whole make test in a copy of the tree with a component from tools/new-component added
reliability: rust-testlib
	cd go && $(call go_env,$(TEST_ARCHIVE)) RELIABILITY_LONG=1 go test -count=1 -v -tags $(TEST_TAGS) -run 'Churn|Reload|HugeBatches' ./reliability/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -tags $(TEST_TAGS) -run '^$$' -fuzz '^FuzzRustConfig$$' -fuzztime 5m ./reliability/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -tags $(TEST_TAGS) -run '^$$' -fuzz '^FuzzExportBatch$$' -fuzztime 2m ./reliability/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -tags $(TEST_TAGS) -run '^$$' -fuzz '^FuzzProcessBatch$$' -fuzztime 2m ./reliability/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -tags $(TEST_TAGS) -run '^$$' -fuzz '^FuzzReceiverRequest$$' -fuzztime 2m ./reliability/
	cd rust && FUZZ_EXECS=2000000 cargo test --release --locked -p otelcol-rust-ffi --test fuzz_entry_points -- --nocapture
	cd rust && FUZZ_EXECS=500000 cargo test --release --locked -p otelcol-rust-ffi --test fuzz_export -- --nocapture
	cd rust && FUZZ_EXECS=500000 cargo test --release --locked -p otelcol-rust-ffi --test fuzz_process -- --nocapture
	CHURN_CYCLES=2000 EXPORT_EXECS=5000 tools/leakcheck.sh
	NEW_COMPONENT_FULL=1 tools/new-component-test.sh

## bench: every benchmark, BENCH_COUNT times, summarised in one benchstat table (docs/performance.md)
BENCH_COUNT ?= 8
bench: rust-testlib rust
	mkdir -p $(TOOLS)
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -tags $(TEST_TAGS) -run '^$$' -bench . -benchmem \
	  -count $(BENCH_COUNT) ./internal/rustffi/ ./internal/rusttelemetry/ ./internal/exporterbench/ ./internal/processorbench/ ./internal/receiverbench/... > $(TOOLS)/bench.txt
	cd go && $(GO_ENV) go test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./benchmarks/ >> $(TOOLS)/bench.txt
	cd contrib && $(GO_ENV) go test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./... >> $(TOOLS)/bench.txt
	cd tools/benchstat && go tool benchstat -col /side $(TOOLS)/bench.txt

# The benchmarks, one iteration each, so they cannot rot (part of make test); exporterbench's
# and receiverbench's tests (what each benchmark takes for granted) run with their benchmarks.
test-bench: rust-testlib rust
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -tags $(TEST_TAGS) -run '^$$' -bench . -benchtime 1x ./internal/rustffi/ ./internal/rusttelemetry/
	cd go && $(call go_env,$(TEST_ARCHIVE)) go test -count=1 -tags $(TEST_TAGS) -bench . -benchtime 1x ./internal/exporterbench/ ./internal/processorbench/ ./internal/receiverbench/...
	cd go && $(GO_ENV) go test -run '^$$' -bench . -benchtime 1x ./benchmarks/

# contrib/ (its own Go module, so collector-contrib stays out of go/go.mod): rust_redaction and
# rust_filter against the Go processors doing the same job, alone and in pipelines of a real
# collector, outputs exactly equal, under -race; each of its benchmarks once.
test-contrib: rust
	cd contrib && test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	cd contrib && go vet ./...
	cd contrib && $(GO_ENV) go test -race -count=1 -bench . -benchtime 1x ./...

## generate: rewrite go/internal/rustffi/boundary_gen.go from rust/ffi/src/boundary.rs
generate: $(RUST2GO_CLI)
	tools/generate-boundary.sh $(RUST2GO_CLI) go/internal/rustffi/boundary_gen.go

check-generated: $(RUST2GO_CLI)
	tools/generate-boundary.sh $(RUST2GO_CLI) $(TOOLS)/boundary_gen.go
	diff -u go/internal/rustffi/boundary_gen.go $(TOOLS)/boundary_gen.go || \
	  { echo "go/internal/rustffi/boundary_gen.go is stale: run 'make generate'" >&2; exit 1; }
	tools/generate-boundary-test.sh $(RUST2GO_CLI)

## check-bazel: the Bazel graph, checked without Bazel: buildifier, gazelle diff, the
## graph-versus-sources check of tools/bazel, and the replay of what rules_rust would run for the
## static library and the doc tests, with the local cargo/rustc/gcc (docs/bazel.md)
check-bazel:
	cd tools/bazel && go run . buildifier
	cd tools/bazel && go run . gazelle
	cd tools/bazel && go run . check
	cd tools/bazel && go test -count=1 ./...
	cd tools/bazel && go run . replay

## bazel-fix: regenerate the Go BUILD files (gazelle) and format every Bazel file (buildifier)
bazel-fix:
	cd tools/bazel && go run . gazelle -fix && go run . buildifier -fix

lint:
	cd rust && cargo fmt --all --check
	cd rust && cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
	test -z "$$(gofmt -l go third_party tools)" || { gofmt -l go third_party tools; exit 1; }
	cd go && go vet ./... && go vet -tags $(TEST_TAGS) ./... && go vet -tags otelcolrust_distribution ./...
	cd tools/builder && go vet ./...
	cd tools/bazel && go vet ./...
	cd go && CGO_ENABLED=0 go build ./... && CGO_ENABLED=0 go test ./internal/rustffi/

tools: $(RUST2GO_CLI)

$(RUST2GO_CLI):
	cargo install --locked --quiet rust2go-cli --version $(RUST2GO_CLI_VERSION) --root $(TOOLS)

clean:
	rm -rf rust/target bin $(TOOLS)
