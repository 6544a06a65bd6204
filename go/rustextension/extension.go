package rustextension

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rusttelemetry"
)

// eventPoll is how often the watcher asks Rust for events. It polls (WaitEvent with no wait)
// rather than blocking in cgo: a goroutine parked in a long cgo call holds its P until sysmon
// retakes it, which measurably slowed collector start-up (docs/performance.md).
const eventPoll = 200 * time.Millisecond

// The collector gives Start and Shutdown contexts without a deadline. These bound the Rust
// side when it does not, so a Rust start or shutdown that never returns cannot hang the
// collector; cancelling the context ends the wait sooner.
const (
	defaultStartTimeout    = time.Minute
	defaultShutdownTimeout = 30 * time.Second
)

// rustExtension is the Go wrapper of one Rust extension instance.
//
// Contract: Start creates and starts the Rust instance and fails if called twice. Shutdown is
// idempotent, safe without Start, and always forgets the Rust instance, even when Rust reports
// an error (which it returns).
type rustExtension struct {
	id           component.ID
	config       *RustComponentConfig
	dependencies []component.ID
	logger       *zap.Logger
	telemetry    component.TelemetrySettings // the instance's, for its Rust telemetry scope
	build        component.BuildInfo
	fatal        *fatalReporter // set by Start

	mu          sync.Mutex
	handle      rustffi.Handle       // 0 while no Rust instance exists
	scope       *rusttelemetry.Scope // open while the Rust instance exists
	stopWatcher chan struct{}        // closed by Shutdown to stop the event watcher
	watching    chan struct{}        // closed when the event watcher has stopped
}

var (
	_ extensioncapabilities.Dependent       = (*rustExtension)(nil)
	_ extensioncapabilities.PipelineWatcher = (*rustExtension)(nil)
)

func (e *rustExtension) Start(ctx context.Context, host component.Host) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle != 0 {
		return e.errorf("already started")
	}
	if err := ctx.Err(); err != nil {
		return e.errorf("start not attempted: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	// Opened first: the Rust factory's create already logs in the instance's scope.
	scope := rusttelemetry.Open(e.telemetry)
	handle, instruments, err := rustffi.CreateAndStart(ctx, rustID(e.id), scope.Token(), e.config.values, e.hostInfo(host))
	if handle == 0 {
		scope.Close() // writes what the failed create or start logged
		return e.errorf("%w", err)
	}
	if err != nil {
		// The instance runs; only its instrument list was unreadable.
		e.logger.Error("Cannot read the Rust extension's instrument list; its metrics are not exported", zap.Error(err))
	}
	if err := scope.BindMetrics(e.id.Type().String(), handle, instruments); err != nil {
		// Telemetry is not worth failing a running instance for.
		e.logger.Error("Cannot export the Rust extension's metrics", zap.Error(err))
	}
	e.handle, e.scope = handle, scope
	e.fatal = newFatalReporter(host, e.logger)
	e.stopWatcher, e.watching = make(chan struct{}), make(chan struct{})
	go e.watch(handle, e.stopWatcher, e.watching)
	return nil
}

// watch collects the Rust instance's status reports: non-fatal ones go to the host as they
// come, fatal errors (such as a panic in one of its background tasks) to the fatal reporter.
// It ends when stop is closed or the instance is gone, and checks stop between events, so an
// instance reporting in a loop cannot delay Shutdown (Rust also bounds how many events wait).
func (e *rustExtension) watch(handle rustffi.Handle, stop <-chan struct{}, done chan<- struct{}) {
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
			select {
			case <-stop:
				return
			default:
			}
			event, err := rustffi.WaitEvent(handle, 0)
			if err != nil {
				e.logger.Error("Cannot watch Rust extension", zap.Error(err))
				return
			}
			if event.Kind == "none" {
				break // nothing more for now
			}
			switch event.Kind {
			case "closed":
				return
			case "status":
				e.reportStatus(event)
			case "fatal":
				// The records the instance wrote before its fatal error (a panic's among them)
				// reach the log before the collector starts shutting down.
				rusttelemetry.Flush()
				e.fatal.report(e.errorf("%s", event.Message))
			}
		}
	}
}

// reportStatus hands a non-fatal status to the host (see fatalReporter.status). The
// collector's status reporter passes it to the status watchers synchronously and, unlike a
// fatal error, on no channel, so it does not wait for the collector to run (service v0.164.0
// internal/status, internal/graph/host.go).
func (e *rustExtension) reportStatus(event rustffi.Event) {
	var ev *componentstatus.Event
	switch event.Status {
	case "ok":
		ev = componentstatus.NewEvent(componentstatus.StatusOK)
	case "recoverable_error":
		ev = componentstatus.NewRecoverableErrorEvent(errors.New(event.Message))
	case "permanent_error":
		ev = componentstatus.NewPermanentErrorEvent(errors.New(event.Message))
	default:
		e.logger.Warn("Rust extension reported an unknown status", zap.String("status", event.Status), zap.String("message", event.Message))
		return
	}
	e.fatal.status(ev)
}

// Ready is called by the collector once its pipelines run: from now on it reads fatal errors.
func (e *rustExtension) Ready() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal != nil {
		e.fatal.setPhase(phaseRunning)
	}
	return nil
}

// NotReady is called by the collector before it shuts the pipelines down.
func (e *rustExtension) NotReady() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal != nil {
		e.fatal.setPhase(phaseStopping)
	}
	return nil
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
	defer e.fatal.close()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultShutdownTimeout)
		defer cancel()
	}
	late, err := rustffi.Shutdown(ctx, rustID(e.id), e.scope.Token(), handle)
	// After Rust's shutdown returned: its records (the shutdown's own included) are buffered.
	e.scope.Close()
	e.scope = nil
	// Fatal errors the watcher did not collect: the collector is stopping this instance, so
	// they are logged, not reported.
	for _, message := range late {
		e.fatal.report(e.errorf("%s", message))
	}
	if err != nil {
		return e.errorf("shutdown: %w", err)
	}
	return nil
}

// errorf formats an error naming this component (the collector does not add the id to
// Start and Shutdown errors it returns; it logs them with the id as a field).
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
