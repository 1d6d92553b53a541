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

/// The `convene` binary, allowed at most `files` open files (soft and hard limit, set by
/// util-linux's `prlimit`, which then runs it in its own place).
pub fn convene_with_open_files(files: u64) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={files}:{files}"))
        .arg(env!("CARGO_BIN_EXE_convene"))
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
    /// Its data folder: mail lands in `mail/` as .eml files.
    pub data: tempfile::TempDir,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        Server::start_with(convene(), database_url, &[], Stdio::inherit())
    }

    /// `command` (a way to run `convene`) serving `database_url` with more `serve` options,
    /// its log going to `stderr`.
    pub fn start_with(
        command: Command,
        database_url: &str,
        options: &[&str],
        stderr: Stdio,
    ) -> Server {
        Server::start_on(command, database_url, free_port(), options, stderr)
    }

    /// [`Server::start_with`] on `port` (the address another instance knows it by).
    pub fn start_on(
        mut command: Command,
        database_url: &str,
        port: u16,
        options: &[&str],
        stderr: Stdio,
    ) -> Server {
        let data = tempfile::tempdir().expect("a data folder");
        let child = command
            .args(["--database-url", database_url, "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data.path())
            // Groups' links point at made-up addresses: nothing is fetched beyond 127.0.0.1.
            .arg("--no-link-previews")
            .args(options)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start convene serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data,
        };
        server.wait_until(|s| s.get("/healthz").0 == 200);
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    /// The server's resident memory, in bytes (Linux).
    pub fn resident_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    }

    /// GET `path`: status and JSON body (null when the body is not JSON).
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.call("GET", path, &Caller::default(), None)
    }

    /// Any request, as `caller`, with an optional JSON body; status and JSON body (0 when the
    /// server did not answer).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        caller: &Caller,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .build()
            .into();
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &caller.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(profile) = &caller.profile {
            request = request.header("x-convene-profile", profile.as_str());
        }
        let sent = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_string())
                .map(|r| agent.run(r)),
            None => request.body(()).map(|r| agent.run(r)),
        };
        match sent {
            Ok(Ok(mut response)) => {
                let text = response.body_mut().read_to_string().unwrap_or_default();
                (
                    response.status().as_u16(),
                    serde_json::from_str(&text).unwrap_or_default(),
                )
            }
            _ => (0, serde_json::Value::Null),
        }
    }

    /// The `token=` of the last link containing `/{kind}?token=` mailed to `to`, waiting for
    /// the mail (some goes out after the answer).
    pub fn token_mailed(&self, to: &str, kind: &str) -> String {
        let marker = format!("/{kind}?token=");
        let text = self.mail_with(to, &marker);
        let start = text.rfind(&marker).unwrap_or_default() + marker.len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// The last mail to `to` containing `marker`, once written.
    pub fn mail_with(&self, to: &str, marker: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(text) = self
                .mails_to(to)
                .into_iter()
                .rev()
                .find(|t| t.contains(marker))
            {
                return text;
            }
            assert!(Instant::now() < deadline, "no mail to {to} with {marker}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every mail to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let folder = self.data.path().join("mail");
        let mut mails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&folder)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|entry| {
                        let text = std::fs::read_to_string(entry.path()).ok()?;
                        let modified = entry.metadata().ok()?.modified().ok()?;
                        text.lines()
                            .any(|l| l.starts_with("To: ") && l.contains(to))
                            .then_some((modified, text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails.into_iter().map(|(_, text)| text).collect()
    }

    /// Polls until `ready` holds, or fails the scenario after a while.
    pub fn wait_until(&self, ready: impl Fn(&Server) -> bool) {
        self.wait_within(PATIENCE, ready)
    }

    /// Polls until `ready` holds, or fails the scenario after `patience`.
    pub fn wait_within(&self, patience: Duration, ready: impl Fn(&Server) -> bool) {
        let deadline = Instant::now() + patience;
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

    /// Kills the process with SIGKILL (no shutdown of any kind) and waits for it to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for a clean exit, keeping the data folder to read.
    pub fn terminate(&mut self) {
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

/// Who calls: a session token and the profile to act as, both optional.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub token: Option<String>,
    pub profile: Option<String>,
}

impl Caller {
    pub fn as_profile(&self, profile: &str) -> Caller {
        Caller {
            token: self.token.clone(),
            profile: Some(profile.to_string()),
        }
    }
}

/// A path in a fresh temporary folder that lives as long as the returned guard.
pub fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let path = folder.path().join(name);
    (folder, path)
}
