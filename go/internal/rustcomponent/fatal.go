package rustcomponent

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// Why fatal errors need care: the collector's status reporter delivers a fatal error on an
// unbuffered channel while holding the lock that every other status report needs, and the
// collector reads that channel only in its control loop, that is, once it runs, and it reads
// one error, then shuts down (service v0.164.0 internal/graph/host.go, otelcol collector.go).
// A report the loop does not read blocks every later status report and hangs the collector.
// So a Rust fatal error is reported only while the pipelines run (between the collector's
// Ready and NotReady), and only one per process until every Rust instance that can report one
// has stopped. Only extensions are told Ready and NotReady (extensioncapabilities.
// PipelineWatcher): an exporter never knows whether the collector reads fatal errors, so its
// fatal error is reported as a permanent error, which the collector hands to status watchers
// synchronously and never on that channel.

// firstFatal holds the first fatal error a Rust component reported to the collector in this
// process.
var firstFatal atomic.Pointer[error]

// FatalError returns the first fatal error a Rust component reported to the collector in this
// process, or nil. The collector shuts down on a fatal error but its Run returns nil; a main
// function calls this afterwards to exit non-zero (see cmd/otelcol-rust).
func FatalError() error {
	if err := firstFatal.Load(); err != nil {
		return *err
	}
	return nil
}

// reports admits one fatal report at a time into the collector: the collector's loop reads
// one and ends, so a second one would never be read. It opens again once no Rust instance that
// reports fatal errors runs (a delivered fatal error always ends in every instance's
// shutdown). It is per process: this assumes one collector per process, as every distribution
// runs; two collectors in one process (tests) share it.
var reports struct {
	mu      sync.Mutex
	running int  // pipeline-watching Rust instances started and not yet shut down
	sent    bool // a fatal error was handed to the collector
}

func admitReport() bool {
	reports.mu.Lock()
	defer reports.mu.Unlock()
	if reports.sent {
		return false
	}
	reports.sent = true
	return true
}

// phase is where the collector is, as far as one instance's fatal errors are concerned.
type phase int

const (
	phaseStarting phase = iota // started; the collector does not read fatal errors yet
	phaseRunning               // between Ready and NotReady: the collector reads them
	phaseStopping              // after NotReady: the collector stops this instance anyway
)

// fatalReporter hands one Rust instance's first fatal error to the collector when the
// collector can take it: held until Ready, logged (not reported) after NotReady; an instance
// that is told neither (watchesPipelines false: exporters) reports it as a permanent error.
// Further fatal errors of the instance are counted and logged once; at most one report
// goroutine exists per process at a time. It also hands the instance's other statuses to the
// host (status), by the same phases.
type fatalReporter struct {
	host             component.Host
	logger           *zap.Logger
	what             string // "Rust extension", "Rust exporter": the subject of its log lines
	watchesPipelines bool

	mu      sync.Mutex
	phase   phase
	pending error // the first fatal error, held until Ready
	settled bool  // the first fatal error was reported, or logged for good
	further int   // fatal errors after the first, only counted
}

// newFatalReporter is called for each started instance; close for each stopped one.
func newFatalReporter(host component.Host, logger *zap.Logger, kind Kind) *fatalReporter {
	r := &fatalReporter{host: host, logger: logger, what: "Rust " + string(kind), watchesPipelines: kind == KindExtension}
	if r.watchesPipelines {
		reports.mu.Lock()
		reports.running++
		reports.mu.Unlock()
	}
	return r
}

func (r *fatalReporter) report(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending != nil || r.settled {
		r.further++
		return
	}
	switch {
	case r.phase == phaseStopping:
		r.logger.Error(r.what+" reported a fatal error while the collector stops it; not reported", zap.Error(err))
		r.settled = true
	case !r.watchesPipelines:
		r.settled = true
		r.logger.Error(r.what+" reported a fatal error; it is reported as a permanent error (the collector does not shut down)", zap.Error(err))
		r.statusLocked(componentstatus.NewPermanentErrorEvent(err))
	case r.phase == phaseRunning:
		r.send(err)
	case r.phase == phaseStarting:
		// Logged now (at Warn: the collector logs it as an error when it reads it), so the
		// cause is visible even if the collector never runs.
		r.logger.Warn(r.what+" reported a fatal error; it is reported once the collector runs", zap.Error(err))
		r.pending = err
	}
}

// shuttingDown tells an instance that is not told NotReady (an exporter) that the collector
// is stopping it: the collector reported Stopping right before calling Shutdown.
func (r *fatalReporter) shuttingDown() {
	if !r.watchesPipelines {
		r.setPhase(phaseStopping)
	}
}

func (r *fatalReporter) setPhase(p phase) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phase = p
	if p == phaseRunning && r.pending != nil {
		r.send(r.pending)
	}
}

// status hands a non-fatal status to the host, unless the collector has begun stopping the
// instance (NotReady): it then reports Stopping and, once Shutdown returned, Stopped, and its
// status reporter (service v0.164.0 internal/status) takes an error after Stopping but no
// Stopped after an error, so the instance would stay in that error for every status watcher.
// Those statuses are logged instead. r.mu is held across the report so that NotReady cannot
// come between the check and the report.
func (r *fatalReporter) status(ev *componentstatus.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statusLocked(ev)
}

func (r *fatalReporter) statusLocked(ev *componentstatus.Event) {
	if r.phase == phaseStopping {
		r.logger.Warn(r.what+" reported a status while the collector stops it; not reported",
			zap.Stringer("status", ev.Status()), zap.Error(ev.Err()))
		return
	}
	componentstatus.ReportStatus(r.host, ev)
}

// close ends the instance's reporting when it is shut down.
func (r *fatalReporter) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending != nil {
		r.logger.Warn(r.what+"'s fatal error was not reported: the collector stopped it before running", zap.Error(r.pending))
		r.pending, r.settled = nil, true
	}
	if r.further > 0 {
		r.logger.Error(r.what+" reported further fatal errors, not reported", zap.Int("count", r.further))
	}
	if !r.watchesPipelines {
		return
	}
	reports.mu.Lock()
	defer reports.mu.Unlock()
	if reports.running--; reports.running == 0 {
		reports.sent = false
	}
}

// send reports err in a goroutine of its own: the report blocks until the collector's control
// loop reads it, and neither the watcher nor Shutdown may wait for that. The collector logs
// the error when it reads it.
func (r *fatalReporter) send(err error) {
	r.pending, r.settled = nil, true
	if !admitReport() {
		r.logger.Error(r.what+" reported a fatal error; another one already stops the collector, so it is not reported", zap.Error(err))
		return
	}
	firstFatal.CompareAndSwap(nil, &err)
	go componentstatus.ReportStatus(r.host, componentstatus.NewFatalErrorEvent(err))
}
