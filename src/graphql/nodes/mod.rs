//! The GraphQL object types of the model (`Order`, `OrderItem`, `Payment`, the catalog's,
//! `User`), in one place that every slice's face shares: `Order.payments` needs `Payment` and
//! `Payment.order` needs `Order`, so neither slice's face imports the other's. They read the
//! domain (`orders::graph`, the services) and the request's loaders; the slices' faces
//! (`orders::graphql`, ...) hold the queries, connections and mutations over them.

pub mod catalog;
pub mod node;
pub mod order;
pub mod payment;
pub mod user;

pub use catalog::{CategoryNode, LocationNode, ProductNode, StockNode, WarehouseNode};
pub use node::{Node, NodeQuery};
pub use order::{OrderItemNode, OrderNode};
pub use payment::PaymentNode;
pub use user::UserObject;
