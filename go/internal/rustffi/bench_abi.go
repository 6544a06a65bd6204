//go:build otelcolrust_testcomponents && cgo

package rustffi

// BENCHMARK ONLY: Go's side of rust/ffi/src/bench_abi.rs, the lifecycle calls through a
// hand-written C ABI, compared with the rust2go path in bench_test.go. Linked only with the
// test archive; the product boundary is boundary_gen.go.

/*
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	bool ok;
	const uint8_t *error;
	size_t error_len;
	const uint8_t *json;
	size_t json_len;
	uint64_t handle;
	void *storage;
} BenchReply;

void otelcol_rust_bench_noop(void);
void otelcol_rust_bench_default_config(const uint8_t *, size_t, BenchReply *);
void otelcol_rust_bench_validate_config(const uint8_t *, size_t, const uint8_t *, size_t, BenchReply *);
void otelcol_rust_bench_create_and_start(const uint8_t *, size_t, const uint8_t *, size_t,
	const uint8_t *, size_t, const uint8_t *, size_t, BenchReply *);
void otelcol_rust_bench_shutdown(uint64_t, const uint8_t *, size_t, BenchReply *);
void otelcol_rust_bench_free(BenchReply *);
uint64_t otelcol_rust_bench_log(uint64_t, bool);
uint64_t otelcol_rust_bench_metric_add(uint64_t);
void otelcol_rust_bench_log_fill(uint64_t);
void otelcol_rust_bench_log_flood(uint64_t, uint64_t, uint64_t, uint64_t *, uint64_t *);
// otelcol_rust_export's signature; the batch is copied into a Rust Vec first, as rust2go's
// g2r path would (out: an otelcol_rust_export_result).
void otelcol_rust_bench_export_copy(uint64_t, uint32_t, const uint8_t *, size_t, uint64_t,
	int64_t, uint64_t, void *);
#cgo noescape otelcol_rust_bench_export_copy
#cgo nocallback otelcol_rust_bench_export_copy
*/
import "C"

import (
	"context"
	"errors"
	"runtime"
	"time"
	"unsafe"
)

// cstr borrows s for the duration of a C call (Go memory without Go pointers in it, so the
// default cgocheck accepts it; the caller keeps s alive).
func cstr(s string) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// take copies a BenchReply into a Reply and frees it.
func take(out *C.BenchReply) Reply {
	reply := Reply{
		ok:     bool(out.ok),
		error:  C.GoStringN((*C.char)(unsafe.Pointer(out.error)), C.int(out.error_len)),
		json:   C.GoStringN((*C.char)(unsafe.Pointer(out.json)), C.int(out.json_len)),
		handle: uint64(out.handle),
	}
	C.otelcol_rust_bench_free(out)
	return reply
}

func cgoNoop() { C.otelcol_rust_bench_noop() }

func cgoDefaultConfig(extensionType string) (map[string]any, error) {
	var out C.BenchReply
	kind, kindLen := cstr(extensionType)
	C.otelcol_rust_bench_default_config(kind, kindLen, &out)
	runtime.KeepAlive(extensionType)
	var config map[string]any
	return config, decode(take(&out), &config)
}

func cgoValidateConfig(extensionType string, config map[string]any) (map[string]any, error) {
	req, err := makeConfigRequest(KindExtension, extensionType, config)
	if err != nil {
		return nil, err
	}
	var out C.BenchReply
	kind, kindLen := cstr(req.component_type)
	json, jsonLen := cstr(req.config_json)
	C.otelcol_rust_bench_validate_config(kind, kindLen, json, jsonLen, &out)
	runtime.KeepAlive(req)
	var normalized map[string]any
	return normalized, decode(take(&out), &normalized)
}

func cgoCreateAndStart(ctx context.Context, id ComponentID, config map[string]any, host HostInfo) (Handle, error) {
	req, err := makeStartRequest(KindExtension, newCallContext(ctx, id, 0), config, host)
	if err != nil {
		return 0, err
	}
	var out C.BenchReply
	kind, kindLen := cstr(req.component_type)
	cfg, cfgLen := cstr(req.config_json)
	cctx, cctxLen := cstr(req.context_json)
	chost, chostLen := cstr(req.host_json)
	C.otelcol_rust_bench_create_and_start(kind, kindLen, cfg, cfgLen, cctx, cctxLen, chost, chostLen, &out)
	runtime.KeepAlive(req)
	reply := take(&out)
	if !reply.ok {
		return 0, errors.New(reply.error)
	}
	return Handle(reply.handle), nil
}

func cgoShutdown(ctx context.Context, id ComponentID, h Handle) ([]string, error) {
	contextJSON, err := encode(newCallContext(ctx, id, 0))
	if err != nil {
		return nil, err
	}
	var out C.BenchReply
	cctx, cctxLen := cstr(contextJSON)
	C.otelcol_rust_bench_shutdown(C.uint64_t(h), cctx, cctxLen, &out)
	runtime.KeepAlive(contextJSON)
	if reply := take(&out); !reply.ok {
		return nil, errors.New(reply.error)
	}
	return nil, nil
}

// copyFirst is Export's crossing with Rust copying the batch into a Vec before the same export
// (what a rust2go g2r call taking the batch as Vec<u8> would do), for the benchmark that
// justifies lending it.
func copyFirst(h Handle, signal Signal, batch []byte, items uint64, deadline int64, token uint64) ExportResult {
	var out exportOut
	C.otelcol_rust_bench_export_copy(C.uint64_t(h), C.uint32_t(signal),
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(batch))), C.size_t(len(batch)),
		C.uint64_t(items), C.int64_t(deadline), C.uint64_t(token), unsafe.Pointer(&out))
	runtime.KeepAlive(batch)
	return resultOf(&out)
}

// BenchLogRecords answers the time the Rust thread spent emitting n `tracing::info!` records
// with two fields, enabled (level info) or disabled (level warn). Records go to the library
// logger; the Rust side drains them untimed, so none is dropped.
func BenchLogRecords(n int, enabled bool) time.Duration {
	return time.Duration(C.otelcol_rust_bench_log(C.uint64_t(n), C.bool(enabled)))
}

// BenchLogFill leaves n info records (two fields, library scope) in the Rust buffer.
func BenchLogFill(n int) { C.otelcol_rust_bench_log_fill(C.uint64_t(n)) }

// BenchMetricAdds answers the time n Rust Counter.add(1) calls took.
func BenchMetricAdds(n int) time.Duration {
	return time.Duration(C.otelcol_rust_bench_metric_add(C.uint64_t(n)))
}

// BenchLogFlood has threads Rust threads emit perSecond info records in total for d, while
// Go drains as usual; it answers how many were emitted and how many the full buffer dropped.
func BenchLogFlood(threads, perSecond int, d time.Duration) (sent, dropped uint64) {
	var cSent, cDropped C.uint64_t
	C.otelcol_rust_bench_log_flood(C.uint64_t(threads), C.uint64_t(perSecond), C.uint64_t(d.Milliseconds()), &cSent, &cDropped)
	return uint64(cSent), uint64(cDropped)
}
