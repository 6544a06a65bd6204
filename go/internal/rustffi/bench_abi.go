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

// The receivers' delivery, PUSH against PULL (rust/ffi/src/bench_abi.rs). OWNERSHIP: a pulled
// batch's data is Rust's, lent until its job is completed (once); queues and runs are Rust's
// (opaque), freed by their free/finish call.
typedef struct {
	void *job;
	uint64_t token;
	uint32_t signal;
	uint32_t encoding;
	const uint8_t *data;
	size_t len;
} BenchPullBatch;
typedef struct {
	uint64_t accepted;
	uint64_t refused;
	uint64_t p50_ns;
	uint64_t p99_ns;
	uint64_t max_ns;
	uint64_t mean_ns;
	uint64_t elapsed_ns;
	uint64_t error_len;
	uint8_t error[256];
} BenchDeliveryStats;
const void *otelcol_rust_bench_pull_new(int32_t wake_fd, uint64_t slots);
bool otelcol_rust_bench_pull_take(const void *queue, BenchPullBatch *out);
void otelcol_rust_bench_pull_complete(void *job, const void *result);
void otelcol_rust_bench_pull_free(const void *queue);
uint64_t otelcol_rust_bench_delivery_threads(void);
const void *otelcol_rust_bench_delivery_start(const void *pull, uint64_t token, uint64_t senders,
	uint64_t batches, const uint8_t *data, size_t len, int32_t done_fd);
bool otelcol_rust_bench_delivery_finish(const void *run, BenchDeliveryStats *out);
// The two calls of every pulled batch: short, and Rust keeps no pointer to Go's memory.
#cgo noescape otelcol_rust_bench_pull_take
#cgo nocallback otelcol_rust_bench_pull_take
#cgo noescape otelcol_rust_bench_pull_complete
#cgo nocallback otelcol_rust_bench_pull_complete
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
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

// DeliveryMechanism is how BenchDeliver's batches reach Go.
type DeliveryMechanism int

const (
	// DeliverPush is the product (rust/ffi/src/delivery.rs): the pool's Rust threads call the
	// exported otelcolRustDeliver, which runs the Deliverer on the calling thread.
	DeliverPush DeliveryMechanism = iota
	// DeliverPull is the alternative, built for this comparison only: Rust queues each batch
	// in a bounded queue and, when the queue was empty, writes a byte to a pipe; a goroutine
	// reading it in the netpoller takes the ready batches (a short cgo call each) and hands
	// them to as many worker goroutines as PUSH has threads, which run the same Deliverer and
	// complete each batch with a second short call.
	DeliverPull
)

// DeliveryStats is what a BenchDeliver run measured; the latencies are per send, from
// Consumer::send's call to its outcome, measured in Rust.
type DeliveryStats struct {
	Accepted, Refused   uint64
	P50, P99, Max, Mean time.Duration
	Elapsed             time.Duration // from the first send to the last outcome
	FirstError          string        // the first refusal: kind, retry delay and reason
}

// BenchDeliveryThreads is how many threads the PUSH pool has (OTELCOL_RUST_DELIVERY_THREADS,
// else max(8, 4 x cores)).
func BenchDeliveryThreads() int { return int(C.otelcol_rust_bench_delivery_threads()) }

// BenchDeliver has senders tokio tasks of the library's runtime send batches copies of
// payload (a protobuf ExportTraceServiceRequest) in total, through a Rust Consumer, to d by
// mechanism, and answers what they measured. Both mechanisms bound the batches handed over
// alike: at most 2 x BenchDeliveryThreads() (queued or in Go), at most BenchDeliveryThreads()
// in d at once. No goroutine waits in a cgo call meanwhile: the end of the run, like PULL's
// wake-ups, arrives through a pipe read in the netpoller.
func BenchDeliver(mechanism DeliveryMechanism, d Deliverer, senders, batches int, payload []byte) (DeliveryStats, error) {
	token := RegisterReceiver(d)
	defer UnregisterReceiver(token)
	done, err := newPipe()
	if err != nil {
		return DeliveryStats{}, err
	}
	defer done.close()
	var queue unsafe.Pointer
	if mechanism == DeliverPull {
		wake, err := newPipe()
		if err != nil {
			return DeliveryStats{}, err
		}
		defer wake.close()
		threads := BenchDeliveryThreads()
		queue = unsafe.Pointer(C.otelcol_rust_bench_pull_new(C.int32_t(wake.w), C.uint64_t(2*threads)))
		defer C.otelcol_rust_bench_pull_free(queue)
		// Deferred last, so run first: the pullers stop before the queue and pipe go away.
		defer pull(queue, wake.r, threads)()
	}
	run := C.otelcol_rust_bench_delivery_start(queue, C.uint64_t(token), C.uint64_t(senders), C.uint64_t(batches),
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(payload))), C.size_t(len(payload)), C.int32_t(done.w))
	runtime.KeepAlive(payload)
	if run == nil {
		return DeliveryStats{}, errors.New("the delivery run could not start")
	}
	if _, err := done.r.Read(make([]byte, 1)); err != nil {
		return DeliveryStats{}, fmt.Errorf("waiting for the delivery run: %w", err)
	}
	var out C.BenchDeliveryStats
	if !C.otelcol_rust_bench_delivery_finish(run, &out) {
		return DeliveryStats{}, errors.New("the delivery run signalled its end without stats")
	}
	return DeliveryStats{
		Accepted:   uint64(out.accepted),
		Refused:    uint64(out.refused),
		P50:        time.Duration(out.p50_ns),
		P99:        time.Duration(out.p99_ns),
		Max:        time.Duration(out.max_ns),
		Mean:       time.Duration(out.mean_ns),
		Elapsed:    time.Duration(out.elapsed_ns),
		FirstError: string(C.GoBytes(unsafe.Pointer(&out.error[0]), C.int(out.error_len))),
	}, nil
}

// pull starts PULL's goroutines on queue: one waits for wake-ups on wake (in the netpoller)
// and takes every ready batch, workers goroutines deliver them and complete them. The
// function answered stops them, once every batch taken has been completed.
func pull(queue unsafe.Pointer, wake *os.File, workers int) (stop func()) {
	batches := make(chan C.BenchPullBatch)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range batches {
				data := unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len))
				result := deliver(uint64(b.token), Signal(b.signal), Encoding(b.encoding), data)
				var out exportOut
				writeDeliverResult(&out, result)
				C.otelcol_rust_bench_pull_complete(b.job, unsafe.Pointer(&out))
			}
		})
	}
	wg.Go(func() {
		defer close(batches)
		wakes := make([]byte, 64)
		for {
			// Several wake-ups read at once: each only says the queue may hold batches.
			if _, err := wake.Read(wakes); err != nil {
				return // closed by stop
			}
			for {
				var b C.BenchPullBatch
				if !C.otelcol_rust_bench_pull_take(queue, &b) {
					break
				}
				batches <- b
			}
		}
	})
	return func() {
		_ = wake.Close()
		wg.Wait()
	}
}

// writeDeliverResult writes result into out as otelcolRustDeliver does.
func writeDeliverResult(out *exportOut, result DeliverResult) {
	out.outcome = C.uint32_t(result.Outcome)
	out.retry_after_ns = C.uint64_t(max(result.RetryAfter, 0))
	out.rejected = 0
	message := unsafe.Slice((*byte)(unsafe.Pointer(&out.message[0])), len(out.message))
	out.message_len = C.uint64_t(copy(message, result.Message))
}

// wakePipe is a pipe whose read end Go reads in its netpoller and whose write end Rust writes.
type wakePipe struct {
	r *os.File
	w int
}

func newPipe() (*wakePipe, error) {
	var fds [2]int
	// As os.Pipe where pipe2 is missing: no fork may inherit the descriptors meanwhile.
	syscall.ForkLock.RLock()
	err := syscall.Pipe(fds[:])
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	for _, fd := range fds {
		// Non-blocking: os.NewFile then makes the read end pollable, and a full pipe never
		// blocks a Rust writer.
		if err := syscall.SetNonblock(fd, true); err != nil {
			_ = syscall.Close(fds[0])
			_ = syscall.Close(fds[1])
			return nil, fmt.Errorf("pipe: %w", err)
		}
	}
	return &wakePipe{r: os.NewFile(uintptr(fds[0]), "wake"), w: fds[1]}, nil
}

func (p *wakePipe) close() {
	_ = p.r.Close()
	_ = syscall.Close(p.w)
}
