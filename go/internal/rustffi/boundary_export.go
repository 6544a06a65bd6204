//go:build cgo

package rustffi

// The data path: one hand-written cgo call per batch (rust/ffi/src/boundary.rs,
// `otelcol_rust_export`). rust2go's generated call would copy the batch into an owned Rust
// Vec; this one lends Rust the bytes for the call (docs/boundary.md has the figures).

/*
#include <stddef.h>
#include <stdint.h>

// OWNERSHIP: Go's (on the calling goroutine's stack); Rust writes it during the call.
typedef struct {
	uint32_t outcome;        // 0 ok, 1 retryable, 2 permanent, 3 partial
	uint64_t retry_after_ns; // retryable: 0 = none given
	uint64_t rejected;       // partial: items rejected
	uint64_t message_len;    // bytes used in message
	uint8_t  message[1024];  // reason, UTF-8, truncated at a char boundary
} otelcol_rust_export_result;

// OWNERSHIP: batch is Go's, borrowed for the call; Rust keeps no pointer to it or to out.
void otelcol_rust_export(uint64_t handle, uint32_t signal, const uint8_t *batch, size_t batch_len,
	uint64_t items, int64_t deadline_remaining_ns, uint64_t call, otelcol_rust_export_result *out);

// Rust keeps neither pointer past the call and never calls back into Go: the arguments need
// not escape to the heap, and the call skips cgo's callback bookkeeping.
#cgo noescape otelcol_rust_export
#cgo nocallback otelcol_rust_export
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"os"
	"runtime"
	"strconv"
	"time"
	"unsafe"
)

// Export hands one batch (the OTLP protobuf export request of signal, as pdata marshals it,
// holding items spans, data points or log records) to the Rust exporter instance behind h and
// answers its outcome. Rust reads batch in place during the call, with no copy; the caller
// must not change it until Export returns, and may reuse it afterwards.
//
// The export runs on the calling goroutine's thread, bounded by ctx: its deadline reaches
// Rust (the export is dropped there and answers ExportRetryable "export timed out after
// ..."), and so does its cancellation ("export cancelled"). At most cap(crossings) exports are
// inside Rust at once, process-wide; the others wait here, as goroutines, and answer the same
// way should ctx end first. A panic in the exporter answers ExportPermanent "rust exporter
// panicked: ...", and the instance stays usable. An unknown or shut-down handle, or a signal
// the exporter's type does not declare, answers ExportPermanent. Safe for concurrent use, on
// one instance or several.
func Export(ctx context.Context, h Handle, signal Signal, batch []byte, items int) ExportResult {
	return exportWith(ctx, h, signal, batch, items, lend)
}

// crossings bounds the exports inside Rust at once, across every instance: each one holds an
// OS thread for its whole I/O (the goroutine is in the cgo call, Rust polls the export on that
// thread), and with sending_queue disabled nothing else bounds them, so thousands of slow
// exports would take thousands of threads and crash Go at its 10,000-thread limit. Waiting
// for a slot costs a goroutine, not a thread. Tests replace it with a smaller one.
var crossings = make(chan struct{}, crossingLimit())

// crossingLimit is cap(crossings): OTELCOL_RUST_MAX_EXPORTS when set to a positive number, for a
// process whose exports are slower or more numerous than the default serves; else
// max(256, 16*GOMAXPROCS): the default sending_queue (10 consumers) of 8 Rust exporters in all
// three signals fits, and 256 mostly idle threads cost a few MiB, far from Go's limit.
func crossingLimit() int {
	if n, err := strconv.Atoi(os.Getenv("OTELCOL_RUST_MAX_EXPORTS")); err == nil && n > 0 {
		return n
	}
	return max(256, 16*runtime.GOMAXPROCS(0))
}

// exportOut is the result Rust writes, for the files of this package that cannot name the C
// type of this file's preamble (the benchmarks' variant of the call).
type exportOut = C.otelcol_rust_export_result

// crossing makes the C call and reads its result: lend (the product), or a benchmark's
// variant. Each declares its result where it makes the call, so the 1 KiB result stays on
// the goroutine's stack (noescape) instead of escaping through the function value.
type crossing func(h Handle, signal Signal, batch []byte, items uint64, deadline int64, token uint64) ExportResult

// exportWith is Export through cross.
func exportWith(ctx context.Context, h Handle, signal Signal, batch []byte, items int, cross crossing) ExportResult {
	d, hasDeadline := ctx.Deadline()
	if err := ctx.Err(); err != nil {
		// Ended already: answer as Rust would, without crossing.
		return ended(err, time.Until(d))
	}
	// Read once: the slot is given back to the channel it was taken from.
	slots := crossings
	select {
	case slots <- struct{}{}:
	default:
		given := time.Until(d)
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ended(ctx.Err(), given)
		}
	}
	defer func() { <-slots }()
	// Rust treats a negative deadline as none and 0 as expired (it answers at once).
	deadline := int64(-1)
	if hasDeadline {
		deadline = max(int64(time.Until(d)), 0)
	}
	call := func(token uint64) ExportResult {
		return cross(h, signal, batch, uint64(max(items, 0)), deadline, token)
	}
	if ctx.Done() == nil {
		// A context that can never be cancelled needs no token.
		return call(0)
	}
	result, _ := cancellable(ctx, func(token uint64) (ExportResult, error) {
		return call(token), nil
	})
	return result
}

// ended answers an export whose context ended (err) before it crossed, as Rust answers one
// cut off there: given is the time the export had when it began.
func ended(err error, given time.Duration) ExportResult {
	if errors.Is(err, context.DeadlineExceeded) {
		if given = max(given, 0); given >= time.Millisecond {
			given = given.Round(time.Millisecond)
		}
		return ExportResult{Outcome: ExportRetryable, Message: "export timed out after " + given.String()}
	}
	return ExportResult{Outcome: ExportRetryable, Message: "export cancelled"}
}

// lend makes the call, lending Rust the batch's bytes and the result for the call only (no
// Go pointers inside them, so the default cgocheck accepts them).
func lend(h Handle, signal Signal, batch []byte, items uint64, deadline int64, token uint64) ExportResult {
	var out exportOut
	C.otelcol_rust_export(C.uint64_t(h), C.uint32_t(signal),
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(batch))), C.size_t(len(batch)),
		C.uint64_t(items), C.int64_t(deadline), C.uint64_t(token), &out)
	runtime.KeepAlive(batch)
	return resultOf(&out)
}

// resultOf reads what Rust wrote.
func resultOf(out *exportOut) ExportResult {
	result := ExportResult{
		Outcome:  Outcome(out.outcome),
		Rejected: uint64(out.rejected),
	}
	if out.retry_after_ns > 0 {
		result.RetryAfter = time.Duration(min(uint64(out.retry_after_ns), math.MaxInt64))
	}
	if n := min(int(out.message_len), len(out.message)); n > 0 {
		result.Message = string(unsafe.Slice((*byte)(unsafe.Pointer(&out.message[0])), n))
	}
	return result
}
