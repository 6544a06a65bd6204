package rustreceiver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// rustReceiver is the Go side of one Rust receiver instance, shared by every signal the
// collector created the receiver for (shared.go). The collector gets it as its
// receiver.Traces, receiver.Metrics and receiver.Logs.
//
// Contract: the create functions record the next consumer of each signal before the first
// Start. The first Start starts the Rust instance; a later one answers the first's result,
// or an error once shut down. The first Shutdown stops it; Shutdown is safe without Start.
type rustReceiver struct {
	instance *rustcomponent.Instance
	obsrecv  *receiverhelper.ObsReport
	logger   *zap.Logger
	// forget removes the receiver from the shared map (set by shared).
	forget func()

	// The next consumers, set by the create functions under mu before the first Start and
	// only read afterwards, by Deliver (registering the token orders the writes before it).
	traces  consumer.Traces
	metrics consumer.Metrics
	logs    consumer.Logs

	mu       sync.Mutex
	state    state
	startErr error         // the first Start's result
	token    uint64        // the delivery token, while started
	hosts    *statusFanout // the host the Rust instance runs with
}

type state int

const (
	created state = iota
	started
	stopped
)

var (
	_ receiver.Traces   = (*rustReceiver)(nil)
	_ receiver.Metrics  = (*rustReceiver)(nil)
	_ receiver.Logs     = (*rustReceiver)(nil)
	_ rustffi.Deliverer = (*rustReceiver)(nil)
)

func newReceiver(set receiver.Settings, config *Config, transport string) (*rustReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	// The attributes receiverhelper puts on its own metrics, on the Rust instance's too: the
	// collector's meter provider names the component only behind the alpha gate
	// telemetry.newPipelineTelemetry.
	identity := []attribute.KeyValue{
		attribute.String("receiver", set.ID.String()),
		attribute.String("transport", transport),
	}
	return &rustReceiver{
		instance: rustcomponent.NewInstance(set.ID, config, set.TelemetrySettings, set.BuildInfo, identity...),
		obsrecv:  obsrecv,
		logger:   set.Logger,
		hosts:    &statusFanout{},
	}, nil
}

// setNext records next as the consumer of signal (field is r.traces, r.metrics or r.logs).
func setNext[C comparable](r *rustReceiver, signal rustffi.Signal, field *C, next C) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var none C
	switch {
	case next == none:
		return r.instance.Errorf("nil next %s consumer", signal)
	case r.state != created:
		return r.instance.Errorf("created for %s after it started", signal)
	case *field != none:
		return r.instance.Errorf("created twice for %s", signal)
	}
	*field = next
	return nil
}

// signals names the signals with a next consumer, in the boundary's order.
func (r *rustReceiver) signals() []string {
	var signals []string
	if r.traces != nil {
		signals = append(signals, rustffi.SignalTraces.String())
	}
	if r.metrics != nil {
		signals = append(signals, rustffi.SignalMetrics.String())
	}
	if r.logs != nil {
		signals = append(signals, rustffi.SignalLogs.String())
	}
	return signals
}

// Start starts the Rust instance the first time, registering where it delivers first; each
// call adds its host to those the instance's statuses are reported to.
func (r *rustReceiver) Start(ctx context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case started:
		r.hosts.add(host)
		return r.startErr
	case stopped:
		return r.instance.Errorf("started after shutdown")
	}
	r.state = started
	r.hosts.add(host)
	token := rustffi.RegisterReceiver(r)
	r.instance.SetReceiver(rustffi.ReceiverInfo{Token: token, Signals: r.signals()})
	if err := r.instance.Start(ctx, r.hosts); err != nil {
		rustffi.UnregisterReceiver(token)
		r.startErr = err
		return err
	}
	r.token = token
	return nil
}

// Shutdown stops the Rust instance the first time (it stops receiving and finishes or refuses
// what is in flight, whose deliveries still reach the pipeline), then forgets the token: a
// delivery after that answers retryable.
func (r *rustReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == stopped {
		return nil
	}
	r.state = stopped
	r.forget()
	// Safe without a Rust instance (never started, or its start failed).
	err := r.instance.Shutdown(ctx)
	if r.token != 0 {
		rustffi.UnregisterReceiver(r.token)
		r.token = 0
	}
	return err
}

// Deliver decodes one batch as otlpreceiver does (pdata, protobuf or OTLP/JSON), hands it to
// the next consumer of its signal under receiverhelper's ObsReport and answers the outcome.
// It runs on a Rust delivery thread; data is only read during the call (pdata copies).
func (r *rustReceiver) Deliver(signal rustffi.Signal, encoding rustffi.Encoding, data []byte) rustffi.DeliverResult {
	switch signal {
	case rustffi.SignalTraces:
		if r.traces != nil {
			return deliver(r, encoding, data, tracesData, r.obsrecv.StartTracesOp, r.traces.ConsumeTraces, r.obsrecv.EndTracesOp)
		}
	case rustffi.SignalMetrics:
		if r.metrics != nil {
			return deliver(r, encoding, data, metricsData, r.obsrecv.StartMetricsOp, r.metrics.ConsumeMetrics, r.obsrecv.EndMetricsOp)
		}
	case rustffi.SignalLogs:
		if r.logs != nil {
			return deliver(r, encoding, data, logsData, r.obsrecv.StartLogsOp, r.logs.ConsumeLogs, r.obsrecv.EndLogsOp)
		}
	}
	// Rust gets a consumer only for the signals Start named.
	return rustffi.DeliverResult{Outcome: rustffi.DeliverPermanent, Message: r.instance.Errorf("is in no %s pipeline", signal).Error()}
}

// dataOf is what delivering one signal needs of pdata: its decoders and its item count.
type dataOf[T any] struct {
	signal      rustffi.Signal
	proto, json func([]byte) (T, error)
	count       func(T) int
}

var (
	tracesData  = dataOf[ptrace.Traces]{rustffi.SignalTraces, (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces, (&ptrace.JSONUnmarshaler{}).UnmarshalTraces, ptrace.Traces.SpanCount}
	metricsData = dataOf[pmetric.Metrics]{rustffi.SignalMetrics, (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics, (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics, pmetric.Metrics.DataPointCount}
	logsData    = dataOf[plog.Logs]{rustffi.SignalLogs, (&plog.ProtoUnmarshaler{}).UnmarshalLogs, (&plog.JSONUnmarshaler{}).UnmarshalLogs, plog.Logs.LogRecordCount}
)

// deliver is Deliver for one signal, as otlpreceiver's HTTP and gRPC handlers do it: a batch
// pdata refuses is malformed and not counted; an empty one is accepted without reaching the
// pipeline; any other goes to consume between start and end of a receive operation, counted
// accepted or refused by its error. A permanent error or a panic is answered permanent, any
// other error retryable.
func deliver[T any](r *rustReceiver, encoding rustffi.Encoding, data []byte, of dataOf[T],
	start func(context.Context) context.Context,
	consume func(context.Context, T) error,
	end func(context.Context, string, int, error),
) rustffi.DeliverResult {
	decode := of.proto
	if encoding == rustffi.EncodingJSON {
		decode = of.json
	}
	batch, err := decode(data)
	if err != nil {
		return rustffi.DeliverResult{Outcome: rustffi.DeliverMalformed, Message: "malformed " + of.signal.String() + " request: " + err.Error()}
	}
	items := of.count(batch)
	if items == 0 {
		return rustffi.DeliverResult{Outcome: rustffi.DeliverAccepted}
	}
	ctx := start(context.Background())
	err = consumeSafely(r, ctx, batch, consume)
	end(ctx, encoding.String(), items, err)
	var panicked *pipelinePanic
	switch {
	case err == nil:
		return rustffi.DeliverResult{Outcome: rustffi.DeliverAccepted}
	case consumererror.IsPermanent(err), errors.As(err, &panicked):
		return rustffi.DeliverResult{Outcome: rustffi.DeliverPermanent, Message: err.Error()}
	default:
		return rustffi.DeliverResult{Outcome: rustffi.DeliverRetryable, Message: err.Error()}
	}
}

// pipelinePanic is a panic of the pipeline on a delivered batch: the batch's permanent failure.
type pipelinePanic struct{ value any }

func (p *pipelinePanic) Error() string { return fmt.Sprintf("pipeline panicked: %v", p.value) }

// consumeSafely is consume, with a panic turned into an error: it must not unwind into Rust,
// and the receive operation must end (counted refused) as the collector survives it. Go's
// otlpreceiver leaves that to net/http, which logs the panic and drops the connection.
func consumeSafely[T any](r *rustReceiver, ctx context.Context, batch T, consume func(context.Context, T) error) (err error) {
	defer func() {
		if value := recover(); value != nil {
			r.logger.Error("The pipeline panicked on a batch a Rust receiver delivered; the batch is refused for good",
				zap.Any("panic", value), zap.Stack("stack"))
			err = &pipelinePanic{value}
		}
	}()
	return consume(ctx, batch)
}
