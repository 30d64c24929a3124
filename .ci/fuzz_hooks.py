"""Schemathesis hooks for `.ci/fuzz`: the gateway's custom GraphQL scalars, the `ID`s of
`node`/`nodes` (global ids of the demo data, and ids that name nothing), and the GraphQL
server-error check as the gateway's contract defines it.

Schemathesis's own `not_a_server_error` counts every GraphQL error that carries a `path` as a
server failure. The gateway's contract (CONTRACT.md section 4) answers expected refusals as
such errors on purpose: `NOT_FOUND`, `FORBIDDEN`, `CONFLICT`, `UNAUTHENTICATED`,
`BAD_USER_INPUT`. So the GraphQL run replaces that check with `graphql_no_server_error`: no 5xx,
no `INTERNAL_SERVER_ERROR` (or `SERVICE_UNAVAILABLE`: the database is up during the run), no
error without a code (parse and validation errors included), no code outside the catalogue, no
null in a non-null field.
"""

import base64
from decimal import Decimal

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Decimal: a string or a number, as the schema accepts; includes values the domain refuses
# (negative, too many digits or places) so that refusals are exercised too.
_decimals = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    allow_nan=False,
    allow_infinity=False,
    places=3,
)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        _decimals.map(lambda d: nodes.String(str(d))),
        st.integers(min_value=-(10**13), max_value=10**13).map(nodes.Int),
        st.sampled_from(["999.99", "0.01", "abc", "", "1e400", "NaN"]).map(nodes.String),
    ),
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes().map(lambda t: nodes.String(t.isoformat() + "Z")),
        st.sampled_from(["2025-11-21T13:00:00+01:00", "yesterday", ""]).map(nodes.String),
    ),
)

# ID: the global ids (`nodeId`, base64 of `Type:id`) that `node(id:)` and `nodes(ids:)` take,
# mostly of the demo data's rows so that the fuzzing reaches the objects and their relations,
# and ids that name nothing (other types, unknown rows, not base64), which must answer null.
def _global_id(text):
    return base64.b64encode(text.encode()).decode()


schemathesis.graphql.scalar(
    "ID",
    st.one_of(
        st.tuples(
            st.sampled_from(["Order", "Payment", "Product", "Stock", "User", "Category", "order"]),
            st.integers(min_value=-1, max_value=3),
        ).map(lambda t: nodes.String(_global_id(f"{t[0]}:{t[1]}"))),
        st.text(max_size=24).map(nodes.String),
        st.integers(min_value=0, max_value=2**40).map(nodes.Int),
    ),
)

# The catalogue of CONTRACT.md section 4, plus the request-level codes of the HTTP layer and
# the ones async-graphql's own errors get (src/graphql/codes.rs), as Apollo Server names them.
CLIENT_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "BAD_REQUEST",
    "RATE_LIMITED",
    "THROTTLED",
    "MAX_COST_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "OPERATION_RESOLUTION_FAILURE",
}


@schemathesis.check
def graphql_no_server_error(ctx, response, case):
    """No 5xx; every GraphQL error a client error of the catalogue."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        payload = response.json()
    except ValueError:
        raise AssertionError(f"not JSON: {response.text[:500]}")
    if not isinstance(payload, dict):
        raise AssertionError(f"not a JSON object: {response.text[:500]}")
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = error.get("message", "")
        if "non-null" in message.lower() or "non-nullable" in message.lower():
            raise AssertionError(f"null in a non-null field: {message}")
        if code is None:
            raise AssertionError(f"an error without a code: {message}")
        if code not in CLIENT_CODES:
            raise AssertionError(f"server error {code}: {message}")
    return None
