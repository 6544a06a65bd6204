//! The C view of the boundary, as Go sees it (the layouts in the generated Go preamble), for
//! the tests that call the exports exactly as Go does.
#![allow(dead_code)] // Each test binary uses part of it.
#![allow(unsafe_code)] // Calls the exports exactly as Go does.
#![allow(clippy::expect_used)] // Test helper: a malformed reply is a test failure.

use std::ffi::c_void;

// Links the library (and its exports) and the sample component into the test binary.
use otelcol_rust_ffi as _;
use rust_sample as _;

/// rust2go's `StringRef`: a borrowed `{ptr, len}` view.
#[repr(C)]
pub struct StringView {
    pub ptr: *const u8,
    pub len: usize,
}

impl StringView {
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

/// `ConfigRequestRef`.
#[repr(C)]
pub struct ConfigRequestView {
    pub kind: StringView,
    pub component_type: StringView,
    pub config_json: StringView,
}

/// `StartRequestRef`.
#[repr(C)]
pub struct StartRequestView {
    pub kind: StringView,
    pub component_type: StringView,
    pub config_json: StringView,
    pub context_json: StringView,
    pub host_json: StringView,
}

/// `ShutdownRequestRef`.
#[repr(C)]
pub struct ShutdownRequestView {
    pub handle: u64,
    pub context_json: StringView,
}

/// `ReplyRef`.
#[repr(C)]
pub struct ReplyView {
    pub ok: bool,
    pub error: StringView,
    pub json: StringView,
    pub handle: u64,
}

pub type Slot = [*const c_void; 2];
/// An export taking a request.
pub type Export = unsafe extern "C" fn(*mut Slot, *const *const c_void);

extern "C" {
    pub fn c_RustExtensions_validate_config(slot: *mut Slot, params: *const *const c_void);
    pub fn c_RustExtensions_dependencies(slot: *mut Slot, params: *const *const c_void);
    pub fn c_RustExtensions_default_config(slot: *mut Slot, params: *const *const c_void);
    pub fn c_RustExtensions_create_and_start(slot: *mut Slot, params: *const *const c_void);
    pub fn c_RustExtensions_shutdown(slot: *mut Slot, params: *const *const c_void);
    pub fn c_RustExtensions_component_types(slot: *mut Slot);
    pub fn c_RustExtensions_live_instances(slot: *mut Slot);
    pub fn otelcol_rust_drop_reply(storage: *mut c_void);
    /// rust2go 0.4.3's own drop, kept callable to show what it leaks.
    pub fn c_rust2go_internal_drop(storage: *mut c_void);
}

/// What a reply said, copied out before it is freed.
pub struct Answer {
    pub ok: bool,
    pub error: String,
    pub handle: u64,
}

/// Reads the reply in `slot` and frees it with `otelcol_rust_drop_reply`.
///
/// # Safety
/// `slot` was just filled by one of the exports and is read once.
pub unsafe fn take(slot: Slot) -> Answer {
    // SAFETY: per the contract, slot[0] points at a live ReplyView and slot[1] is its storage.
    unsafe {
        let reply = &*slot[0].cast::<ReplyView>();
        let error: &[u8] = if reply.error.len == 0 {
            &[] // rust2go may send a null pointer for an empty string
        } else {
            std::slice::from_raw_parts(reply.error.ptr, reply.error.len)
        };
        let answer = Answer {
            ok: reply.ok,
            error: String::from_utf8(error.to_vec()).expect("error text is UTF-8"),
            handle: reply.handle,
        };
        otelcol_rust_drop_reply(slot[1].cast_mut());
        answer
    }
}

/// The library's panic hook writes a panic as a log record for Go, not on stderr; in these
/// tests a failing assertion must still say why, so the message goes to stderr as well.
fn keep_panic_messages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        otelcol_rust_ffi::logs::install();
        let library_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            library_hook(info);
            eprintln!("{info}");
        }));
    });
}

/// Calls `export` with `request` the way the generated Go code does and reads the reply.
pub fn call<R>(export: Export, request: &R) -> Answer {
    keep_panic_messages();
    let params = [request as *const R as *const c_void];
    let mut slot: Slot = [std::ptr::null(); 2];
    // SAFETY: `request` has the C layout the export reads and outlives the call; the reply is
    // read and freed once by `take`.
    unsafe {
        export(&mut slot, params.as_ptr());
        take(slot)
    }
}

/// xorshift64*: small, seeded, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// A fuzz run's size and generator: `FUZZ_EXECS` inputs (default 2000) from `FUZZ_SEED`
/// (default `default_seed`).
pub fn fuzz_settings(default_seed: u64) -> (usize, Rng) {
    let execs = std::env::var("FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_seed);
    (execs, Rng(seed | 1))
}
