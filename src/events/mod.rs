//! Change events: every committed change of an order or payment is published here, after its
//! transaction commits, for the GraphQL subscriptions.

use tokio::sync::broadcast;

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

/// In-process fan-out of events (bounded: a subscriber that falls behind loses events and is
/// told so, the publisher never waits).
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub const CAPACITY: usize = 1024;

    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(Self::CAPACITY);
        EventBus { tx }
    }

    /// Publishes a committed change (call only after the commit).
    pub fn publish(&self, event: Event) {
        metrics::counter!("oms_events_published_total").increment(1);
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
