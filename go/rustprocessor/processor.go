package rustprocessor

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// rustProcessor is the Go side of one Rust processor instance: the collector creates one per
// (id, pipeline), each with its own Rust instance.
type rustProcessor struct {
	instance *rustcomponent.Instance
	id       component.ID
	signal   rustffi.Signal
	logger   *zap.Logger
	// next is the consumer the collector gave this processor: the next processor or the
	// pipeline's exporters, behind the collector's wrappers.
	next capable

	mu sync.Mutex
	// host identifies the collector that started this processor (hostIdentity); nil while it
	// is not started.
	host any

	// successor is the Rust processor next in the pipeline, found at Start; nil when the next
	// consumer is anything else.
	successor atomic.Pointer[rustProcessor]
	// unfused is set when a batch changed between this processor and its successor: they
	// then cross separately.
	unfused atomic.Bool
}

// capable is what every consumer is: consumer.Traces, Metrics and Logs.
type capable interface {
	Capabilities() consumer.Capabilities
}

// maxChain bounds the stages of one crossing (longer chains cross again).
const maxChain = 64

// chain is the processors one crossing from p runs: p, then its successors while each is
// running.
func (p *rustProcessor) chain() []*rustProcessor {
	chain := []*rustProcessor{p}
	for q := p; len(chain) < maxChain && !q.unfused.Load(); {
		next := q.successor.Load()
		if next == nil || next.instance.Handle() == 0 || slices.Contains(chain, next) {
			break
		}
		chain = append(chain, next)
		q = next
	}
	return chain
}

// start creates and starts the Rust instance, then finds the Rust processor after this one.
// The collector starts a pipeline from its end (service v0.164.0 internal/graph StartAll, in
// reverse topological order), so that one is already started.
func (p *rustProcessor) start(ctx context.Context, host component.Host) error {
	if err := p.instance.Start(ctx, host); err != nil {
		return err
	}
	identity := hostIdentity(host)
	p.mu.Lock()
	p.host = identity
	p.mu.Unlock()
	if successor := findSuccessor(identity, p.signal, p.next); successor != nil {
		p.successor.Store(successor)
		p.logger.Debug("Batches cross into Rust once for this processor and the next", zap.String("next", successor.id.String()))
	}
	return nil
}

func (p *rustProcessor) shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.host = nil
	p.mu.Unlock()
	p.successor.Store(nil)
	return p.instance.Shutdown(ctx)
}

// Finding the next Rust processor. The collector hands a processor its next consumer wrapped
// (service v0.164.0 internal/graph/processor.go: obsconsumer, refconsumer, obsconsumer around
// the next component), so the consumer is not the next processor itself. Every wrapper
// forwards Capabilities() to what it wraps, and a Go processor answers its own: so a probe
// calls next.Capabilities() and a Rust processor whose Capabilities() runs during the probe
// is the next component, if it belongs to the same collector (its Start host) and signal.
// Probes run one at a time; a Capabilities() call of another collector, in another
// goroutine, is told apart by its host.

var (
	probing sync.Mutex
	// probe is the probe in progress, nil when none is.
	probe atomic.Pointer[successorProbe]
)

type successorProbe struct {
	host   any
	signal rustffi.Signal

	mu    sync.Mutex
	found []*rustProcessor
}

// findSuccessor answers the Rust processor behind next, of the collector host and signal; nil
// when next leads to anything else (or, which the collector does not do, to several).
func findSuccessor(host any, signal rustffi.Signal, next capable) *rustProcessor {
	if host == nil {
		return nil
	}
	probing.Lock()
	defer probing.Unlock()
	pr := &successorProbe{host: host, signal: signal}
	probe.Store(pr)
	next.Capabilities()
	probe.Store(nil)
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if len(pr.found) != 1 {
		return nil
	}
	return pr.found[0]
}

// capabilities answers the processor's capabilities (it edits and drops in place) and, during
// a probe, offers itself as the successor.
func (p *rustProcessor) capabilities() consumer.Capabilities {
	if pr := probe.Load(); pr != nil && pr.signal == p.signal {
		p.mu.Lock()
		host := p.host
		p.mu.Unlock()
		if host != nil && host == pr.host {
			pr.mu.Lock()
			pr.found = append(pr.found, p)
			pr.mu.Unlock()
		}
	}
	return consumer.Capabilities{MutatesData: true}
}

// hostIdentity answers what the components of one collector share in the host their Start
// gets: the collector gives each component its own wrapper around the one host of its
// service (service v0.164.0 internal/graph/graph.go, `&HostWrapper{Host: host, ...}`, a struct
// embedding *graph.Host), so the identity is the first embedded pointer of a struct the host
// points to, else the host itself; nil when neither can be compared.
func hostIdentity(host component.Host) any {
	v := reflect.ValueOf(host)
	if !v.IsValid() {
		return nil
	}
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		s := v.Elem()
		for i := range s.NumField() {
			field := s.Type().Field(i)
			if field.Anonymous && field.IsExported() && field.Type.Kind() == reflect.Pointer && !s.Field(i).IsNil() {
				return s.Field(i).Interface()
			}
		}
	}
	if !v.Type().Comparable() {
		return nil
	}
	return host
}

// The components the collector gets: processorhelper's processor (its metrics, span events,
// Start and Shutdown), with each Consume giving the call a slot for the carry (see run.go),
// and Capabilities answering probes.

type tracesProcessor struct {
	processor.Traces
	p *rustProcessor
}

func (t *tracesProcessor) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	ctx, s := enter(ctx)
	defer s.leave()
	return t.Traces.ConsumeTraces(ctx, td)
}

func (t *tracesProcessor) Capabilities() consumer.Capabilities { return t.p.capabilities() }

type metricsProcessor struct {
	processor.Metrics
	p *rustProcessor
}

func (m *metricsProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	ctx, s := enter(ctx)
	defer s.leave()
	return m.Metrics.ConsumeMetrics(ctx, md)
}

func (m *metricsProcessor) Capabilities() consumer.Capabilities { return m.p.capabilities() }

type logsProcessor struct {
	processor.Logs
	p *rustProcessor
}

func (l *logsProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	ctx, s := enter(ctx)
	defer s.leave()
	return l.Logs.ConsumeLogs(ctx, ld)
}

func (l *logsProcessor) Capabilities() consumer.Capabilities { return l.p.capabilities() }
