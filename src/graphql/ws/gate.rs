//! The gate in front of `GraphQLWebSocket`: reads the frames up to `connection_init` itself,
//! finds the access token it offers, and refuses a connection with the close codes CONTRACT §9
//! wants (see the module above for which); the library's own 1002 renamed as the protocol
//! names it.

use async_graphql::http::WebSocketProtocols;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};

use crate::error::AuthError;
use crate::graphql::ws::{INIT_TIMEOUT, WsSink, WsStream};

/// How long a refused client gets to acknowledge the close frame.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Close codes of `graphql-transport-ws`.
pub mod code {
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const INTERNAL_ERROR: u16 = 1011;
}

/// How a connection opened.
pub enum Opening {
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
pub async fn first_frames(
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
pub enum Credential {
    Token(String),
    Missing,
    Malformed,
}

/// The token of the `connection_init` payload, else of the upgrade request's header.
pub fn credential(
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
pub async fn refuse(
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

/// The library's "invalid message" close (1002) as graphql-transport-ws names it (4400).
pub fn protocol_close_code(message: Message, wire: WebSocketProtocols) -> Message {
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
}
