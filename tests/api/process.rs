//! The real `oms-gateway` binary as a child process: started with `serve` on a given database,
//! its stdout and stderr captured line by line, stopped (or SIGKILLed) on demand and killed when
//! dropped. For the tests that need a process of their own: crashes and log contents.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// The binary with no inherited gateway settings.
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oms-gateway"));
    for (key, _) in std::env::vars() {
        if key.starts_with("OMS_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A running `oms-gateway serve`.
pub struct ServerProcess {
    child: Child,
    pub base: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn capture(
    pipe: impl Read + Send + 'static,
    lines: Arc<Mutex<Vec<String>>>,
    address: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Some(tx) = &address
                && let Some(rest) = line.split("listening on http://").nth(1)
            {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                let _ = tx.send(addr.to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
}

impl ServerProcess {
    /// `oms-gateway serve` on `database_url`, any free port, with `envs` on top; waits until it
    /// prints its address and answers `/healthz`.
    pub async fn start(database_url: &str, envs: &[(&str, &str)]) -> ServerProcess {
        let mut cmd = command();
        cmd.env("DATABASE_URL", database_url)
            .env("OMS_BIND", "127.0.0.1:0")
            .env("OMS_PASSWORD_ITERATIONS", "1000")
            .env("OMS_JWT_SECRET", crate::helpers::JWT_SECRET)
            .arg("serve");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start oms-gateway serve");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        capture(child.stdout.take().unwrap(), stdout.clone(), Some(tx));
        capture(child.stderr.take().unwrap(), stderr.clone(), None);
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap();
        let mut server = ServerProcess {
            child,
            base: String::new(),
            stdout,
            stderr,
        };
        let Ok(addr) = addr else {
            let _ = server.child.kill();
            let _ = server.child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "the server did not print its address; stderr:\n{}",
                server.stderr_lines().join("\n")
            );
        };
        server.base = format!("http://{addr}");
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        for _ in 0..200 {
            if let Ok(r) = client.get(server.url("/healthz")).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server does not answer /healthz");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL: no shutdown code runs, as when the machine's OOM killer strikes.
    pub fn kill9(&mut self) {
        // SAFETY: sending a signal to our own child process.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(sent, 0, "SIGKILL sent");
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit (and for the output to be read).
    pub fn stop(&mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        for _ in 0..600 {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(200));
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
