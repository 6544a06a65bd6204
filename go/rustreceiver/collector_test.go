package rustreceiver

import (
	"encoding/json"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/pdata/testdata"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

const (
	protobuf = "application/x-protobuf"
	jsonType = "application/json"
)

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

// tracesRequest is an OTLP traces request of n spans, in protobuf.
func tracesRequest(n int) []byte {
	return must(ptraceotlp.NewExportRequestFromTraces(testdata.GenerateTraces(n)).MarshalProto())
}

// Scenario: one rust_otlphttp receiver id in a traces, a metrics and a logs pipeline, each to
// a Go exporter; one request per signal (protobuf and OTLP/JSON) is posted to its one port;
// the collector's own metrics are read from its Prometheus endpoint.
// Guarantees: the three pipelines share ONE Rust instance (one port); every item posted
// reaches the downstream exporter and is counted by receiverhelper's
// otelcol_receiver_accepted_* for the receiver id and transport "http"; the collector stops
// cleanly, leaving no Rust instance.
func TestOneRustInstanceServesEveryPipeline(t *testing.T) {
	before := liveInstances(t)
	endpoint, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	s := newSink()
	col := runCollector(t, pipelines("  rust_otlphttp/in:\n    endpoint: "+endpoint+"\n", "rust_otlphttp/in", metrics, "traces", "metrics", "logs"), s)
	col.WaitRunning(t, 20*time.Second)
	if n := liveInstances(t); n != before+1 {
		t.Fatalf("%d Rust instances for one receiver in 3 pipelines", n-before)
	}

	traces, md, logs := testdata.GenerateTraces(10), testdata.GenerateMetrics(4), testdata.GenerateLogs(6)
	for _, request := range []struct {
		path, contentType string
		body              []byte
	}{
		{"/v1/traces", protobuf, must(ptraceotlp.NewExportRequestFromTraces(traces).MarshalProto())},
		{"/v1/metrics", jsonType, must(pmetricotlp.NewExportRequestFromMetrics(md).MarshalJSON())},
		{"/v1/logs", protobuf, must(plogotlp.NewExportRequestFromLogs(logs).MarshalProto())},
	} {
		if got := post(t, "http://"+endpoint+request.path, request.contentType, request.body); got.status != 200 {
			t.Fatalf("POST %s: %+v", request.path, got)
		}
	}
	if got, want := s.counts(), [3]int{traces.SpanCount(), md.DataPointCount(), logs.LogRecordCount()}; got != want {
		t.Errorf("the exporter got %v spans, points, records; want %v", got, want)
	}
	want := map[string]int64{
		"otelcol_receiver_accepted_spans":         int64(traces.SpanCount()),
		"otelcol_receiver_accepted_metric_points": int64(md.DataPointCount()),
		"otelcol_receiver_accepted_log_records":   int64(logs.LogRecordCount()),
		"otelcol_receiver_refused_spans":          0,
		"otelcol_receiver_refused_metric_points":  0,
		"otelcol_receiver_refused_log_records":    0,
	}
	var got map[string]int64
	eventually(t, "receiverhelper's counts", func() bool {
		got = scrape(t, metrics, "rust_otlphttp/in", slices.Collect(maps.Keys(want))...)
		return maps.Equal(got, want)
	})
	col.Stop(t)
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left after the collector stopped", n-before)
	}
}

// Scenario: rust_otlphttp in a traces pipeline only, to a Go exporter whose answer the test
// sets: a permanent error, a retryable one, a panic, an error whose message is longer than the
// boundary carries.
// Guarantees: the client gets what the pipeline said, as Go's otlpreceiver answers it: 500
// for consumererror's permanent errors and a panic (which the collector survives), 503 with
// Retry-After for the others, the error's message in the body, cut at 1024 bytes on a
// character boundary; every refused span is counted by otelcol_receiver_refused_spans; the
// logs path, which has no pipeline, is not served. A request that does not decode is the
// client's fault (400), reaching neither the pipeline nor the counts; one without items is
// accepted without reaching them either.
func TestThePipelinesOutcomeReachesTheClient(t *testing.T) {
	endpoint, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	s := newSink()
	col := runCollector(t, pipelines("  rust_otlphttp:\n    endpoint: "+endpoint+"\n", "rust_otlphttp", metrics, "traces"), s)
	col.WaitRunning(t, 20*time.Second)
	url := "http://" + endpoint + "/v1/traces"
	request, spans := tracesRequest(3), 3
	long := strings.Repeat("é", 1000) // 2 bytes each

	for _, c := range []struct {
		name       string
		answer     func() error
		status     int
		retryAfter string
		message    string
	}{
		{"permanent", func() error { return consumererror.NewPermanent(errors.New("bad data")) }, 500, "", "Permanent error: bad data"},
		{"retryable", func() error { return errors.New("queue is full") }, 503, "1", "queue is full"},
		{"panic", func() error { panic("exporter exploded") }, 500, "", "pipeline panicked: exporter exploded"},
		// "Permanent error: " is 17 bytes: 503 é fit in 1024, a 504th would end on byte 1025.
		{"long message", func() error { return consumererror.NewPermanent(errors.New(long)) }, 500, "", "Permanent error: " + long[:2*503]},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.respond(c.answer)
			got := post(t, url, jsonType, must(ptraceotlp.NewExportRequestFromTraces(testdata.GenerateTraces(spans)).MarshalJSON()))
			var status struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal([]byte(got.body), &status); err != nil {
				t.Fatalf("%+v: %v", got, err)
			}
			if got.status != c.status || got.retryAfter != c.retryAfter || status.Message != c.message {
				t.Errorf("answered %d, Retry-After %q, message %q (%d bytes, valid UTF-8 %t); want %d, %q, %q",
					got.status, got.retryAfter, status.Message, len(status.Message), utf8.ValidString(status.Message), c.status, c.retryAfter, c.message)
			}
		})
	}
	// As otlpreceiver: a request without items is answered without asking the pipeline.
	if got := post(t, url, jsonType, []byte("{}")); got.status != 200 {
		t.Errorf("an empty request, the pipeline refusing: %+v", got)
	}
	s.respond(nil)
	if got := post(t, url, protobuf, request); got.status != 200 {
		t.Errorf("accepting again: %+v", got)
	}
	if got := post(t, url, protobuf, []byte("\xff\xff\xff not protobuf")); got.status != 400 || !strings.Contains(got.body, "malformed traces request") {
		t.Errorf("undecodable: %d %q", got.status, got.body)
	}
	if got := post(t, "http://"+endpoint+"/v1/logs", protobuf, must(plogotlp.NewExportRequestFromLogs(testdata.GenerateLogs(1)).MarshalProto())); got.status != 404 {
		t.Errorf("logs without a pipeline: %+v", got)
	}
	want := map[string]int64{"otelcol_receiver_accepted_spans": int64(spans), "otelcol_receiver_refused_spans": int64(4 * spans)}
	var got map[string]int64
	eventually(t, "receiverhelper's counts", func() bool {
		got = scrape(t, metrics, "rust_otlphttp", slices.Collect(maps.Keys(want))...)
		return maps.Equal(got, want)
	})
	if counts := s.counts(); counts != [3]int{spans, 0, 0} {
		t.Errorf("the exporter got %v", counts)
	}
	col.Stop(t)
}

// Scenario: four requests are inside the pipeline (held by the exporter) when the collector
// is told to shut down; the exporter lets them go once the receiver has stopped accepting.
// Guarantees: shutting the receiver down stops it listening but waits for the batches in
// flight: each of them reaches the exporter and its client gets 200; the collector then stops
// cleanly, leaving no Rust instance.
func TestShutdownFinishesTheRequestsInFlight(t *testing.T) {
	before := liveInstances(t)
	endpoint := testutil.FreeEndpoint(t)
	s := newSink()
	col := runCollector(t, pipelines("  rust_otlphttp:\n    endpoint: "+endpoint+"\n", "rust_otlphttp", "", "traces"), s)
	col.WaitRunning(t, 20*time.Second)
	release := s.holdAll()
	defer release()

	const requests, spans = 4, 5
	answered := make(chan response, requests)
	for range requests {
		go func() {
			got, err := send("http://"+endpoint+"/v1/traces", protobuf, tracesRequest(spans))
			if err != nil {
				got.body = err.Error()
			}
			answered <- got
		}()
	}
	for range requests {
		<-s.entered
	}
	stopped := make(chan error, 1)
	go func() {
		err, ok := col.ShutdownWithin(20 * time.Second)
		if !ok {
			err = errors.New("the collector did not stop within 20s")
		}
		stopped <- err
	}()
	eventually(t, "the receiver stops listening", func() bool {
		conn, err := net.Dial("tcp", endpoint)
		if err == nil {
			conn.Close()
		}
		return err != nil && col.GetState() == otelcol.StateClosing
	})
	release()
	for range requests {
		if got := <-answered; got.status != 200 {
			t.Errorf("a request in flight was answered %+v", got)
		}
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := s.counts(); got != [3]int{requests * spans, 0, 0} {
		t.Errorf("the exporter got %v", got)
	}
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left after the collector stopped", n-before)
	}
}
