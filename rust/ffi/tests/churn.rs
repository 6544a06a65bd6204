//! Scenario: create, start and shut down instances through the exported C entry points, the
//! way Go does, CHURN_CYCLES times (default 200). `make test` runs this binary under valgrind
//! (`tools/leakcheck.sh`) and fails on any definitely-lost block.
//! Guarantees: a lifecycle cycle leaves nothing behind: no live instance, no leaked memory.
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]

use std::ffi::c_void;

// Links the library (and its exports) into this test binary.
use otelcol_rust_ffi as _;

#[repr(C)]
struct StringView {
    ptr: *const u8,
    len: usize,
}

#[repr(C)]
struct StartRequestView {
    extension_type: StringView,
    config_json: StringView,
    context_json: StringView,
    host_json: StringView,
}

#[repr(C)]
struct ShutdownRequestView {
    handle: u64,
    context_json: StringView,
}

#[repr(C)]
struct ReplyView {
    ok: bool,
    error: StringView,
    json: StringView,
    handle: u64,
}

extern "C" {
    fn c_RustExtensions_create_and_start(
        slot: *mut [*const c_void; 2],
        params: *const *const c_void,
    );
    fn c_RustExtensions_shutdown(slot: *mut [*const c_void; 2], params: *const *const c_void);
    fn c_RustExtensions_live_instances(slot: *mut [*const c_void; 2]);
    fn otelcol_rust_drop_reply(storage: *mut c_void);
}

fn view(text: &str) -> StringView {
    StringView {
        ptr: text.as_ptr(),
        len: text.len(),
    }
}

/// Reads `(ok, handle)` from a reply slot and frees the reply.
///
/// # Safety
/// `slot` was just filled by one of the exports.
unsafe fn take(slot: [*const c_void; 2]) -> (bool, u64) {
    // SAFETY: per the contract, slot[0] points at a live ReplyView and slot[1] is its storage.
    unsafe {
        let reply = &*slot[0].cast::<ReplyView>();
        let result = (reply.ok, reply.handle);
        otelcol_rust_drop_reply(slot[1].cast_mut());
        result
    }
}

#[test]
fn lifecycle_churn_leaves_nothing() {
    let cycles: usize = std::env::var("CHURN_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let context =
        r#"{"id":{"type":"rust_sample","name":"churn"},"deadline_remaining_ns":5000000000}"#;
    let host = r#"{"build":{"version":"churn"},"extensions":[]}"#;
    for cycle in 0..cycles {
        // Every other instance binds a real (ephemeral) port.
        let config = if cycle % 2 == 0 {
            r#"{"enabled":false}"#
        } else {
            r#"{"endpoint":"127.0.0.1:0","timeout_ms":1000}"#
        };
        let start = StartRequestView {
            extension_type: view("rust_sample"),
            config_json: view(config),
            context_json: view(context),
            host_json: view(host),
        };
        let params = [&start as *const StartRequestView as *const c_void];
        let mut slot = [std::ptr::null::<c_void>(); 2];
        // SAFETY: the request has the C layout the export reads and outlives the call.
        let (ok, handle) = unsafe {
            c_RustExtensions_create_and_start(&mut slot, params.as_ptr());
            take(slot)
        };
        assert!(ok, "start failed in cycle {cycle}");

        let stop = ShutdownRequestView {
            handle,
            context_json: view(context),
        };
        let params = [&stop as *const ShutdownRequestView as *const c_void];
        // SAFETY: as above.
        let (ok, _) = unsafe {
            c_RustExtensions_shutdown(&mut slot, params.as_ptr());
            take(slot)
        };
        assert!(ok, "shutdown failed in cycle {cycle}");
    }
    let mut slot = [std::ptr::null::<c_void>(); 2];
    // SAFETY: as above; this export takes no request.
    let (_, live) = unsafe {
        c_RustExtensions_live_instances(&mut slot);
        take(slot)
    };
    assert_eq!(live, 0, "instances left after churn");
}
