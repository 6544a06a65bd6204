package rustprocessor

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// How consecutive Rust processors cross once. The first of them (the head) hands the batch to
// Rust with the handles of its whole chain (itself and its successors, found at Start);
// Rust runs them in order and answers what they did to the batch as a whole. The collector
// still calls each processor in turn, through processorhelper (each with its own metrics and
// span events): the head leaves its answer in the context it passes on (a carry), each later
// stage the run covered recognises it and passes the batch on untouched, and the last stage
// the run covered applies the answer (or returns its error). A stage after that crosses again
// as the head of the rest.
//
// The stages before the last never change the item count (the run ends at a stage that
// drops items or changes their count), so the collector's item counts for each stage are
// exact; what they pass on is the batch before the run's edits, which only the next stage of
// the run sees.

// slot is one Rust processor's place in the context of the call it is consuming: the carry
// its upstream Rust processor left (in), the one it leaves for its downstream (out), and the
// one whose Rust memory it must release once the downstream has returned (owned).
type slot struct {
	in, out, owned *carry
}

type slotKey struct{}

// enter gives the call a slot of its own, seeing the carry of the upstream Rust processor's
// slot, if any.
func enter(ctx context.Context) (context.Context, *slot) {
	s := &slot{}
	if up, ok := ctx.Value(slotKey{}).(*slot); ok {
		s.in = up.out
	}
	return context.WithValue(ctx, slotKey{}, s), s
}

// leave releases the Rust memory of the run this call started, once everything downstream
// has returned.
func (s *slot) leave() {
	if s.owned != nil {
		s.owned.release()
	}
}

// carry is the answer of one run, for the stages it covered.
type carry struct {
	mu sync.Mutex
	// input is the batch the run processed (a ptrace.Traces, pmetric.Metrics or plog.Logs,
	// which compare by the data they wrap).
	input any
	// stages are the processors the run covered, the head first.
	stages []*rustProcessor
	// next is the index of the stage expected next.
	next     int
	result   rustffi.ProcessResult
	released bool
}

func (c *carry) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released = true
	c.result.Release()
}

// stageOf answers p's index in c, or -1 when c does not cover p.
func (c *carry) stageOf(p *rustProcessor) int {
	return slices.Index(c.stages, p)
}

// process is p's processorhelper function for a batch of ops' signal.
func process[T comparable](ctx context.Context, p *rustProcessor, ops *signalOps[T], data T) (T, error) {
	s, _ := ctx.Value(slotKey{}).(*slot)
	if s == nil {
		// Called with a context our ConsumeX did not make (not through the collector's
		// pipeline): no carry can reach the next processor, so this one runs alone.
		s = &slot{}
		defer s.leave()
		return startRun(p, ops, s, data, []*rustProcessor{p})
	}
	if c := s.in; c != nil {
		if stage := c.stageOf(p); stage > 0 {
			return continueRun(p, ops, c, stage, s, data)
		}
	}
	return startRun(p, ops, s, data, p.chain())
}

// startRun crosses into Rust with chain (p first).
func startRun[T comparable](p *rustProcessor, ops *signalOps[T], s *slot, data T, chain []*rustProcessor) (T, error) {
	if p.instance.Handle() == 0 {
		// Not started yet, or shutting down in a reload: not the batch's fault.
		return data, p.instance.Errorf("process while not started")
	}
	batch, err := ops.marshal(data)
	if err != nil {
		return data, consumererror.NewPermanent(p.instance.Errorf("cannot marshal the batch: %w", err))
	}
	items := ops.items(data)
	var buf [8]uint64
	handles := buf[:0]
	for _, stage := range chain {
		handles = append(handles, uint64(stage.instance.Handle()))
	}
	c := &carry{input: data, next: 1}
	c.result = rustffi.Process(handles, ops.signal, batch, uint64(items))
	s.owned = c
	if run := c.result.StagesRun; run < 1 || run > len(chain) {
		c.release()
		return data, consumererror.NewPermanent(p.instance.Errorf("malformed answer from Rust: %d of %d stages ran", run, len(chain)))
	}
	c.stages = chain[:c.result.StagesRun]
	if len(c.stages) == 1 {
		return finishRun(p, ops, c, items, data)
	}
	s.out = c
	return data, nil
}

// continueRun is stage (> 0) of the run c, which p's upstream started.
func continueRun[T comparable](p *rustProcessor, ops *signalOps[T], c *carry, stage int, s *slot, data T) (T, error) {
	c.mu.Lock()
	fused := !c.released && stage == c.next && c.input == any(data)
	if fused {
		c.next++
	}
	c.mu.Unlock()
	if !fused {
		// Something between the previous stage and this one changed or held the batch (a Go
		// component that answers Capabilities with its consumer's, so discovery took it for
		// the collector's own wrappers): it saw the batch without the edits of the stages
		// before, which this run can no longer apply. The link is no longer fused; the
		// batch fails retryable, so that the sender's retry goes through unfused stages.
		upstream := c.stages[stage-1]
		if upstream.unfused.CompareAndSwap(false, true) {
			p.logger.Warn("A component between two Rust processors changed the batch: they no longer cross together",
				zap.String("previous", upstream.id.String()))
		}
		return data, p.instance.Errorf("the batch changed between %q and this processor; retry it", upstream.id.String())
	}
	if stage < len(c.stages)-1 {
		s.out = c
		return data, nil
	}
	return finishRun(p, ops, c, ops.items(data), data)
}

// finishRun is the last stage c covered: its error, or the batch the whole run made.
func finishRun[T comparable](p *rustProcessor, ops *signalOps[T], c *carry, items int, data T) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return data, consumererror.NewPermanent(p.instance.Errorf("the answer of Rust was released before it was applied"))
	}
	// The memory Rust answered with is not needed past this call: materialise copies.
	defer func() {
		c.released = true
		c.result.Release()
	}()
	result := &c.result
	switch result.Status {
	case rustffi.ProcessOK:
	case rustffi.ProcessRetryable:
		return data, p.instance.Errorf("%s", result.Message)
	case rustffi.ProcessPermanent:
		return data, consumererror.NewPermanent(p.instance.Errorf("%s", result.Message))
	default:
		return data, consumererror.NewPermanent(p.instance.Errorf("unknown process status %d: %s", result.Status, result.Message))
	}
	out, err := materialise(ops, data, result)
	if err != nil {
		return data, consumererror.NewPermanent(p.instance.Errorf("%w", err))
	}
	if items > 0 && ops.items(out) == 0 {
		return out, processorhelper.ErrSkipProcessingData
	}
	return out, nil
}
