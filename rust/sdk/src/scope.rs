//! Which component instance the running code belongs to, so its log records reach that
//! instance's logger in the collector (docs/telemetry.md).
//!
//! The library runs `create`, `start`, `shutdown` and every [`Host::spawn`](crate::Host::spawn)
//! task inside the instance's scope; component code never deals with scopes. A scope is a
//! token Go assigns to each instance; 0 means "no component" (the library logger).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// The scope of the code running on this thread; 0 outside any component.
pub fn current() -> u64 {
    CURRENT.with(Cell::get)
}

/// Makes `scope` current on this thread until the guard is dropped, then restores the one
/// before (scopes nest).
pub fn enter(scope: u64) -> ScopeGuard {
    ScopeGuard(CURRENT.with(|current| current.replace(scope)))
}

/// Restores the previous scope when dropped; see [`enter`].
#[must_use = "the scope ends when the guard is dropped"]
pub struct ScopeGuard(u64);

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}

/// Runs every poll of `future` in the scope current where this is called. For tasks a
/// component starts itself (`tokio::spawn`, a `JoinSet`), which would otherwise run outside
/// any scope; `otelcol_rust_sdk::in_current_scope` is the public form.
pub fn in_current_scope<F: Future>(future: F) -> InScope<F> {
    InScope::new(current(), future)
}

/// A future that runs every poll of the inner one inside a scope, and drops it there too (a
/// task aborted at shutdown is dropped outside any poll; what its `Drop` code logs still
/// belongs to the component). The inner future is boxed, so this is `Unpin` and needs no pin
/// projection.
pub struct InScope<F> {
    scope: u64,
    /// `None` only while being dropped.
    inner: Option<Pin<Box<F>>>,
}

impl<F: Future> InScope<F> {
    /// Wraps `inner` so it runs in `scope`.
    pub fn new(scope: u64, inner: F) -> Self {
        Self {
            scope,
            inner: Some(Box::pin(inner)),
        }
    }
}

impl<F: Future> Future for InScope<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _scope = enter(self.scope);
        match self.inner.as_mut() {
            Some(inner) => inner.as_mut().poll(cx),
            // Unreachable: the inner future is taken only by `drop`.
            None => Poll::Pending,
        }
    }
}

impl<F> Drop for InScope<F> {
    fn drop(&mut self) {
        let _scope = enter(self.scope);
        drop(self.inner.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: scopes nest and are restored, also across polls of interleaved futures.
    #[test]
    fn scopes_nest_and_follow_futures() {
        assert_eq!(current(), 0);
        {
            let _outer = enter(1);
            {
                let _inner = enter(2);
                assert_eq!(current(), 2);
            }
            assert_eq!(current(), 1);
        }
        assert_eq!(current(), 0);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|err| unreachable!("runtime: {err}"));
        let seen = runtime.block_on(async {
            let a = tokio::spawn(InScope::new(7, async {
                let before = current();
                tokio::task::yield_now().await;
                (before, current())
            }));
            let b = tokio::spawn(InScope::new(8, async {
                tokio::task::yield_now().await;
                current()
            }));
            let outside = current();
            (a.await.ok(), b.await.ok(), outside)
        });
        assert_eq!(seen, (Some((7, 7)), Some(8), 0));
    }

    /// Guarantees: the inner future is dropped inside the scope too, also when its task is
    /// aborted before it ends (what its `Drop` code logs belongs to the component).
    #[test]
    fn the_inner_future_is_dropped_in_scope() {
        struct Probe(std::sync::mpsc::Sender<u64>);
        impl Drop for Probe {
            fn drop(&mut self) {
                let _ = self.0.send(current());
            }
        }

        let (dropped, seen) = std::sync::mpsc::channel();
        drop(InScope::new(3, {
            let probe = Probe(dropped.clone());
            async move {
                let _probe = probe;
            }
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|err| unreachable!("runtime: {err}"));
        runtime.block_on(async {
            let probe = Probe(dropped);
            let task = tokio::spawn(InScope::new(4, async move {
                let _probe = probe;
                std::future::pending::<()>().await;
            }));
            tokio::task::yield_now().await;
            task.abort();
            let _ = task.await;
        });
        assert_eq!(seen.try_iter().collect::<Vec<_>>(), [3, 4]);
        assert_eq!(current(), 0);
    }

    /// Guarantees: `in_current_scope` carries the scope of the code that creates the future
    /// to a task spawned directly on tokio, which would otherwise have none.
    #[test]
    fn in_current_scope_carries_the_scope_to_a_spawned_task() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|err| unreachable!("runtime: {err}"));
        let seen = runtime.block_on(async {
            let (carried, bare) = {
                let _scope = enter(9);
                (
                    tokio::spawn(in_current_scope(async { current() })),
                    tokio::spawn(async { current() }),
                )
            };
            (carried.await.ok(), bare.await.ok())
        });
        assert_eq!(seen, (Some(9), Some(0)));
    }
}
