//! A real Meilisearch for the contract: the one at CONVENE_MEILI_URL, else the binary in
//! `../shared/tools/` next to the repository, else `meilisearch` on PATH, started on a free
//! loopback port with a temporary data folder and stopped when dropped.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MeiliServer {
    pub url: String,
    pub key: Option<String>,
    child: Option<Child>,
    _folder: Option<tempfile::TempDir>,
}

impl Drop for MeiliServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The binary to start: `../shared/tools/meilisearch` from the workspace root, or on PATH.
fn binary() -> Option<PathBuf> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let beside = workspace.join("../shared/tools/meilisearch");
    if beside.is_file() {
        return Some(beside);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("meilisearch"))
            .find(|p| p.is_file())
    })
}

fn healthy(url: &str) -> bool {
    ureq::get(&format!("{url}/health"))
        .call()
        .map(|r| r.status() == 200)
        .unwrap_or(false)
}

impl MeiliServer {
    /// A running Meilisearch, or none (said loudly) when there is none to use.
    pub fn start(test: &str) -> Option<MeiliServer> {
        if let Ok(url) = std::env::var("CONVENE_MEILI_URL") {
            if !url.is_empty() {
                return Some(MeiliServer {
                    url,
                    key: std::env::var("CONVENE_MEILI_KEY").ok(),
                    child: None,
                    _folder: None,
                });
            }
        }
        let Some(binary) = binary() else {
            let _ = writeln!(
                std::io::stderr(),
                "*** {test}: SKIPPED on Meilisearch: CONVENE_MEILI_URL is not set and no \
                 meilisearch binary is in ../shared/tools/ or on PATH ***"
            );
            return None;
        };
        let folder = tempfile::tempdir().expect("a temporary folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let key = format!("contract-key-{}", std::process::id());
        let child = Command::new(&binary)
            .current_dir(folder.path())
            .args(["--http-addr", &format!("127.0.0.1:{port}")])
            .args([
                "--master-key",
                &key,
                "--no-analytics",
                "--env",
                "development",
            ])
            .arg("--db-path")
            .arg(folder.path().join("data.ms"))
            .arg("--dump-dir")
            .arg(folder.path().join("dumps"))
            .arg("--snapshot-dir")
            .arg(folder.path().join("snapshots"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let server = MeiliServer {
            url: format!("http://127.0.0.1:{port}"),
            key: Some(key),
            child: Some(child),
            _folder: Some(folder),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !healthy(&server.url) {
            assert!(
                Instant::now() < deadline,
                "Meilisearch did not start at {}",
                server.url
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }
}
