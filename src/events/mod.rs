//! Change events: every committed change of an order or payment is announced here, for the
//! GraphQL subscriptions. This module holds what an event is and who wants it; `bus` moves
//! events, `subscriber` hands them to one subscriber, `postgres` is the LISTEN/NOTIFY
//! transport.
//!
//! How an event travels:
//! - The domain services commit their write transactions through [`EventBus::commit`] with
//!   the changes they made. On PostgreSQL the `pg_notify` on [`postgres::CHANNEL`] goes inside
//!   the transaction: as its last statement, or, for a new order, as part of the order's own
//!   write statement ([`EventBus::notice`], then `EventBus::commit_after`). PostgreSQL
//!   delivers it at COMMIT and drops it at a rollback, so a committed change is never lost and
//!   a failed one never announced. Every
//!   gateway process (this one included) hears it on its listener and puts it on its own hub;
//!   a process delivers only what its listener hears, so each subscriber gets each event once,
//!   whichever replica the change went through. In-process (SQLite) the events go straight to
//!   the hub after the commit.
//! - `publish` (outside any transaction) never waits: on PostgreSQL it is queued for the
//!   notifier, which sends it on its own connection.
//! - The hub is a bounded broadcast channel ([`EventBus::CAPACITY`]). Each subscription has a
//!   small forwarding task that keeps only the events its filter wants and hands them on
//!   through the subscriber's own bounded queue ([`EventBus::SUBSCRIBER_BUFFER`] events).
//! - A subscriber whose queue is full, because its client reads slower than changes happen or
//!   not at all, is dropped at once: its stream yields [`Dropped`] and ends. Nothing is ever
//!   buffered without bound and no writer ever waits for a reader.

mod bus;
pub mod postgres;
mod subscriber;

pub use bus::EventBus;
pub use subscriber::Subscriber;

use crate::auth::ReadScope;

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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A created order's event.
    pub(in crate::events) fn order(order_id: i64, customer_id: i64) -> Event {
        Event::Order {
            kind: ChangeKind::Created,
            order_id,
            customer_id,
        }
    }

    /// A staff subscriber's filter on every order.
    pub(in crate::events) fn all_orders() -> EventFilter {
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
}
