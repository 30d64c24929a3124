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
//! `on_connection_init` returns the caller's `Access` as the connection's data.
//!
//! A client that stops reading: once the socket buffers are full, its subscriptions fall behind
//! and are dropped by the event bus; a frame that cannot be written for [`SEND_STALL_TIMEOUT`]
//! closes the connection, so a vanished client holds nothing for long.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::WebSocketProtocols;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Sink, SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::time::Sleep;

use crate::auth::{Access, AuthState, principal};
use crate::error::AuthError;
use crate::graphql::subscriptions::FreshLoaders;
use crate::graphql::ws_answers::Answers;
use crate::graphql::{GqlSchema, trusted};
use crate::state::AppState;

/// How long a client has to send `connection_init` after connecting.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one frame may wait to be written before the connection is given up.
pub const SEND_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a refused client gets to acknowledge the close frame.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Close codes of `graphql-transport-ws`.
mod code {
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const INTERNAL_ERROR: u16 = 1011;
}

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
    data.insert(Access::new(auth, &state.settings));

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

/// The library's "invalid message" close (1002) as graphql-transport-ws names it (4400).
fn protocol_close_code(message: Message, wire: WebSocketProtocols) -> Message {
    match message {
        Message::Close(Some(frame))
            if frame.code == 1002 && wire == WebSocketProtocols::GraphQLWS =>
        {
            Message::Close(Some(CloseFrame {
                code: code::BAD_REQUEST,
                reason: "Invalid message received".into(),
            }))
        }
        other => other,
    }
}

/// How a connection opened.
enum Opening {
    /// A well-formed `connection_init` (its payload, and the frame itself to hand on).
    Init {
        payload: Map<String, Value>,
        frame: Message,
    },
    /// The client went away first.
    Gone,
    /// Close with this code and reason.
    Refuse(u16, &'static str),
}

/// Reads frames up to `connection_init` (answering a `ping` on the way).
async fn first_frames(
    sink: &mut WsSink,
    stream: &mut WsStream,
    wire: WebSocketProtocols,
) -> Opening {
    let deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        let message = tokio::select! {
            _ = &mut deadline => {
                return Opening::Refuse(code::INIT_TIMEOUT, "Connection initialisation timeout");
            }
            m = stream.next() => m,
        };
        let message = match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Opening::Gone,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => m,
        };
        let value: Value = match &message {
            Message::Text(text) => serde_json::from_str(text.as_str()),
            Message::Binary(bytes) => serde_json::from_slice(bytes),
            _ => continue,
        }
        .unwrap_or(Value::Null);
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            return Opening::Refuse(code::BAD_REQUEST, "Invalid message received");
        };
        match kind {
            "connection_init" => {
                return match value.get("payload") {
                    None | Some(Value::Null) => Opening::Init {
                        payload: Map::new(),
                        frame: message,
                    },
                    Some(Value::Object(payload)) => Opening::Init {
                        payload: payload.clone(),
                        frame: message,
                    },
                    Some(_) => Opening::Refuse(
                        code::BAD_REQUEST,
                        "Invalid connection_init: the payload must be an object",
                    ),
                };
            }
            "ping" if wire == WebSocketProtocols::GraphQLWS => {
                let pong = Message::Text(json!({ "type": "pong" }).to_string().into());
                if sink.send(pong).await.is_err() {
                    return Opening::Gone;
                }
            }
            "pong" => {}
            "subscribe" | "start" => return Opening::Refuse(code::UNAUTHORIZED, "Unauthorized"),
            _ => {
                return Opening::Refuse(
                    code::BAD_REQUEST,
                    "Invalid message received: expected connection_init",
                );
            }
        }
    }
}

/// The access token a client offers.
#[derive(Debug, PartialEq, Eq)]
enum Credential {
    Token(String),
    Missing,
    Malformed,
}

/// The token of the `connection_init` payload, else of the upgrade request's header.
fn credential(
    payload: &Map<String, Value>,
    header: Result<Option<String>, AuthError>,
) -> Credential {
    let nested = payload.get("headers").and_then(Value::as_object);
    let offered = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| {
            payload
                .get(*k)
                .or_else(|| nested.and_then(|h| h.get(*k)))
                .map(|v| (v, true))
        })
        .or_else(|| payload.get("token").map(|v| (v, false)));
    match offered {
        Some((Value::String(text), with_scheme)) => parse_token(text, with_scheme),
        Some((Value::Null, _)) | None => match header {
            Ok(Some(token)) => Credential::Token(token),
            Ok(None) => Credential::Missing,
            Err(_) => Credential::Malformed,
        },
        Some(_) => Credential::Malformed,
    }
}

/// `Bearer <token>` (a bare token is taken as well).
fn parse_token(text: &str, with_scheme: bool) -> Credential {
    let mut parts = text.split_whitespace();
    let token = match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(token), None)
            if with_scheme && scheme.eq_ignore_ascii_case("bearer") =>
        {
            token
        }
        (Some(token), None, None) => token,
        (None, _, _) => return Credential::Missing,
        _ => return Credential::Malformed,
    };
    Credential::Token(token.to_owned())
}

/// Closes a connection that is refused, after telling a legacy client why, and lets the client
/// acknowledge the close (so that nothing it sent meanwhile turns the close into a reset).
async fn refuse(
    mut sink: WsSink,
    mut stream: WsStream,
    wire: WebSocketProtocols,
    code: u16,
    reason: &'static str,
) {
    metrics::counter!("oms_ws_refused_total", "code" => code.to_string()).increment(1);
    if wire == WebSocketProtocols::SubscriptionsTransportWS {
        let error = json!({ "type": "connection_error", "payload": { "message": reason } });
        let _ = sink.send(Message::Text(error.to_string().into())).await;
    }
    let close = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    if sink.send(close).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(m)) = stream.next().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A sink that fails when a frame cannot be written for `timeout` (a client that stopped
/// reading with full socket buffers), so that the connection is given up instead of held.
pub struct StallGuard<S> {
    inner: S,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> StallGuard<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        StallGuard {
            inner,
            timeout,
            stalled: None,
        }
    }

    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
        let timeout = self.timeout;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                metrics::counter!("oms_ws_stalled_total").increment(1);
                tracing::warn!(
                    timeout_s = timeout.as_secs_f64(),
                    "a WebSocket client stopped reading; closing its connection"
                );
                Poll::Ready(Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client stopped reading",
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, polled: Poll<T>, cx: &mut Context<'_>) -> Poll<T>
    where
        T: From<Result<(), axum::Error>>,
    {
        match polled {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => match self.wait(cx) {
                Poll::Ready(e) => Poll::Ready(e.into()),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<S, I> Sink<I> for StallGuard<S>
where
    S: Sink<I, Error = axum::Error> + Unpin,
{
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_ready(cx);
        this.progress(polled, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: I) -> Result<(), Self::Error> {
        Pin::new(&mut self.get_mut().inner).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.progress(polled, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_close(cx);
        this.progress(polled, cx)
    }
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn tokens_come_from_the_payload_first_then_the_header() {
        let header = || Ok(Some("from-header".to_owned()));
        let t = |s: &str| Credential::Token(s.to_owned());
        assert_eq!(
            credential(&payload(json!({"Authorization": "Bearer abc"})), header()),
            t("abc")
        );
        assert_eq!(
            credential(&payload(json!({"authorization": "bearer abc"})), Ok(None)),
            t("abc")
        );
        assert_eq!(
            credential(&payload(json!({"token": "abc"})), Ok(None)),
            t("abc")
        );
        assert_eq!(
            credential(
                &payload(json!({"headers": {"Authorization": "Bearer abc"}})),
                Ok(None)
            ),
            t("abc")
        );
        assert_eq!(credential(&payload(json!({})), header()), t("from-header"));
        assert_eq!(
            credential(&payload(json!({})), Ok(None)),
            Credential::Missing
        );
        assert_eq!(
            credential(&payload(json!({"Authorization": 42})), header()),
            Credential::Malformed
        );
        assert_eq!(
            credential(&payload(json!({"Authorization": "Basic a b"})), Ok(None)),
            Credential::Malformed
        );
    }

    /// A sink that never accepts anything.
    struct Stuck;

    impl Sink<Message> for Stuck {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn start_send(self: Pin<&mut Self>, _: Message) -> Result<(), Self::Error> {
            Ok(())
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Pending
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_stalled_send_fails_after_the_timeout() {
        let mut sink = StallGuard::new(Stuck, Duration::from_millis(50));
        let sent =
            tokio::time::timeout(Duration::from_secs(5), sink.send(Message::Text("x".into())))
                .await;
        assert!(matches!(sent, Ok(Err(_))));
    }
}
