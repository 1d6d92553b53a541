//! `convene audit export` and `convene audit check`: a slice of the log that anyone can verify
//! offline. The export is JSON Lines:
//!
//! 1. a header: the instance, the slice (`from`, `to`), the chain hash just before it, the log's
//!    head when exported, and the instance actor's key id and public key;
//! 2. one line per change, with every field its chain link covers (payload and metadata as the
//!    exact stored text) and its hash;
//! 3. a signature line: the instance key's RSA-SHA256 signature of
//!    `convene-audit-export:{sha256 of every byte before this line, hex}`.
//!
//! `check` recomputes each link from the one before (so nothing in the slice was edited,
//! dropped or reordered), checks the last one against the head when the slice ends there, and
//! verifies the signature (so the file is the instance's). Whoever checks compares the key's
//! fingerprint with the instance actor's published key (`/relay`).

use crate::config::{AuditCommand, Settings};
use anyhow::{anyhow, bail, Context};
use convene_federation::keys::{self, KeyOwner};
use convene_federation::signatures::{PrivateKey, PublicKey};
use convene_projections::chain::{link, Link, GENESIS};
use convene_projections::log::{EventLog, StoredEvent};
use convene_projections::replay::{self, AsOf};
use convene_projections::Database;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// What the header says the file is.
const FORMAT: &str = "convene-audit-export";
const VERSION: u32 = 1;
/// Changes read per query while exporting.
const BATCH: i64 = 2_000;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    instance: String,
    from: i64,
    to: i64,
    /// The chain hash of the change before `from` (zeros before the first), hex.
    previous_hash: String,
    head_position: i64,
    head_hash: String,
    exported_at: String,
    key_id: String,
    public_key_pem: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Change {
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    hash: String,
}

impl Change {
    fn of(event: &StoredEvent) -> Self {
        Change {
            position: event.position,
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            payload: event.payload.clone(),
            metadata: event.metadata.clone(),
            hash: hex::encode(&event.hash),
        }
    }

    fn link(&self) -> Link<'_> {
        Link {
            position: self.position,
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            event_type: &self.event_type,
            event_version: &self.event_version,
            payload: &self.payload,
            metadata: &self.metadata,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Signature {
    algorithm: String,
    /// Base64 of the RSA PKCS#1 v1.5 SHA-256 signature of [`signed_message`].
    signature: String,
}

fn signed_message(digest: &[u8]) -> Vec<u8> {
    format!("{FORMAT}:{}", hex::encode(digest)).into_bytes()
}

/// What an export holds, for the command's last line.
pub struct Exported {
    pub from: i64,
    pub to: i64,
    pub changes: i64,
}

/// Writes the slice `from..=to` of the log (positions or times; the whole log by default) to
/// `out`, signed with the instance key; refuses a range outside the log.
pub async fn export(
    db: &Database,
    public_url: &str,
    from: Option<AsOf>,
    to: Option<AsOf>,
    out: &mut dyn Write,
) -> anyhow::Result<Exported> {
    let log = EventLog::new(db);
    let head = log.head().await?;
    if head.position == 0 {
        bail!("the log is empty: there is nothing to export");
    }
    let from = match from {
        None => 1,
        // The first change recorded at or after that time.
        Some(AsOf::Time(at)) => {
            replay::resolve(&log, AsOf::Time(at)).await?;
            log.position_at(at - time::Duration::microseconds(1))
                .await?
                + 1
        }
        Some(position) => replay::resolve(&log, position).await.context("--from")?,
    };
    let to = match to {
        None => head.position,
        Some(to) => replay::resolve(&log, to).await.context("--to")?,
    };
    if from > to {
        bail!("--from ({from}) comes after --to ({to}): the slice would be empty");
    }
    let previous = match from {
        1 => GENESIS.to_vec(),
        _ => log
            .read(from - 2, from - 1, 1)
            .await?
            .pop()
            .map(|e| e.hash)
            .ok_or_else(|| anyhow!("position {} is missing from the log", from - 1))?,
    };
    let pair = keys::key_pair(db, &KeyOwner::Instance).await?;
    let key = PrivateKey::from_pkcs8_pem(pair.private_pem.expose())?;
    let actor = convene_federation::actors::local::instance_actor_id(public_url);
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        instance: public_url.into(),
        from,
        to,
        previous_hash: hex::encode(&previous),
        head_position: head.position,
        head_hash: hex::encode(&head.hash),
        exported_at: convene_domain::metadata::format_timestamp(time::OffsetDateTime::now_utc()),
        key_id: keys::key_id(&actor),
        public_key_pem: pair.public_pem,
    };
    let mut digest = Sha256::new();
    write_line(&header, &mut digest, out)?;
    let mut after = from - 1;
    let mut changes = 0;
    while after < to {
        let batch = log.read(after, to, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        for event in &batch {
            write_line(&Change::of(event), &mut digest, out)?;
            changes += 1;
        }
    }
    let signature = key.sign(&signed_message(&digest.finalize()));
    let signature = Signature {
        algorithm: "rsa-sha256".into(),
        signature: base64_encode(&signature),
    };
    let mut text = serde_json::to_string(&signature)?;
    text.push('\n');
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Exported { from, to, changes })
}

/// One JSON line, counted in the digest the signature covers.
fn write_line<T: Serialize>(
    value: &T,
    digest: &mut Sha256,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    digest.update(text.as_bytes());
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// What a checked export proves.
#[derive(Debug)]
pub struct Checked {
    pub instance: String,
    pub from: i64,
    pub to: i64,
    pub key_id: String,
    /// SHA-256 of the public key (its DER), hex: to compare with the instance's published key.
    pub key_fingerprint: String,
    /// Whether the slice ends at the head the instance had when exporting (its last hash then
    /// checked against that head).
    pub reaches_head: bool,
}

/// Verifies an export read from `input`; the first fault, with its line, otherwise.
pub fn check(input: &mut dyn BufRead) -> anyhow::Result<Checked> {
    let mut digest = Sha256::new();
    let mut number = 0;
    let mut next = |digest: &mut Sha256| -> anyhow::Result<Option<(usize, String)>> {
        let mut text = String::new();
        if input.read_line(&mut text).context("unreadable")? == 0 {
            return Ok(None);
        }
        number += 1;
        if !text.ends_with('\n') {
            bail!("line {number} is cut short: the file is truncated");
        }
        let line = text.trim_end_matches('\n').to_string();
        digest.update(text.as_bytes());
        Ok(Some((number, line)))
    };
    let (_, first) = next(&mut digest)?.ok_or_else(|| anyhow!("the file is empty"))?;
    let header: Header = serde_json::from_str(&first)
        .map_err(|e| anyhow!("line 1 is not an audit export's header: {e}"))?;
    if header.format != FORMAT || header.version != VERSION {
        bail!(
            "line 1: this is not a {FORMAT} of version {VERSION} (found {} {})",
            header.format,
            header.version
        );
    }
    let key = PublicKey::from_pem(&header.public_key_pem)
        .map_err(|e| anyhow!("line 1: the public key does not read: {e}"))?;
    let key_fingerprint = fingerprint(&header.public_key_pem)
        .ok_or_else(|| anyhow!("line 1: the public key is not PEM"))?;
    let mut previous = hex::decode(&header.previous_hash).context("line 1: previous_hash")?;
    let head_hash = hex::decode(&header.head_hash).context("line 1: head_hash")?;
    // A header that contradicts itself is refused, whoever signed it.
    if previous.len() != GENESIS.len() || head_hash.len() != GENESIS.len() {
        bail!("line 1: the hashes are not SHA-256");
    }
    if header.from < 1 || header.from > header.to || header.to > header.head_position {
        bail!(
            "line 1: the slice {} to {} is not within the log's 1 to {}",
            header.from,
            header.to,
            header.head_position
        );
    }
    if header.from == 1 && previous != GENESIS {
        bail!("line 1: a slice from the first change chains from zeros");
    }
    let mut expected = header.from;
    loop {
        // The signature line is not covered by the digest: read it apart.
        let before = digest.clone();
        let Some((number, line)) = next(&mut digest)? else {
            bail!("the signature line is missing: the file is truncated");
        };
        if let Ok(signature) = serde_json::from_str::<Signature>(&line) {
            if expected != header.to + 1 {
                bail!(
                    "line {number}: the signature comes after position {} but the slice ends at {}",
                    expected - 1,
                    header.to
                );
            }
            let bytes = base64_decode(&signature.signature)
                .ok_or_else(|| anyhow!("line {number}: the signature is not base64"))?;
            if signature.algorithm != "rsa-sha256"
                || !key.verifies(&signed_message(&before.finalize()), &bytes)
            {
                bail!("line {number}: the signature does not match: the file was changed after it was signed, or signed by another key");
            }
            if next(&mut Sha256::new())?.is_some() {
                bail!("line {}: something follows the signature", number + 1);
            }
            break;
        }
        let change: Change = serde_json::from_str(&line)
            .map_err(|e| anyhow!("line {number} is not a change of the log: {e}"))?;
        if change.position != expected {
            bail!(
                "line {number}: position {} where {expected} was expected: a change is missing or out of order",
                change.position
            );
        }
        let hash = link(&previous, &change.link());
        if hex::encode(hash) != change.hash {
            bail!(
                "line {number} (position {}): its content does not match its hash",
                change.position
            );
        }
        previous = hash.to_vec();
        expected += 1;
    }
    let reaches_head = header.to == header.head_position;
    if reaches_head && hex::encode(&previous) != header.head_hash {
        bail!("the last change's hash is not the head the header records");
    }
    Ok(Checked {
        instance: header.instance,
        from: header.from,
        to: header.to,
        key_id: header.key_id,
        key_fingerprint,
        reaches_head,
    })
}

/// SHA-256 (hex) of a PEM key's DER: the same key however its lines are broken.
pub fn fingerprint(pem: &str) -> Option<String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    let der = base64_decode(&body)?;
    (!der.is_empty()).then(|| hex::encode(Sha256::digest(&der)))
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// `convene audit export|check`.
pub async fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Export { from, to, output } => {
            let db =
                Database::open_existing(&settings.database_url, settings.database_timeout).await?;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&output)
                .with_context(|| format!("--output {}: give a new file", output.display()))?;
            let mut out = std::io::BufWriter::new(file);
            match export(&db, &settings.public_url, from, to, &mut out).await {
                Ok(done) => {
                    println!(
                        "{}: {} changes, positions {} to {}, signed with the instance key",
                        output.display(),
                        done.changes,
                        done.from,
                        done.to
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    // Nothing half-written is left behind.
                    drop(out);
                    let _ = std::fs::remove_file(&output);
                    Err(error)
                }
            }
        }
        AuditCommand::Key => {
            let db =
                Database::open_existing(&settings.database_url, settings.database_timeout).await?;
            let pair = keys::key_pair(&db, &KeyOwner::Instance).await?;
            let actor = convene_federation::actors::local::instance_actor_id(&settings.public_url);
            let fingerprint = fingerprint(&pair.public_pem)
                .ok_or_else(|| anyhow!("the instance key is not PEM"))?;
            println!("{fingerprint}  {}", keys::key_id(&actor));
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Check { file, key_sha256 } => {
            let opened = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let expected = key_sha256.map(|k| k.trim().to_ascii_lowercase());
            let outcome =
                check(&mut std::io::BufReader::new(opened)).and_then(|checked| match &expected {
                    Some(expected) if *expected != checked.key_fingerprint => bail!(
                        "signed by another key (SHA-256 {}) than the one expected ({expected})",
                        checked.key_fingerprint
                    ),
                    _ => Ok(checked),
                });
            match outcome {
                Ok(checked) => {
                    let key = if expected.is_some() {
                        "the expected key".to_string()
                    } else {
                        "the key the file carries: compare it with the instance's, or give \
                         --key-sha256"
                            .to_string()
                    };
                    println!(
                        "{}: intact — positions {} to {}{}, said to be of {} ({}); signed by {key}, SHA-256 {}",
                        file.display(),
                        checked.from,
                        checked.to,
                        if checked.reaches_head { ", up to its head then" } else { "" },
                        checked.instance,
                        checked.key_id,
                        checked.key_fingerprint
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!("{}: NOT intact: {error:#}", file.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
