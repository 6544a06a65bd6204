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
// The g2r macro expands to the unsafe `extern "C"` shims; the one other unsafe item here is
// `otelcol_rust_drop_reply`.
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
