//! The payment's life cycle: pending -> completed | failed, failed -> pending,
//! completed -> refunded. Setting the current status again is a no-op.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum PaymentStatus {
    Pending,
    Completed,
    Failed,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [
        PaymentStatus::Pending,
        PaymentStatus::Completed,
        PaymentStatus::Failed,
        PaymentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Completed => "completed",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
        }
    }

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

impl FromStr for PaymentStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        PaymentStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
