//! Scenario: process calls the way Go makes them (`otelcol_rust_process`, the answer read,
//! then `otelcol_rust_process_release(output)`), for every answer that hands memory over (a
//! replacement, an edit script, a keep bitmap, a fused run of them), many times, under a
//! counting allocator; and calls whose output is held back, then released.
//! Guarantees: the release frees everything an answer held (live allocations do not grow
//! with the number of calls), and until its release an answer's memory stays allocated (the
//! count sees it, so the first check can fail).
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]
#![allow(clippy::expect_used)] // Test code: a failed expectation is a test failure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

mod common;

// The processors under test, linked into this binary (their registration with them).
use rust_chaos as _;

use common::{
    c_RustExtensions_create_and_start, c_RustExtensions_shutdown, call, ShutdownRequestView,
    StartRequestView, StringView,
};
use otelcol_rust_ffi::boundary::process::{
    otelcol_rust_process, otelcol_rust_process_release, ProcessResult, PROCESS_MESSAGE_CAPACITY,
    PROCESS_OK,
};
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LOGS: u32 = 2;

fn context(name: &str) -> String {
    format!(
        r#"{{"id":{{"type":"rust_chaos","name":"{name}"}},"deadline_remaining_ns":5000000000}}"#
    )
}

fn start(name: &str, config: &str) -> u64 {
    let context = context(name);
    let request = StartRequestView {
        kind: StringView::of(b"processor"),
        component_type: StringView::of(b"rust_chaos"),
        config_json: StringView::of(config.as_bytes()),
        context_json: StringView::of(context.as_bytes()),
        host_json: StringView::of(b"{}"),
    };
    let started = call(c_RustExtensions_create_and_start, &request);
    assert!(started.ok, "{name}: {}", started.error);
    started.handle
}

fn shutdown(handle: u64) {
    let context = context("");
    let request = ShutdownRequestView {
        handle,
        context_json: StringView::of(context.as_bytes()),
    };
    let stopped = call(c_RustExtensions_shutdown, &request);
    assert!(stopped.ok, "{}", stopped.error);
}

/// One call; answers its `output` handle (not released), after checking that it holds memory.
fn process(handles: &[u64], batch: &[u8], items: u64) -> u64 {
    let mut out = ProcessResult {
        status: u32::MAX,
        stages_run: 0,
        output: 0,
        replaced: 0,
        has_keep: 0,
        replacement: std::ptr::null(),
        replacement_len: 0,
        edits: std::ptr::null(),
        edits_len: 0,
        keep: std::ptr::null(),
        keep_items: 0,
        message_len: 0,
        message: [0; PROCESS_MESSAGE_CAPACITY],
    };
    // SAFETY: `handles` and `batch` are valid for their lengths and not written during the
    // call; `out` is initialised and only this call accesses it.
    unsafe {
        otelcol_rust_process(
            handles.as_ptr(),
            handles.len(),
            LOGS,
            batch.as_ptr(),
            batch.len(),
            items,
            &mut out,
        );
    }
    assert_eq!(out.status, PROCESS_OK);
    assert_ne!(out.output, 0, "the answer holds no memory");
    out.output
}

fn release(output: u64) {
    // SAFETY: `output` is an answer's, released once, and nothing reads its pointers after.
    unsafe { otelcol_rust_process_release(output) };
}

#[test]
fn process_outputs_are_freed_by_their_release() {
    let batch = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord::default(); 10],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec();
    let roundtrip = start("roundtrip", r#"{"mode":"roundtrip"}"#);
    let reencode = start("reencode", r#"{"mode":"reencode"}"#);
    let path = start("path", r#"{"mode":"append_path"}"#);
    let keep = start("keep", r#"{"mode":"keep_every","every":2}"#);
    let chains: [&[u64]; 6] = [
        &[roundtrip],
        &[reencode],
        &[path],
        &[keep],
        &[path, path, keep],
        &[path, reencode, path, keep],
    ];
    // Warm-up: lazy statics (the logs buffer, the instance table) allocate once.
    for chain in chains {
        release(process(chain, &batch, 10));
    }

    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..500 {
        for chain in chains {
            release(process(chain, &batch, 10));
        }
    }
    let grown = LIVE.load(Ordering::SeqCst) - before;
    assert!(
        grown < 10,
        "{grown} allocations still live after 3000 released calls"
    );

    // Held back, every answer's memory is still there (at least the box holding it).
    let before = LIVE.load(Ordering::SeqCst);
    let held: Vec<u64> = (0..100)
        .flat_map(|_| chains.map(|chain| process(chain, &batch, 10)))
        .collect();
    let grown = LIVE.load(Ordering::SeqCst) - before;
    assert!(
        grown >= 600,
        "only {grown} allocations live for 600 unreleased answers"
    );
    for output in held {
        release(output);
    }
    let grown = LIVE.load(Ordering::SeqCst) - before;
    assert!(grown < 10, "{grown} allocations live after the releases");

    for handle in [roundtrip, reencode, path, keep] {
        shutdown(handle);
    }
}
