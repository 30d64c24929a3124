//! Relay's global object ids (`nodeId`): the base64 of `Type:id`, as graphql-relay's
//! `toGlobalId` makes them (`Order:42` is `T3JkZXI6NDI=`). Opaque to clients; unique across
//! the types, so a normalised cache can key any object by it and `node(id:)` can refetch it.

use async_graphql::ID;
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The types with a global id: those a client refetches on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeType {
    Order,
    Payment,
    Product,
    Stock,
    User,
}

impl NodeType {
    pub const ALL: [NodeType; 5] = [
        NodeType::Order,
        NodeType::Payment,
        NodeType::Product,
        NodeType::Stock,
        NodeType::User,
    ];

    /// The GraphQL type's name, the first half of the id.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Order => "Order",
            NodeType::Payment => "Payment",
            NodeType::Product => "Product",
            NodeType::Stock => "Stock",
            NodeType::User => "User",
        }
    }
}

/// Encodes with padding; decodes with or without it.
const CODEC: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The global id of the row `id` of `kind`.
pub fn encode(kind: NodeType, id: i64) -> ID {
    ID(CODEC.encode(format!("{}:{id}", kind.name())))
}

/// The type and row id a global id names, or `None` for anything else: not base64, not
/// `Type:id`, a type without global ids, an id that is not an integer as `encode` writes it.
pub fn decode(id: &str) -> Option<(NodeType, i64)> {
    let bytes = CODEC.decode(id.trim()).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (name, number) = text.split_once(':')?;
    let kind = NodeType::ALL.into_iter().find(|k| k.name() == name)?;
    let row: i64 = number.parse().ok()?;
    // one spelling per object: no sign, no leading zero
    (row.to_string() == number).then_some((kind, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_graphql_relay_writes_them() {
        assert_eq!(encode(NodeType::Order, 42).0, "T3JkZXI6NDI=");
        assert_eq!(encode(NodeType::User, 1).0, "VXNlcjox");
        for kind in NodeType::ALL {
            for row in [1, 7, 2_147_483_648, i64::MAX] {
                assert_eq!(decode(&encode(kind, row)), Some((kind, row)));
            }
        }
        // without its padding too
        assert_eq!(decode("T3JkZXI6NDI"), Some((NodeType::Order, 42)));
    }

    #[test]
    fn anything_else_names_nothing() {
        let b64 = |s: &str| CODEC.encode(s);
        for id in [
            String::new(),
            "42".into(),
            "not base64!".into(),
            b64("Order"),
            b64("Order:"),
            b64("Order:x"),
            b64("Order:042"),
            b64("Order:+42"),
            b64("Order:4 2"),
            b64("Order:99999999999999999999"),
            b64("order:42"),
            b64("Category:1"),
            b64("Warehouse:1"),
            b64(":1"),
        ] {
            assert_eq!(decode(&id), None, "{id}");
        }
    }
}
