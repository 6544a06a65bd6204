//go:build otelcolrust_testcomponents

package reliability

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
	"github.com/otelcol-rust/otelcol-rust/go/rustreceiver"
)

// The Rust receivers' tests: clients post OTLP/HTTP to the rust_otlphttp receiver of a real
// in-process collector, whose pipelines end in seqSink (or go on through the rust_otlphttp
// exporter to collector B's Go otlp receiver); what arrives is counted by each item's
// test.seq, so an item lost or delivered twice shows.

var signalNames = [3]string{"traces", "metrics", "logs"}

// seqSink is an exporter (type "seqsink", every signal) counting each item it accepts by its
// test.seq and by its chaos.path (the rust_chaos processors that ran on it). It answers what
// the test says and can hold every batch until released.
type seqSink struct {
	mu    sync.Mutex
	seqs  map[int64]int
	paths map[string]int
	// answer decides each batch (nil: accept); hold, while set, makes consumes wait.
	answer func(batch any) error
	hold   chan struct{}
	// calls counts the batches handed to the sink; held and maxHeld those waiting in it.
	calls, held, maxHeld int
	// lastRefusal is the error the latest refused batch got.
	lastRefusal error
}

func newSeqSink() *seqSink { return &seqSink{seqs: map[int64]int{}, paths: map[string]int{}} }

// setAnswer makes every later batch answer answer(batch) (nil: accept).
func (s *seqSink) setAnswer(answer func(batch any) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = answer
}

// holdAll makes every later batch wait in the sink until release is called; then it is
// answered by the answer set at that time.
func (s *seqSink) holdAll() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	return sync.OnceFunc(func() {
		s.mu.Lock()
		s.hold = nil
		s.mu.Unlock()
		close(hold)
	})
}

func (s *seqSink) consume(batch any) error {
	s.mu.Lock()
	s.calls++
	hold := s.hold
	if hold != nil {
		s.held++
		s.maxHeld = max(s.maxHeld, s.held)
	}
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if hold != nil {
		s.held--
	}
	if s.answer != nil {
		if err := s.answer(batch); err != nil {
			s.lastRefusal = err
			return err
		}
	}
	forEachItem(batch, func(attributes pcommon.Map) {
		seq, _ := attributes.Get("test.seq")
		s.seqs[seq.Int()]++
		path, _ := attributes.Get(pathKey)
		s.paths[path.Str()]++
	})
	return nil
}

// snapshot answers copies of the counts by seq and by path.
func (s *seqSink) snapshot() (seqs map[int64]int, paths map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seqs, paths = make(map[int64]int, len(s.seqs)), make(map[string]int, len(s.paths))
	for seq, n := range s.seqs {
		seqs[seq] = n
	}
	for path, n := range s.paths {
		paths[path] = n
	}
	return seqs, paths
}

// state answers the batches handed to the sink, those waiting in it now and the most that
// waited at once.
func (s *seqSink) state() (calls, held, maxHeld int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.held, s.maxHeld
}

func (s *seqSink) factory() exporter.Factory {
	noConfig := func() component.Config { return &struct{}{} }
	create := func(context.Context, exporter.Settings, component.Config) (seqExporter, error) {
		return seqExporter{s}, nil
	}
	return exporter.NewFactory(component.MustNewType("seqsink"), noConfig,
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			return create(ctx, set, cfg)
		}, component.StabilityLevelStable),
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			return create(ctx, set, cfg)
		}, component.StabilityLevelStable),
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			return create(ctx, set, cfg)
		}, component.StabilityLevelStable))
}

type seqExporter struct{ *seqSink }

func (seqExporter) Start(context.Context, component.Host) error { return nil }
func (seqExporter) Shutdown(context.Context) error              { return nil }
func (seqExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (e seqExporter) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	return e.consume(td)
}

func (e seqExporter) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	return e.consume(md)
}

func (e seqExporter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	return e.consume(ld)
}

// forEachItem calls f with the attributes of every span, data point or log record of batch.
func forEachItem(batch any, f func(pcommon.Map)) {
	switch b := batch.(type) {
	case ptrace.Traces:
		for _, rs := range b.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					f(span.Attributes())
				}
			}
		}
	case pmetric.Metrics:
		for _, rm := range b.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					eachPoint(m, f)
				}
			}
		}
	case plog.Logs:
		for _, rl := range b.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, record := range sl.LogRecords().All() {
					f(record.Attributes())
				}
			}
		}
	}
}

// itemSeqs answers the test.seq of every item of batch.
func itemSeqs(batch any) []int64 {
	var seqs []int64
	forEachItem(batch, func(attributes pcommon.Map) {
		seq, _ := attributes.Get("test.seq")
		seqs = append(seqs, seq.Int())
	})
	return seqs
}

// clientGenerator is the generator of one of a test's clients: its seqs start at client<<32,
// so no two clients number an item alike.
func clientGenerator(client int) *generator {
	g := newGenerator(uint64(1000 + client))
	g.seq = int64(client) << 32
	return g
}

// batch answers a new batch of signal (0 traces, 1 metrics, 2 logs).
func (g *generator) batch(signal int) any {
	switch signal {
	case 0:
		return g.traces()
	case 1:
		return g.metrics()
	default:
		return g.logs()
	}
}

// otlpPost is one OTLP/HTTP request as the tests' clients send it.
type otlpPost struct {
	signal          int // 0 traces, 1 metrics, 2 logs
	contentType     string
	contentEncoding string
	body            []byte // as sent
	seqs            []int64
}

// newPost encodes batch as an OTLP/HTTP export request: protobuf or OTLP/JSON, gzipped or not.
func newPost(batch any, asJSON, gzipped bool) otlpPost {
	post := otlpPost{contentType: "application/x-protobuf", seqs: itemSeqs(batch)}
	var err error
	switch b := batch.(type) {
	case ptrace.Traces:
		post.signal = 0
		request := ptraceotlp.NewExportRequestFromTraces(b)
		post.body, err = marshalRequest(request.MarshalProto, request.MarshalJSON, asJSON)
	case pmetric.Metrics:
		post.signal = 1
		request := pmetricotlp.NewExportRequestFromMetrics(b)
		post.body, err = marshalRequest(request.MarshalProto, request.MarshalJSON, asJSON)
	case plog.Logs:
		post.signal = 2
		request := plogotlp.NewExportRequestFromLogs(b)
		post.body, err = marshalRequest(request.MarshalProto, request.MarshalJSON, asJSON)
	}
	if err != nil {
		panic(err)
	}
	if asJSON {
		post.contentType = "application/json"
	}
	if gzipped {
		post.body, post.contentEncoding = gzipBytes(post.body), "gzip"
	}
	return post
}

func marshalRequest(proto, json func() ([]byte, error), asJSON bool) ([]byte, error) {
	if asJSON {
		return json()
	}
	return proto()
}

func gzipBytes(data []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, _ = w.Write(data)
	_ = w.Close()
	return out.Bytes()
}

// reply is what the receiver answered one post: its status, Retry-After and body, or the
// error of a post that got no answer (the connection refused or closed).
type reply struct {
	status     int
	retryAfter string
	body       []byte
	err        error
}

func (r reply) String() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("%d (Retry-After %q): %.200q", r.status, r.retryAfter, r.body)
}

// send posts p to the receiver at endpoint (host:port) on its signal's default path.
func (p otlpPost) send(client *http.Client, endpoint string) reply {
	request, err := http.NewRequest(http.MethodPost, "http://"+endpoint+"/v1/"+signalNames[p.signal], bytes.NewReader(p.body))
	if err != nil {
		return reply{err: err}
	}
	request.Header.Set("Content-Type", p.contentType)
	if p.contentEncoding != "" {
		request.Header.Set("Content-Encoding", p.contentEncoding)
	}
	return do(client, request)
}

func do(client *http.Client, request *http.Request) reply {
	response, err := client.Do(request)
	if err != nil {
		return reply{err: err}
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	return reply{status: response.StatusCode, retryAfter: response.Header.Get("Retry-After"), body: body, err: err}
}

// backPressure checks that r is back-pressure as the receiver answers it: 429 or 503 with a
// Retry-After of whole seconds, at least 1.
func backPressure(r reply) error {
	if r.err != nil || (r.status != http.StatusTooManyRequests && r.status != http.StatusServiceUnavailable) {
		return fmt.Errorf("not back-pressure: %v", r)
	}
	if seconds, err := strconv.Atoi(r.retryAfter); err != nil || seconds < 1 {
		return fmt.Errorf("back-pressure without a valid Retry-After: %v", r)
	}
	return nil
}

// pause is a client's wait before it posts again after back-pressure: a few milliseconds
// growing with the attempts, not the Retry-After's seconds, to keep the tests short (the
// tests check the Retry-After, they do not wait it out).
func pause(attempt int) {
	time.Sleep(time.Duration(min(attempt+1, 20)) * time.Millisecond)
}

// receiverPipelines is the `service.pipelines:` section (indented by four) taking every
// signal from receiver through processors (may be empty) to exporter.
func receiverPipelines(receiver, processors, exporter string) string {
	var out strings.Builder
	for _, signal := range signalNames {
		fmt.Fprintf(&out, "    %s:\n      receivers: [%s]\n      processors: [%s]\n      exporters: [%s]\n", signal, receiver, processors, exporter)
	}
	return out.String()
}

// runRustReceivers runs a collector from config with every Rust receiver, processor and
// exporter, the otlp receiver and the given exporters, and waits for it to run.
func runRustReceivers(t testing.TB, config string, exporters ...exporter.Factory) *testutil.Collector {
	t.Helper()
	receivers, err := rustreceiver.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	processors, err := rustprocessor.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	rustExporters, err := rustexporter.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	col := testutil.RunCollectorWithProcessors(t, config, processors,
		append(receivers, otlpreceiver.NewFactory()), append(rustExporters, exporters...))
	col.WaitRunning(t, 20*time.Second)
	return col
}

// runSeqB runs collector B: the Go otlp receiver (HTTP on endpoint) into s, every signal.
func runSeqB(t *testing.T, endpoint string, s *seqSink) *testutil.Collector {
	t.Helper()
	col := testutil.RunCollectorWith(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  seqsink:
service:
  telemetry:
    metrics:
      level: none
  pipelines:
%s`, endpoint, receiverPipelines("otlp", "", "seqsink")), []receiver.Factory{otlpreceiver.NewFactory()}, []exporter.Factory{s.factory()})
	col.WaitRunning(t, 20*time.Second)
	return col
}

// deliveryThreads is how many delivery threads the Rust library runs (rust/ffi delivery.rs:
// OTELCOL_RUST_DELIVERY_THREADS, else max(8, 4 x cores)); with cores from Go, which counts
// at least as many as Rust's available_parallelism, so a bound checked with it holds.
func deliveryThreads() int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("OTELCOL_RUST_DELIVERY_THREADS"))); err == nil && n > 0 {
		return n
	}
	return max(8, 4*runtime.NumCPU())
}

// receivePending reads the library's gauge of sends waiting for or in a delivery slot.
func receivePending() (uint64, error) {
	counts, err := rustffi.LibraryMetrics()
	return counts.ReceivePending, err
}

// openFiles counts this process's open file descriptors.
func openFiles(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// heapBytes is the Go heap in use after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

var errDownstream = errors.New("downstream refuses for now")

// longRun: RELIABILITY_LONG is set (`make reliability`).
func longRun() bool { return os.Getenv("RELIABILITY_LONG") != "" }
