//go:build cgo

package rustffi

// The processors' data path: one hand-written cgo call per batch runs a chain of Rust
// processors (rust/ffi/src/boundary.rs, `otelcol_rust_process`). Like the export call, it lends
// Rust the batch for the call; unlike it, Rust answers with memory of its own (a new batch, an
// edit script, a keep bitmap), which Go reads in place and then gives back with
// otelcol_rust_process_release.

/*
#include <stddef.h>
#include <stdint.h>

// OWNERSHIP: Go's (on the calling goroutine's stack); Rust writes it during the call. The
// pointers Rust writes into it point into Rust memory owned by `output`, valid until
// otelcol_rust_process_release(output).
typedef struct {
	uint32_t status;          // 0 ok, 1 retryable error, 2 permanent error (of the last stage run)
	uint32_t stages_run;      // 1..stages: stages that ran; the last one ran has `status`
	uint64_t output;          // Rust-owned output handle; 0 = nothing to release
	uint32_t replaced;        // 1: replacement holds the new batch
	uint32_t has_keep;        // 1: keep holds a bitmap
	const uint8_t *replacement; uint64_t replacement_len;   // OTLP Export*ServiceRequest bytes
	const uint8_t *edits;       uint64_t edits_len;         // edit script, when !replaced
	const uint8_t *keep;        uint64_t keep_items;        // bitmap, LSB first; 1 = keep
	uint64_t message_len;     uint8_t message[1024];        // error reason, UTF-8, cut at a char boundary
} otelcol_rust_process_result;

// OWNERSHIP: handles and batch are Go's, borrowed for the call; Rust keeps no pointer to them
// or to out.
void otelcol_rust_process(const uint64_t *handles, size_t stages, uint32_t signal,
	const uint8_t *batch, size_t batch_len, uint64_t items, otelcol_rust_process_result *out);

// Frees what `output` names; 0 is a no-op.
void otelcol_rust_process_release(uint64_t output);

// Rust keeps no Go pointer past either call and never calls back into Go.
#cgo noescape otelcol_rust_process
#cgo nocallback otelcol_rust_process
#cgo noescape otelcol_rust_process_release
#cgo nocallback otelcol_rust_process_release
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// processOut is the result Rust writes, for this package's tests (which cannot use cgo).
type processOut = C.otelcol_rust_process_result

// Process runs the Rust processor instances behind handles, in order, on one batch of signal
// (the OTLP protobuf export request pdata marshals, holding items spans, data points or log
// records), in one crossing. Rust reads batch in place during the call, with no copy; the
// caller must not change it until Process returns.
//
// The stages run on the calling goroutine's thread, synchronously (processors are CPU work
// and have no deadline). A stage that fails ends the run and its error is the answer; so does
// a panic (ProcessPermanent "rust processor panicked: ..."; the instance stays usable), an
// unknown or shut-down handle, or a signal the stage's type does not declare. A stage that
// drops items or changes their count also ends the run, successfully: StagesRun says how far
// it got. The caller must Release the result once it no longer reads its slices. Safe for
// concurrent use, on one chain or several. An empty handles runs nothing and answers a
// permanent error.
func Process(handles []uint64, signal Signal, batch []byte, items uint64) ProcessResult {
	if len(handles) == 0 {
		return ProcessResult{Status: ProcessPermanent, Message: "no processor to run"}
	}
	var out processOut
	C.otelcol_rust_process((*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(handles))), C.size_t(len(handles)),
		C.uint32_t(signal), (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(batch))), C.size_t(len(batch)),
		C.uint64_t(items), &out)
	runtime.KeepAlive(handles)
	runtime.KeepAlive(batch)
	return processResultOf(&out)
}

// Release gives the Rust memory the result's slices alias back to Rust and empties them.
// Calling it again, or on a result that holds nothing, does nothing.
func (r *ProcessResult) Release() {
	output := r.output
	r.output = 0
	r.Replacement, r.Edits, r.Keep = nil, nil, nil
	if output != 0 {
		C.otelcol_rust_process_release(C.uint64_t(output))
	}
}

// processResultOf reads what Rust wrote: the slices alias Rust's memory, the message is copied.
func processResultOf(out *processOut) ProcessResult {
	result := ProcessResult{
		Status:    ProcessStatus(out.status),
		StagesRun: int(out.stages_run),
		Replaced:  out.replaced != 0,
		HasKeep:   out.has_keep != 0,
		KeepItems: uint64(out.keep_items),
		output:    uint64(out.output),
	}
	result.Replacement = rustBytes(out.replacement, out.replacement_len)
	result.Edits = rustBytes(out.edits, out.edits_len)
	if result.HasKeep {
		// keep_items bits, in whole bytes.
		result.Keep = rustBytes(out.keep, C.uint64_t((uint64(out.keep_items)+7)/8))
	}
	if n := min(int(out.message_len), len(out.message)); n > 0 {
		result.Message = string(unsafe.Slice((*byte)(unsafe.Pointer(&out.message[0])), n))
	}
	return result
}

// rustBytes is a view of n bytes of Rust memory at p (nil for none).
func rustBytes(p *C.uint8_t, n C.uint64_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}
