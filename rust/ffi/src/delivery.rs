//! How a Rust receiver's batches reach the Go pipeline (PUSH): a bounded pool of plain threads
//! calls Go's delivery callback, one batch per call, synchronously, and hands the outcome back
//! to the awaiting [`Consumer::send`](otelcol_rust_sdk::Consumer::send).
//!
//! - The pool: [`threads`] threads named `otelcol-rust-deliver`, started on first use and
//!   living for the process (`OTELCOL_RUST_DELIVERY_THREADS`, a positive integer, else
//!   `max(8, 4 × available_parallelism)`). They are not tokio workers: a call into Go blocks
//!   its thread for as long as the pipeline takes, which would stall the components' tasks.
//! - The hand-off is a bounded channel of capacity [`threads`]; a send awaits room in it
//!   asynchronously. So at most `2 × threads` batches are handed over at any time (queued or
//!   in a call), and at most `threads` calls run in Go: a busy pipeline makes sends wait,
//!   which is the receivers' back-pressure. Nothing else queues.
//! - Each receiver instance has one [`ReceiverSink`], shared by its consumers. Its shutdown
//!   closes the sink (later sends answer retryable `receiver is shut down`, without reaching
//!   Go, also those still waiting for room) and waits for the batches it already handed over.
//!
//! The call into Go itself is `boundary::receive::deliver_to_go` (the unsafe code stays in the
//! boundary module).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use otelcol_rust_sdk::{BoxFuture, ConsumeError, Deliver, Payload, Signal};
use tokio::sync::{mpsc, oneshot};

use crate::boundary::receive::deliver_to_go;
use crate::host::panic_message;

/// The environment variable that sets how many delivery threads the pool has.
pub const THREADS_VARIABLE: &str = "OTELCOL_RUST_DELIVERY_THREADS";

/// Batches handed to Go (calls of the delivery callback), sends the pipeline accepted, sends
/// refused (by Go: retryable, permanent or malformed; or by Rust without calling Go: a
/// shut-down receiver, no callback), and sends waiting for or in a delivery slot now.
pub static RECEIVE_DELIVERIES: AtomicU64 = AtomicU64::new(0);
/// See [`RECEIVE_DELIVERIES`].
pub static RECEIVE_ACCEPTED: AtomicU64 = AtomicU64::new(0);
/// See [`RECEIVE_DELIVERIES`].
pub static RECEIVE_REFUSED: AtomicU64 = AtomicU64::new(0);
/// See [`RECEIVE_DELIVERIES`].
pub static RECEIVE_PENDING: AtomicU64 = AtomicU64::new(0);

/// One batch handed over to the pool.
struct Job {
    token: u64,
    signal: Signal,
    payload: Payload,
    answer: oneshot::Sender<Result<(), ConsumeError>>,
    /// Counts the batch in its sink until the call ended, so shutdown can wait for it.
    _in_flight: InFlight,
    /// Counts the send in [`RECEIVE_PENDING`] until the call ended, even if the sender stopped
    /// waiting for it.
    _pending: Pending,
}

/// The pool: the sending half of the hand-off, and how many threads take from it.
struct Pool {
    jobs: mpsc::Sender<Job>,
    threads: usize,
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// How many delivery threads the pool has (or will have, once started).
pub fn threads() -> usize {
    match POOL.get() {
        Some(pool) => pool.threads,
        None => configured_threads(std::env::var(THREADS_VARIABLE).ok().as_deref()),
    }
}

/// How many more batches the hand-off takes now without waiting (its capacity, [`threads`],
/// before the pool starts): 0 while every thread is in a call and the hand-off is full.
pub fn room() -> usize {
    POOL.get().map_or_else(threads, |pool| pool.jobs.capacity())
}

/// The thread count `variable` (the environment variable's value) asks for, else the default.
fn configured_threads(variable: Option<&str>) -> usize {
    let default = || {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        (4 * cores).max(8)
    };
    match variable.map(|text| text.trim().parse::<usize>()) {
        Some(Ok(threads)) if threads > 0 => threads,
        Some(_) => {
            tracing::warn!(
                "{THREADS_VARIABLE}={:?} is not a positive integer; using {} delivery threads",
                variable.unwrap_or_default(),
                default()
            );
            default()
        }
        None => default(),
    }
}

/// The pool, started on first use. The threads live for the process: a library linked into a
/// collector is never unloaded, and idle threads cost only their stacks.
fn pool() -> Result<&'static Pool, ConsumeError> {
    if let Some(pool) = POOL.get() {
        return Ok(pool);
    }
    // Two first sends may race to start one: the loser's threads end at once, because its
    // sender is dropped unused and their channel closes.
    let wanted = threads();
    let (jobs, queue) = mpsc::channel::<Job>(wanted);
    let queue = Arc::new(Mutex::new(queue));
    let mut started = 0;
    for _ in 0..wanted {
        let queue = Arc::clone(&queue);
        let spawned = std::thread::Builder::new()
            .name("otelcol-rust-deliver".to_owned())
            .spawn(move || serve(&queue));
        match spawned {
            Ok(_) => started += 1,
            Err(err) => tracing::error!("cannot start a delivery thread: {err}"),
        }
    }
    if started == 0 {
        return Err(ConsumeError::retryable("no delivery thread could start"));
    }
    Ok(POOL.get_or_init(|| Pool {
        jobs,
        threads: started,
    }))
}

/// A delivery thread: takes the next batch and delivers it, until the pool is gone.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // One thread waits in the queue at a time; the others wait for the lock. Either way a
        // batch is taken as soon as a thread is free.
        let job = queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocking_recv();
        let Some(job) = job else {
            return;
        };
        let Job {
            token,
            signal,
            payload,
            answer,
            _in_flight,
            _pending,
        } = job;
        let outcome = catch_unwind(AssertUnwindSafe(|| deliver_to_go(token, signal, &payload)))
            .unwrap_or_else(|payload| {
                Some(Err(ConsumeError::permanent(format!(
                    "rust delivery panicked: {}",
                    panic_message(payload.as_ref())
                ))))
            });
        let outcome = match outcome {
            Some(outcome) => {
                RECEIVE_DELIVERIES.fetch_add(1, Ordering::Relaxed);
                outcome
            }
            // Unregistered between the send's check and this call (tests only do that).
            None => Err(no_callback()),
        };
        count(&outcome);
        // The call is over: no longer pending nor in flight, before the sender (and a shutdown
        // waiting for the sink) can see the answer.
        drop((_in_flight, _pending));
        // The sender may have stopped waiting: the batch was still delivered.
        let _ = answer.send(outcome);
    }
}

fn count(outcome: &Result<(), ConsumeError>) {
    match outcome {
        Ok(()) => RECEIVE_ACCEPTED.fetch_add(1, Ordering::Relaxed),
        Err(_) => RECEIVE_REFUSED.fetch_add(1, Ordering::Relaxed),
    };
}

fn shut_down() -> ConsumeError {
    ConsumeError::retryable("receiver is shut down")
}

fn no_callback() -> ConsumeError {
    ConsumeError::retryable("no delivery callback registered")
}

/// Counts a send in [`RECEIVE_PENDING`] while it lives.
struct Pending;

impl Pending {
    fn start() -> Self {
        RECEIVE_PENDING.fetch_add(1, Ordering::Relaxed);
        Self
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        RECEIVE_PENDING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Where one receiver instance's consumers send: its Go token, and what its shutdown needs
/// (closing it, waiting for what it handed over). Cheap to clone.
#[derive(Clone)]
pub struct ReceiverSink(Arc<SinkState>);

struct SinkState {
    token: u64,
    counts: Mutex<SinkCounts>,
    idle: Condvar,
}

#[derive(Default)]
struct SinkCounts {
    closed: bool,
    /// Batches handed to the pool whose call has not ended.
    in_flight: usize,
}

/// Counts one batch in its sink's `in_flight` until dropped.
struct InFlight(Arc<SinkState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut counts = self.0.lock();
        counts.in_flight -= 1;
        if counts.in_flight == 0 {
            self.0.idle.notify_all();
        }
    }
}

impl SinkState {
    fn lock(&self) -> MutexGuard<'_, SinkCounts> {
        // Only counters change under this lock: a poisoned one still holds sound counts.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more batch in flight, unless the sink is closed.
    fn admit(self: &Arc<Self>) -> Option<InFlight> {
        let mut counts = self.lock();
        if counts.closed {
            return None;
        }
        counts.in_flight += 1;
        Some(InFlight(Arc::clone(self)))
    }
}

impl ReceiverSink {
    /// An open sink delivering to the Go receiver `token`.
    pub fn new(token: u64) -> Self {
        Self(Arc::new(SinkState {
            token,
            counts: Mutex::default(),
            idle: Condvar::new(),
        }))
    }

    /// The Go receiver's token.
    pub fn token(&self) -> u64 {
        self.0.token
    }

    /// Refuses every later send (retryable `receiver is shut down`, without reaching Go).
    pub fn close(&self) {
        self.0.lock().closed = true;
    }

    /// How many batches this sink handed over whose call has not ended.
    pub fn in_flight(&self) -> usize {
        self.0.lock().in_flight
    }

    /// Closes the sink and waits, at most `timeout`, for the batches it handed over to be
    /// answered. Answers how many were still in flight at the timeout (0: none).
    pub fn close_and_wait(&self, timeout: Duration) -> usize {
        let mut counts = self.0.lock();
        counts.closed = true;
        let (counts, _) = self
            .0
            .idle
            .wait_timeout_while(counts, timeout, |counts| counts.in_flight > 0)
            .unwrap_or_else(PoisonError::into_inner);
        counts.in_flight
    }

    /// Sends one batch: waits for room in the hand-off, hands it over and waits for Go's
    /// answer. Refused at once (and never handed over) when the sink is closed, before or
    /// while waiting for room, or when no callback is registered.
    async fn send(self, signal: Signal, payload: Payload) -> Result<(), ConsumeError> {
        let pending = Pending::start();
        let answered = match self.hand_over(signal, payload, pending).await {
            Ok(answered) => answered,
            Err(refused) => {
                RECEIVE_REFUSED.fetch_add(1, Ordering::Relaxed);
                return Err(refused);
            }
        };
        // The sender half is dropped only after answering, unless the thread died mid-call
        // (the delivery caught the panic: only a thread killed from outside could).
        answered.await.unwrap_or_else(|_| {
            Err(ConsumeError::retryable(
                "the delivery thread ended without an answer",
            ))
        })
    }

    async fn hand_over(
        &self,
        signal: Signal,
        payload: Payload,
        pending: Pending,
    ) -> Result<oneshot::Receiver<Result<(), ConsumeError>>, ConsumeError> {
        if self.0.lock().closed {
            return Err(shut_down());
        }
        if !crate::boundary::receive::deliver_registered() {
            return Err(no_callback());
        }
        let pool = pool()?;
        let room = pool
            .jobs
            .reserve()
            .await
            .map_err(|_| ConsumeError::retryable("the delivery threads are gone"))?;
        // Checked again with room in hand: a shutdown may have closed the sink while this
        // send waited, and then it must not reach Go.
        let in_flight = self.0.admit().ok_or_else(shut_down)?;
        let (answer, answered) = oneshot::channel();
        room.send(Job {
            token: self.0.token,
            signal,
            payload,
            answer,
            _in_flight: in_flight,
            _pending: pending,
        });
        Ok(answered)
    }
}

impl Deliver for ReceiverSink {
    fn deliver(
        &self,
        signal: Signal,
        payload: Payload,
    ) -> BoxFuture<'static, Result<(), ConsumeError>> {
        Box::pin(self.clone().send(signal, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: the thread count is the variable's positive integer, else at least 8 and 4
    /// per core.
    #[test]
    fn thread_count() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let default = (4 * cores).max(8);
        assert_eq!(configured_threads(Some("3")), 3);
        assert_eq!(configured_threads(Some(" 12 ")), 12);
        assert_eq!(configured_threads(None), default);
        assert_eq!(configured_threads(Some("0")), default);
        assert_eq!(configured_threads(Some("-1")), default);
        assert_eq!(configured_threads(Some("many")), default);
    }
}
