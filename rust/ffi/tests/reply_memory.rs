//! Scenario: call an export the way the generated Go code does (reply slot in, then the drop
//! export on the slot's storage pointer), many times, under a counting allocator.
//! Guarantees: every reply is freed: live allocations do not grow with the number of calls.
//! (rust2go 0.4.3's own drop export freed nothing: two allocations leaked per call.)
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

mod common;

use common::{c_RustExtensions_component_types, take, Slot};

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

fn call_and_free() {
    let mut slot: Slot = [std::ptr::null(); 2];
    // SAFETY: the export writes the reply and its storage pointer into `slot`; `take` reads it
    // and frees the storage exactly once, as the generated Go code does.
    let answer = unsafe {
        c_RustExtensions_component_types(&mut slot);
        take(slot)
    };
    assert!(answer.ok, "{}", answer.error);
}

#[test]
fn replies_are_freed() {
    call_and_free(); // warm-up: lazy statics allocate once
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..1000 {
        call_and_free();
    }
    let grown = LIVE.load(Ordering::SeqCst) - before;
    assert!(
        grown < 10,
        "{grown} allocations still live after 1000 calls"
    );
}
