//! Running `convene` processes for scenarios.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a scenario waits for the server to answer or catch up.
const PATIENCE: Duration = Duration::from_secs(20);

/// The `convene` binary built for these tests.
pub fn convene() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_convene"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("CONVENE_CONFIG");
    command
}

/// Runs `convene` with `args` against `database_url`; returns its output.
pub fn run(database_url: &str, args: &[&str]) -> Output {
    convene()
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .output()
        .expect("run convene")
}

/// Runs `convene` and insists it succeeds; returns its standard output.
pub fn run_ok(database_url: &str, args: &[&str]) -> String {
    let output = run(database_url, args);
    assert!(
        output.status.success(),
        "convene {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `convene serve`, stopped with SIGTERM when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        let port = free_port();
        let child = convene()
            .args(["--database-url", database_url, "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start convene serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until(|s| s.get("/healthz").0 == 200);
        server
    }

    /// GET `path`: status and JSON body (null when the body is not JSON).
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        match agent.get(&format!("{}{path}", self.base)).call() {
            Ok(mut response) => {
                let body = response.body_mut().read_json().unwrap_or_default();
                (response.status().as_u16(), body)
            }
            Err(_) => (0, serde_json::Value::Null),
        }
    }

    /// Polls until `ready` holds, or fails the scenario after a while.
    pub fn wait_until(&self, ready: impl Fn(&Server) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "{} never became ready",
                self.base
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "convene serve exited with {status}");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("convene serve did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A path in a fresh temporary folder that lives as long as the returned guard.
pub fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join(name);
    (folder, path)
}
