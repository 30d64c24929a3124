//! The order's life cycle: pending -> confirmed | cancelled, confirmed -> shipped | cancelled,
//! shipped -> delivered. Setting the current status again is a no-op; anything else is refused.

crate::choice::stored_choice!(OrderStatus {
    Pending => "pending",
    Confirmed => "confirmed",
    Shipped => "shipped",
    Delivered => "delivered",
    Cancelled => "cancelled",
});

impl OrderStatus {
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
