//! Change events: every committed change of an order or payment is published here, after its
//! transaction commits, for the GraphQL subscriptions.
//!
//! How an event travels:
//! - `publish` (called by the domain services right after a commit) never waits. In-process
//!   (SQLite) it goes straight to the hub; on PostgreSQL it is queued for the notifier, which
//!   sends it with `pg_notify` on [`postgres::CHANNEL`], and every gateway process (this one
//!   included) hears it on its listener and puts it on its own hub. A process delivers only
//!   what its listener hears, so each subscriber gets each event once, whichever replica the
//!   change went through.
//! - The hub is a bounded broadcast channel ([`EventBus::CAPACITY`]). Each subscription has a
//!   small forwarding task that keeps only the events its filter wants and hands them on
//!   through the subscriber's own bounded queue ([`EventBus::SUBSCRIBER_BUFFER`] events).
//! - A subscriber whose queue is full, because its client reads slower than changes happen or
//!   not at all, is dropped at once: its stream yields [`Dropped`] and ends. Nothing is ever
//!   buffered without bound and no writer ever waits for a reader.

pub mod postgres;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::{broadcast, mpsc};

use crate::auth::ReadScope;
use crate::config::Settings;
use crate::db::ConnectError;

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// One committed change. Carries the ids needed to route it to the right subscribers; the
/// subscriber loads the current object itself (so it sees what the database holds).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Order {
        kind: ChangeKind,
        order_id: i64,
        customer_id: i64,
    },
    Payment {
        kind: ChangeKind,
        payment_id: i64,
        order_id: i64,
        customer_id: i64,
    },
}

impl Event {
    /// The order the change concerns (the payment's order for a payment).
    pub fn order_id(&self) -> i64 {
        match self {
            Event::Order { order_id, .. } | Event::Payment { order_id, .. } => *order_id,
        }
    }

    /// The customer whose order it is.
    pub fn customer_id(&self) -> i64 {
        match self {
            Event::Order { customer_id, .. } | Event::Payment { customer_id, .. } => *customer_id,
        }
    }
}

/// Which stream of events a subscriber follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Orders,
    Payments,
}

/// What one subscriber wants: a topic, the subscription's arguments, and what its caller may
/// see (a customer only the events of their own orders, CONTRACT §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFilter {
    pub topic: Topic,
    pub scope: ReadScope,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

impl EventFilter {
    pub fn matches(&self, event: &Event) -> bool {
        let topic = match event {
            Event::Order { .. } => Topic::Orders,
            Event::Payment { .. } => Topic::Payments,
        };
        topic == self.topic
            && self.scope.allows_customer(event.customer_id())
            && self.order_id.is_none_or(|id| id == event.order_id())
            && self.customer_id.is_none_or(|id| id == event.customer_id())
    }
}

/// Why a subscription ended early: its client did not keep up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// How many undelivered events the subscriber may hold.
    pub limit: usize,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "This subscription fell more than {} events behind and was dropped; \
             subscribe again and reload the current state.",
            self.limit
        )
    }
}

/// In-process fan-out of events, with the PostgreSQL transport when the database is one.
/// Cheap to clone: one shared hub.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    hub: broadcast::Sender<Event>,
    transport: Transport,
    /// The database's change triggers announce every change (PostgreSQL): this process sends
    /// none of its own, or subscribers would hear its writes twice.
    triggers: AtomicBool,
    /// Whether `triggers` has been looked at yet (the first look is always logged).
    triggers_known: AtomicBool,
    subscriber_buffer: usize,
    /// Live `Subscriber`s.
    open: Arc<AtomicUsize>,
}

enum Transport {
    /// Events stay in this process (SQLite, tools).
    InProcess,
    /// Events go through PostgreSQL's LISTEN/NOTIFY to every process on the database.
    Postgres(postgres::Notifier),
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// Events the hub holds for the forwarding tasks (shared by all subscribers).
    pub const CAPACITY: usize = 1024;
    /// Undelivered events one subscriber may hold before it is dropped.
    pub const SUBSCRIBER_BUFFER: usize = 256;

    /// An in-process bus.
    pub fn new() -> Self {
        Self::build(Self::hub(), Transport::InProcess, Self::SUBSCRIBER_BUFFER)
    }

    /// An in-process bus whose subscribers may fall at most `subscriber_buffer` events behind.
    pub fn with_subscriber_buffer(subscriber_buffer: usize) -> Self {
        Self::build(Self::hub(), Transport::InProcess, subscriber_buffer.max(1))
    }

    fn hub() -> broadcast::Sender<Event> {
        broadcast::channel(Self::CAPACITY).0
    }

    fn build(
        hub: broadcast::Sender<Event>,
        transport: Transport,
        subscriber_buffer: usize,
    ) -> Self {
        EventBus {
            inner: Arc::new(Inner {
                hub,
                transport,
                triggers: AtomicBool::new(false),
                triggers_known: AtomicBool::new(false),
                subscriber_buffer,
                open: Arc::default(),
            }),
        }
    }

    /// The bus for the database of `settings`: through LISTEN/NOTIFY on PostgreSQL (waiting
    /// briefly for the listener so that a server that is up also hears), in-process otherwise.
    pub async fn connect(settings: &Settings) -> Result<EventBus, ConnectError> {
        let url = &settings.database_url;
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Ok(EventBus::new());
        }
        let hub = Self::hub();
        let notifier = postgres::start(url, hub.clone()).await?;
        Ok(Self::build(
            hub,
            Transport::Postgres(notifier),
            Self::SUBSCRIBER_BUFFER,
        ))
    }

    /// Open subscriptions on this bus.
    pub fn subscribers(&self) -> usize {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// Publishes a committed change (call only after the commit). Never waits. Where the
    /// database's change triggers are installed they announce it instead.
    pub fn publish(&self, event: Event) {
        metrics::counter!("oms_events_published_total").increment(1);
        match &self.inner.transport {
            Transport::InProcess => deliver(&self.inner.hub, event),
            Transport::Postgres(_) if self.inner.triggers.load(Ordering::Relaxed) => {}
            Transport::Postgres(notifier) => notifier.send(event),
        }
    }

    /// Whether the database's change triggers announce the changes (so this process does not).
    pub fn triggers_announce(&self) -> bool {
        self.inner.triggers.load(Ordering::Relaxed)
    }

    /// Looks whether the change triggers are installed (`migrate up --with-triggers`), and
    /// from now on leaves the announcing to them if they are; logged at the first look and when
    /// it changes (the maintenance task looks again every hour).
    pub async fn detect_triggers(
        &self,
        db: &sea_orm::DatabaseConnection,
    ) -> Result<bool, sea_orm::DbErr> {
        let Transport::Postgres(_) = &self.inner.transport else {
            return Ok(false);
        };
        let installed = migration::triggers::installed(db).await?;
        let before = self.inner.triggers.swap(installed, Ordering::Relaxed);
        if !self.inner.triggers_known.swap(true, Ordering::Relaxed) || before != installed {
            postgres::log_triggers(installed);
        }
        Ok(installed)
    }

    /// A stream of the events `filter` wants, from now on. It ends with `Err(Dropped)` if the
    /// subscriber falls more than the subscriber buffer behind.
    pub fn subscribe(&self, filter: EventFilter) -> Subscriber {
        let limit = self.inner.subscriber_buffer;
        let (tx, rx) = mpsc::channel(limit);
        let shared = Arc::new(Shared::default());
        let hub = self.inner.hub.subscribe();
        tokio::spawn(forward(hub, filter, tx, shared.clone(), limit));
        metrics::gauge!("oms_subscriptions_open").increment(1.0);
        self.inner.open.fetch_add(1, Ordering::SeqCst);
        Subscriber {
            rx,
            shared,
            limit,
            finished: false,
            open: self.inner.open.clone(),
        }
    }
}

/// Puts an event on the hub for this process's subscribers.
fn deliver(hub: &broadcast::Sender<Event>, event: Event) {
    // no receiver at all is fine: nobody subscribes
    let _ = hub.send(event);
}

#[derive(Default)]
struct Shared {
    dropped: AtomicBool,
    lost: AtomicU64,
}

/// Moves the events a subscriber wants from the hub to its queue until the subscriber goes
/// away, or falls too far behind (then it is marked dropped and its queue closed).
async fn forward(
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
    rx: mpsc::Receiver<Event>,
    shared: Arc<Shared>,
    limit: usize,
    finished: bool,
    open: Arc<AtomicUsize>,
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

    use super::*;

    fn order(order_id: i64, customer_id: i64) -> Event {
        Event::Order {
            kind: ChangeKind::Created,
            order_id,
            customer_id,
        }
    }

    fn all_orders() -> EventFilter {
        EventFilter {
            topic: Topic::Orders,
            scope: ReadScope::All,
            order_id: None,
            customer_id: None,
        }
    }

    #[test]
    fn filters_follow_scope_and_arguments() {
        let customer = EventFilter {
            scope: ReadScope::Customer(7),
            ..all_orders()
        };
        assert!(customer.matches(&order(1, 7)));
        assert!(!customer.matches(&order(1, 8)));
        let one = EventFilter {
            order_id: Some(2),
            ..all_orders()
        };
        assert!(one.matches(&order(2, 8)) && !one.matches(&order(1, 8)));
        let payments = EventFilter {
            topic: Topic::Payments,
            ..all_orders()
        };
        assert!(!payments.matches(&order(1, 7)));
        assert!(payments.matches(&Event::Payment {
            kind: ChangeKind::Deleted,
            payment_id: 3,
            order_id: 1,
            customer_id: 7
        }));
    }

    #[test]
    fn events_travel_as_json() {
        let json = serde_json::to_string(&order(1, 2)).unwrap();
        assert_eq!(
            json,
            r#"{"type":"order","kind":"CREATED","order_id":1,"customer_id":2}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), order(1, 2));
    }

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
