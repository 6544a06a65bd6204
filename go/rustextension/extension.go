package rustextension

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/rustffi"
)

// firstFatal holds the first fatal error any Rust extension reported in this process.
var firstFatal atomic.Pointer[error]

// FatalError returns the first fatal error a Rust extension reported in this process, or nil.
// The collector shuts down on a fatal error but its Run returns nil; a main function calls
// this afterwards to exit non-zero (see cmd/otelcol-rust).
func FatalError() error {
	if err := firstFatal.Load(); err != nil {
		return *err
	}
	return nil
}

// eventWait is how long one WaitEvent call may block a thread; the watcher loops.
const eventWait = time.Second

// defaultShutdownTimeout bounds a Rust shutdown when the collector's context has no deadline
// (its Shutdown context never has one).
const defaultShutdownTimeout = 30 * time.Second

// rustExtension is the Go wrapper of one Rust extension instance.
//
// Contract: Start creates and starts the Rust instance and fails if called twice. Shutdown is
// idempotent, safe without Start, and always forgets the Rust instance, even when Rust reports
// an error (which it logs and returns).
type rustExtension struct {
	id           component.ID
	config       *RustComponentConfig
	dependencies []component.ID
	logger       *zap.Logger
	build        component.BuildInfo

	mu       sync.Mutex
	handle   rustffi.Handle // 0 while no Rust instance exists
	watching chan struct{}  // closed when the event watcher of handle has stopped
}

var _ extensioncapabilities.Dependent = (*rustExtension)(nil)

func (e *rustExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle != 0 {
		return e.errorf("already started")
	}
	if err := ctx.Err(); err != nil {
		return e.errorf("start not attempted: %w", err)
	}
	handle, err := rustffi.CreateAndStart(ctx, rustID(e.id), e.config.values, e.hostInfo(host))
	if err != nil {
		return e.errorf("%w", err)
	}
	e.handle = handle
	e.watching = make(chan struct{})
	go e.watch(handle, host, e.watching)
	e.logger.Info("Rust extension started", zap.Uint64("handle", uint64(handle)))
	return nil
}

// watch forwards the Rust instance's fatal errors (such as a panic in one of its background
// tasks) to the collector, which then shuts down. It ends when the instance is shut down.
func (e *rustExtension) watch(handle rustffi.Handle, host component.Host, done chan<- struct{}) {
	defer close(done)
	for {
		event, err := rustffi.WaitEvent(handle, eventWait)
		if err != nil {
			e.logger.Error("Cannot watch Rust extension", zap.Error(err))
			return
		}
		switch event.Kind {
		case "closed":
			return
		case "fatal":
			e.logger.Error("Rust extension reported a fatal error", zap.String("error", event.Message))
			fatal := e.errorf("%s", event.Message)
			firstFatal.CompareAndSwap(nil, &fatal)
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fatal))
		}
	}
}

func (e *rustExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == 0 {
		return nil
	}
	handle, watching := e.handle, e.watching
	e.handle, e.watching = 0, nil
	defer waitWatcher(watching)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultShutdownTimeout)
		defer cancel()
	}
	if err := rustffi.Shutdown(ctx, rustID(e.id), handle); err != nil {
		e.logger.Error("Rust extension shutdown failed", zap.Uint64("handle", uint64(handle)), zap.Error(err))
		return e.errorf("shutdown: %w", err)
	}
	e.logger.Info("Rust extension stopped", zap.Uint64("handle", uint64(handle)))
	return nil
}

// errorf formats an error naming this component (the collector does not add the id to
// Start and Shutdown errors).
func (e *rustExtension) errorf(format string, args ...any) error {
	return fmt.Errorf("rust extension %q: "+format, append([]any{e.id.String()}, args...)...)
}

// waitWatcher waits for the watcher to notice the shutdown (it wakes at once; the bound only
// guards against a wedged Rust side).
func waitWatcher(watching <-chan struct{}) {
	select {
	case <-watching:
	case <-time.After(2 * eventWait):
	}
}

// Dependencies tells the collector which extensions must start before this one.
func (e *rustExtension) Dependencies() []component.ID { return e.dependencies }

func (e *rustExtension) hostInfo(host component.Host) rustffi.HostInfo {
	others := []string{}
	for id := range host.GetExtensions() {
		if id != e.id {
			others = append(others, id.String())
		}
	}
	slices.Sort(others)
	return rustffi.HostInfo{
		Build: rustffi.BuildInfo{
			Command:     e.build.Command,
			Description: e.build.Description,
			Version:     e.build.Version,
		},
		Extensions: others,
	}
}

func rustID(id component.ID) rustffi.ComponentID {
	return rustffi.ComponentID{Type: id.Type().String(), Name: id.Name()}
}
