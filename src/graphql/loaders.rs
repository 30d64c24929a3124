//! What one GraphQL execution reads through: the connection its statements go to (the
//! request's held `Reads` for a query, the pool otherwise) and per-request DataLoaders, one per
//! relation, for the relations no loaded `OrderGraph` holds (a payment's order, the relations
//! of an order reached through its payments, subscription payloads, ...). The statements of a request
//! do not grow with the rows it returns, and no cache crosses requests or users.
//!
//! Each loader is made the first time a resolver asks for it: the lists, `order`, `payment` and
//! `node` read their relations from the request's graph (`graphql::nodes`) and never need one.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{category, location, order, order_item, payment, product, stock, warehouse};

use crate::auth::service::users_by_id;
use crate::catalog::service as catalog;
use crate::db::Reads;
use crate::error::AppError;
use crate::graphql::nodes::UserObject;
use crate::orders::service as orders;
use crate::payments::service as payments;

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, |$db:ident, $keys:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name(Arc<Reads>);

        impl Loader<i64> for $name {
            type Value = $value;
            type Error = AppError;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let $db = &*self.0;
                let $keys = keys;
                // async-graphql's maps use std's hasher
                $body.map(|rows| rows.into_iter().collect())
            }
        }
    };
}

loader!(
    /// Users by id (without their password hashes).
    UserLoader, UserObject, |db, keys| Ok(users_by_id(db, keys).await?.into_iter().map(|(id, u)| (id, UserObject::from(u))).collect::<Vec<_>>())
);
loader!(
    /// Orders by id.
    OrderLoader, order::Model, |db, keys| orders::orders_by_id(db, keys).await
);
loader!(
    /// Items by order id.
    ItemsLoader, Vec<order_item::Model>, |db, keys| orders::items_by_order(db, keys).await
);
loader!(
    /// Payments by order id.
    PaymentsLoader, Vec<payment::Model>, |db, keys| payments::payments_by_order(db, keys).await
);
loader!(
    /// Products by id.
    ProductLoader, product::Model, |db, keys| catalog::products_by_id(db, keys).await
);
loader!(
    /// Categories by id.
    CategoryLoader, category::Model, |db, keys| catalog::categories_by_id(db, keys).await
);
loader!(
    /// Stock rows by id.
    StockLoader, stock::Model, |db, keys| catalog::stocks_by_id(db, keys).await
);
loader!(
    /// Locations by id.
    LocationLoader, location::Model, |db, keys| catalog::locations_by_id(db, keys).await
);
loader!(
    /// Warehouses by id.
    WarehouseLoader, warehouse::Model, |db, keys| catalog::warehouses_by_id(db, keys).await
);

/// A loader with a cache for the length of one request.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// The connection and the DataLoaders of one execution.
pub struct Loaders {
    db: Arc<Reads>,
    users: OnceLock<Cached<UserLoader>>,
    orders: OnceLock<Cached<OrderLoader>>,
    items: OnceLock<Cached<ItemsLoader>>,
    payments: OnceLock<Cached<PaymentsLoader>>,
    products: OnceLock<Cached<ProductLoader>>,
    categories: OnceLock<Cached<CategoryLoader>>,
    stocks: OnceLock<Cached<StockLoader>>,
    locations: OnceLock<Cached<LocationLoader>>,
    warehouses: OnceLock<Cached<WarehouseLoader>>,
}

macro_rules! accessors {
    ($($(#[$doc:meta])* $field:ident: $loader:ident;)*) => {
        $(
            $(#[$doc])*
            #[doc = concat!("The request's `", stringify!($loader), "`, made on first use.")]
            pub fn $field(&self) -> &Cached<$loader> {
                self.$field.get_or_init(|| {
                    DataLoader::with_cache(
                        $loader(self.db.clone()),
                        tokio::spawn,
                        HashMapCache::default(),
                    )
                })
            }
        )*

        /// Forgets everything cached so far: called after each write of a mutation, since the
        /// fields of a request's mutations run one after the other and a later one must not see
        /// what an earlier one cached before the write.
        pub fn forget_all(&self) {
            $(
                if let Some(loader) = self.$field.get() {
                    loader.clear::<i64>();
                }
            )*
        }
    };
}

impl Loaders {
    /// Loaders reading through `db`: every statement of the execution goes there.
    pub fn new(db: Arc<Reads>) -> Self {
        Loaders {
            db,
            users: OnceLock::new(),
            orders: OnceLock::new(),
            items: OnceLock::new(),
            payments: OnceLock::new(),
            products: OnceLock::new(),
            categories: OnceLock::new(),
            stocks: OnceLock::new(),
            locations: OnceLock::new(),
            warehouses: OnceLock::new(),
        }
    }

    /// Where the execution's statements go (never `state.db` while a request holds a
    /// connection: it must not wait for a second one).
    pub fn db(&self) -> &Reads {
        &self.db
    }

    accessors! {
        users: UserLoader;
        orders: OrderLoader;
        items: ItemsLoader;
        payments: PaymentsLoader;
        products: ProductLoader;
        categories: CategoryLoader;
        stocks: StockLoader;
        locations: LocationLoader;
        warehouses: WarehouseLoader;
    }
}

/// A relation the database must have (a foreign key), missing: the data is inconsistent.
pub fn missing(what: &str, id: i64) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "{what} {id} is referenced but does not exist"
    ))
}
