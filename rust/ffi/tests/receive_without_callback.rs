//! Scenario: a receiver runs in a library where no delivery function was ever registered (Rust
//! tests, or a Go binary whose rustffi package never initialised). A process of its own: the
//! registered function is process-wide, and the other receive tests register one.
//! Guarantees: its sends answer retryable `no delivery callback registered` (the client
//! retries; nothing crashes, nothing waits for a delivery thread), counted as refused and not
//! as deliveries; the receiver still starts and shuts down.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use otelcol_rust_ffi::host;
use otelcol_rust_sdk::{
    Config, ConsumeError, Consumers, CreateSettings, Error, Host, LifecycleContext, Payload,
    Receiver, ReceiverFactory, Signal,
};
use serde::{Deserialize, Serialize};

/// A receiver that hands its consumers to the test.
struct Handing;

/// It takes no keys.
#[derive(Default, Serialize, Deserialize)]
struct NoConfig {}

impl Config for NoConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// The consumers the started receiver got.
static CONSUMERS: Mutex<Option<Consumers>> = Mutex::new(None);

impl Receiver for Handing {
    async fn start(
        &mut self,
        _: &LifecycleContext,
        _: &Host,
        consumers: Consumers,
    ) -> Result<(), Error> {
        *CONSUMERS.lock().unwrap_or_else(PoisonError::into_inner) = Some(consumers);
        Ok(())
    }
}

/// Its factory.
struct HandingFactory;

impl ReceiverFactory for HandingFactory {
    const TYPE: &'static str = "handing";
    const SIGNALS: &'static [Signal] = &[Signal::Metrics];
    type Config = NoConfig;
    type Receiver = Handing;

    fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Handing, Error> {
        Ok(Handing)
    }
}

otelcol_rust_sdk::register_receiver!(HandingFactory);

#[test]
fn sends_without_a_delivery_function_are_retryable() {
    let context = r#"{"id":{"type":"handing","name":""},"deadline_remaining_ns":5000000000}"#;
    let (handle, _) = host::create_and_start(
        "receiver",
        "handing",
        "{}",
        context,
        r#"{"receiver":{"token":7,"signals":["metrics"]}}"#,
    )
    .expect("starts");
    let consumers = CONSUMERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .expect("started");
    let metrics = consumers.metrics().expect("metrics").clone();
    let before = host::library_metrics();
    // Answered at the first poll: nothing to wait for, so no runtime is needed.
    let send = std::pin::pin!(metrics.send(Payload::protobuf(vec![1, 2, 3])));
    let answer = send.poll(&mut Context::from_waker(Waker::noop()));
    assert_eq!(
        answer,
        Poll::Ready(Err(ConsumeError::retryable(
            "no delivery callback registered"
        )))
    );
    let after = host::library_metrics();
    assert_eq!(after.receive_refused - before.receive_refused, 1);
    assert_eq!(after.receive_deliveries, 0);
    assert_eq!(after.receive_pending, 0);
    let (_, stopped) = host::shutdown(handle, context);
    stopped.expect("stops");
}
