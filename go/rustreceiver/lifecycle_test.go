package rustreceiver

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// newOTLPConfig is a rust_otlphttp config listening on endpoint.
func newOTLPConfig(t *testing.T, factory receiver.Factory, endpoint string) *Config {
	t.Helper()
	cfg := factory.CreateDefaultConfig().(*Config)
	cfg.Set("endpoint", endpoint)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Scenario: the factory of rust_otlphttp is asked, as the collector asks it, for a traces and
// a logs receiver of one config, which are started and shut down once per signal.
// Guarantees: both signals get the same receiver and one Rust instance, told only the signals
// with a consumer (the metrics path is not served); a batch reaches the right consumer; the
// second Start and Shutdown do nothing more; a Start after Shutdown is an error; the next
// create of that config is a new receiver, which can take the port again.
func TestSignalsShareOneReceiver(t *testing.T) {
	factory := NewFactory("rust_otlphttp")
	endpoint := testutil.FreeEndpoint(t)
	cfg := newOTLPConfig(t, factory, endpoint)
	set := receivertest.NewNopSettings(factory.Type())
	ctx := context.Background()
	traces, logs := new(consumertest.TracesSink), new(consumertest.LogsSink)
	tr, err := factory.CreateTraces(ctx, set, cfg, traces)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := factory.CreateLogs(ctx, set, cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	if component.Component(tr) != component.Component(lr) {
		t.Fatal("the traces and the logs receiver of one config differ")
	}
	if _, err := factory.CreateTraces(ctx, set, cfg, traces); err == nil || !strings.Contains(err.Error(), "created twice for traces") {
		t.Errorf("a second traces receiver of the same config: %v", err)
	}

	before := liveInstances(t)
	for _, r := range []component.Component{tr, lr} {
		if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
	}
	if n := liveInstances(t); n != before+1 {
		t.Fatalf("%d Rust instances for one receiver in two signals", n-before)
	}
	if got := post(t, "http://"+endpoint+"/v1/logs", protobuf, must(plogotlp.NewExportRequestFromLogs(testdata.GenerateLogs(3)).MarshalProto())); got.status != 200 {
		t.Errorf("logs: %+v", got)
	}
	if got := post(t, "http://"+endpoint+"/v1/metrics", protobuf, nil); got.status != 404 {
		t.Errorf("metrics, which has no consumer: %+v", got)
	}
	if logs.LogRecordCount() != 3 || traces.SpanCount() != 0 {
		t.Errorf("consumers got %d log records, %d spans", logs.LogRecordCount(), traces.SpanCount())
	}
	for _, r := range []component.Component{tr, lr, tr} {
		if err := r.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances after shutdown", n-before)
	}
	if err := tr.Start(ctx, componenttest.NewNopHost()); err == nil || !strings.Contains(err.Error(), "started after shutdown") {
		t.Errorf("start after shutdown: %v", err)
	}

	again, err := factory.CreateTraces(ctx, set, cfg, traces)
	if err != nil {
		t.Fatal(err)
	}
	if component.Component(again) == component.Component(tr) {
		t.Fatal("a shut-down receiver was handed out again")
	}
	if err := again.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatalf("the port was not given back: %v", err)
	}
	if err := again.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// Guarantees: Shutdown without Start is safe (and forgets the receiver); a Start that fails
// (the port is taken) fails every signal's Start with the same error, and leaves no instance.
func TestStartFailureAndShutdownWithoutStart(t *testing.T) {
	factory := NewFactory("rust_otlphttp")
	ctx := context.Background()
	set := receivertest.NewNopSettings(factory.Type())

	cfg := newOTLPConfig(t, factory, testutil.FreeEndpoint(t))
	never, err := factory.CreateTraces(ctx, set, cfg, new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	if err := never.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown without start: %v", err)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg = newOTLPConfig(t, factory, taken.Addr().String())
	tr, err := factory.CreateTraces(ctx, set, cfg, new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	mr, err := factory.CreateMetrics(ctx, set, cfg, new(consumertest.MetricsSink))
	if err != nil {
		t.Fatal(err)
	}
	before := liveInstances(t)
	first := tr.Start(ctx, componenttest.NewNopHost())
	if first == nil || !strings.Contains(first.Error(), `rust receiver "`+set.ID.String()+`": cannot listen on`) {
		t.Fatalf("start on a taken port: %v", first)
	}
	if second := mr.Start(ctx, componenttest.NewNopHost()); !errors.Is(second, first) {
		t.Errorf("the second signal's start: %v, want %v", second, first)
	}
	if n := liveInstances(t); n != before {
		t.Errorf("%d Rust instances after a failed start", n-before)
	}
	if err := tr.Shutdown(ctx); err != nil {
		t.Errorf("shutdown after a failed start: %v", err)
	}
}

// recorder is a host that records the statuses reported to it.
type recorder struct {
	component.Host
	events []componentstatus.Status
}

func (r *recorder) Report(ev *componentstatus.Event) { r.events = append(r.events, ev.Status()) }

// Guarantees: the shared receiver's statuses reach every host it was started with (one per
// pipeline the collector started it in), a host added late first hearing the last few.
func TestStatusesReachEveryPipeline(t *testing.T) {
	var fanout statusFanout
	first, second := &recorder{Host: componenttest.NewNopHost()}, &recorder{Host: componenttest.NewNopHost()}
	fanout.add(first)
	statuses := []componentstatus.Status{componentstatus.StatusOK, componentstatus.StatusRecoverableError, componentstatus.StatusOK,
		componentstatus.StatusRecoverableError, componentstatus.StatusOK, componentstatus.StatusRecoverableError}
	for _, status := range statuses {
		var ev *componentstatus.Event
		if status == componentstatus.StatusOK {
			ev = componentstatus.NewEvent(status)
		} else {
			ev = componentstatus.NewRecoverableErrorEvent(errors.New("flaky"))
		}
		componentstatus.ReportStatus(&fanout, ev)
	}
	fanout.add(second)
	componentstatus.ReportStatus(&fanout, componentstatus.NewPermanentErrorEvent(errors.New("broken")))
	want := append(statuses, componentstatus.StatusPermanentError)
	if !slices.Equal(first.events, want) || !slices.Equal(second.events, want[len(want)-1-replayed:]) {
		t.Errorf("first host heard %v, second %v; want %v", first.events, second.events, want)
	}
}
