//! The real binary: refusals of bad settings, `schema`, `user create` + `token`,
//! `migrate ... / status`, and a graceful shutdown on SIGTERM that lets a request finish.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oms_gateway::state::AppState;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestDatabase, jwt_payload, test_settings, verify_hs256};

const SECRET: &str = "cli-test-secret";

/// The binary with a clean environment: no `OMS_*`, `DATABASE_URL` or `RUST_LOG` of the caller.
fn oms() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oms-gateway"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("OMS_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs to the end, or kills the process and fails after `limit`.
fn run(mut cmd: Command, limit: Duration) -> Run {
    let mut child = cmd.spawn().expect("start oms-gateway");
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for oms-gateway") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "oms-gateway {:?} still running after {limit:?}; stderr: {}",
                cmd.get_args().collect::<Vec<_>>(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn bad_settings_exit_with_one_line_naming_the_setting() {
    let db = TestDatabase::sqlite();
    /// (environment, arguments, the setting the one line must name)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: [Case; 7] = [
        (
            &[("OMS_ACCESS_TOKEN_LIFETIME", "soon")],
            &[],
            "OMS_ACCESS_TOKEN_LIFETIME",
        ),
        (
            &[("OMS_REFRESH_TOKEN_LIFETIME", "-1d")],
            &[],
            "OMS_REFRESH_TOKEN_LIFETIME",
        ),
        (&[("DATABASE_URL", "mysql://x")], &[], "DATABASE_URL"),
        (
            &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x")],
            &[],
            "DATABASE_URL",
        ),
        (
            &[(
                "DATABASE_URL",
                "sqlite:///nonexistent-dir-of-oms-tests/x.db?mode=rwc",
            )],
            &[],
            "DATABASE_URL",
        ),
        (&[("OMS_AUTHZ", "admin")], &[], "OMS_AUTHZ"),
        // the flag form names the same setting
        (&[], &["--authz", "everyone"], "OMS_AUTHZ"),
    ];
    for (env, args, setting) in cases {
        let mut cmd = oms();
        cmd.env("DATABASE_URL", &db.url)
            .env("OMS_BIND", "127.0.0.1:0")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let ran = run(cmd, LIMIT);
        let what = format!(
            "{env:?} {args:?}: stdout {:?} stderr {:?}",
            ran.stdout, ran.stderr
        );
        assert!(!ran.status.success(), "{what}");
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "exactly one line on stderr: {what}");
        assert!(lines[0].contains(setting), "names {setting}: {what}");
        let lower = ran.stderr.to_ascii_lowercase();
        assert!(
            !lower.contains("panicked") && !lower.contains("backtrace"),
            "{what}"
        );
    }
}

#[test]
fn schema_command_prints_the_checked_in_schema() {
    let ran = run(
        {
            let mut c = oms();
            c.arg("schema");
            c
        },
        LIMIT,
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    assert!(ran.stdout.contains("type Query"), "{}", ran.stdout);
    assert_eq!(
        ran.stdout, file,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn user_create_then_token_prints_a_verifying_jwt() {
    let db = TestDatabase::create().await;
    let mut create = oms();
    create
        .env("DATABASE_URL", &db.url)
        .env("OMS_PASSWORD_ITERATIONS", "1000")
        .args([
            "user",
            "create",
            "--username",
            "u",
            "--password",
            "p",
            "--email",
            "e@example.com",
            "--staff",
        ]);
    let ran = run(create, LIMIT);
    assert!(ran.status.success(), "{} {}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("created user u"), "{}", ran.stdout);

    // the same username again is refused
    let mut again = oms();
    again
        .env("DATABASE_URL", &db.url)
        .env("OMS_PASSWORD_ITERATIONS", "1000")
        .args(["user", "create", "--username", "u", "--password", "q"]);
    let ran = run(again, LIMIT);
    assert!(!ran.status.success(), "{}", ran.stdout);

    let mut token = oms();
    token
        .env("DATABASE_URL", &db.url)
        .env("OMS_JWT_SECRET", SECRET)
        .args(["token", "--username", "u"]);
    let ran = run(token, LIMIT);
    assert!(ran.status.success(), "{}", ran.stderr);
    let jwt = ran.stdout.trim();
    assert_eq!(
        ran.stdout.lines().count(),
        1,
        "only the token: {}",
        ran.stdout
    );
    let claims = verify_hs256(jwt, SECRET.as_bytes());
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["username"], "u");
    assert_eq!(claims["email"], "e@example.com");

    // the user is really there, staff, with that password
    let state = AppState::connect(test_settings(&db.url)).await.unwrap();
    let pair = oms_gateway::auth::service::login(&state, "u", "p")
        .await
        .expect("the created user logs in");
    assert_eq!(jwt_payload(&pair.access)["user_id"], claims["user_id"]);
    let id: i64 = claims["user_id"].as_str().unwrap().parse().unwrap();
    let principal = oms_gateway::auth::principal::load_principal(&state.db, id)
        .await
        .unwrap()
        .expect("the created user");
    assert!(principal.is_staff);

    // an unknown user gets no token
    let mut nobody = oms();
    nobody
        .env("DATABASE_URL", &db.url)
        .env("OMS_JWT_SECRET", SECRET)
        .args(["token", "--username", "nobody"]);
    let ran = run(nobody, LIMIT);
    assert!(!ran.status.success());
    assert!(ran.stdout.trim().is_empty(), "{}", ran.stdout);
}

fn status_lines(url: &str) -> Vec<(String, String)> {
    let mut cmd = oms();
    cmd.env("DATABASE_URL", url).args(["migrate", "status"]);
    let ran = run(cmd, LIMIT);
    assert!(ran.status.success(), "{}", ran.stderr);
    ran.stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

fn migrate(url: &str, action: Option<&str>) -> String {
    let mut cmd = oms();
    cmd.env("DATABASE_URL", url).arg("migrate");
    if let Some(action) = action {
        cmd.arg(action);
    }
    let ran = run(cmd, LIMIT);
    assert!(ran.status.success(), "migrate {action:?}: {}", ran.stderr);
    ran.stdout
}

#[tokio::test]
async fn migrate_up_down_and_status() {
    let db = TestDatabase::create().await;
    const NAMES: [&str; 4] = [
        "m20251101_000001_legacy_tables",
        "m20251101_000002_gateway_indexes",
        "m20251101_000003_token_blacklist",
        "m20251126_000001_idempotency_keys",
    ];
    let expect = |statuses: [&str; 4]| -> Vec<(String, String)> {
        statuses
            .iter()
            .zip(NAMES)
            .map(|(s, n)| (s.to_string(), n.to_owned()))
            .collect()
    };

    assert_eq!(status_lines(&db.url), expect(["Pending"; 4]));
    migrate(&db.url, None);
    assert_eq!(status_lines(&db.url), expect(["Applied"; 4]));
    migrate(&db.url, Some("down"));
    assert_eq!(
        status_lines(&db.url),
        expect(["Applied", "Applied", "Applied", "Pending"])
    );
    migrate(&db.url, Some("up"));
    assert_eq!(status_lines(&db.url), expect(["Applied"; 4]));
}

/// PBKDF2 rounds that take about `target` to hash or verify in this build (debug builds hash
/// far slower than release ones).
fn rounds_taking(target: Duration) -> u32 {
    let probe = 20_000;
    let started = Instant::now();
    let hash = oms_gateway::auth::password::make("probe", probe);
    let per_round = started.elapsed().as_secs_f64() / f64::from(probe);
    assert!(hash.starts_with("pbkdf2_sha256$20000$"));
    ((target.as_secs_f64() / per_round) as u32).clamp(100_000, 50_000_000)
}

/// The server process of the shutdown test; killed if the test ends early.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish() {
    let db = TestDatabase::sqlite();
    // a user whose password takes about 1.5 s to verify: the login is still running at SIGTERM
    let rounds = rounds_taking(Duration::from_millis(1500));
    let mut create = oms();
    create
        .env("DATABASE_URL", &db.url)
        .env("OMS_PASSWORD_ITERATIONS", rounds.to_string())
        .args([
            "user",
            "create",
            "--username",
            "slow",
            "--password",
            "slow-pass",
        ]);
    let ran = run(create, LIMIT);
    assert!(ran.status.success(), "{}", ran.stderr);

    let mut serve = oms();
    serve
        .env("DATABASE_URL", &db.url)
        .env("OMS_BIND", "127.0.0.1:0")
        .env("OMS_JWT_SECRET", SECRET)
        .arg("serve");
    let mut server = Server(serve.spawn().expect("start the server"));
    let pid = server.0.id();

    // the real address is printed on stdout
    let stdout = server.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let stderr = drain(server.0.stderr.take());
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://{addr}");
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            healthy = r.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "the server answers /healthz");

    let login = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/accounts/token/");
        async move {
            let response = client
                .post(url)
                .json(&json!({ "username": "slow", "password": "slow-pass" }))
                .send()
                .await;
            let finished = Instant::now();
            let response = response.expect("the in-flight request is answered");
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (status, body, finished)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!login.is_finished(), "the login is still in flight");
    let signalled = Instant::now();
    // SAFETY: sending a signal to the child process started above.
    let sent = unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");

    let (status, body, finished) = login.await.unwrap();
    assert!(finished > signalled, "the answer came after the signal");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        jwt_payload(body["access"].as_str().unwrap())["username"],
        "slow"
    );

    let exited = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        loop {
            if let Some(status) = server.0.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() > Duration::from_secs(30) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    let status = exited.expect("the server exits after SIGTERM");
    let stderr = stderr.join().unwrap_or_default();
    assert_eq!(status.code(), Some(0), "clean exit; stderr: {stderr}");
    assert!(!stderr.contains("slow-pass"), "no password in the logs");
}
