//! Password hashing on a bounded pool.
//!
//! argon2id with its default parameters fills 19 MiB per run on purpose. Run freely, every
//! concurrent login, registration or password change would hold its own 19 MiB, and a burst of
//! logins would grow the server by gigabytes. So at most `workers` hashes run at once, on
//! blocking threads (never on the threads answering requests), each in a memory block of its
//! own that is allocated once and reused; at most `queue` more wait for a worker, and past that
//! the request is refused at once with [`Error::Busy`] (503 with `Retry-After`). The memory
//! hashing holds is then `workers` × 19 MiB, whatever the number of requests.

use crate::error::Error;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How many hashes run at once, and how many may wait.
#[derive(Debug, Clone, Copy)]
pub struct HashingLimits {
    /// Hashes running at once (each holds [`MEMORY_PER_HASH`] bytes).
    pub workers: usize,
    /// Hashes waiting for a worker; one more is refused with 503.
    pub queue: usize,
}

impl Default for HashingLimits {
    /// One worker per core (a hash keeps a core busy, more would only share it) and 64 waiting:
    /// at about 50 ms a hash on a small machine, the last in line waits under two seconds.
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue: 64,
        }
    }
}

/// The memory one hash fills: argon2id's default cost, 19 MiB.
pub const MEMORY_PER_HASH: usize = Params::DEFAULT_M_COST as usize * 1024;

/// How long a client refused for a full queue is asked to wait.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The pool. Share it in an `Arc`.
pub struct Hasher {
    limits: HashingLimits,
    /// One permit per hash admitted, running or waiting.
    admitted: Arc<Semaphore>,
    /// One permit per hash running.
    running: Arc<Semaphore>,
    /// The workers' memory blocks, kept between hashes (never more than `workers` of them).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Hasher {
    pub fn new(limits: HashingLimits) -> Self {
        let limits = HashingLimits {
            workers: limits.workers.max(1),
            queue: limits.queue,
        };
        Self {
            limits,
            admitted: Arc::new(Semaphore::new(limits.workers + limits.queue)),
            running: Arc::new(Semaphore::new(limits.workers)),
            memory: Arc::default(),
        }
    }

    pub fn limits(&self) -> HashingLimits {
        self.limits
    }

    /// The most memory the pool ever holds for hashing, in bytes.
    pub fn memory_ceiling(&self) -> usize {
        self.limits.workers * MEMORY_PER_HASH
    }

    /// An argon2id hash of `password`, in the PHC string format.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        self.run(move |memory| hash_with(memory, password.as_bytes()))
            .await?
            .map_err(Error::internal)
    }

    /// Whether `password` matches `hash` (false for a hash that cannot be read).
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, Error> {
        self.run(move |memory| verify_with(memory, password.as_bytes(), &hash))
            .await
    }

    /// Runs `job` on a blocking thread once a worker is free, with a worker's memory.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy {
                retry_after: RETRY_AFTER,
            })?;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        let pool = self.memory.clone();
        // The permits go with the job: should the request be dropped meanwhile, the hash still
        // counts until it has finished.
        tokio::task::spawn_blocking(move || {
            let mut memory = pool
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default();
            let result = job(&mut memory);
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(memory);
            drop((running, admitted));
            result
        })
        .await
        .map_err(Error::internal)
    }
}

fn argon2(params: Params, algorithm: Algorithm, version: Version) -> Argon2<'static> {
    Argon2::new(algorithm, version, params)
}

/// Hashes with argon2id's default parameters in `memory` (grown to size the first time).
fn hash_with(memory: &mut Vec<Block>, password: &[u8]) -> Result<String, password_hash::Error> {
    let params = Params::default();
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes)?;
    memory.resize(params.block_count(), Block::new());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2(params.clone(), Algorithm::Argon2id, Version::V0x13).hash_password_into_with_memory(
        password,
        raw_salt,
        &mut out,
        &mut memory[..],
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a PHC string, recomputing it in `memory`. Hashes asking for more
/// memory than the default are refused, so a stored hash cannot raise the ceiling.
fn verify_with(memory: &mut Vec<Block>, password: &[u8], hash: &str) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        if params.m_cost() > Params::DEFAULT_M_COST {
            return None;
        }
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .ok()?;
        let expected = parsed.hash?;
        let mut salt_bytes = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let mut out = vec![0u8; expected.len()];
        argon2(params, algorithm, version)
            .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
            .ok()?;
        // Output compares in constant time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify_both_ways() -> Result<(), Error> {
        let hasher = Hasher::new(HashingLimits::default());
        let hash = hasher.hash("correct horse battery".into()).await?;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery".into(), hash.clone())
                .await?
        );
        assert!(
            !hasher
                .verify("wrong horse battery".into(), hash.clone())
                .await?
        );
        assert!(
            !hasher
                .verify("correct horse battery".into(), "nonsense".into())
                .await?
        );
        // The argon2 crate reads ours, and we read its own (hashes stored before the pool).
        let parsed = PasswordHash::new(&hash).map_err(Error::internal)?;
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        let theirs = {
            use argon2::password_hash::PasswordHasher;
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::default()
                .hash_password(b"older password", &salt)
                .map_err(Error::internal)?
                .to_string()
        };
        assert!(hasher.verify("older password".into(), theirs).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_the_pool_keeps_its_memory() -> Result<(), Error> {
        let hasher = Arc::new(Hasher::new(HashingLimits {
            workers: 1,
            queue: 1,
        }));
        assert_eq!(hasher.memory_ceiling(), 19 * 1024 * 1024);
        let tries: Vec<_> = (0..6)
            .map(|n| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(format!("password {n}")).await })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for attempt in tries {
            match attempt.await.map_err(Error::internal)? {
                Ok(_) => done += 1,
                Err(Error::Busy { retry_after }) => {
                    assert_eq!(retry_after, Duration::from_secs(1));
                    busy += 1;
                }
                Err(other) => return Err(other),
            }
        }
        assert!(done >= 2, "one running and one waiting are served");
        assert_eq!(done + busy, 6);
        assert!(busy >= 1, "the rest are refused");
        let kept = hasher.memory.lock().map(|m| m.len()).unwrap_or(0);
        assert_eq!(kept, 1, "one worker, one block of memory");
        Ok(())
    }
}
