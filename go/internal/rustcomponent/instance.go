package rustcomponent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/otel/attribute"
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

// Instance is the Go side of one Rust component instance, whatever its kind.
//
// Contract: Start creates and starts the Rust instance and fails if called twice. Shutdown is
// idempotent, safe without Start, and always forgets the Rust instance, even when Rust reports
// an error (which it returns). Handle may be called at any time, from any goroutine.
type Instance struct {
	kind      Kind
	id        component.ID
	config    *Config
	logger    *zap.Logger
	telemetry component.TelemetrySettings // the instance's, for its Rust telemetry scope
	build     component.BuildInfo
	identity  []attribute.KeyValue  // added to every series of the instance's metrics
	receiver  *rustffi.ReceiverInfo // a receiver's, for its host_json (SetReceiver)

	// handle is 0 while no Rust instance exists. It is written under mu and read without it,
	// so an export never waits for a Start or Shutdown in progress.
	handle atomic.Uint64

	mu          sync.Mutex
	fatal       *fatalReporter       // set by Start
	scope       *rusttelemetry.Scope // open while the Rust instance exists
	stopWatcher chan struct{}        // closed by Shutdown to stop the event watcher
	watching    chan struct{}        // closed when the event watcher has stopped
}

// NewInstance returns the Go side of a Rust instance of config's kind and type for the
// component id; no Rust instance exists until Start. telemetry is the component's (its logger
// already carries otelcol.component.id). identity is added to every series of the Rust
// instance's own metrics, to tell apart instances of one type: the collector's meter
// provider names the component only behind the alpha gate telemetry.newPipelineTelemetry.
func NewInstance(id component.ID, config *Config, telemetry component.TelemetrySettings, build component.BuildInfo, identity ...attribute.KeyValue) *Instance {
	return &Instance{
		kind:      config.kind,
		id:        id,
		config:    config,
		logger:    telemetry.Logger,
		telemetry: telemetry,
		build:     build,
		identity:  identity,
	}
}

// SetReceiver tells a receiver's next Start where its Rust instance delivers batches.
func (i *Instance) SetReceiver(receiver rustffi.ReceiverInfo) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.receiver = &receiver
}

// Handle names the running Rust instance; 0 when none runs.
func (i *Instance) Handle() rustffi.Handle { return rustffi.Handle(i.handle.Load()) }

// Start creates and starts the Rust instance in its telemetry scope and starts watching its
// events.
func (i *Instance) Start(ctx context.Context, host component.Host) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.handle.Load() != 0 {
		return i.Errorf("already started")
	}
	if err := ctx.Err(); err != nil {
		return i.Errorf("start not attempted: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}
	// Opened first: the Rust factory's create already logs in the instance's scope.
	scope := rusttelemetry.Open(i.telemetry)
	handle, instruments, err := rustffi.CreateAndStart(ctx, i.kind, rustID(i.id), scope.Token(), i.config.values, i.hostInfo(host))
	if handle == 0 {
		scope.Close() // writes what the failed create or start logged
		return i.Errorf("%w", err)
	}
	if err != nil {
		// The instance runs; only its instrument list was unreadable.
		i.logger.Error("Cannot read the "+i.what()+"'s instrument list; its metrics are not exported", zap.Error(err))
	}
	if err := scope.BindMetrics(i.id.Type().String(), handle, instruments, i.identity...); err != nil {
		// Telemetry is not worth failing a running instance for.
		i.logger.Error("Cannot export the "+i.what()+"'s metrics", zap.Error(err))
	}
	i.scope = scope
	i.fatal = newFatalReporter(host, i.logger, i.kind)
	i.stopWatcher, i.watching = make(chan struct{}), make(chan struct{})
	go i.watch(handle, i.stopWatcher, i.watching)
	i.handle.Store(uint64(handle))
	return nil
}

// watch collects the Rust instance's status reports: non-fatal ones go to the host as they
// come, fatal errors (such as a panic in one of its background tasks) to the fatal reporter.
// It ends when stop is closed or the instance is gone, and checks stop between events, so an
// instance reporting in a loop cannot delay Shutdown (Rust also bounds how many events wait).
func (i *Instance) watch(handle rustffi.Handle, stop <-chan struct{}, done chan<- struct{}) {
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
				i.logger.Error("Cannot watch "+i.what(), zap.Error(err))
				return
			}
			if event.Kind == "none" {
				break // nothing more for now
			}
			switch event.Kind {
			case "closed":
				return
			case "status":
				i.reportStatus(event)
			case "fatal":
				// The records the instance wrote before its fatal error (a panic's among them)
				// reach the log before the collector starts shutting down.
				rusttelemetry.Flush()
				i.fatal.report(i.Errorf("%s", event.Message))
			}
		}
	}
}

// reportStatus hands a non-fatal status to the host (see fatalReporter.status). The
// collector's status reporter passes it to the status watchers synchronously and, unlike a
// fatal error, on no channel, so it does not wait for the collector to run (service v0.164.0
// internal/status, internal/graph/host.go).
func (i *Instance) reportStatus(event rustffi.Event) {
	var ev *componentstatus.Event
	switch event.Status {
	case "ok":
		ev = componentstatus.NewEvent(componentstatus.StatusOK)
	case "recoverable_error":
		ev = componentstatus.NewRecoverableErrorEvent(errors.New(event.Message))
	case "permanent_error":
		ev = componentstatus.NewPermanentErrorEvent(errors.New(event.Message))
	default:
		i.logger.Warn(i.what()+" reported an unknown status", zap.String("status", event.Status), zap.String("message", event.Message))
		return
	}
	i.fatal.status(ev)
}

// Ready is called by the collector once its pipelines run (extensions only): from now on it
// reads fatal errors.
func (i *Instance) Ready() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fatal != nil {
		i.fatal.setPhase(phaseRunning)
	}
	return nil
}

// NotReady is called by the collector before it shuts the pipelines down (extensions only).
func (i *Instance) NotReady() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fatal != nil {
		i.fatal.setPhase(phaseStopping)
	}
	return nil
}

// Shutdown stops the event watcher and shuts the Rust instance down.
func (i *Instance) Shutdown(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	handle := rustffi.Handle(i.handle.Swap(0))
	if handle == 0 {
		return nil
	}
	i.fatal.shuttingDown()
	close(i.stopWatcher)
	<-i.watching // at most one WaitEvent call (which does not block) away
	defer i.fatal.close()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultShutdownTimeout)
		defer cancel()
	}
	late, err := rustffi.Shutdown(ctx, rustID(i.id), i.scope.Token(), handle)
	// After Rust's shutdown returned: its records (the shutdown's own included) are buffered.
	i.scope.Close()
	i.scope = nil
	// Fatal errors the watcher did not collect: the collector is stopping this instance, so
	// they are logged, not reported.
	for _, message := range late {
		i.fatal.report(i.Errorf("%s", message))
	}
	if err != nil {
		return i.Errorf("shutdown: %w", err)
	}
	return nil
}

// Errorf formats an error naming this component, `rust exporter "otlp/2": ...` (the
// collector does not add the id to Start and Shutdown errors it returns; it logs them with
// the id as a field).
func (i *Instance) Errorf(format string, args ...any) error {
	return fmt.Errorf("rust %s %q: "+format, append([]any{string(i.kind), i.id.String()}, args...)...)
}

// what names the instance's kind in log messages: "Rust extension", "Rust exporter".
func (i *Instance) what() string { return "Rust " + string(i.kind) }

func (i *Instance) hostInfo(host component.Host) rustffi.HostInfo {
	others := []string{}
	for id := range host.GetExtensions() {
		// An exporter may share its id with an extension; it is still another component.
		if i.kind != KindExtension || id != i.id {
			others = append(others, id.String())
		}
	}
	slices.Sort(others)
	return rustffi.HostInfo{
		Build: rustffi.BuildInfo{
			Command:     i.build.Command,
			Description: i.build.Description,
			Version:     i.build.Version,
		},
		Extensions: others,
		Receiver:   i.receiver,
	}
}

func rustID(id component.ID) rustffi.ComponentID {
	return rustffi.ComponentID{Type: id.Type().String(), Name: id.Name()}
}
