//! The order's life cycle: pending -> confirmed | cancelled, confirmed -> shipped | cancelled,
//! shipped -> delivered. Setting the current status again is a no-op; anything else is refused.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The stored (legacy) value.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the order may move from `self` to `to` (the same status counts as allowed: a no-op).
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        self == to
            || matches!(
                (self, to),
                (Pending, Confirmed)
                    | (Pending, Cancelled)
                    | (Confirmed, Shipped)
                    | (Confirmed, Cancelled)
                    | (Shipped, Delivered)
            )
    }

    /// Whether the goods have left (the stock is not put back when such an order is deleted).
    pub fn has_shipped(self) -> bool {
        matches!(self, OrderStatus::Shipped | OrderStatus::Delivered)
    }

    /// Whether the order's units are still taken out of stock.
    pub fn holds_stock(self) -> bool {
        !matches!(self, OrderStatus::Cancelled)
    }
}

impl FromStr for OrderStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn transitions() {
        let allowed = [
            (Pending, Confirmed),
            (Pending, Cancelled),
            (Confirmed, Shipped),
            (Confirmed, Cancelled),
            (Shipped, Delivered),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn stored_values_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
        assert!("PENDING".parse::<OrderStatus>().is_err());
    }
}
