//! Per-request DataLoaders, one per relation, so that the statements of a request do not grow
//! with the rows it returns, and no cache crosses requests or users.
//!
//! Lists also *prefetch*: knowing (by look-ahead) what the client selected under the orders of
//! a page, `prefetch_orders` loads each relation for the whole page at once and feeds the
//! loaders, so nested resolvers find everything cached and no batching delay is paid.

use std::collections::HashMap;

use async_graphql::Lookahead;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{category, location, order, order_item, payment, product, stock, warehouse};

use crate::auth::graphql::UserObject;
use crate::auth::service::users_by_id;
use crate::catalog::service as catalog;
use crate::error::{AppError, AppResult};
use crate::orders::graph::{OrderGraph, Wants};
use crate::orders::service as orders;
use crate::payments::service as payments;
use crate::state::AppState;

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, |$state:ident, $keys:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name(AppState);

        impl Loader<i64> for $name {
            type Value = $value;
            type Error = AppError;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let $state = &self.0;
                let $keys = keys;
                $body
            }
        }
    };
}

loader!(
    /// Users by id (without their password hashes).
    UserLoader, UserObject, |state, keys| Ok(users_by_id(&state.db, keys).await?.into_iter().map(|(id, u)| (id, UserObject::from(u))).collect())
);
loader!(
    /// Orders by id.
    OrderLoader, order::Model, |state, keys| orders::orders_by_id(&state.db, keys).await
);
loader!(
    /// Items by order id.
    ItemsLoader, Vec<order_item::Model>, |state, keys| orders::items_by_order(&state.db, keys).await
);
loader!(
    /// Payments by order id.
    PaymentsLoader, Vec<payment::Model>, |state, keys| payments::payments_by_order(&state.db, keys).await
);
loader!(
    /// Products by id.
    ProductLoader, product::Model, |state, keys| catalog::products_by_id(&state.db, keys).await
);
loader!(
    /// Categories by id.
    CategoryLoader, category::Model, |state, keys| catalog::categories_by_id(&state.db, keys).await
);
loader!(
    /// Stock rows by id.
    StockLoader, stock::Model, |state, keys| catalog::stocks_by_id(&state.db, keys).await
);
loader!(
    /// Locations by id.
    LocationLoader, location::Model, |state, keys| catalog::locations_by_id(&state.db, keys).await
);
loader!(
    /// Warehouses by id.
    WarehouseLoader, warehouse::Model, |state, keys| catalog::warehouses_by_id(&state.db, keys).await
);

/// A loader with a cache for the length of one request: without one, `feed_many` (the
/// prefetch) would be thrown away and every relation loaded a second time.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// The DataLoaders of one request.
pub struct Loaders {
    pub users: Cached<UserLoader>,
    pub orders: Cached<OrderLoader>,
    pub items: Cached<ItemsLoader>,
    pub payments: Cached<PaymentsLoader>,
    pub products: Cached<ProductLoader>,
    pub categories: Cached<CategoryLoader>,
    pub stocks: Cached<StockLoader>,
    pub locations: Cached<LocationLoader>,
    pub warehouses: Cached<WarehouseLoader>,
}

impl Loaders {
    pub fn new(state: &AppState) -> Self {
        fn dl<L: Loader<i64>>(l: L) -> Cached<L> {
            DataLoader::with_cache(l, tokio::spawn, HashMapCache::default())
        }
        Loaders {
            users: dl(UserLoader(state.clone())),
            orders: dl(OrderLoader(state.clone())),
            items: dl(ItemsLoader(state.clone())),
            payments: dl(PaymentsLoader(state.clone())),
            products: dl(ProductLoader(state.clone())),
            categories: dl(CategoryLoader(state.clone())),
            stocks: dl(StockLoader(state.clone())),
            locations: dl(LocationLoader(state.clone())),
            warehouses: dl(WarehouseLoader(state.clone())),
        }
    }

    /// Forgets everything cached so far: called after each write of a mutation, since the
    /// fields of a request's mutations run one after the other and a later one must not see
    /// what an earlier one cached before the write.
    pub fn forget_all(&self) {
        self.users.clear::<i64>();
        self.orders.clear::<i64>();
        self.items.clear::<i64>();
        self.payments.clear::<i64>();
        self.products.clear::<i64>();
        self.categories.clear::<i64>();
        self.stocks.clear::<i64>();
        self.locations.clear::<i64>();
        self.warehouses.clear::<i64>();
    }

    /// Loads, for all `orders` at once, every relation selected under them (`selections`:
    /// look-aheads of the order objects, e.g. `nodes` and `edges.node`), and feeds the loaders.
    pub async fn prefetch_orders(
        &self,
        state: &AppState,
        orders: &[order::Model],
        selections: &[Lookahead<'_>],
    ) -> AppResult<()> {
        if orders.is_empty() {
            return Ok(());
        }
        let wants = |path: &[&str]| {
            selections.iter().any(|l| {
                let mut l = l.field(path[0]);
                for p in &path[1..] {
                    l = l.field(p);
                }
                l.exists()
            })
        };
        let plan = Wants {
            customer: wants(&["customer"]),
            payments: wants(&["payments"]) || wants(&["amountPaid"]) || wants(&["balanceDue"]),
            items: wants(&["items"]),
            item_product: wants(&["items", "product"]),
            item_stock: wants(&["items", "stock"]),
            stock_product: wants(&["items", "stock", "product"]),
            categories: wants(&["items", "product", "category"])
                || wants(&["items", "stock", "product", "category"]),
        };
        let g = OrderGraph::load(&state.db, orders, plan).await?;
        self.feed(g).await;
        Ok(())
    }

    /// Feeds the loaders with a loaded graph.
    pub async fn feed(&self, g: OrderGraph) {
        self.users
            .feed_many(
                g.customers
                    .into_iter()
                    .map(|(id, u)| (id, UserObject::from(u))),
            )
            .await;
        self.payments.feed_many(g.payments).await;
        self.items.feed_many(g.items).await;
        self.products.feed_many(g.products).await;
        self.categories.feed_many(g.categories).await;
        self.stocks.feed_many(g.stocks).await;
        self.locations.feed_many(g.locations).await;
        self.warehouses.feed_many(g.warehouses).await;
    }
}

/// A relation the database must have (a foreign key), missing: the data is inconsistent.
pub fn missing(what: &str, id: i64) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "{what} {id} is referenced but does not exist"
    ))
}
