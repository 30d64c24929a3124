//! `/graphql/ws`: GraphQL over WebSocket, in the `graphql-transport-ws` protocol and the legacy
//! `graphql-ws` (subscriptions-transport-ws) one, served by async-graphql-axum's
//! `GraphQLWebSocket` behind a thin gate of our own.
//!
//! The gate reads the first frames itself, because CONTRACT §9 wants close codes async-graphql
//! does not give (it closes with 1002 for all of these):
//! - a first frame that is not JSON, or a `connection_init` whose payload is not an object:
//!   close 4400;
//! - no valid access token, in the payload (`{"Authorization": "Bearer ..."}`, `authorization`,
//!   `{"token": "..."}`, or `{"headers": {"Authorization": ...}}`) or else in the upgrade
//!   request's `Authorization` header: close 4403, no ack (the legacy protocol first gets a
//!   `connection_error` message, which is how its clients learn why);
//! - a `subscribe` before `connection_init`: 4401; no `connection_init` within 10 s: 4408.
//!
//! Then the `connection_init` frame is handed on, unchanged, to `GraphQLWebSocket`, whose
//! `on_connection_init` returns the caller (`Asking::Known`, its `Access`) as the connection's
//! data.
//!
//! A client that stops reading: once the socket buffers are full, its subscriptions fall behind
//! and are dropped by the event bus; a frame that cannot be written for [`SEND_STALL_TIMEOUT`]
//! closes the connection, so a vanished client holds nothing for long.
//!
//! Here: the schema, the route and one connection's session; the gate is `gate`, the guarded
//! writes `stall`.

mod gate;
mod stall;

use std::str::FromStr;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};

use crate::auth::pending::Asking;
use crate::auth::{Access, AuthState, principal};
use crate::error::AuthError;
use crate::graphql::subscriptions::FreshLoaders;
use crate::graphql::ws_answers::Answers;
use crate::graphql::{GqlSchema, trusted};
use crate::state::AppState;

use gate::{Credential, Opening, code, credential, first_frames, protocol_close_code, refuse};
use stall::StallGuard;
use stall::scopeguard;

/// How long a client has to send `connection_init` after connecting.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one frame may wait to be written before the connection is given up.
pub const SEND_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema the WebSocket serves: the HTTP one's limits, plus fresh DataLoaders for every
/// execution (each delivered event) and answers made like HTTP's (`ws_answers`). A schema of
/// its own, so that the extensions this takes stay off the HTTP hot path.
pub fn build_ws_schema(state: &AppState) -> GqlSchema {
    let s = &state.settings;
    super::builder()
        .limit_depth(s.max_depth)
        .limit_complexity(s.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(16)
        .extension(FreshLoaders)
        .extension(Answers)
        .data(state.clone())
        .finish()
}

/// The schema of [`build_ws_schema`], as the handler finds it.
#[derive(Clone)]
struct WsSchema(GqlSchema);

/// `/graphql/ws`, with its own schema.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/graphql/ws", get(handler))
        .layer(Extension(WsSchema(build_ws_schema(state))))
}

async fn handler(
    State(state): State<AppState>,
    Extension(WsSchema(schema)): Extension<WsSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
) -> Response {
    // the same choice as `GraphQLProtocol`: the first known protocol the client offers (axum's
    // own choice would follow our list instead, and could answer with the other protocol)
    let wire = requested_protocol(&headers).unwrap_or(WebSocketProtocols::GraphQLWS);
    let header_credential = principal::bearer(&headers);
    upgrade
        .protocols([wire.sec_websocket_protocol()])
        .on_upgrade(move |socket| {
            connection(socket, state, schema, protocol, wire, header_credential)
        })
}

fn requested_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

type WsSink = SplitSink<WebSocket, Message>;
type WsStream = SplitStream<WebSocket>;

async fn connection(
    socket: WebSocket,
    state: AppState,
    schema: GqlSchema,
    protocol: GraphQLProtocol,
    wire: WebSocketProtocols,
    header_credential: Result<Option<String>, AuthError>,
) {
    metrics::gauge!("oms_ws_connections_open").increment(1.0);
    let _open = scopeguard(|| metrics::gauge!("oms_ws_connections_open").decrement(1.0));
    let (mut sink, mut stream) = socket.split();

    let (payload, init_frame) = match first_frames(&mut sink, &mut stream, wire).await {
        Opening::Init { payload, frame } => (payload, frame),
        Opening::Gone => return,
        Opening::Refuse(code, reason) => return refuse(sink, stream, wire, code, reason).await,
    };
    let auth = match credential(&payload, header_credential) {
        Credential::Token(token) => principal::authenticate_token(&state, &token).await,
        Credential::Missing => {
            return refuse(
                sink,
                stream,
                wire,
                code::FORBIDDEN,
                "Forbidden: no access token",
            )
            .await;
        }
        Credential::Malformed => AuthState::Invalid(AuthError::BadAuthorizationHeader),
    };
    match &auth {
        AuthState::User(_) => {}
        AuthState::Invalid(AuthError::Unavailable) => {
            let reason = "Service unavailable, try again";
            return refuse(sink, stream, wire, code::INTERNAL_ERROR, reason).await;
        }
        AuthState::Anonymous | AuthState::Invalid(_) => {
            let reason = "Forbidden: invalid or expired access token";
            return refuse(sink, stream, wire, code::FORBIDDEN, reason).await;
        }
    }
    let executor = trusted::Guarded::new(schema, &state, &auth);
    let mut data = Data::default();
    data.insert(Asking::Known(Access::new(auth, &state.settings)));

    // the `connection_init` we read goes first, so that the library acknowledges it
    let input =
        futures_util::stream::iter([Ok(init_frame)]).chain(stream.map(trusted::lift_ws_frame));
    // async-graphql closes with 1002 for a frame it cannot read; graphql-transport-ws says 4400
    let sink = StallGuard::new(sink, SEND_STALL_TIMEOUT).with(move |m: Message| {
        futures_util::future::ready(Ok::<_, axum::Error>(protocol_close_code(m, wire)))
    });
    GraphQLWebSocket::new_with_pair(Box::pin(sink), input, executor, protocol)
        .on_connection_init(move |_payload| async move { Ok(data) })
        .serve()
        .await;
}
