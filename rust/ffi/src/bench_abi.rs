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

// ---------------------------------------------------------------------------------------------
// Receivers' delivery: PUSH (the product, `delivery.rs`) against PULL (built only here).
//
// A run has `senders` tokio tasks on the library's runtime (where a receiver's tasks run) send
// `batches` copies of one payload in total through a `Consumer`, each timing its sends (from
// the call to the outcome), then writes a byte to Go's `done` pipe: Go waits for it in its
// netpoller, not in a cgo call, so no goroutine holds a P while the run lasts.
//
// - PUSH: the consumer's sink is the product's `ReceiverSink`: the pool's threads call Go's
//   exported delivery function.
// - PULL: the sink is a `PullQueue`: a send takes one of its slots (awaited: the bound), queues
//   the batch and, when the queue was empty, writes a byte to Go's `wake` pipe. A Go goroutine
//   reading that pipe in its netpoller takes the ready batches (`otelcol_rust_bench_pull_take`,
//   a short cgo call that lends the bytes), Go goroutines consume them and complete each with
//   `otelcol_rust_bench_pull_complete`, which resolves the send's future and frees its slot.
// ---------------------------------------------------------------------------------------------

use std::collections::VecDeque;
use std::io::Write as _;
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd as _, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use otelcol_rust_sdk::{BoxFuture, ConsumeError, Consumer, Deliver, Encoding, Payload, Signal};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::boundary::export::ExportResult;

/// Writes one byte to the pipe `fd`, ignoring errors: a full pipe (`EAGAIN` on Go's
/// non-blocking pipe) already holds a wake-up the reader has not consumed.
///
/// # Safety
/// `fd` is an open file descriptor for the whole call.
unsafe fn poke(fd: RawFd) {
    // SAFETY: per the contract; `ManuallyDrop` leaves the descriptor open (it is Go's).
    let pipe = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    let _ = (&*pipe).write(&[1]);
}

/// One batch queued for Go to pull; owned by Go between take and complete.
pub struct PullJob {
    token: u64,
    signal: Signal,
    payload: Payload,
    answer: oneshot::Sender<Result<(), ConsumeError>>,
    /// Held until the batch is completed: the queue's bound.
    _slot: OwnedSemaphorePermit,
}

/// The PULL hand-off: at most `slots` batches queued or being consumed in Go.
pub struct PullQueue {
    slots: Arc<Semaphore>,
    ready: Mutex<VecDeque<Box<PullJob>>>,
    /// The write end of Go's wake pipe.
    wake: RawFd,
}

impl PullQueue {
    async fn send(
        self: Arc<Self>,
        token: u64,
        signal: Signal,
        payload: Payload,
    ) -> Result<(), ConsumeError> {
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| ConsumeError::retryable("the pull queue is closed"))?;
        let (answer, answered) = oneshot::channel();
        let job = Box::new(PullJob {
            token,
            signal,
            payload,
            answer,
            _slot: slot,
        });
        let was_empty = {
            let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
            let was_empty = ready.is_empty();
            ready.push_back(job);
            was_empty
        };
        // Go's taker drains the queue until it finds it empty (under the same lock), so only
        // the push that makes it non-empty needs to wake it: one write per burst, not per batch.
        // The write happens before this send can resolve, so before the run's end, while Go
        // still holds the pipe open.
        if was_empty {
            // SAFETY: Go keeps the wake pipe open until the runs using this queue have ended.
            unsafe { poke(self.wake) };
        }
        answered
            .await
            .unwrap_or_else(|_| Err(ConsumeError::retryable("the batch was dropped unanswered")))
    }
}

/// One receiver's consumers delivering through a [`PullQueue`].
struct PullSink {
    queue: Arc<PullQueue>,
    token: u64,
}

impl Deliver for PullSink {
    fn deliver(
        &self,
        signal: Signal,
        payload: Payload,
    ) -> BoxFuture<'static, Result<(), ConsumeError>> {
        Box::pin(Arc::clone(&self.queue).send(self.token, signal, payload))
    }
}

/// A pulled batch, as Go sees it. OWNERSHIP: `data` belongs to `job`, lent to Go until it
/// passes `job` to `otelcol_rust_bench_pull_complete` (exactly once).
#[repr(C)]
pub struct BenchPullBatch {
    pub job: *mut PullJob,
    pub token: u64,
    pub signal: u32,
    pub encoding: u32,
    pub data: *const u8,
    pub len: usize,
}

/// A PULL queue of `slots` slots that wakes Go through the pipe `wake_fd` (non-blocking).
/// Freed by `otelcol_rust_bench_pull_free`.
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_pull_new(wake_fd: i32, slots: u64) -> *const PullQueue {
    Arc::into_raw(Arc::new(PullQueue {
        slots: Arc::new(Semaphore::new(usize::try_from(slots).unwrap_or(1).max(1))),
        ready: Mutex::default(),
        wake: wake_fd,
    }))
}

/// Takes the oldest ready batch into `out`; false (and `out` untouched) when none is ready.
///
/// # Safety
/// `queue` came from `otelcol_rust_bench_pull_new` and is not freed; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_pull_take(
    queue: *const PullQueue,
    out: *mut BenchPullBatch,
) -> bool {
    // SAFETY: per the contract.
    let queue = unsafe { &*queue };
    let Some(job) = queue
        .ready
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
    else {
        return false;
    };
    let bytes = job.payload.bytes();
    let batch = BenchPullBatch {
        token: job.token,
        signal: match job.signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        },
        encoding: match job.payload.encoding() {
            Encoding::Protobuf => 0,
            Encoding::Json => 1,
        },
        data: bytes.as_ptr(),
        len: bytes.len(),
        // The box's heap address and the payload's buffer stay put until complete.
        job: Box::into_raw(job),
    };
    // SAFETY: per the contract.
    unsafe { out.write(batch) };
    true
}

/// Completes a pulled batch with the outcome Go wrote into `result` (the delivery's result,
/// read as the PUSH path reads it): frees its slot and resolves the send.
///
/// # Safety
/// `job` came from `otelcol_rust_bench_pull_take` and is completed once; `result` is valid for
/// reads during the call.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_pull_complete(
    job: *mut PullJob,
    result: *const ExportResult,
) {
    // SAFETY: per the contract, `job` is the box `take` leaked, handed back once.
    let job = unsafe { Box::from_raw(job) };
    // SAFETY: per the contract.
    let outcome = crate::boundary::receive::read(unsafe { &*result });
    let PullJob {
        answer,
        _slot: slot,
        ..
    } = *job;
    drop(slot);
    let _ = answer.send(outcome);
}

/// Frees a queue once every run using it has ended.
///
/// # Safety
/// `queue` came from `otelcol_rust_bench_pull_new` and is freed once.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_pull_free(queue: *const PullQueue) {
    // SAFETY: per the contract.
    drop(unsafe { Arc::from_raw(queue) });
}

/// How many delivery threads the PUSH pool has (or will have).
#[no_mangle]
pub extern "C" fn otelcol_rust_bench_delivery_threads() -> u64 {
    u64::try_from(crate::delivery::threads()).unwrap_or(u64::MAX)
}

/// What a run measured. Latencies: each send from its call to its outcome, in nanoseconds.
#[repr(C)]
pub struct BenchDeliveryStats {
    pub accepted: u64,
    pub refused: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
    pub mean_ns: u64,
    /// From the first send to the last outcome.
    pub elapsed_ns: u64,
    /// The first refusal: its kind, retry delay and reason (cut to 256 bytes).
    pub error_len: u64,
    pub error: [u8; 256],
}

/// A run in progress; its stats once ended.
pub struct DeliveryRun {
    stats: Mutex<Option<BenchDeliveryStats>>,
}

/// What one sender saw.
#[derive(Default)]
struct Sent {
    latencies: Vec<Duration>,
    refused: u64,
    first_error: Option<String>,
}

impl Sent {
    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.refused += other.refused;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn stats(mut self, elapsed: Duration) -> BenchDeliveryStats {
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.latencies.sort_unstable();
        let count = self.latencies.len();
        let at = |per_cent: usize| {
            count
                .checked_sub(1)
                .map_or(0, |last| nanos(self.latencies[last * per_cent / 100]))
        };
        let total: Duration = self.latencies.iter().sum();
        let mut stats = BenchDeliveryStats {
            accepted: count as u64 - self.refused,
            refused: self.refused,
            p50_ns: at(50),
            p99_ns: at(99),
            max_ns: at(100),
            mean_ns: nanos(total) / (count as u64).max(1),
            elapsed_ns: nanos(elapsed),
            error_len: 0,
            error: [0; 256],
        };
        if let Some(error) = self.first_error {
            let mut cut = error.len().min(stats.error.len());
            while !error.is_char_boundary(cut) {
                cut -= 1;
            }
            stats.error[..cut].copy_from_slice(&error.as_bytes()[..cut]);
            stats.error_len = cut as u64;
        }
        stats
    }
}

/// One sender: sends copies of `bytes` while the run has batches left, timing each send.
async fn sender(consumer: Consumer, next: Arc<AtomicU64>, batches: u64, bytes: Arc<[u8]>) -> Sent {
    let mut sent = Sent::default();
    while next.fetch_add(1, Ordering::Relaxed) < batches {
        // A receiver owns its request's body: each send gets its own copy, as from a server.
        let payload = Payload::protobuf(bytes.to_vec());
        let began = Instant::now();
        let outcome = consumer.send(payload).await;
        sent.latencies.push(began.elapsed());
        if let Err(err) = outcome {
            sent.refused += 1;
            sent.first_error.get_or_insert_with(|| {
                format!(
                    "{:?} (retry after {:?}): {err}",
                    err.kind(),
                    err.retry_after()
                )
            });
        }
    }
    sent
}

/// Starts a run: `senders` tasks send `batches` protobuf traces payloads (copies of `data`) in
/// total to the Go receiver `token`, through `pull` (a queue) or, when `pull` is null, the
/// PUSH pool; once every send has its outcome, one byte is written to `done_fd`, and
/// `otelcol_rust_bench_delivery_finish` answers the stats. Null when the runtime cannot start.
///
/// # Safety
/// `data` is valid for `len` bytes during the call; `pull` is null or a live queue; `done_fd`
/// and the queue's wake pipe stay open until the done byte has been read.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_delivery_start(
    pull: *const PullQueue,
    token: u64,
    senders: u64,
    batches: u64,
    data: *const u8,
    len: usize,
    done_fd: i32,
) -> *const DeliveryRun {
    // SAFETY: per the contract (a panic is answered as a run that cannot start).
    catch_unwind(AssertUnwindSafe(|| unsafe {
        start_run(pull, token, senders, batches, data, len, done_fd)
    }))
    .ok()
    .flatten()
    .map_or(std::ptr::null(), Arc::into_raw)
}

/// `otelcol_rust_bench_delivery_start`'s work.
///
/// # Safety
/// As `otelcol_rust_bench_delivery_start`.
unsafe fn start_run(
    pull: *const PullQueue,
    token: u64,
    senders: u64,
    batches: u64,
    data: *const u8,
    len: usize,
    done_fd: i32,
) -> Option<Arc<DeliveryRun>> {
    let runtime = crate::host::runtime().ok()?;
    let bytes: Arc<[u8]> = if len == 0 {
        Arc::from(Vec::new())
    } else {
        // SAFETY: per the contract.
        Arc::from(unsafe { std::slice::from_raw_parts(data, len) })
    };
    let sink: Arc<dyn Deliver> = if pull.is_null() {
        Arc::new(crate::delivery::ReceiverSink::new(token))
    } else {
        // SAFETY: per the contract, `pull` is a live `Arc` from `otelcol_rust_bench_pull_new`:
        // the run takes a reference of its own.
        let queue = unsafe {
            Arc::increment_strong_count(pull);
            Arc::from_raw(pull)
        };
        Arc::new(PullSink { queue, token })
    };
    let consumer = Consumer::new(Signal::Traces, sink);
    let run = Arc::new(DeliveryRun {
        stats: Mutex::new(None),
    });
    let ended = Arc::clone(&run);
    runtime.spawn(async move {
        let next = Arc::new(AtomicU64::new(0));
        let began = Instant::now();
        let tasks: Vec<_> = (0..senders.max(1))
            .map(|_| {
                tokio::spawn(sender(
                    consumer.clone(),
                    Arc::clone(&next),
                    batches,
                    Arc::clone(&bytes),
                ))
            })
            .collect();
        let mut sent = Sent::default();
        for task in tasks {
            match task.await {
                Ok(one) => sent.merge(one),
                Err(err) => {
                    sent.first_error
                        .get_or_insert_with(|| format!("a sender failed: {err}"));
                }
            }
        }
        let stats = sent.stats(began.elapsed());
        *ended.stats.lock().unwrap_or_else(PoisonError::into_inner) = Some(stats);
        // SAFETY: per the contract, Go keeps `done_fd` open until it has read this byte.
        unsafe { poke(done_fd) };
    });
    Some(run)
}

/// Writes a run's stats into `out` (false when it has not ended) and frees the run.
///
/// # Safety
/// `run` came from `otelcol_rust_bench_delivery_start` and is finished once, after its done
/// byte was read; `out` is valid for writes.
#[no_mangle]
pub unsafe extern "C" fn otelcol_rust_bench_delivery_finish(
    run: *const DeliveryRun,
    out: *mut BenchDeliveryStats,
) -> bool {
    // SAFETY: per the contract.
    let run = unsafe { Arc::from_raw(run) };
    let stats = run
        .stats
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match stats {
        Some(stats) => {
            // SAFETY: per the contract.
            unsafe { out.write(stats) };
            true
        }
        None => false,
    }
}
