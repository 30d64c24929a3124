//! The test harness: `spawn_app()` starts the real gateway (state, migrations, router, a real
//! TCP listener) on a fresh database of its own, so tests run in parallel and see only their
//! own rows.
//!
//! The database is a SQLite file in a temporary folder, or, when `OMS_TEST_DATABASE_URL` names
//! a PostgreSQL server (`postgres://postgres@127.0.0.1:5432/postgres`), a newly created database
//! `oms_test_<uuid>` on it, dropped again when the test ends (also when it fails).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::user;
use migration::sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use oms_gateway::auth::service::{self, NewUser};
use oms_gateway::config::{JwtSecret, Settings};
use oms_gateway::state::AppState;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The signing key of every test app (tests mint their own tokens with it).
pub const JWT_SECRET: &str = "test-secret-for-the-oms-gateway-integration-tests";

/// SimpleJWT's endpoints: a pair for credentials, and a refresh token's rotation.
pub const TOKEN: &str = "/api/accounts/token/";
pub const REFRESH: &str = "/api/accounts/token/refresh/";

/// PBKDF2 rounds for users created by tests: cheap, but a real Django-format hash.
pub const TEST_PASSWORD_ITERATIONS: u32 = 1000;

pub use crate::common::{TestDatabase, postgres_admin_url};

/// A running gateway on its own database.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    _server: Served,
    // last: the server and the pool go first, then the database
    database: Arc<TestDatabase>,
}

/// Settings of every test app: the given database, cheap password hashes, a fixed key.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::for_database(database_url);
    settings.password_iterations = TEST_PASSWORD_ITERATIONS;
    settings.jwt_secret = JwtSecret::Configured(JWT_SECRET.to_owned());
    settings.cors_origins = Vec::new();
    settings
}

/// The real application on a fresh database, with the test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As `spawn_app`, after `configure` has adjusted the settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = Arc::new(TestDatabase::create().await);
    let mut settings = test_settings(&database.url);
    configure(&mut settings);
    start(database, settings).await
}

/// The real application on a database the test made (shared with other apps or processes).
pub async fn spawn_app_on(database: Arc<TestDatabase>, settings: Settings) -> TestApp {
    start(database, settings).await
}

async fn start(database: Arc<TestDatabase>, settings: Settings) -> TestApp {
    let state = AppState::connect(settings)
        .await
        .expect("the test app connects to its database");
    oms_gateway::server::migrate(&state)
        .await
        .expect("the migrations apply");
    let server = Served::start(&state).await;
    TestApp {
        address: server.address,
        _server: server,
        client: http_client(),
        database_url: database.url.clone(),
        state,
        database,
    }
}

/// A gateway's router served on a free port of 127.0.0.1, with each connection's peer address
/// (as `server` serves it); stopped when dropped. Every harness starts its gateways with it.
pub struct Served {
    pub address: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    pub async fn start(state: &AppState) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let address = listener.local_addr().expect("the bound address");
        let app = oms_gateway::app::build_app(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Served { address, task }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The tests' HTTP client: no proxy, and redirects answered as they are, not followed.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A response read whole: status, headers and the body as JSON (`Value::Null` if it is not).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 401 with SimpleJWT's `WWW-Authenticate` header and this exact body.
    #[track_caller]
    pub fn assert_unauthorized(&self, body: Value) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{}", self.text);
        assert_eq!(
            self.header("www-authenticate"),
            Some("Bearer realm=\"api\""),
            "every 401 carries WWW-Authenticate"
        );
        assert_eq!(self.body, body);
    }
}

impl TestApp {
    /// Another instance of the gateway on the same database (a second replica).
    pub async fn replica(&self) -> TestApp {
        let settings = (*self.state.settings).clone();
        start(self.database.clone(), settings).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// SQL statements this instance has sent so far; compare around a request.
    pub fn sql_count(&self) -> u64 {
        self.state.sql.get()
    }

    /// Reads a page of orders as `token`'s user, so that the scope of the user's lookup is
    /// remembered: a later read of orders looks the user up within its own statement
    /// (`auth::riding`), where the first looks it up first.
    pub async fn remember_caller(&self, token: &str) {
        let r = self
            .gql(
                "{ orders(first: 1) { nodes { id } } }",
                json!({}),
                Some(token),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r}");
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    fn with_token(
        builder: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let request = Self::with_token(self.client.get(self.url(path)), token);
        Reply::read(request.send().await.expect("GET sent")).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        let request = Self::with_token(self.client.post(self.url(path)).json(body), token);
        Reply::read(request.send().await.expect("POST sent")).await
    }

    /// A raw POST: any body, any content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let request = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        Reply::read(request.send().await.expect("POST sent")).await
    }

    /// `POST /graphql` as an SPA sends it; the whole reply.
    pub async fn gql_reply(&self, query: &str, variables: Value, token: Option<&str>) -> Reply {
        self.post_json(
            "/graphql",
            &json!({ "query": query, "variables": variables }),
            token,
        )
        .await
    }

    /// `POST /graphql`; asserts the HTTP status is 200 and returns the JSON body
    /// (`data` and/or `errors`).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let reply = self.gql_reply(query, variables, token).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "GraphQL over HTTP: {}",
            reply.text
        );
        reply.body
    }

    /// Creates an active user with a Django-format password; returns its id.
    pub async fn create_user(&self, username: &str, password: &str, staff: bool) -> i64 {
        let email = format!("{username}@example.com");
        service::create_user(
            &self.state,
            NewUser {
                username,
                password,
                email: Some(&email),
                staff,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create user {username}: {e:?}"))
        .id
    }

    /// Sets `is_active` of a user directly in the database.
    pub async fn set_active(&self, user_id: i64, active: bool) {
        self.update_user(user_id, |model| model.is_active = Set(active))
            .await;
    }

    /// Sets `is_staff` and `is_superuser` of a user directly in the database.
    pub async fn set_staff(&self, user_id: i64, staff: bool) {
        self.update_user(user_id, |model| {
            model.is_staff = Set(staff);
            model.is_superuser = Set(staff);
        })
        .await;
    }

    async fn update_user(&self, user_id: i64, change: impl FnOnce(&mut user::ActiveModel)) {
        let found = user::Entity::find_by_id(user_id)
            .one(self.db())
            .await
            .expect("read the user")
            .expect("the user exists");
        let mut model = found.into_active_model();
        change(&mut model);
        model.update(self.db()).await.expect("update the user");
    }

    /// `POST /api/accounts/token/`; panics unless it answers 200. Returns (access, refresh).
    pub async fn login(&self, username: &str, password: &str) -> (String, String) {
        let credentials = json!({ "username": username, "password": password });
        let reply = self.post_json(TOKEN, &credentials, None).await;
        assert_eq!(reply.status, StatusCode::OK, "login: {}", reply.text);
        let text = |key: &str| {
            reply.body[key]
                .as_str()
                .unwrap_or_else(|| panic!("login answer has no {key}: {}", reply.text))
                .to_owned()
        };
        (text("access"), text("refresh"))
    }

    /// `POST /api/accounts/token/refresh/` with this refresh token.
    pub async fn refresh(&self, token: &str) -> Reply {
        self.post_json(REFRESH, &json!({ "refresh": token }), None)
            .await
    }
}

/// SimpleJWT 5.5's body for a refused token (`token_not_valid` with that detail).
pub fn token_not_valid(detail: &str) -> Value {
    json!({ "detail": detail, "code": "token_not_valid" })
}

/// SimpleJWT 5.5's REST body for an access token refused with `message`.
pub fn access_refused(message: &str) -> Value {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{
            "token_class": "AccessToken",
            "token_type": "access",
            "message": message,
        }],
    })
}

/// The payload of a JWT, decoded without any verification.
pub fn jwt_payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}

/// The header of a JWT, decoded without any verification.
pub fn jwt_header(token: &str) -> Value {
    let part = token.split('.').next().expect("a JWT has a header");
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url header");
    serde_json::from_slice(&bytes).expect("a JSON header")
}

/// Signs `claims` with `secret` and `algorithm`, as another issuer would.
pub fn sign(claims: &Value, secret: &[u8], algorithm: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(algorithm),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("encode a JWT")
}

/// Verifies a token as SimpleJWT would (HS256, the test key) and returns its claims.
pub fn verify_hs256(token: &str, secret: &[u8]) -> Value {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_exp = true;
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret),
        &validation,
    )
    .expect("the token verifies with HS256 and the shared secret")
    .claims
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
