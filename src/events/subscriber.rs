//! One subscriber's stream: a forwarding task keeps the events its filter wants from the hub
//! and hands them on through the subscriber's own bounded queue; a subscriber that falls
//! behind is dropped, never waited for.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::{broadcast, mpsc};

use super::{Dropped, Event, EventFilter};

#[derive(Default)]
pub(super) struct Shared {
    dropped: AtomicBool,
    lost: AtomicU64,
}

/// Moves the events a subscriber wants from the hub to its queue until the subscriber goes
/// away, or falls too far behind (then it is marked dropped and its queue closed).
pub(super) async fn forward(
    mut hub: broadcast::Receiver<Event>,
    filter: EventFilter,
    tx: mpsc::Sender<Event>,
    shared: Arc<Shared>,
    limit: usize,
) {
    let lost = loop {
        tokio::select! {
            biased;
            _ = tx.closed() => return,
            received = hub.recv() => match received {
                Ok(event) if filter.matches(&event) => match tx.try_send(event) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => break 1,
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                },
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => break n,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    shared.lost.store(lost, Ordering::Relaxed);
    shared.dropped.store(true, Ordering::Release);
    metrics::counter!("oms_events_dropped_total", "reason" => "slow_subscriber").increment(lost);
    metrics::counter!("oms_subscriptions_dropped_total").increment(1);
    tracing::warn!(
        limit,
        "a subscriber fell too far behind and was dropped (its client reads too slowly)"
    );
    // dropping `tx` wakes the subscriber, which then reports `Dropped`
}

/// One subscriber's events (a `Stream`); counts as an open subscription until dropped.
pub struct Subscriber {
    pub(super) rx: mpsc::Receiver<Event>,
    pub(super) shared: Arc<Shared>,
    pub(super) limit: usize,
    pub(super) finished: bool,
    pub(super) open: Arc<AtomicUsize>,
}

impl Stream for Subscriber {
    type Item = Result<Event, Dropped>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        // a dropped subscriber's backlog is stale: report the drop before anything else
        if this.shared.dropped.load(Ordering::Acquire) {
            this.finished = true;
            return Poll::Ready(Some(Err(Dropped { limit: this.limit })));
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(event))),
            Poll::Ready(None) => {
                this.finished = true;
                if this.shared.dropped.load(Ordering::Acquire) {
                    Poll::Ready(Some(Err(Dropped { limit: this.limit })))
                } else {
                    Poll::Ready(None)
                }
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        metrics::gauge!("oms_subscriptions_open").decrement(1.0);
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::super::EventBus;
    use super::super::tests::{all_orders, order};
    use super::*;
    use crate::auth::ReadScope;

    #[tokio::test]
    async fn delivers_what_the_filter_wants() {
        let bus = EventBus::new();
        let mut sub = bus.subscribe(EventFilter {
            scope: ReadScope::Customer(7),
            ..all_orders()
        });
        bus.publish(order(1, 8));
        bus.publish(order(2, 7));
        assert_eq!(sub.next().await, Some(Ok(order(2, 7))));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped_and_the_publisher_never_waits() {
        let bus = EventBus::with_subscriber_buffer(4);
        let mut sub = bus.subscribe(all_orders());
        let started = std::time::Instant::now();
        for i in 0..100 {
            bus.publish(order(i, 1));
            tokio::task::yield_now().await;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // the forwarding task runs on this runtime: let it notice
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), sub.next()).await;
        assert_eq!(first.unwrap(), Some(Err(Dropped { limit: 4 })));
        assert_eq!(sub.next().await, None);
    }
}
