//go:build cgo

package rustffi

// The receivers' data path: Go's exported delivery callback, which rust/ffi's delivery
// threads call (rust/ffi/src/boundary.rs, `receive`). receive_register.go hands its address
// to Rust at init. This file's preamble holds declarations only: cgo copies the preamble of a
// file with //export into two C files.

/*
#include <stddef.h>
#include <stdint.h>

// The same struct as otelcol_rust_export_result in boundary_export.go (one Go type; its
// layout is checked there). OWNERSHIP: Rust's; Go writes it during the call.
typedef struct {
	uint32_t outcome;        // 0 accepted, 1 retryable, 2 permanent, 3 malformed
	uint64_t retry_after_ns; // retryable: 0 = none given
	uint64_t rejected;       // unused for deliveries (0)
	uint64_t message_len;    // bytes used in message
	uint8_t  message[1024];  // reason, UTF-8, truncated at a char boundary
} otelcol_rust_export_result;
*/
import "C"

import (
	"math"
	"unsafe"
)

// The delivery's result is the export's: one C type, so one layout to check.
var _ *exportOut = (*C.otelcol_rust_export_result)(nil)

// otelcolRustDeliver is the delivery callback (otelcol_rust_deliver_fn): one batch for the Go
// receiver behind the token receiver, answered synchronously on the calling Rust thread.
//
// OWNERSHIP: data (len bytes; may be null when len is 0) and out are Rust's, lent for the
// call: Go reads data in place, copies what it keeps (pdata's unmarshalling does), writes
// out, and keeps no pointer to either. Nothing panics out of it: a panic is the batch's
// permanent failure.
//
//export otelcolRustDeliver
func otelcolRustDeliver(receiver C.uint64_t, signal C.uint32_t, encoding C.uint32_t, data *C.uint8_t, length C.size_t, out *C.otelcol_rust_export_result) {
	if out == nil {
		return
	}
	var result DeliverResult
	switch {
	case uint64(length) > math.MaxInt || (data == nil && length > 0):
		result = DeliverResult{Outcome: DeliverPermanent, Message: "malformed delivery from Rust: null or oversized data"}
	case length == 0:
		result = deliver(uint64(receiver), Signal(signal), Encoding(encoding), nil)
	default:
		// deliver recovers the pipeline's panics.
		result = deliver(uint64(receiver), Signal(signal), Encoding(encoding), unsafe.Slice((*byte)(unsafe.Pointer(data)), int(length)))
	}
	out.outcome = C.uint32_t(result.Outcome)
	out.retry_after_ns = 0
	if result.RetryAfter > 0 {
		out.retry_after_ns = C.uint64_t(result.RetryAfter)
	}
	out.rejected = 0
	message := unsafe.Slice((*byte)(unsafe.Pointer(&out.message[0])), len(out.message))
	out.message_len = C.uint64_t(copy(message, result.Message))
}
