//! What the REST tests share: the real gateway on a fresh database of its own (a SQLite file in
//! a temporary folder, or, when `OMS_TEST_DATABASE_URL` names a PostgreSQL server, a new
//! `oms_test_<uuid>` database dropped `WITH (FORCE)` afterwards), the demo data, tokens, and a
//! small HTTP client that returns status, headers and the JSON body.

use std::net::SocketAddr;

use entity::{order, payment, product, stock, user};
use oms_gateway::auth::service::{NewUser, create_user};
use oms_gateway::auth::{Access, Principal};
use oms_gateway::config::Settings;
use oms_gateway::state::AppState;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

pub use crate::common::TestDatabase;
use crate::helpers::{Served, http_client, test_settings};

/// The ids of the demo data (CONTRACT §2).
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    pub admin: i64,
    pub user: i64,
    pub laptop: i64,
    pub stock: i64,
    pub order: i64,
    pub payment: i64,
}

/// A running gateway.
pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub demo: Demo,
    client: reqwest::Client,
    _server: Served,
    _database: TestDatabase,
}

/// An answer: status, headers, and the body as JSON (`Null` when empty, a string when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The gateway with the test settings and the demo data.
pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// As `spawn`, after `configure` has adjusted the settings.
pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create().await;
    let mut settings = test_settings(&database.url);
    configure(&mut settings);
    let state = AppState::connect(settings).await.expect("connect");
    oms_gateway::server::migrate(&state).await.expect("migrate");
    oms_gateway::seed::load(&state).await.expect("demo data");
    let demo = demo_ids(&state).await;
    let server = Served::start(&state).await;
    TestApp {
        address: server.address,
        state,
        demo,
        client: http_client(),
        _server: server,
        _database: database,
    }
}

async fn demo_ids(state: &AppState) -> Demo {
    let db = &state.db;
    let user_id = |name: &'static str| async move {
        user::Entity::find()
            .filter(user::Column::Username.eq(name))
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let order = order::Entity::find().one(db).await.unwrap().unwrap();
    Demo {
        admin: user_id("admin").await,
        user: user_id("user").await,
        laptop: product::Entity::find().one(db).await.unwrap().unwrap().id,
        stock: stock::Entity::find().one(db).await.unwrap().unwrap().id,
        order: order.id,
        payment: payment::Entity::find().one(db).await.unwrap().unwrap().id,
    }
}

impl TestApp {
    /// The URL of the test's own database.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// An access token for a user of that name.
    pub async fn token(&self, username: &str) -> String {
        oms_gateway::seed::access_token_for(&self.state, username)
            .await
            .unwrap()
            .expect("the user exists")
    }

    pub async fn admin(&self) -> String {
        self.token("admin").await
    }

    pub async fn customer(&self) -> String {
        self.token("user").await
    }

    /// Creates a customer (not staff) and returns their id and token.
    pub async fn new_customer(&self, username: &str) -> (i64, String) {
        let created = create_user(
            &self.state,
            NewUser {
                username,
                password: "secret-password",
                email: None,
                staff: false,
            },
        )
        .await
        .expect("a new customer");
        (created.id, self.token(username).await)
    }

    /// Staff access for arranging data through the domain directly.
    pub fn staff_access(&self) -> Access {
        Access::system(Principal {
            id: self.demo.admin,
            username: "admin".into(),
            email: "admin@example.com".into(),
            is_staff: true,
        })
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        answer(req.send().await.expect("the request is answered")).await
    }

    /// A request with a raw body of the given media type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header(CONTENT_TYPE, content_type)
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.expect("the request is answered")).await
    }

    /// A `GET` as it arrives: status, headers, and the body still to be read.
    pub async fn get_streamed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the request is answered")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.request(Method::DELETE, path, token, None).await
    }

    /// A GraphQL request's `data`, failing the test on `errors`.
    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        let a = self
            .post(
                "/graphql",
                Some(token),
                &serde_json::json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        assert!(a.body.get("errors").is_none(), "{}", a.body);
        a.body["data"].clone()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Whether `text` is a timestamp as DRF renders one (`2025-11-21T12:00:00Z`, or with six
/// fractional digits).
pub fn is_drf_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let head = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    head && (text.len() == 20 && b[19] == b'Z'
        || text.len() == 27 && b[19] == b'.' && digits(20..26) && b[26] == b'Z')
}

/// Compares a response with a documented example field by field: the same keys, the same JSON
/// types, the same values, except ids and timestamps (which must still be integers and DRF
/// timestamps). Arrays are compared element by element.
pub fn assert_matches_doc(actual: &Value, documented: &Value) {
    compare(actual, documented, "$");
}

fn compare(actual: &Value, documented: &Value, at: &str) {
    match (actual, documented) {
        (Value::Object(a), Value::Object(d)) => {
            let mut ak: Vec<&String> = a.keys().collect();
            let mut dk: Vec<&String> = d.keys().collect();
            ak.sort();
            dk.sort();
            assert_eq!(ak, dk, "the fields of {at}");
            // the order of the fields is the documented one too
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                d.keys().collect::<Vec<_>>(),
                "the order of the fields of {at}"
            );
            for (k, dv) in d {
                let path = format!("{at}.{k}");
                let av = &a[k];
                if k == "id" {
                    assert!(av.is_i64() && dv.is_i64(), "{path} is an integer: {av}");
                } else if matches!(k.as_str(), "created_at" | "updated_at" | "paid_at") {
                    match (av, dv) {
                        (Value::String(x), Value::String(_)) => {
                            assert!(is_drf_timestamp(x), "{path} is a DRF timestamp: {x}")
                        }
                        (Value::Null, Value::Null) => {}
                        _ => panic!("{path}: {av} where the document has {dv}"),
                    }
                } else {
                    compare(av, dv, &path);
                }
            }
        }
        (Value::Array(a), Value::Array(d)) => {
            assert_eq!(a.len(), d.len(), "the length of {at}: {actual}");
            for (i, (x, y)) in a.iter().zip(d).enumerate() {
                compare(x, y, &format!("{at}[{i}]"));
            }
        }
        (a, d) => assert_eq!(a, d, "{at}"),
    }
}
