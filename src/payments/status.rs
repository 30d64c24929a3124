//! The payment's life cycle: pending -> completed | failed, failed -> pending,
//! completed -> refunded. Setting the current status again is a no-op.

crate::choice::stored_choice!(PaymentStatus {
    Pending => "pending",
    Completed => "completed",
    Failed => "failed",
    Refunded => "refunded",
});

impl PaymentStatus {
    /// Whether the payment may move from `self` to `to` (the same status: a no-op).
    pub fn can_become(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        self == to
            || matches!(
                (self, to),
                (Pending, Completed)
                    | (Pending, Failed)
                    | (Failed, Pending)
                    | (Completed, Refunded)
            )
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;

    #[test]
    fn transitions() {
        let allowed = [
            (Pending, Completed),
            (Pending, Failed),
            (Failed, Pending),
            (Completed, Refunded),
        ];
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    from == to || allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }
}
