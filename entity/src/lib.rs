//! SeaORM models of the nine tables of the legacy InventoryHub (Django) application.
//!
//! Names, columns and types are those of `legacy-schema.sql`: the gateway reads and writes the
//! legacy database as it is. Nothing here knows about GraphQL or HTTP; each face of the gateway
//! maps these models to its own shapes.

pub mod money;
pub mod positional;

pub mod category;
pub mod location;
pub mod order;
pub mod order_item;
pub mod payment;
pub mod product;
pub mod stock;
pub mod user;
pub mod warehouse;

pub use money::Money;
pub use positional::Positional;

pub mod prelude {
    pub use super::category::Entity as Category;
    pub use super::location::Entity as Location;
    pub use super::order::Entity as Order;
    pub use super::order_item::Entity as OrderItem;
    pub use super::payment::Entity as Payment;
    pub use super::product::Entity as Product;
    pub use super::stock::Entity as Stock;
    pub use super::user::Entity as User;
    pub use super::warehouse::Entity as Warehouse;
}
