package rustffi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNoCgo is returned by every call when the binary was built with CGO_ENABLED=0.
var ErrNoCgo = errors.New("rust components are unavailable: this binary was built without cgo (build with CGO_ENABLED=1)")

// Handle names a started Rust instance. Zero is never a valid handle.
type Handle uint64

// Kind is a component kind, as the boundary names it. A component is named by its kind and
// its type: one type may exist in several kinds.
type Kind string

// The kinds of Rust components.
const (
	KindExtension Kind = "extension"
	KindExporter  Kind = "exporter"
	KindProcessor Kind = "processor"
	KindReceiver  Kind = "receiver"
)

// Signal is the kind of telemetry a batch carries, numbered as otelcol_rust_export takes it.
type Signal uint32

// The signals, in the boundary's numbering.
const (
	SignalTraces Signal = iota
	SignalMetrics
	SignalLogs
)

// String names the signal as the collector does: "traces", "metrics" or "logs".
func (s Signal) String() string {
	switch s {
	case SignalTraces:
		return "traces"
	case SignalMetrics:
		return "metrics"
	case SignalLogs:
		return "logs"
	}
	return fmt.Sprintf("signal(%d)", uint32(s))
}

// Outcome is how a Rust export ended, numbered as otelcol_rust_export answers it.
type Outcome uint32

// The outcomes of an export (ExportResult.Outcome).
const (
	// ExportOK: the destination accepted the batch.
	ExportOK Outcome = iota
	// ExportRetryable: try the whole batch again, after ExportResult.RetryAfter if it is set.
	ExportRetryable
	// ExportPermanent: never retry; the batch is dropped.
	ExportPermanent
	// ExportPartial: accepted except ExportResult.Rejected items, refused for good.
	ExportPartial
)

// ExportResult is what a Rust exporter answered for one batch.
type ExportResult struct {
	Outcome Outcome
	// RetryAfter is, for ExportRetryable, the earliest the destination wants the batch again;
	// 0 when it gave no hint.
	RetryAfter time.Duration
	// Rejected is, for ExportPartial, how many items were refused.
	Rejected uint64
	// Message is the reason of any outcome but ExportOK (UTF-8, at most 1024 bytes).
	Message string
}

// Encoding is how a batch a Rust receiver delivers is encoded, numbered as the delivery
// callback takes it.
type Encoding uint32

// The encodings of a delivered batch.
const (
	// EncodingProtobuf: an OTLP Export*ServiceRequest in protobuf.
	EncodingProtobuf Encoding = iota
	// EncodingJSON: the same request in OTLP/JSON.
	EncodingJSON
)

// String names the encoding as receiverhelper's `format` does: "protobuf" or "json".
func (e Encoding) String() string {
	switch e {
	case EncodingProtobuf:
		return "protobuf"
	case EncodingJSON:
		return "json"
	}
	return fmt.Sprintf("encoding(%d)", uint32(e))
}

// DeliverOutcome is what the pipeline answered a Rust receiver's batch, numbered as the
// delivery callback writes it.
type DeliverOutcome uint32

// The outcomes of a delivery (DeliverResult.Outcome).
const (
	// DeliverAccepted: the pipeline took the batch.
	DeliverAccepted DeliverOutcome = iota
	// DeliverRetryable: not taken now (the pipeline refused it for now, or the receiver is
	// shut down); the client should send it again.
	DeliverRetryable
	// DeliverPermanent: refused for good downstream (consumererror.IsPermanent), or the
	// pipeline panicked; the client should not send it again.
	DeliverPermanent
	// DeliverMalformed: the bytes do not decode as a request of the signal: the client's
	// fault.
	DeliverMalformed
)

// DeliverResult is the answer to one batch a Rust receiver delivered.
type DeliverResult struct {
	Outcome DeliverOutcome
	// RetryAfter is, for DeliverRetryable, when to try again at the earliest; 0 leaves it to
	// the receiver.
	RetryAfter time.Duration
	// Message is the reason of any outcome but DeliverAccepted. Rust gets at most its first
	// 1024 bytes, cut at a character boundary.
	Message string
}

// Deliverer takes the batches of one Go receiver whose Rust instance receives them (see
// RegisterReceiver).
type Deliverer interface {
	// Deliver hands one OTLP export request of signal, encoded as encoding, to the pipeline
	// and answers its outcome. It runs on a Rust delivery thread, synchronously; data is Rust's
	// memory, lent for the call only: whatever outlives the call must be copied (pdata's
	// unmarshalling copies). Calls come concurrently.
	Deliver(signal Signal, encoding Encoding, data []byte) DeliverResult
}

// ProcessStatus is how the last processor stage of a Process call ended, numbered as
// otelcol_rust_process answers it.
type ProcessStatus uint32

// The statuses of a Process call (ProcessResult.Status).
const (
	// ProcessOK: the stages ran; the result says what they did to the batch.
	ProcessOK ProcessStatus = iota
	// ProcessRetryable: the last stage run failed; the same batch may succeed later.
	ProcessRetryable
	// ProcessPermanent: the last stage run failed for good (a panic, a shut-down instance, an
	// undeclared signal among them).
	ProcessPermanent
)

// ProcessResult is what one Process call answered: the stages of the chain that ran, and what
// they did to the batch as a whole. Its slices alias Rust memory: they are valid until
// Release, and whatever outlives it must be copied.
type ProcessResult struct {
	Status ProcessStatus
	// StagesRun is how many stages of the chain ran, from the first: 1 to len(handles). The
	// last of them answered Status; the later ones did not run (the run ended early because a
	// stage dropped items, changed their count or failed).
	StagesRun int
	// Message is the reason of an error status (UTF-8, at most 1024 bytes).
	Message string
	// Replaced: Replacement is the new batch (an OTLP export request of the signal); Edits
	// is then empty.
	Replaced    bool
	Replacement []byte
	// Edits is the edit script to apply to the original batch when not Replaced (empty: the
	// stages changed no attribute).
	Edits []byte
	// HasKeep: Keep is a bitmap of KeepItems bits, LSB first (item i is byte i/8, bit i%8;
	// 1 = keep), over the batch after Replacement or Edits.
	HasKeep   bool
	Keep      []byte
	KeepItems uint64

	// output names the Rust memory the slices alias; 0 once released.
	output uint64
}

// ComponentType is a component type registered in the Rust library.
type ComponentType struct {
	Kind Kind   `json:"kind"`
	Type string `json:"type"`
	// Stability is the level the Rust factory declares, named as the collector names it
	// ("Development", "Alpha", ...; component.StabilityLevel's UnmarshalText reads it).
	Stability string `json:"stability"`
	// Factory is the Rust factory's type path (`crate::module::Factory`), which names its crate.
	Factory string `json:"factory"`
	// SDKVersion is the otelcol-rust-sdk version the factory was compiled against, as its
	// registration recorded it; ComponentTypes refuses one SDKVersion does not satisfy.
	SDKVersion string `json:"sdk_version"`
	// Signals are the pipelines an exporter, processor or receiver can be in ("traces",
	// "metrics", "logs"), at least one; empty for extensions.
	Signals []string `json:"signals,omitempty"`
	// Transport is, for a receiver, receiverhelper's `transport` attribute ("http", "grpc",
	// ...; may be empty); empty for other kinds.
	Transport string `json:"transport,omitempty"`
}

// ComponentID is a collector component id in the form Rust reads it.
type ComponentID struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// BuildInfo describes the collector binary.
type BuildInfo struct {
	Command     string `json:"command"`
	Description string `json:"description"`
	Version     string `json:"version"`
}

// HostInfo is what a Rust component can see of the collector.
type HostInfo struct {
	Build      BuildInfo `json:"build"`
	Extensions []string  `json:"extensions"`
	// Receiver is set for a receiver only: where its deliveries go.
	Receiver *ReceiverInfo `json:"receiver,omitempty"`
}

// ReceiverInfo tells a Rust receiver instance, at start, the Go receiver its batches go to.
type ReceiverInfo struct {
	// Token is what RegisterReceiver answered; Rust passes it back with every delivery.
	Token uint64 `json:"token"`
	// Signals are those with a next consumer ("traces", "metrics", "logs"): the Rust
	// receiver gets a consumer for each of these only.
	Signals []string `json:"signals"`
}

// Event is something a running Rust instance reported.
type Event struct {
	// Kind is "none" (nothing within the wait), "fatal", "status" or "closed" (shut down; no
	// more events).
	Kind string `json:"event"`
	// Status is, for Kind "status", "ok", "recoverable_error" or "permanent_error".
	Status  string `json:"status"`
	Message string `json:"message"`
}

// KeyValue is one attribute of a metric series or one field of a log record. Value is a
// string, a bool or a json.Number (integers stay exact; a non-finite float crosses as the
// string "NaN", "inf" or "-inf").
type KeyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// LogRecord is one record a Rust component emitted through `tracing` or `log`.
type LogRecord struct {
	// Scope is the telemetry scope the record was emitted in; 0 for none (library records).
	Scope        uint64     `json:"scope"`
	Level        string     `json:"level"` // "debug", "info", "warn" or "error"
	TimeUnixNano uint64     `json:"time_unix_nano"`
	Message      string     `json:"message"`
	Target       string     `json:"target"`
	File         string     `json:"file"` // empty when unknown
	Line         int        `json:"line"` // 0 when unknown
	Fields       []KeyValue `json:"fields"`
}

// LogBatch is one drain of the Rust log buffer.
type LogBatch struct {
	Records []LogRecord `json:"records"`
	// Dropped counts the records the full buffer refused since the previous drain.
	Dropped uint64 `json:"dropped"`
}

// Instrument is a metric instrument a Rust instance declared when it was created. Its index
// in the list CreateAndStart answers is the id Series refer to.
type Instrument struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"` // "counter", "up_down_counter", "gauge" or "histogram"
	Description string    `json:"description"`
	Unit        string    `json:"unit"`
	Buckets     []float64 `json:"buckets"` // histogram bucket boundaries
}

// Series is the cumulative state of one attribute set of one instrument.
type Series struct {
	Instrument int        `json:"instrument"`
	Attributes []KeyValue `json:"attributes"`
	// Value is a counter's (u64), an up-down counter's (i64) or a gauge's (f64) value.
	Value json.Number `json:"value"`
	// A histogram's count, sum and per-bucket counts and sums (len(Buckets)+1 each).
	Count        uint64    `json:"count"`
	Sum          float64   `json:"sum"`
	BucketCounts []uint64  `json:"bucket_counts"`
	BucketSums   []float64 `json:"bucket_sums"`
}

// LibraryCounts are the Rust library's own cumulative counters.
type LibraryCounts struct {
	BoundaryCalls     uint64 `json:"boundary_calls"`
	BoundaryErrors    uint64 `json:"boundary_errors"`
	PanicsCaught      uint64 `json:"panics_caught"`
	LiveInstances     uint64 `json:"live_instances"`
	LogRecordsDropped uint64 `json:"log_records_dropped"`
	// Exports counts Export calls answered, whatever their outcome; ExportErrors those that
	// answered ExportRetryable or ExportPermanent; ExportPanics those whose exporter panicked.
	Exports      uint64 `json:"exports"`
	ExportErrors uint64 `json:"export_errors"`
	ExportPanics uint64 `json:"export_panics"`
	// ProcessCrossings counts Process calls (one per fused run of Rust processors);
	// ProcessStages the processor stages those calls ran; ProcessErrors the stages that
	// answered an error; ProcessPanics those whose processor panicked.
	ProcessCrossings uint64 `json:"process_crossings"`
	ProcessStages    uint64 `json:"process_stages"`
	ProcessErrors    uint64 `json:"process_errors"`
	ProcessPanics    uint64 `json:"process_panics"`
	// ReceiveDeliveries counts the batches Rust receivers handed to Go (calls of the delivery
	// callback); ReceiveAccepted those the pipeline accepted; ReceiveRefused those answered
	// retryable, permanent or malformed (by Go, or by Rust without calling Go: a shut-down
	// receiver, no callback). ReceivePending is a gauge: the sends waiting for or in a
	// delivery slot now.
	ReceiveDeliveries uint64 `json:"receive_deliveries"`
	ReceiveAccepted   uint64 `json:"receive_accepted"`
	ReceiveRefused    uint64 `json:"receive_refused"`
	ReceivePending    uint64 `json:"receive_pending"`
}

// callContext is the wire form of a context.Context: Rust gets the time left, not a clock
// reading, so the two sides never compare clocks.
type callContext struct {
	ID                  ComponentID `json:"id"`
	Cancelled           bool        `json:"cancelled"`
	DeadlineRemainingNS *uint64     `json:"deadline_remaining_ns,omitempty"`
	// Call is the token Rust is told to cancel this call with; 0 for none.
	Call uint64 `json:"call,omitempty"`
	// Scope is the telemetry scope the call and the instance's tasks run in; 0 for none.
	Scope uint64 `json:"scope,omitempty"`
}

func newCallContext(ctx context.Context, id ComponentID, call uint64) callContext {
	// An expired deadline crosses as zero time left (Rust answers "deadline exceeded"), not as
	// a cancellation.
	wire := callContext{ID: id, Cancelled: errors.Is(ctx.Err(), context.Canceled), Call: call}
	if deadline, ok := ctx.Deadline(); ok {
		// Rust treats 0 as "already expired"; round a live deadline up to at least 1ns.
		left := uint64(max(time.Until(deadline), 0))
		if left == 0 && ctx.Err() == nil {
			left = 1
		}
		wire.DeadlineRemainingNS = &left
	}
	return wire
}

var archiveDigest string // set at link time: -ldflags=-X=<this package>.archiveDigest=<sha256>

// ArchiveDigest is the SHA-256 of the Rust archive this binary was linked with, as recorded by
// the build (see the Makefile); empty when the build did not record it.
func ArchiveDigest() string { return archiveDigest }
