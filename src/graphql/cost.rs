//! The cost of a GraphQL request, known before it runs: the complexity async-graphql computes
//! when it validates the document (the measure `OMS_MAX_COMPLEXITY` caps: a list costs its
//! `first`/`last` times its selection); and the charge of it to the client's bucket
//! (`OMS_RATE_LIMIT`), in Shopify's shape (`extensions.cost`).
//!
//! async-graphql reports that complexity only to a schema extension, and any extension on the
//! executing schema slows every field it resolves; so a second schema, which never executes,
//! validates the request with an extension that records the complexity and stops there. Costs
//! are remembered per query text, operation name and variables.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{Request, ServerError, ValidationResult};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::graphql::GqlSchema;
use crate::graphql::respond::CostRefusal;
use crate::graphql::validated::RequestKeys;
use crate::memo::Memo;
use crate::ratelimit::{Bucket, ClientKey, Outcome};
use crate::state::AppState;

/// Computes (and remembers) request costs.
pub struct Costs {
    probe: GqlSchema,
    known: Memo<u64, u64>,
    keys: RequestKeys,
}

/// Where the probe extension leaves the complexity (`usize::MAX`: validation failed).
struct Slot(Arc<AtomicUsize>);

struct Probe;

impl ExtensionFactory for Probe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Probe)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Probe {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(slot) = ctx.data_opt::<Slot>() {
            slot.0.store(result.complexity, Ordering::Relaxed);
        }
        // never execute: the probe only measures
        Err(vec![ServerError::new("cost probe", None)])
    }
}

impl Costs {
    pub fn new(state: &AppState) -> Costs {
        let s = &state.settings;
        let probe = super::builder()
            .limit_depth(s.max_depth)
            .limit_complexity(s.max_complexity)
            .limit_recursive_depth(64)
            .limit_directives(16)
            .extension(Probe)
            .finish();
        Costs {
            probe,
            known: Memo::new(4096),
            keys: RequestKeys::default(),
        }
    }

    /// The cost of a request that has been resolved (APQ) and parsed: its complexity, at least
    /// 1. A request that fails validation costs 1 (the executor answers its errors).
    pub async fn of(&self, request: &mut Request) -> u64 {
        let key = self.keys.of(request);
        if let Some(cost) = self.known.get(&key) {
            return cost;
        }
        let slot = Arc::new(AtomicUsize::new(usize::MAX));
        let mut probe = Request::new(request.query.clone()).variables(request.variables.clone());
        if let Some(name) = &request.operation_name {
            probe = probe.operation_name(name.clone());
        }
        if let Ok(document) = request.parsed_query() {
            probe.set_parsed_query(document.clone());
        }
        let _ = self.probe.execute(probe.data(Slot(slot.clone()))).await;
        let cost = match slot.load(Ordering::Relaxed) {
            usize::MAX => 1,
            n => (n as u64).max(1),
        };
        self.known.put(key, cost);
        cost
    }
}

/// What the requests of an HTTP request were charged.
pub struct Charged {
    each: Vec<u64>,
    outcome: Outcome,
}

impl Charged {
    /// `extensions.cost` of the `i`-th response, in Shopify's shape.
    pub fn extension(&self, i: usize) -> Value {
        let cost = self.each.get(i).copied().unwrap_or(1);
        json!({
            "requestedQueryCost": cost,
            "actualQueryCost": cost,
            "throttleStatus": throttle_status(&self.outcome.bucket, self.outcome.available),
        })
    }
}

/// Charges `client` what the requests cost (a request that could not be prepared costs 1), or
/// refuses them all: more than a bucket holds (`MAX_COST_EXCEEDED`, like a validation error:
/// 400 to a client that accepts `application/graphql-response+json`, else 200), or more than
/// the client's bucket holds now (`THROTTLED`, 429 with `Retry-After`). `None` when rate limits
/// are off.
pub async fn charge(
    state: &AppState,
    costs: &Costs,
    client: &ClientKey,
    requests: impl Iterator<Item = Option<&mut Request>>,
    modern: bool,
) -> Result<Option<Charged>, CostRefusal> {
    let Some(bucket) = state.limiter.graphql_bucket() else {
        return Ok(None);
    };
    let mut each = Vec::new();
    for request in requests {
        each.push(match request {
            Some(r) => costs.of(r).await,
            None => 1,
        });
    }
    let total: u64 = each.iter().sum();
    if total > bucket.capacity {
        let mut status = throttle_status(&bucket, 0);
        if let Some(status) = status.as_object_mut() {
            status.remove("currentlyAvailable");
        }
        return Err(CostRefusal {
            status: if modern {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            code: "MAX_COST_EXCEEDED",
            message: format!(
                "This request costs {total} points, more than the {} a client's bucket holds: ask for fewer items (first/last) or fewer fields.",
                bucket.capacity
            ),
            cost: json!({ "requestedQueryCost": total, "throttleStatus": status }),
            retry_after: None,
        });
    }
    let Some(outcome) = state.limiter.charge_graphql(client, total).await else {
        return Ok(None);
    };
    if !outcome.allowed {
        metrics::counter!("oms_ratelimit_refused_total", "api" => "graphql").increment(1);
        return Err(CostRefusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "THROTTLED",
            message: format!(
                "Throttled: this request costs {total} points and {} are available (the bucket holds {} and restores {} per second); retry in {} seconds.",
                outcome.available,
                bucket.capacity,
                throttle_status(&bucket, 0)["restoreRate"],
                outcome.retry_after_secs
            ),
            cost: json!({
                "requestedQueryCost": total,
                "actualQueryCost": 0,
                "throttleStatus": throttle_status(&bucket, outcome.available),
            }),
            retry_after: Some(outcome.retry_after_secs),
        });
    }
    Ok(Some(Charged { each, outcome }))
}

pub fn throttle_status(bucket: &Bucket, available: u64) -> Value {
    json!({
        "maximumAvailable": bucket.capacity,
        "currentlyAvailable": available,
        "restoreRate": if bucket.per_second.fract() == 0.0 {
            json!(bucket.per_second as u64)
        } else {
            json!(bucket.per_second)
        },
    })
}
