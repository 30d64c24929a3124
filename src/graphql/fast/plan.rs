//! Planning a fast-path query: which root fields, their arguments, what relations the
//! selection needs (`Wants`), and its complexity computed exactly as the schema computes it
//! (so a query over the limit gives way to the executor, which refuses it).

use async_graphql::parser::types::{SelectionSet, VariableDefinition};
use async_graphql::{InputType, Name, Positioned, Value, Variables as GqlVariables};

use super::selection::{Fragments, Sel, flatten};
use crate::graphql::pagination;
use crate::listing::PageRequest;
use crate::orders::filter::{OrderFilter, OrderSort};
use crate::orders::graph::Wants;

/// What a field of a fast-path type holds.
#[derive(Clone, Copy)]
enum Kind {
    Scalar,
    /// An object of that type.
    Object(&'static str),
    /// A list whose complexity is ten times its selection's (`items`, `payments`).
    List10(&'static str),
}

/// The fields the fast path knows, per type (a subset of the schema).
fn kind(type_name: &str, field: &str) -> Option<Kind> {
    use Kind::*;
    if field == "__typename" {
        return Some(Scalar);
    }
    Some(match (type_name, field) {
        ("OrderConnection", "edges") => Object("OrderEdge"),
        ("OrderConnection", "nodes") => Object("Order"),
        ("OrderConnection", "pageInfo") => Object("PageInfo"),
        ("OrderConnection", "totalCount") => Scalar,
        ("OrderEdge", "cursor") => Scalar,
        ("OrderEdge", "node") => Object("Order"),
        ("PageInfo", "hasNextPage" | "hasPreviousPage" | "startCursor" | "endCursor") => Scalar,
        (
            "Order",
            "id" | "status" | "totalAmount" | "createdAt" | "updatedAt" | "amountPaid"
            | "balanceDue",
        ) => Scalar,
        ("Order", "customer") => Object("User"),
        ("Order", "items") => List10("OrderItem"),
        ("Order", "payments") => List10("Payment"),
        ("User", "id" | "username" | "email" | "isStaff") => Scalar,
        ("OrderItem", "id" | "quantity" | "price" | "subtotal") => Scalar,
        ("OrderItem", "product") => Object("Product"),
        ("OrderItem", "stock") => Object("Stock"),
        ("Product", "id" | "name" | "sku" | "price" | "description") => Scalar,
        ("Product", "category") => Object("Category"),
        ("Category", "id" | "name" | "slug") => Scalar,
        ("Stock", "id" | "quantity" | "label") => Scalar,
        ("Stock", "product") => Object("Product"),
        ("Stock", "location") => Object("Location"),
        ("Location", "id" | "code" | "description") => Scalar,
        ("Location", "warehouse") => Object("Warehouse"),
        ("Warehouse", "id" | "name" | "address") => Scalar,
        ("Payment", "id" | "amount" | "paymentMethod" | "status" | "paidAt" | "createdAt") => {
            Scalar
        }
        _ => return None,
    })
}

/// The variables of the operation, with the defaults of its definitions.
pub struct Variables<'a> {
    given: &'a GqlVariables,
    definitions: &'a [Positioned<VariableDefinition>],
}

impl<'a> Variables<'a> {
    pub fn new(given: &'a GqlVariables, definitions: &'a [Positioned<VariableDefinition>]) -> Self {
        Variables { given, definitions }
    }

    fn get(&self, name: &Name) -> Value {
        if let Some(v) = self.given.get(name) {
            return v.clone();
        }
        self.definitions
            .iter()
            .find(|d| d.node.name.node == *name)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|v| v.node.clone())
            .unwrap_or(Value::Null)
    }

    /// The argument `name` of `field`, coerced to `T`; `None` when it does not parse.
    pub fn arg<T: InputType>(&self, sel: &Sel<'_>, name: &str) -> Option<T> {
        let value = match sel.field.get_argument(name) {
            Some(v) => Some(
                v.node
                    .clone()
                    .into_const_with(|var| Ok::<_, ()>(self.get(&var)))
                    .ok()?,
            ),
            None => None,
        };
        T::parse(value).ok()
    }
}

/// One root field of a fast-path query.
pub enum Root<'a> {
    Typename {
        key: &'a str,
    },
    Orders {
        key: &'a str,
        filter: Option<Box<OrderFilter>>,
        order_by: Vec<OrderSort>,
        page: PageRequest,
        /// The `OrderConnection` selection.
        sets: Vec<&'a SelectionSet>,
        wants: Wants,
    },
    Order {
        key: &'a str,
        id: i64,
        sets: Vec<&'a SelectionSet>,
        wants: Wants,
    },
}

/// Plans the operation's root selection, or `None` to give way.
pub fn plan<'a>(
    set: &'a SelectionSet,
    fragments: &'a Fragments,
    vars: &Variables<'_>,
    max_complexity: usize,
) -> Option<Vec<Root<'a>>> {
    let mut roots = Vec::new();
    let mut complexity = 0usize;
    for sel in flatten(&[set], "Query", fragments)? {
        let key = sel.key;
        match sel.name() {
            "__typename" => {
                complexity += 1;
                roots.push(Root::Typename { key });
            }
            "orders" => {
                let first: Option<i32> = vars.arg(&sel, "first")?;
                let last: Option<i32> = vars.arg(&sel, "last")?;
                let page = pagination::request(
                    first,
                    vars.arg(&sel, "after")?,
                    last,
                    vars.arg(&sel, "before")?,
                );
                let filter: Option<OrderFilter> = vars.arg(&sel, "filter")?;
                let order_by: Option<Vec<OrderSort>> = vars.arg(&sel, "orderBy")?;
                let mut wants = Wants::default();
                let child = weigh(&sel.sets, "OrderConnection", fragments, &mut wants)?;
                complexity += pagination::page_weight(first, last) * child + 1;
                roots.push(Root::Orders {
                    key,
                    filter: filter.map(Box::new),
                    order_by: order_by.unwrap_or_default(),
                    page,
                    sets: sel.sets.clone(),
                    wants,
                });
            }
            "order" => {
                let id: i64 = vars.arg(&sel, "id")?;
                let mut wants = Wants::default();
                let child = weigh(&sel.sets, "Order", fragments, &mut wants)?;
                complexity += 1 + child;
                roots.push(Root::Order {
                    key,
                    id,
                    sets: sel.sets.clone(),
                    wants,
                });
            }
            _ => return None,
        }
    }
    (complexity <= max_complexity).then_some(roots)
}

/// The complexity of a selection on `type_name` (1 per field plus its selection; `items` and
/// `payments` ten times their selection), noting the relations it needs.
fn weigh(
    sets: &[&SelectionSet],
    type_name: &str,
    fragments: &Fragments,
    wants: &mut Wants,
) -> Option<usize> {
    let mut total = 0;
    for sel in flatten(sets, type_name, fragments)? {
        let kind = kind(type_name, sel.name())?;
        match kind {
            Kind::Scalar => {
                if type_name == "Order" && matches!(sel.name(), "amountPaid" | "balanceDue") {
                    wants.payments = true;
                }
                total += 1;
            }
            Kind::Object(child) | Kind::List10(child) => {
                note(wants, type_name, sel.name());
                let inner = weigh(&sel.sets, child, fragments, wants)?;
                total += match kind {
                    Kind::List10(_) => 10 * inner,
                    _ => 1 + inner,
                };
            }
        }
    }
    Some(total)
}

/// The relation a step from `type_name` into `field` needs (a stock's product, and so its
/// category, is noted on the step `Stock.product` itself).
fn note(wants: &mut Wants, type_name: &str, field: &str) {
    match (type_name, field) {
        ("Order", "customer") => wants.customer = true,
        ("Order", "payments") => wants.payments = true,
        ("Order", "items") => wants.items = true,
        ("OrderItem", "product") => wants.item_product = true,
        ("OrderItem", "stock") => wants.item_stock = true,
        ("Stock", "product") => wants.stock_product = true,
        ("Product", "category") => wants.categories = true,
        _ => {}
    }
}
