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

// eventPoll is how often the watcher asks Rust for events. It polls (WaitEvent with no wait)
// rather than blocking in cgo: a goroutine parked in a long cgo call holds its P until sysmon
// retakes it, which measurably slowed collector start-up (docs/performance.md).
const eventPoll = 200 * time.Millisecond

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

	mu          sync.Mutex
	handle      rustffi.Handle // 0 while no Rust instance exists
	stopWatcher chan struct{}  // closed by Shutdown to stop the event watcher
	watching    chan struct{}  // closed when the event watcher has stopped
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
	e.stopWatcher, e.watching = make(chan struct{}), make(chan struct{})
	go e.watch(handle, host, e.stopWatcher, e.watching)
	e.logger.Info("Rust extension started", zap.Uint64("handle", uint64(handle)))
	return nil
}

// watch forwards the Rust instance's fatal errors (such as a panic in one of its background
// tasks) to the collector, which then shuts down. It ends when stop is closed or the instance
// is gone.
func (e *rustExtension) watch(handle rustffi.Handle, host component.Host, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(eventPoll)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		for {
			event, err := rustffi.WaitEvent(handle, 0)
			if err != nil {
				e.logger.Error("Cannot watch Rust extension", zap.Error(err))
				return
			}
			if event.Kind == "closed" {
				return
			}
			if event.Kind != "fatal" {
				break
			}
			e.logger.Error("Rust extension reported a fatal error", zap.String("error", event.Message))
			fatal := e.errorf("%s", event.Message)
			firstFatal.CompareAndSwap(nil, &fatal)
			// The collector delivers status on an unbuffered channel that nobody reads while
			// it shuts down or reloads; never let the watcher (which Shutdown waits for)
			// block on it.
			go componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fatal))
		}
	}
}

func (e *rustExtension) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == 0 {
		return nil
	}
	handle := e.handle
	e.handle = 0
	close(e.stopWatcher)
	<-e.watching // at most one WaitEvent call (which does not block) away
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
