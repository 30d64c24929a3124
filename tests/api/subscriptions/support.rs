//! What the subscription tests share: a real gateway on a fresh database (a SQLite temp file,
//! or a new `oms_test_<uuid>` database on `OMS_TEST_DATABASE_URL`'s server, dropped afterwards),
//! a GraphQL-over-HTTP helper, and a small WebSocket client speaking both subprotocols with
//! hand-written frames.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use oms_gateway::auth::ReadScope;
use oms_gateway::config::Settings;
use oms_gateway::events::{ChangeKind, Event, EventFilter, Topic};
use oms_gateway::state::AppState;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(15);

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

/// A database for one test, removed when the last handle goes.
pub use crate::common::TestDatabase as TestDb;
use crate::helpers::{Served, http_client, test_settings};

/// A gateway serving on 127.0.0.1 on a port of its own.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub db: Arc<TestDb>,
    http: reqwest::Client,
    _server: Served,
}

/// A fresh database with the demo data, and a gateway on it.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The same, with settings adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = Arc::new(TestDb::create().await);
    let app = spawn_on(db, tweak).await;
    oms_gateway::server::migrate(&app.state)
        .await
        .expect("migrate");
    oms_gateway::seed::load(&app.state).await.expect("seed");
    settle_events(&app.state).await;
    app
}

/// Waits until every event published so far by this process has come back to it (on
/// PostgreSQL they travel through NOTIFY, after the fact), so that a test's subscription
/// does not receive the seed's events: a marker event goes the same way and comes last.
pub async fn settle_events(state: &AppState) {
    let mut marker = state.events.subscribe(EventFilter {
        topic: Topic::Orders,
        scope: ReadScope::All,
        order_id: Some(-1),
        customer_id: None,
    });
    state.events.publish(Event::Order {
        kind: ChangeKind::Updated,
        order_id: -1,
        customer_id: -1,
    });
    let heard = tokio::time::timeout(WAIT, marker.next())
        .await
        .expect("the marker event in time");
    assert!(matches!(heard, Some(Ok(_))), "{heard:?}");
}

/// A further gateway on the database of `other` (another replica).
pub async fn spawn_replica(other: &TestApp) -> TestApp {
    spawn_on(other.db.clone(), |_| {}).await
}

async fn spawn_on(db: Arc<TestDb>, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("OMS_TEST_LOG").is_some() {
        // the servers' logs, for a failing test: OMS_TEST_LOG=1 RUST_LOG=info cargo test ...
        oms_gateway::telemetry::init_tracing(oms_gateway::config::LogFormat::Pretty);
    }
    let mut settings = test_settings(&db.url);
    tweak(&mut settings);
    let state = AppState::connect(settings).await.expect("connect");
    let server = Served::start(&state).await;
    TestApp {
        addr: server.address,
        state,
        db,
        http: http_client(),
        _server: server,
    }
}

impl TestApp {
    /// A GraphQL request over HTTP; the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("http://{}/graphql", self.addr))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql");
        response.json().await.expect("a JSON body")
    }

    /// `data` of a GraphQL request that must succeed.
    pub async fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// An access token through the `login` mutation.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let data = self
            .gql_ok(
                None,
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { access } }",
                json!({ "u": username, "p": password }),
            )
            .await;
        data["login"]["access"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("http://{}/metrics", self.addr))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Waits until this process has `n` open subscriptions (a subscription registers when the
    /// server first polls it, a moment after its `subscribe` frame arrived).
    pub async fn wait_for_subscribers(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.state.events.subscribers() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} open subscriptions, have {}",
                self.state.events.subscribers()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }
}

/// The sum of a Prometheus metric's samples (all label sets) in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A hand-written-frames client of `/graphql/ws`.
pub struct WsClient {
    pub protocol: &'static str,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

impl WsClient {
    /// Opens a connection (with `authorization` as the upgrade request's header, if given).
    pub async fn connect(
        app: &TestApp,
        protocol: &'static str,
        authorization: Option<&str>,
    ) -> Self {
        Self::open(app.addr, protocol, authorization).await
    }

    /// The same, to the gateway at `address` (of any harness).
    pub async fn open(
        address: SocketAddr,
        protocol: &'static str,
        authorization: Option<&str>,
    ) -> Self {
        let tcp = TcpStream::connect(address).await.expect("tcp connect");
        Self::handshake(address, tcp, protocol, authorization).await
    }

    /// Opens a connection whose receive buffer is as small as the system allows (a client that
    /// stops reading then stalls the server quickly).
    pub async fn connect_small_buffer(app: &TestApp, protocol: &'static str) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket.connect(app.addr).await.expect("tcp connect");
        Self::handshake(app.addr, tcp, protocol, None).await
    }

    async fn handshake(
        address: SocketAddr,
        tcp: TcpStream,
        protocol: &'static str,
        authorization: Option<&str>,
    ) -> Self {
        let url = format!("ws://{address}/graphql/ws");
        let mut request = url.into_client_request().expect("request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert("Authorization", value.parse().expect("header"));
        }
        let (socket, response) =
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
                .await
                .expect("WebSocket handshake");
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok()),
            Some(protocol),
            "the server must answer with the protocol asked for"
        );
        WsClient { protocol, socket }
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send a frame");
    }

    /// The next JSON frame (keep-alives skipped), or how the connection ended.
    pub async fn next_frame(&mut self) -> Result<Value, Closed> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("a JSON frame");
                    if v["type"] == "ka" {
                        continue;
                    }
                    return Ok(v);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)).unwrap_or(0),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(Closed {
                        code: 0,
                        reason: e.to_string(),
                    });
                }
                None => {
                    return Err(Closed {
                        code: 0,
                        reason: "end of stream".into(),
                    });
                }
            }
        }
    }

    /// Whether a frame arrives within `within` (for "nothing more comes").
    pub async fn quiet_for(&mut self, within: Duration) -> Option<Value> {
        match tokio::time::timeout(within, self.next_frame()).await {
            Ok(Ok(frame)) => Some(frame),
            Ok(Err(closed)) => panic!("the connection closed: {closed:?}"),
            Err(_) => None,
        }
    }

    /// Sends `connection_init` with this payload and expects the ack.
    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.next_frame().await.expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    /// Sends `connection_init` and expects the server to close the connection instead.
    pub async fn init_refused(&mut self, payload: Value) -> Closed {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        self.expect_close().await
    }

    /// Reads until the server closes; a legacy `connection_error` may come first, no ack may.
    pub async fn expect_close(&mut self) -> Closed {
        loop {
            match self.next_frame().await {
                Ok(frame) if frame["type"] == "connection_error" => continue,
                Ok(frame) => panic!("expected the connection to be closed, got {frame}"),
                Err(closed) => return closed,
            }
        }
    }

    /// Starts an operation (`subscribe`, or `start` in the legacy protocol).
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == LEGACY_WS {
            "start"
        } else {
            "subscribe"
        };
        self.send(json!({
            "id": id,
            "type": kind,
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The payload of the next result of operation `id` (`next`, or `data` in the legacy
    /// protocol); panics on anything else.
    pub async fn next_result(&mut self, id: &str) -> Value {
        let frame = self.next_frame().await.expect("a result frame");
        let expected = if self.protocol == LEGACY_WS {
            "data"
        } else {
            "next"
        };
        assert_eq!(frame["type"], expected, "{frame}");
        assert_eq!(frame["id"], id, "{frame}");
        frame["payload"].clone()
    }

    /// The `data` of the next result, which must have no errors.
    pub async fn next_data(&mut self, id: &str) -> Value {
        let payload = self.next_result(id).await;
        assert!(
            payload.get("errors").is_none(),
            "unexpected errors: {payload}"
        );
        payload["data"].clone()
    }

    /// Reads the next frame without waiting for it to matter (the test decides).
    pub async fn raw(&mut self) -> Result<Value, Closed> {
        self.next_frame().await
    }
}
