//! Scenario: create, start and shut down instances through the exported C entry points, the
//! way Go does, CHURN_CYCLES times (default 200). `make test` runs this binary under valgrind
//! (`tools/leakcheck.sh`) and fails on any definitely-lost block.
//! Guarantees: a lifecycle cycle leaves nothing behind: no live instance, no leaked memory.
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]

mod common;

use common::{
    c_RustExtensions_create_and_start, c_RustExtensions_live_instances, c_RustExtensions_shutdown,
    call, take, ShutdownRequestView, Slot, StartRequestView, StringView,
};

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
            kind: StringView::of(b"extension"),
            component_type: StringView::of(b"rust_sample"),
            config_json: StringView::of(config.as_bytes()),
            context_json: StringView::of(context.as_bytes()),
            host_json: StringView::of(host.as_bytes()),
        };
        let started = call(c_RustExtensions_create_and_start, &start);
        assert!(
            started.ok,
            "start failed in cycle {cycle}: {}",
            started.error
        );

        let stop = ShutdownRequestView {
            handle: started.handle,
            context_json: StringView::of(context.as_bytes()),
        };
        let stopped = call(c_RustExtensions_shutdown, &stop);
        assert!(
            stopped.ok,
            "shutdown failed in cycle {cycle}: {}",
            stopped.error
        );
    }
    let mut slot: Slot = [std::ptr::null(); 2];
    // SAFETY: the export fills `slot`; `take` reads and frees it once.
    let live = unsafe {
        c_RustExtensions_live_instances(&mut slot);
        take(slot)
    };
    assert_eq!(live.handle, 0, "instances left after churn");
}
