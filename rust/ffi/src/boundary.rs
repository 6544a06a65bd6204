//! THE BOUNDARY: everything Go can call, in one rust2go `g2r` trait (Go calls Rust).
//!
//! `make generate` runs rust2go-cli over this file to write `go/internal/rustffi/boundary_gen.go`; the
//! `#[rust2go::g2r]` macro writes the matching `extern "C"` exports (`c_RustExtensions_*`).
//!
//! Rules of the road, written once here and in docs/boundary.md:
//! - OWNERSHIP: request strings are borrowed from Go for the duration of the call and copied
//!   into owned Rust values before use; a `Reply` is owned by Rust until Go has copied it, then
//!   Go frees it with `otelcol_rust_drop_reply`. No pointer of either side outlives a call.
//! - Errors: every call answers a `Reply`; `ok == false` carries a lower-case message and, for
//!   a config error, its problems as `[{"path":..,"message":..}]` in `json`.
//! - Panics: every method catches unwinding and answers an error; nothing unwinds into Go.
//! - Threading: every method is `#[cgo_call]` (an ordinary cgo call, so the Go scheduler and GC
//!   keep running while Rust blocks) and may be called from many goroutines at once.
//! - Instances are named by `u64` handles from a table, never by pointers. Handle 0 is never
//!   issued.
//!
//! The data path is hand-written C ABI instead: [`export::otelcol_rust_export`] and
//! [`process::otelcol_rust_process`] (with [`process::otelcol_rust_process_release`]). rust2go's
//! g2r would copy the batch into an owned `Vec<u8>`; these calls read Go's bytes in place
//! (docs/boundary.md has the figures). Receivers deliver the other way: Go registers a
//! function with [`receive::otelcol_rust_set_deliver`], which Rust's delivery threads call.
// The g2r macro expands to the unsafe `extern "C"` shims; the other unsafe items here are
// `otelcol_rust_drop_reply`, `otelcol_rust_export`, the two process calls,
// `otelcol_rust_set_deliver` and the call through the delivery function it registers.
#![allow(unsafe_code)]
#![allow(missing_docs)] // The macro also emits undocumented items; the trait itself is documented.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use rust2go::ToRef;

use crate::host;

/// A lookup by kind and type, optionally with a config (JSON object text).
#[derive(rust2go::R2G, Clone, Default)]
pub struct ConfigRequest {
    /// `extension` or `exporter`: one type may exist in several kinds.
    pub kind: String,
    pub component_type: String,
    pub config_json: String,
}

/// Create an instance and start it.
#[derive(rust2go::R2G, Clone, Default)]
pub struct StartRequest {
    /// `extension` or `exporter`.
    pub kind: String,
    pub component_type: String,
    pub config_json: String,
    /// `{"id":{"type":..,"name":..},"cancelled":bool,"deadline_remaining_ns":u64|null,"call":u64,"scope":u64}`
    /// (`call`: the token `cancel_call` cancels this call with; 0 for none. `scope`: the
    /// instance's telemetry scope, which its log records carry; 0 for none)
    pub context_json: String,
    /// `{"build":{"command":..,"description":..,"version":..},"extensions":[ids]}`
    pub host_json: String,
}

/// Shut an instance down.
#[derive(rust2go::R2G, Clone, Default)]
pub struct ShutdownRequest {
    pub handle: u64,
    /// Same shape as `StartRequest::context_json`.
    pub context_json: String,
}

/// Names a cancellable lifecycle call: the `call` token of its context.
#[derive(rust2go::R2G, Clone, Default)]
pub struct CallRequest {
    pub token: u64,
}

/// Wait for an instance's next event.
#[derive(rust2go::R2G, Clone, Default)]
pub struct EventRequest {
    pub handle: u64,
    /// The longest the call may block.
    pub timeout_ms: u64,
}

/// Take up to `max_records` buffered log records.
#[derive(rust2go::R2G, Clone, Default)]
pub struct DrainRequest {
    pub max_records: u64,
}

/// The most verbose level Go wants from Rust: `debug`, `info`, `warn`, `error` or `off`.
#[derive(rust2go::R2G, Clone, Default)]
pub struct LevelRequest {
    pub level: String,
}

/// Names a started instance.
#[derive(rust2go::R2G, Clone, Default)]
pub struct MetricsRequest {
    pub handle: u64,
}

/// The answer to every call. On success `json` and/or `handle` carry the result; on a config
/// error `json` lists its problems (see `answer`).
#[derive(rust2go::R2G, Clone, Default)]
pub struct Reply {
    pub ok: bool,
    pub error: String,
    pub json: String,
    pub handle: u64,
}

/// What Go may ask of the Rust library.
// Every method returns `Reply` or nothing (checked at compile time): otelcol_rust_drop_reply
// frees every boxed reply as a `Reply`'s `ReplyStorage`.
#[otelcol_rust_ffi_macros::replies_are(Reply)]
#[rust2go::g2r]
pub trait RustExtensions {
    /// Does nothing: proves the library is linked and callable, and is the floor the
    /// benchmarks measure every other call against.
    #[cgo_call]
    fn ping();
    /// The registered component types, as a JSON array sorted by kind, then type, of
    /// `{"kind":"exporter","type":"rust_otlphttp","stability":"Development",
    /// "factory":"rust_otlphttp::OtlpHttpFactory","sdk_version":"0.1.0",
    /// "signals":["traces","metrics","logs"]}` objects (`sdk_version`: what the registration
    /// recorded; `signals` for exporters only).
    #[cgo_call]
    fn component_types() -> Reply;
    /// The default config of the kind's `component_type`, as a JSON object.
    #[cgo_call]
    fn default_config(req: ConfigRequest) -> Reply;
    /// Decodes and validates `config_json`; answers it normalized (all keys present).
    #[cgo_call]
    fn validate_config(req: ConfigRequest) -> Reply;
    /// The ids of the extensions an instance with this config depends on, as a JSON array
    /// (extensions only).
    #[cgo_call]
    fn dependencies(req: ConfigRequest) -> Reply;
    /// Validates again, creates the instance, starts it within the context's deadline and
    /// answers its handle, with the instruments it declared as a JSON array in `json`. On
    /// failure nothing stays registered.
    #[cgo_call]
    fn create_and_start(req: StartRequest) -> Reply;
    /// Shuts the instance down within the context's deadline and forgets its handle, also
    /// when shutdown fails. `json` (on success and on failure) lists, as an array of strings,
    /// the fatal errors the instance reported that `wait_event` did not hand out.
    #[cgo_call]
    fn shutdown(req: ShutdownRequest) -> Reply;
    /// Blocks up to `timeout_ms` for the instance's next event; answers
    /// `{"event":"none"}`, `{"event":"fatal","message":..}`,
    /// `{"event":"status","status":"ok"|"recoverable_error"|"permanent_error","message":..}`
    /// or, once the instance is shut down (or unknown), `{"event":"closed"}`.
    #[cgo_call]
    fn wait_event(req: EventRequest) -> Reply;
    /// How many instances are started and not yet shut down (for leak checks).
    #[cgo_call]
    fn live_instances() -> Reply;
    /// Cancels the start or shutdown whose context carries this token: it answers
    /// `context cancelled` at once and its work is stopped. May come before the call itself.
    #[cgo_call]
    fn cancel_call(req: CallRequest);
    /// Forgets a token after its call returned (needed only when `cancel_call` was sent).
    #[cgo_call]
    fn release_call(req: CallRequest);
    /// Takes up to `max_records` buffered log records, oldest first, without waiting:
    /// `{"records":[..],"dropped":n}` (`dropped`: records the full buffer refused since the
    /// previous drain). See docs/telemetry.md for a record's shape.
    #[cgo_call]
    fn drain_logs(req: DrainRequest) -> Reply;
    /// Sets the most verbose level Rust records; less severe ones cost next to nothing.
    #[cgo_call]
    fn set_log_level(req: LevelRequest) -> Reply;
    /// The cumulative value of every series of the instance's instruments, as a JSON array.
    #[cgo_call]
    fn read_metrics(req: MetricsRequest) -> Reply;
    /// The library's own counters, as a JSON object.
    #[cgo_call]
    fn library_metrics() -> Reply;
}

impl RustExtensions for RustExtensionsImpl {
    fn ping() {}

    fn component_types() -> Reply {
        answer(|| host::component_types().map(json))
    }

    fn default_config(req: ConfigRequest) -> Reply {
        answer(|| host::default_config(&req.kind, &req.component_type).map(json))
    }

    fn validate_config(req: ConfigRequest) -> Reply {
        answer(|| host::validate_config(&req.kind, &req.component_type, &req.config_json).map(json))
    }

    fn dependencies(req: ConfigRequest) -> Reply {
        answer(|| host::dependencies(&req.kind, &req.component_type, &req.config_json).map(json))
    }

    fn create_and_start(req: StartRequest) -> Reply {
        answer(|| {
            host::create_and_start(
                &req.kind,
                &req.component_type,
                &req.config_json,
                &req.context_json,
                &req.host_json,
            )
            .map(|(handle, instruments)| Reply {
                handle,
                ..json(instruments)
            })
        })
    }

    fn shutdown(req: ShutdownRequest) -> Reply {
        let mut late = Vec::new();
        let mut reply = answer(|| {
            let (fatal, stopped) = host::shutdown(req.handle, &req.context_json);
            late = fatal;
            stopped.map(|()| Reply::default())
        });
        if !late.is_empty() {
            reply.json = serde_json::to_string(&late).unwrap_or_default();
        }
        reply
    }

    fn wait_event(req: EventRequest) -> Reply {
        let timeout = std::time::Duration::from_millis(req.timeout_ms);
        // Go polls this every 200 ms per instance: counting it would measure uptime.
        uncounted(|| Ok(json(host::wait_event(req.handle, timeout))))
    }

    fn live_instances() -> Reply {
        answer(|| Ok(handle(host::live_instances())))
    }

    fn cancel_call(req: CallRequest) {
        host::BOUNDARY_CALLS.fetch_add(1, Ordering::Relaxed);
        // Nothing here panics (a map insert and a notify), and nothing may unwind into Go.
        let _ = catch_unwind(|| host::cancel_call(req.token));
    }

    fn release_call(req: CallRequest) {
        host::BOUNDARY_CALLS.fetch_add(1, Ordering::Relaxed);
        let _ = catch_unwind(|| host::release_call(req.token));
    }

    fn drain_logs(req: DrainRequest) -> Reply {
        uncounted(|| Ok(json(host::drain_logs(req.max_records))))
    }

    fn set_log_level(req: LevelRequest) -> Reply {
        answer(|| host::set_log_level(&req.level).map(|()| Reply::default()))
    }

    fn read_metrics(req: MetricsRequest) -> Reply {
        uncounted(|| Ok(json(host::read_metrics(req.handle))))
    }

    fn library_metrics() -> Reply {
        uncounted(|| Ok(json(host::library_metrics())))
    }
}

fn json(value: impl serde::Serialize) -> Reply {
    Reply {
        json: serde_json::to_string(&value).unwrap_or_default(),
        ..Reply::default()
    }
}

fn handle(handle: u64) -> Reply {
    Reply {
        handle,
        ..Reply::default()
    }
}

/// Runs one call, turning an error or a panic into a failed `Reply`, and counts it in the
/// library's metrics.
fn answer(call: impl FnOnce() -> Result<Reply, host::Error>) -> Reply {
    let reply = uncounted(call);
    host::BOUNDARY_CALLS.fetch_add(1, Ordering::Relaxed);
    if !reply.ok {
        host::BOUNDARY_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    reply
}

/// [`answer`] without counting: for the telemetry calls Go makes on its own schedule, which
/// would otherwise count themselves.
fn uncounted(call: impl FnOnce() -> Result<Reply, host::Error>) -> Reply {
    // Every call may be the first: records of config calls need the subscriber too.
    crate::logs::install();
    let outcome = catch_unwind(AssertUnwindSafe(call))
        .unwrap_or_else(|payload| Err(host::Error::Panic(host::panic_message(payload.as_ref()))));
    match outcome {
        Ok(reply) => Reply { ok: true, ..reply },
        Err(err) => Reply {
            ok: false,
            error: err.to_string(),
            json: problems_json(&err),
            ..Reply::default()
        },
    }
}

/// A config error's problems as `[{"path":..,"message":..}]`, so Go reports each under its
/// key path; empty for every other error.
fn problems_json(err: &host::Error) -> String {
    match err {
        host::Error::Sdk(sdk) if !sdk.config_problems().is_empty() => {
            serde_json::to_string(sdk.config_problems()).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The storage the g2r exports box for every reply: the reply, its C view and the buffer the
/// view points into (rust2go-macro 0.4.1's generated `c_RustExtensions_*` box
/// `(out, ToRef::calc_ref(&out).1, ToRef::calc_ref(&out).0)` and hand Go the box's data pointer
/// with no type). `#[replies_are(Reply)]` on [`RustExtensions`] makes a method with another
/// return type a compile error, so this is the only type a reply pointer can have.
///
/// A g2r trait whose method returns a `String` does not compile (the error, E0277, points at
/// `-> String`: "`String` is not `Reply`: every method of a g2r trait checked by `replies_are`
/// must return `Reply` or nothing"):
///
/// ```compile_fail,E0277
/// #[derive(rust2go::R2G, Default)]
/// pub struct Reply {
///     pub ok: bool,
/// }
///
/// #[otelcol_rust_ffi_macros::replies_are(Reply)]
/// #[rust2go::g2r]
/// pub trait Boundary {
///     #[cgo_call]
///     fn ping();
///     #[cgo_call]
///     fn status() -> Reply;
///     #[cgo_call]
///     fn version() -> String;
/// }
///
/// impl Boundary for BoundaryImpl {
///     fn ping() {}
///     fn status() -> Reply {
///         Reply { ok: true }
///     }
///     fn version() -> String {
///         String::new()
///     }
/// }
/// ```
///
/// The same code with `version` returning `Reply` compiles, so the return type is what the
/// example above fails on (stable rustdoc does not check the error code):
///
/// ```
/// #[derive(rust2go::R2G, Default)]
/// pub struct Reply {
///     pub ok: bool,
/// }
///
/// #[otelcol_rust_ffi_macros::replies_are(Reply)]
/// #[rust2go::g2r]
/// pub trait Boundary {
///     #[cgo_call]
///     fn ping();
///     #[cgo_call]
///     fn status() -> Reply;
///     #[cgo_call]
///     fn version() -> Reply;
/// }
///
/// impl Boundary for BoundaryImpl {
///     fn ping() {}
///     fn status() -> Reply {
///         Reply { ok: true }
///     }
///     fn version() -> Reply {
///         Reply::default()
///     }
/// }
/// ```
type ReplyStorage = (Reply, <Reply as ToRef>::Ref, Vec<u8>);

/// Frees a reply Go has finished copying.
///
/// Replaces rust2go 0.4.3's `c_rust2go_internal_drop`, which rebuilds the box with the vtable
/// of `()` and so frees nothing (every reply leaked). `tools/generate-boundary.sh` points the
/// generated Go code here instead.
///
/// # Safety
/// `storage` must be the second reply slot written by one of this boundary's exports, passed
/// here exactly once.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_drop_reply(storage: *mut c_void) {
    if storage.is_null() {
        return;
    }
    // SAFETY: per the contract above, `storage` came from `Box::leak` in one of the generated
    // exports and has not been freed yet; what that export boxed is a `ReplyStorage`, because
    // `replies_are(Reply)` lets no method of the trait return anything else.
    let reply = unsafe { Box::from_raw(storage.cast::<ReplyStorage>()) };
    // Dropping strings cannot panic, but nothing may unwind into Go.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(reply)));
}

/// The data path: [`otelcol_rust_export`], hand-written C ABI. In a module of its own only so
/// rust2go-cli, which reads every top-level struct of this file as a g2r type, skips it.
pub mod export {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::Duration;

    use otelcol_rust_sdk::{Batch, ExportOutcome, Signal};

    use crate::host;

    /// The longest reason an export answers; a longer one is cut at a char boundary.
    pub const EXPORT_MESSAGE_CAPACITY: usize = 1024;

    /// What [`otelcol_rust_export`] answers, written into memory Go owns (and, the other way,
    /// what Go answers a receiver's delivery in, written into memory Rust owns: see
    /// [`receive::DeliverFn`](super::receive::DeliverFn), where `outcome` 3 is malformed):
    ///
    /// ```c
    /// typedef struct {
    ///     uint32_t outcome;        // 0 ok, 1 retryable, 2 permanent, 3 partial
    ///     uint64_t retry_after_ns; // retryable: 0 = none given
    ///     uint64_t rejected;       // partial: items rejected
    ///     uint64_t message_len;    // bytes used in message
    ///     uint8_t  message[1024];  // reason, UTF-8, truncated at a char boundary
    /// } otelcol_rust_export_result;
    /// ```
    ///
    /// OWNERSHIP: Go's (typically on the calling goroutine's stack); Rust writes it during the
    /// call and keeps no pointer to it.
    #[repr(C)]
    pub struct ExportResult {
        pub outcome: u32,
        pub retry_after_ns: u64,
        pub rejected: u64,
        pub message_len: u64,
        pub message: [u8; EXPORT_MESSAGE_CAPACITY],
    }

    // Go lends this struct (go/internal/rustffi/boundary_export.go's C declaration) and Rust
    // writes into it: the layout must be the one cgo gives Go, which TestExportResultLayout
    // checks against the same numbers.
    const _: () = {
        use std::mem::{align_of, offset_of, size_of};
        assert!(size_of::<ExportResult>() == 1056);
        assert!(align_of::<ExportResult>() == 8);
        assert!(offset_of!(ExportResult, outcome) == 0);
        assert!(offset_of!(ExportResult, retry_after_ns) == 8);
        assert!(offset_of!(ExportResult, rejected) == 16);
        assert!(offset_of!(ExportResult, message_len) == 24);
        assert!(offset_of!(ExportResult, message) == 32);
        assert!(EXPORT_MESSAGE_CAPACITY == 1024);
    };

    /// `ExportResult::outcome` values.
    pub const EXPORT_OK: u32 = 0;
    /// See [`EXPORT_OK`].
    pub const EXPORT_RETRYABLE: u32 = 1;
    /// See [`EXPORT_OK`].
    pub const EXPORT_PERMANENT: u32 = 2;
    /// See [`EXPORT_OK`].
    pub const EXPORT_PARTIAL: u32 = 3;

    impl ExportResult {
        /// Writes `outcome`, touching only the bytes it uses (Go's struct is 1 KiB).
        fn fill(&mut self, outcome: &ExportOutcome) {
            let (code, retry_after, rejected, reason) = match outcome {
                ExportOutcome::Ok => (EXPORT_OK, None, 0, ""),
                ExportOutcome::Retryable {
                    reason,
                    retry_after,
                } => (EXPORT_RETRYABLE, *retry_after, 0, reason.as_str()),
                ExportOutcome::Permanent { reason } => (EXPORT_PERMANENT, None, 0, reason.as_str()),
                ExportOutcome::Partial { rejected, reason } => {
                    (EXPORT_PARTIAL, None, *rejected, reason.as_str())
                }
            };
            // A hint of 0 would read as "none": the shortest hint is 1ns.
            let retry_after_ns = retry_after.map_or(0, |after| {
                u64::try_from(after.as_nanos()).unwrap_or(u64::MAX).max(1)
            });
            let mut len = reason.len().min(EXPORT_MESSAGE_CAPACITY);
            while !reason.is_char_boundary(len) {
                len -= 1;
            }
            self.outcome = code;
            self.retry_after_ns = retry_after_ns;
            self.rejected = rejected;
            self.message_len = len as u64;
            self.message[..len].copy_from_slice(&reason.as_bytes()[..len]);
        }
    }

    /// The signal numbers of [`otelcol_rust_export`].
    fn signal(number: u32) -> Option<Signal> {
        match number {
            0 => Some(Signal::Traces),
            1 => Some(Signal::Metrics),
            2 => Some(Signal::Logs),
            _ => None,
        }
    }

    /// Exports one batch through the exporter instance behind `handle` and writes the outcome to
    /// `out`:
    ///
    /// ```c
    /// void otelcol_rust_export(uint64_t handle, uint32_t signal /*0 traces,1 metrics,2 logs*/,
    ///                          const uint8_t *batch, size_t batch_len, uint64_t items,
    ///                          int64_t deadline_remaining_ns /* < 0: none */,
    ///                          uint64_t call /*cancel token, 0 none*/,
    ///                          otelcol_rust_export_result *out);
    /// ```
    ///
    /// - OWNERSHIP: `batch` is Go's (the OTLP protobuf export request pdata marshalled), borrowed
    ///   for the call: the exporter reads it in place and copies what it keeps. `out` is Go's.
    /// - The export runs on the calling thread (polled in the library runtime's context, the
    ///   thread parked between polls), inside the instance's telemetry scope, raced against the
    ///   deadline (kept by the thread itself too) and the call's cancellation
    ///   (`cancel_call(call)`, the same tokens as lifecycle calls). An expired deadline or an
    ///   already cancelled token answers at once.
    /// - Outcomes besides the component's own: an unknown or shut-down handle, or a signal the
    ///   factory does not declare, is permanent; a deadline is retryable `export timed out after
    ///   <d>`, a cancellation retryable `export cancelled`; a panic is permanent
    ///   `rust exporter panicked: <message>`, logged and counted, and the instance stays usable.
    /// - Many threads may call it at once, for one instance or several. Nothing unwinds into Go.
    /// - Known limit: an export that blocks its thread instead of awaiting cannot be cut off.
    ///
    /// # Safety
    /// `batch` is valid for reads of `batch_len` bytes (or `batch_len` is 0) and is not written
    /// during the call; `out` is null or points to an initialised `otelcol_rust_export_result`
    /// (Go's zero value) that nothing else accesses during the call.
    #[no_mangle]
    #[allow(clippy::too_many_arguments)] // The flat C signature the spec fixes.
    pub unsafe extern "C" fn otelcol_rust_export(
        handle: u64,
        signal_number: u32,
        batch: *const u8,
        batch_len: usize,
        items: u64,
        deadline_remaining_ns: i64,
        call: u64,
        out: *mut ExportResult,
    ) {
        if out.is_null() {
            return;
        }
        // SAFETY: `out` is non-null and, per the contract, an initialised `ExportResult` nobody
        // else accesses during the call, so a unique reference to it is sound.
        let out = unsafe { &mut *out };
        let export = |bytes: &[u8]| {
            export_bytes(
                handle,
                signal_number,
                bytes,
                items,
                deadline_remaining_ns,
                call,
            )
        };
        let outcome = if batch_len == 0 {
            export(&[])
        } else if batch.is_null() {
            ExportOutcome::permanent("malformed batch sent by Go: null bytes")
        } else {
            // SAFETY: per the contract, `batch` is valid for reads of `batch_len` bytes and Go
            // does not write them while the call runs; the slice lives only in this block, and
            // `export` takes it as a parameter, so no borrow of it can outlive the call.
            export(unsafe { std::slice::from_raw_parts(batch, batch_len) })
        };
        out.fill(&outcome);
    }

    /// [`otelcol_rust_export`] once the batch is a slice; nothing unwinds out of it.
    fn export_bytes(
        handle: u64,
        signal_number: u32,
        bytes: &[u8],
        items: u64,
        deadline_remaining_ns: i64,
        call: u64,
    ) -> ExportOutcome {
        catch_unwind(AssertUnwindSafe(|| {
            crate::logs::install();
            match signal(signal_number) {
                Some(signal) => host::export(host::ExportCall {
                    handle,
                    batch: Batch::new(signal, bytes, items),
                    deadline: u64::try_from(deadline_remaining_ns)
                        .ok()
                        .map(Duration::from_nanos),
                    call,
                }),
                None => ExportOutcome::permanent(format!(
                    "malformed signal sent by Go: {signal_number}"
                )),
            }
        }))
        .unwrap_or_else(|payload| {
            let message = host::panic_message(payload.as_ref());
            // A payload's own destructor may panic too: that must not unwind into Go either.
            if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(again);
            }
            ExportOutcome::permanent(format!("rust host panicked: {message}"))
        })
    }
}

/// The processors' data path: [`otelcol_rust_process`](process::otelcol_rust_process) and
/// [`otelcol_rust_process_release`](process::otelcol_rust_process_release), hand-written C ABI
/// beside [`export`] (and in a module for the same reason).
pub mod process {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use otelcol_rust_sdk::{ProcessError, RunOutput, Signal};

    use crate::host;

    /// The longest reason a process call answers; a longer one is cut at a char boundary.
    pub const PROCESS_MESSAGE_CAPACITY: usize = 1024;

    /// `ProcessResult::status` values: how the last stage that ran ended.
    pub const PROCESS_OK: u32 = 0;
    /// See [`PROCESS_OK`].
    pub const PROCESS_RETRYABLE: u32 = 1;
    /// See [`PROCESS_OK`].
    pub const PROCESS_PERMANENT: u32 = 2;

    /// What [`otelcol_rust_process`] answers, written into memory Go owns:
    ///
    /// ```c
    /// typedef struct {
    ///     uint32_t status;          // 0 ok, 1 retryable error, 2 permanent error (of the last stage run)
    ///     uint32_t stages_run;      // 1..stages: stages that ran; the last one ran has `status`
    ///     uint64_t output;          // Rust-owned output handle; 0 = nothing to release
    ///     uint32_t replaced;        // 1: replacement holds the new batch
    ///     uint32_t has_keep;        // 1: keep holds a bitmap
    ///     const uint8_t *replacement; uint64_t replacement_len;   // OTLP Export*ServiceRequest bytes
    ///     const uint8_t *edits;       uint64_t edits_len;         // edit script, when !replaced
    ///     const uint8_t *keep;        uint64_t keep_items;        // bitmap, LSB first: item i -> byte i/8 bit i%8; 1 = keep
    ///     uint64_t message_len;     uint8_t message[1024];        // error reason, UTF-8, cut at a char boundary
    /// } otelcol_rust_process_result;
    /// ```
    ///
    /// OWNERSHIP: the struct is Go's; Rust writes it during the call and keeps no pointer to
    /// it. The pointers Rust writes into it point into Rust memory owned by `output`, valid
    /// until `otelcol_rust_process_release(output)`.
    #[repr(C)]
    pub struct ProcessResult {
        pub status: u32,
        pub stages_run: u32,
        pub output: u64,
        pub replaced: u32,
        pub has_keep: u32,
        pub replacement: *const u8,
        pub replacement_len: u64,
        pub edits: *const u8,
        pub edits_len: u64,
        pub keep: *const u8,
        pub keep_items: u64,
        pub message_len: u64,
        pub message: [u8; PROCESS_MESSAGE_CAPACITY],
    }

    // Go lends this struct (go/internal/rustffi/boundary_process.go's C declaration): the
    // layout must be the one cgo gives Go, which TestProcessResultLayout checks against the
    // same numbers.
    const _: () = {
        use std::mem::{align_of, offset_of, size_of};
        assert!(size_of::<ProcessResult>() == 1104);
        assert!(align_of::<ProcessResult>() == 8);
        assert!(offset_of!(ProcessResult, status) == 0);
        assert!(offset_of!(ProcessResult, stages_run) == 4);
        assert!(offset_of!(ProcessResult, output) == 8);
        assert!(offset_of!(ProcessResult, replaced) == 16);
        assert!(offset_of!(ProcessResult, has_keep) == 20);
        assert!(offset_of!(ProcessResult, replacement) == 24);
        assert!(offset_of!(ProcessResult, replacement_len) == 32);
        assert!(offset_of!(ProcessResult, edits) == 40);
        assert!(offset_of!(ProcessResult, edits_len) == 48);
        assert!(offset_of!(ProcessResult, keep) == 56);
        assert!(offset_of!(ProcessResult, keep_items) == 64);
        assert!(offset_of!(ProcessResult, message_len) == 72);
        assert!(offset_of!(ProcessResult, message) == 80);
        assert!(PROCESS_MESSAGE_CAPACITY == 1024);
    };

    impl ProcessResult {
        /// Writes an answer, touching only the bytes it uses (Go's struct is over 1 KiB).
        /// The output's memory moves into one box, whose address is the `output` handle.
        fn fill(&mut self, stages_run: u32, outcome: Result<RunOutput, ProcessError>) {
            self.stages_run = stages_run;
            self.output = 0;
            self.replaced = 0;
            self.has_keep = 0;
            self.replacement = std::ptr::null();
            self.replacement_len = 0;
            self.edits = std::ptr::null();
            self.edits_len = 0;
            self.keep = std::ptr::null();
            self.keep_items = 0;
            self.message_len = 0;
            let output = match outcome {
                Ok(output) => output,
                Err(err) => {
                    self.status = if err.is_retryable() {
                        PROCESS_RETRYABLE
                    } else {
                        PROCESS_PERMANENT
                    };
                    let reason = err.reason();
                    let mut len = reason.len().min(PROCESS_MESSAGE_CAPACITY);
                    while !reason.is_char_boundary(len) {
                        len -= 1;
                    }
                    self.message_len = len as u64;
                    self.message[..len].copy_from_slice(&reason.as_bytes()[..len]);
                    return;
                }
            };
            self.status = PROCESS_OK;
            if output.replacement.is_none()
                && output.edit_script.is_empty()
                && output.keep.is_none()
            {
                // Unchanged: nothing to hand over, nothing to release.
                return;
            }
            let output = Box::new(output);
            if let Some(replacement) = &output.replacement {
                self.replaced = 1;
                self.replacement = replacement.as_ptr();
                self.replacement_len = replacement.len() as u64;
            } else if !output.edit_script.is_empty() {
                self.edits = output.edit_script.as_ptr();
                self.edits_len = output.edit_script.len() as u64;
            }
            if let Some(keep) = &output.keep {
                self.has_keep = 1;
                self.keep = keep.bitmap.as_ptr();
                self.keep_items = keep.items;
            }
            // The box's heap memory (and the vectors' it owns) does not move until
            // `otelcol_rust_process_release` rebuilds and drops it.
            self.output = Box::into_raw(output) as u64;
        }
    }

    /// The signal numbers of [`otelcol_rust_process`] (those of the export call).
    fn signal(number: u32) -> Option<Signal> {
        match number {
            0 => Some(Signal::Traces),
            1 => Some(Signal::Metrics),
            2 => Some(Signal::Logs),
            _ => None,
        }
    }

    /// Runs the processor instances behind `handles`, in order, on one batch, in one crossing
    /// (a fused run), and writes the answer to `out`:
    ///
    /// ```c
    /// void otelcol_rust_process(const uint64_t *handles, size_t stages,
    ///                           uint32_t signal /*0 traces,1 metrics,2 logs*/,
    ///                           const uint8_t *batch, size_t batch_len, uint64_t items,
    ///                           otelcol_rust_process_result *out);
    /// ```
    ///
    /// - OWNERSHIP: `handles`, `batch` and `out` are Go's, borrowed for the call; Rust keeps no
    ///   pointer to them. What `out` points to is Rust's, owned by `out->output` until
    ///   [`otelcol_rust_process_release`].
    /// - The stages run synchronously on the calling thread, each inside its own instance's
    ///   telemetry scope, each seeing the batch as the stages before it left it. The run ends
    ///   early after a stage that drops items or changes their count (`stages_run` says how
    ///   far it got; Go continues from there), and at a stage's error, which is the answer.
    /// - Errors of a stage besides its own: an unknown or shut-down handle, or a signal its
    ///   type does not declare, is permanent; a panic is permanent `rust processor panicked:
    ///   <message>`, logged and counted, and the instance stays usable. Shutdown of an
    ///   instance waits for the calls running it.
    /// - Many threads may call it at once, on one chain or several. Nothing unwinds into Go.
    ///
    /// # Safety
    /// `handles` is valid for reads of `stages` u64s (or `stages` is 0); `batch` is valid for
    /// reads of `batch_len` bytes (or `batch_len` is 0) and neither is written during the
    /// call; `out` is null or points to an initialised `otelcol_rust_process_result` that
    /// nothing else accesses during the call.
    #[no_mangle]
    pub unsafe extern "C" fn otelcol_rust_process(
        handles: *const u64,
        stages: usize,
        signal_number: u32,
        batch: *const u8,
        batch_len: usize,
        items: u64,
        out: *mut ProcessResult,
    ) {
        if out.is_null() {
            return;
        }
        // SAFETY: `out` is non-null and, per the contract, an initialised `ProcessResult`
        // nobody else accesses during the call, so a unique reference to it is sound.
        let out = unsafe { &mut *out };
        let malformed = |what: &str| {
            (
                u32::from(stages > 0),
                Err(ProcessError::permanent(format!(
                    "malformed {what} sent by Go: null pointer"
                ))),
            )
        };
        let (stages_run, outcome) = if stages > 0 && handles.is_null() {
            malformed("handles")
        } else if batch_len > 0 && batch.is_null() {
            malformed("batch")
        } else {
            let handles: &[u64] = if stages == 0 {
                &[]
            } else {
                // SAFETY: per the contract, `handles` is valid for reads of `stages` u64s and
                // not written during the call; the slice lives only in this block.
                unsafe { std::slice::from_raw_parts(handles, stages) }
            };
            let bytes: &[u8] = if batch_len == 0 {
                &[]
            } else {
                // SAFETY: per the contract, `batch` is valid for reads of `batch_len` bytes
                // and Go does not write them while the call runs; the slice lives only in this
                // block, and `process_slices` takes it as a parameter, so no borrow of it can
                // outlive the call (the output owns copies).
                unsafe { std::slice::from_raw_parts(batch, batch_len) }
            };
            process_slices(handles, signal_number, bytes, items)
        };
        out.fill(stages_run, outcome);
    }

    /// [`otelcol_rust_process`] once its inputs are slices; nothing unwinds out of it.
    fn process_slices(
        handles: &[u64],
        signal_number: u32,
        bytes: &[u8],
        items: u64,
    ) -> (u32, Result<RunOutput, ProcessError>) {
        catch_unwind(AssertUnwindSafe(|| {
            crate::logs::install();
            match signal(signal_number) {
                Some(signal) => {
                    let answer = host::process(handles, signal, bytes, items);
                    (answer.stages_run, answer.outcome)
                }
                None => (
                    u32::from(!handles.is_empty()),
                    Err(ProcessError::permanent(format!(
                        "malformed signal sent by Go: {signal_number}"
                    ))),
                ),
            }
        }))
        .unwrap_or_else(|payload| {
            let message = host::panic_message(payload.as_ref());
            // A payload's own destructor may panic too: that must not unwind into Go either.
            if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(again);
            }
            (
                u32::from(!handles.is_empty()),
                Err(ProcessError::permanent(format!(
                    "rust host panicked: {message}"
                ))),
            )
        })
    }

    /// Frees the output a process call answered:
    ///
    /// ```c
    /// void otelcol_rust_process_release(uint64_t output);   // 0 is a no-op
    /// ```
    ///
    /// # Safety
    /// `output` is 0 or the `output` of one `otelcol_rust_process` answer, released exactly
    /// once; nothing reads that answer's pointers afterwards.
    #[no_mangle]
    pub unsafe extern "C" fn otelcol_rust_process_release(output: u64) {
        if output == 0 {
            return;
        }
        // SAFETY: per the contract, `output` is the address `ProcessResult::fill` got from
        // `Box::into_raw` of a `Box<RunOutput>`, not freed yet.
        let output = unsafe { Box::from_raw(output as usize as *mut RunOutput) };
        // Dropping vectors cannot panic, but nothing may unwind into Go.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(output)));
    }
}

/// The receivers' data path, the other way round: Rust calls Go. Go registers its exported
/// delivery function once, at init, with
/// [`otelcol_rust_set_deliver`](receive::otelcol_rust_set_deliver); the delivery threads
/// (`crate::delivery`) call it through [`deliver_to_go`](receive::deliver_to_go), one batch
/// per call. Hand-written C ABI beside [`export`] (and in a module for the same reason).
pub mod receive {
    use std::sync::{PoisonError, RwLock};
    use std::time::Duration;

    use otelcol_rust_sdk::{ConsumeError, Encoding, Payload, Signal};

    // The result is the export's: the same type, so the layout Go's C declaration must match
    // is the one asserted beside `ExportResult` (and TestExportResultLayout on the Go side).
    use super::export::{ExportResult, EXPORT_MESSAGE_CAPACITY};

    /// The outcome values Go writes into the result of a delivery (the export result's
    /// `outcome` field, which means this for a delivery).
    pub const DELIVER_ACCEPTED: u32 = 0;
    /// See [`DELIVER_ACCEPTED`].
    pub const DELIVER_RETRYABLE: u32 = 1;
    /// See [`DELIVER_ACCEPTED`].
    pub const DELIVER_PERMANENT: u32 = 2;
    /// See [`DELIVER_ACCEPTED`].
    pub const DELIVER_MALFORMED: u32 = 3;

    /// What a result holds before Go writes it: an outcome Go never writes, so a callback
    /// that returns without answering fails closed (permanent) instead of reading as accepted.
    const UNANSWERED: u32 = u32::MAX;

    /// Go's delivery function, as registered:
    ///
    /// ```c
    /// typedef void (*otelcol_rust_deliver_fn)(uint64_t receiver,
    ///         uint32_t signal /*0 traces,1 metrics,2 logs*/, uint32_t encoding /*0 protobuf, 1 json*/,
    ///         const uint8_t *data, size_t len, otelcol_rust_export_result *out);
    /// ```
    ///
    /// - `receiver` is the token Go gave the instance at start (host_json's
    ///   `"receiver": {"token": .., "signals": [..]}`); Go answers an unknown one retryable
    ///   `receiver is shut down`.
    /// - OWNERSHIP: `data` (`len` bytes: an OTLP `Export*ServiceRequest` in `encoding`; may be
    ///   null when `len` is 0) and `out` are Rust's, lent to Go for the call only. Go copies
    ///   what it keeps, writes `out` (`outcome`: 0 accepted, 1 retryable, 2 permanent,
    ///   3 malformed; `retry_after_ns`: 0 none; `rejected`: 0; `message_len` bytes of UTF-8
    ///   `message`), returns, and keeps no pointer to either.
    /// - Called from the delivery threads (plain Rust threads, many at once), never from a
    ///   thread that holds a Go call. Go must not unwind (panic) out of it.
    pub type DeliverFn = unsafe extern "C" fn(
        receiver: u64,
        signal: u32,
        encoding: u32,
        data: *const u8,
        len: usize,
        out: *mut ExportResult,
    );

    /// The registered delivery function. Read on every delivery, written once per process
    /// (Go's init), so a read lock costs nothing that matters beside the call into Go.
    static DELIVER: RwLock<Option<DeliverFn>> = RwLock::new(None);

    /// Registers Go's delivery function (null: none), for every receiver instance:
    ///
    /// ```c
    /// void otelcol_rust_set_deliver(otelcol_rust_deliver_fn f);   // idempotent; the last one wins
    /// ```
    ///
    /// Until a function is registered, every send of a Rust receiver answers retryable
    /// `no delivery callback registered`.
    ///
    /// # Safety
    /// `f` is null or a function with [`DeliverFn`]'s signature that keeps its contract and
    /// stays callable, from any thread, for the rest of the process.
    #[no_mangle]
    pub unsafe extern "C" fn otelcol_rust_set_deliver(f: Option<DeliverFn>) {
        // Storing a pointer cannot panic; the lock cannot be poisoned by this code either way.
        *DELIVER.write().unwrap_or_else(PoisonError::into_inner) = f;
    }

    /// Whether a delivery function is registered.
    pub fn deliver_registered() -> bool {
        registered().is_some()
    }

    fn registered() -> Option<DeliverFn> {
        *DELIVER.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Calls Go's delivery function with one batch for the Go receiver `token` and answers
    /// its outcome; `None` when no function is registered.
    pub fn deliver_to_go(
        token: u64,
        signal: Signal,
        payload: &Payload,
    ) -> Option<Result<(), ConsumeError>> {
        let deliver = registered()?;
        let signal = match signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        };
        let encoding = match payload.encoding() {
            Encoding::Protobuf => 0,
            Encoding::Json => 1,
        };
        let bytes = payload.bytes();
        // On the delivery thread's stack (1 KiB): Go writes it during the call only.
        let mut out = ExportResult {
            outcome: UNANSWERED,
            retry_after_ns: 0,
            rejected: 0,
            message_len: 0,
            message: [0; EXPORT_MESSAGE_CAPACITY],
        };
        // SAFETY: `deliver` was registered through `otelcol_rust_set_deliver`, whose caller
        // promised a function of this signature that keeps the `DeliverFn` contract. `bytes`
        // is valid for reads of `bytes.len()` bytes and `out` is an initialised result; both
        // live across the call, nothing else touches them during it, and Go keeps no pointer
        // to either after returning.
        unsafe {
            deliver(
                token,
                signal,
                encoding,
                bytes.as_ptr(),
                bytes.len(),
                &mut out,
            );
        }
        Some(read(&out))
    }

    /// The outcome Go wrote into `out`.
    pub(crate) fn read(out: &ExportResult) -> Result<(), ConsumeError> {
        let len = usize::try_from(out.message_len)
            .unwrap_or(usize::MAX)
            .min(EXPORT_MESSAGE_CAPACITY);
        let message = String::from_utf8_lossy(&out.message[..len]).into_owned();
        let retry_after =
            (out.retry_after_ns > 0).then(|| Duration::from_nanos(out.retry_after_ns));
        let refused = match out.outcome {
            DELIVER_ACCEPTED => return Ok(()),
            DELIVER_RETRYABLE => ConsumeError::retryable(message),
            DELIVER_PERMANENT => ConsumeError::permanent(message),
            DELIVER_MALFORMED => ConsumeError::malformed(message),
            UNANSWERED => ConsumeError::permanent("the delivery callback wrote no outcome"),
            other => ConsumeError::permanent(format!(
                "malformed delivery result from Go: outcome {other}: {message}"
            )),
        };
        Err(match retry_after {
            Some(after) => refused.with_retry_after(after),
            None => refused,
        })
    }
}
