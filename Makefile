# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

RUST2GO_CLI_VERSION := 0.4.2
TOOLS := $(CURDIR)/.tools
RUST2GO_CLI := $(TOOLS)/bin/rust2go-cli
ARCHIVE := $(CURDIR)/rust/target/release/libotelcol_rust_ffi.a
COLLECTOR := $(CURDIR)/bin/otelcol-rust
GO_MODULE := github.com/otelcol-rust/otelcol-rust/go

# Go's build cache does not notice a rebuilt Rust archive. Recording the archive's hash in the
# link flags makes every Go link (and test binary) depend on the archive's content, and
# rustffi's TestLinkedArchiveIsCurrent fails when the two disagree.
GO_ENV = GOFLAGS="-ldflags=-X=$(GO_MODULE)/rustffi.archiveDigest=$$(sha256sum $(ARCHIVE) | cut -d' ' -f1)"

.PHONY: run build rust test test-rust test-go generate check-generated lint tools clean

## run: build the sample collector and run it with examples/config.yaml
run: build
	@echo "otelcol-rust: rust_sample answers on http://localhost:8080/ and http://localhost:8081/ (Ctrl-C stops)"
	$(COLLECTOR) --config $(CURDIR)/examples/config.yaml

## build: the Rust archive, then the collector binary linked against it
build: rust
	cd go && $(GO_ENV) go build -o $(COLLECTOR) ./cmd/otelcol-rust

rust:
	cd rust && cargo build --locked --release -p otelcol-rust-ffi

## test: every check and test suite (what CI runs)
test: check-generated lint test-rust test-go

test-rust:
	cd rust && cargo test --locked --workspace

test-go: rust
	cd go && $(GO_ENV) go test -race -count=1 ./...

## generate: rewrite go/rustffi/boundary_gen.go from rust/ffi/src/boundary.rs
generate: $(RUST2GO_CLI)
	tools/generate-boundary.sh $(RUST2GO_CLI) go/rustffi/boundary_gen.go

check-generated: $(RUST2GO_CLI)
	tools/generate-boundary.sh $(RUST2GO_CLI) $(TOOLS)/boundary_gen.go
	diff -u go/rustffi/boundary_gen.go $(TOOLS)/boundary_gen.go || \
	  { echo "go/rustffi/boundary_gen.go is stale: run 'make generate'" >&2; exit 1; }

lint:
	cd rust && cargo fmt --all --check
	cd rust && cargo clippy --locked --workspace --all-targets -- -D warnings
	test -z "$$(gofmt -l go third_party)" || { gofmt -l go third_party; exit 1; }
	cd go && go vet ./...
	cd go && CGO_ENABLED=0 go build ./... && CGO_ENABLED=0 go test ./rustffi/

tools: $(RUST2GO_CLI)

$(RUST2GO_CLI):
	cargo install --locked --quiet rust2go-cli --version $(RUST2GO_CLI_VERSION) --root $(TOOLS)

clean:
	rm -rf rust/target bin $(TOOLS)
