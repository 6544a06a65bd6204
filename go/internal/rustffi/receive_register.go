//go:build cgo

package rustffi

// Registers the delivery callback (boundary_receive.go) with the Rust library, once, when the
// package initialises: before any Rust receiver can start. Kept apart from the exported
// function because this preamble defines a C function, which a file with //export may not.

/*
#include <stddef.h>
#include <stdint.h>

// The exported Go function, declared by hand (cgo writes _cgo_export.h only after reading
// this preamble), with its result as void *: the same ABI as otelcol_rust_export_result *.
extern void otelcolRustDeliver(uint64_t receiver, uint32_t signal, uint32_t encoding,
	uint8_t *data, size_t len, void *out);

// otelcol_rust_deliver_fn, out as void * for the same reason.
typedef void (*otelcol_rust_deliver_fn)(uint64_t receiver, uint32_t signal, uint32_t encoding,
	const uint8_t *data, size_t len, void *out);

// Idempotent; the last function set wins.
void otelcol_rust_set_deliver(otelcol_rust_deliver_fn f);

static void otelcol_rust_register_deliver(void) {
	// Only the constness of data differs.
	otelcol_rust_set_deliver((otelcol_rust_deliver_fn)otelcolRustDeliver);
}
*/
import "C"

func init() { C.otelcol_rust_register_deliver() }
