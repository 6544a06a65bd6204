//! BENCHMARK ONLY (feature `bench-abi`): the lifecycle calls behind a hand-written C ABI, so
//! `go/internal/rustffi`'s benchmarks can compare rust2go's generated path with plain cgo in the same
//! run (docs/performance.md). Not part of the product boundary, never in the default archive.
//! The Rust work behind each call is the same as in `boundary.rs`: the same `host` functions
//! and the same `Reply`.
#![allow(unsafe_code)] // A C ABI; every unsafe block states its contract.
#![allow(missing_docs)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{scope, Meter};

use crate::boundary::{ConfigRequest, ShutdownRequest, StartRequest};
use crate::boundary::{Reply, RustExtensions, RustExtensionsImpl as Rust};

/// A reply viewed from C: pointers into `storage`, which `otelcol_rust_bench_free` drops.
#[repr(C)]
pub struct BenchReply {
    pub ok: bool,
    pub error: *const u8,
    pub error_len: usize,
    pub json: *const u8,
    pub json_len: usize,
    pub handle: u64,
    storage: *mut Reply,
}

/// Copies a `{ptr, len}` view from C into a String.
///
/// # Safety
/// `ptr` is valid for `len` bytes (or `len` is 0).
unsafe fn string(ptr: *const u8, len: usize) -> String {
    if len == 0 {
        return String::new();
    }
    // SAFETY: per the contract.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }).into_owned()
}

/// Writes `reply` to `out`, moving it behind a pointer C hands back to `otelcol_rust_bench_free`.
///
/// # Safety
/// `out` is valid for writes.
unsafe fn write(out: *mut BenchReply, reply: Reply) {
    let storage = Box::into_raw(Box::new(reply));
    // SAFETY: `storage` was just allocated and stays alive until `otelcol_rust_bench_free`.
    let reply = unsafe { &*storage };
    let view = BenchReply {
        ok: reply.ok,
        error: reply.error.as_ptr(),
        error_len: reply.error.len(),
        json: reply.json.as_ptr(),
        json_len: reply.json.len(),
        handle: reply.handle,
        storage,
    };
    // SAFETY: per the contract.
    unsafe { out.write(view) };
}

fn contained(call: impl FnOnce() -> Reply) -> Reply {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| Reply {
        error: "rust component panicked".to_owned(),
        ..Reply::default()
    })
}

/// The empty call.
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_noop() {}

/// # Safety
/// Pointers are valid for their lengths; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_default_config(
    kind: *const u8,
    kind_len: usize,
    out: *mut BenchReply,
) {
    // SAFETY: per the contract.
    let req = ConfigRequest {
        kind: "extension".to_owned(),
        component_type: unsafe { string(kind, kind_len) },
        config_json: String::new(),
    };
    // SAFETY: per the contract.
    unsafe { write(out, contained(|| Rust::default_config(req))) };
}

/// # Safety
/// Pointers are valid for their lengths; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_validate_config(
    kind: *const u8,
    kind_len: usize,
    json: *const u8,
    json_len: usize,
    out: *mut BenchReply,
) {
    // SAFETY: per the contract.
    let req = unsafe {
        ConfigRequest {
            kind: "extension".to_owned(),
            component_type: string(kind, kind_len),
            config_json: string(json, json_len),
        }
    };
    // SAFETY: per the contract.
    unsafe { write(out, contained(|| Rust::validate_config(req))) };
}

/// # Safety
/// Pointers are valid for their lengths; `out` is valid for writes.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // A flat C signature is the point of this ABI.
pub unsafe extern "C" fn otelcol_rust_bench_create_and_start(
    kind: *const u8,
    kind_len: usize,
    config: *const u8,
    config_len: usize,
    context: *const u8,
    context_len: usize,
    host: *const u8,
    host_len: usize,
    out: *mut BenchReply,
) {
    // SAFETY: per the contract.
    let req = unsafe {
        StartRequest {
            kind: "extension".to_owned(),
            component_type: string(kind, kind_len),
            config_json: string(config, config_len),
            context_json: string(context, context_len),
            host_json: string(host, host_len),
        }
    };
    // SAFETY: per the contract.
    unsafe { write(out, contained(|| Rust::create_and_start(req))) };
}

/// # Safety
/// Pointers are valid for their lengths; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_shutdown(
    handle: u64,
    context: *const u8,
    context_len: usize,
    out: *mut BenchReply,
) {
    // SAFETY: per the contract.
    let req = ShutdownRequest {
        handle,
        context_json: unsafe { string(context, context_len) },
    };
    // SAFETY: per the contract.
    unsafe { write(out, contained(|| Rust::shutdown(req))) };
}

/// Frees a reply written by one of the functions above.
///
/// # Safety
/// `reply` was filled by one of them and is freed once.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_free(reply: *mut BenchReply) {
    // SAFETY: per the contract, `storage` came from `Box::into_raw` in `write`.
    unsafe { drop(Box::from_raw((*reply).storage)) };
}

/// A scope no Go instance has (Go's tokens count up from 1), so benchmark records are the
/// library logger's.
const BENCH_SCOPE: u64 = u64::MAX;

/// Nanoseconds the emitting thread spent on `n` `tracing::info!` records with two fields, at
/// level info (`enabled`) or warn (the records are then disabled). Only the emitting is timed:
/// the buffer is drained (untimed) every 1024 records so none is dropped. The level is put back.
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_log(n: u64, enabled: bool) -> u64 {
    catch_unwind(|| {
        crate::logs::install();
        let before = crate::logs::level();
        let _ = crate::logs::set_level(if enabled { "info" } else { "warn" });
        let _scope = scope::enter(BENCH_SCOPE);
        let mut spent = Duration::ZERO;
        let mut left = n;
        while left > 0 {
            let chunk = left.min(1024);
            let began = Instant::now();
            for i in 0..chunk {
                tracing::info!(i, path = "/v1/traces", "request served");
            }
            spent += began.elapsed();
            left -= chunk;
            let _ = crate::logs::drain(u64::MAX);
        }
        let _ = crate::logs::set_level(before);
        u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX)
    })
    .unwrap_or(0)
}

/// Emits `n` info records (two fields) in the library scope at level info and leaves them in
/// the buffer, for Go to drain (the drain benchmark). Puts the level back.
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_log_fill(n: u64) {
    let _ = catch_unwind(|| {
        crate::logs::install();
        let before = crate::logs::level();
        let _ = crate::logs::set_level("info");
        let _scope = scope::enter(BENCH_SCOPE);
        for i in 0..n {
            tracing::info!(i, path = "/v1/traces", "request served");
        }
        let _ = crate::logs::set_level(before);
    });
}

/// Nanoseconds for `n` `Counter::add(1)` on one series.
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_metric_add(n: u64) -> u64 {
    catch_unwind(|| {
        let counter = Meter::default().counter("bench").build();
        let began = Instant::now();
        for _ in 0..n {
            counter.add(std::hint::black_box(1));
        }
        u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX)
    })
    .unwrap_or(0)
}

/// Floods the log buffer: `threads` threads emit info records, together `per_second`, for
/// `duration_ms`, while Go drains as usual. Writes how many were emitted and how many the full
/// buffer dropped meanwhile (from the library's cumulative count, so records of other code
/// dropped meanwhile count too).
///
/// # Safety
/// `sent` and `dropped` are valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_log_flood(
    threads: u64,
    per_second: u64,
    duration_ms: u64,
    sent: *mut u64,
    dropped: *mut u64,
) {
    let flood = catch_unwind(|| {
        crate::logs::install();
        let dropped_before = crate::logs::dropped_total();
        let threads = threads.max(1);
        let interval = Duration::from_secs(1)
            / u32::try_from(per_second / threads)
                .unwrap_or(u32::MAX)
                .max(1);
        let duration = Duration::from_millis(duration_ms);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::spawn(move || {
                    let _scope = scope::enter(BENCH_SCOPE);
                    let began = Instant::now();
                    let mut count = 0u64;
                    while began.elapsed() < duration {
                        // Busy pacing: the next record is due `count * interval` after the start.
                        while began.elapsed() < interval * u32::try_from(count).unwrap_or(u32::MAX)
                        {
                            std::hint::spin_loop();
                        }
                        tracing::info!(count, "flood record");
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        let total: u64 = workers.into_iter().filter_map(|w| w.join().ok()).sum();
        (total, crate::logs::dropped_total() - dropped_before)
    })
    .unwrap_or((0, 0));
    // SAFETY: per the contract.
    unsafe {
        sent.write(flood.0);
        dropped.write(flood.1);
    }
}

/// `otelcol_rust_export` with the batch copied into a `Vec<u8>` first, as rust2go's g2r would
/// hand it to Rust: the same export behind it, so the difference is the copy.
///
/// # Safety
/// As `otelcol_rust_export`.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // otelcol_rust_export's signature.
pub unsafe extern "C" fn otelcol_rust_bench_export_copy(
    handle: u64,
    signal: u32,
    batch: *const u8,
    batch_len: usize,
    items: u64,
    deadline_remaining_ns: i64,
    call: u64,
    out: *mut crate::boundary::export::ExportResult,
) {
    let owned: Vec<u8> = if batch.is_null() || batch_len == 0 {
        Vec::new()
    } else {
        // SAFETY: per the contract, `batch` is valid for reads of `batch_len` bytes.
        unsafe { std::slice::from_raw_parts(batch, batch_len) }.to_vec()
    };
    // SAFETY: `owned` is valid for its length during the call; `out` per the contract.
    unsafe {
        crate::boundary::export::otelcol_rust_export(
            handle,
            signal,
            owned.as_ptr(),
            owned.len(),
            items,
            deadline_remaining_ns,
            call,
            out,
        );
    }
}
