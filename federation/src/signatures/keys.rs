//! RSA keys in the PEM forms the fediverse publishes: a private key as PKCS#8
//! (`-----BEGIN PRIVATE KEY-----`), a public key as SPKI (`-----BEGIN PUBLIC KEY-----`, what
//! Mastodon and Mobilizon put in `publicKey.publicKeyPem`) or, from older software, PKCS#1
//! (`-----BEGIN RSA PUBLIC KEY-----`).

use base64::Engine;
use pkcs1::der::Decode;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use std::sync::Arc;

/// The smallest RSA modulus accepted, in bits: ring refuses smaller ones, and so do we.
pub const MIN_RSA_BITS: usize = 2048;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM document")]
    NotPem,
    #[error("a PEM {found:?} where {expected} was expected")]
    WrongLabel {
        found: String,
        expected: &'static str,
    },
    #[error("the PEM body is not base64")]
    Base64,
    #[error("the key's structure does not parse")]
    Der,
    #[error("not an RSA key")]
    NotRsa,
    #[error("an RSA key of {0} bits, below the {MIN_RSA_BITS} accepted")]
    TooSmall(usize),
    #[error("the RSA key is refused: {0}")]
    Rejected(String),
}

/// A private key that signs (RSA, PKCS#1 v1.5, SHA-256).
#[derive(Clone)]
pub struct PrivateKey {
    pair: Arc<RsaKeyPair>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("PrivateKey(..)")
    }
}

impl PrivateKey {
    /// Reads a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(pem)?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::WrongLabel {
                found: label,
                expected: "PRIVATE KEY",
            });
        }
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|e| match e.to_string().as_str() {
            "InvalidEncoding" => KeyError::Der,
            "WrongAlgorithm" => KeyError::NotRsa,
            other => KeyError::Rejected(other.to_string()),
        })?;
        Ok(PrivateKey {
            pair: Arc::new(pair),
        })
    }

    /// Signs `message`; RSA PKCS#1 v1.5 signatures are deterministic.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        // ring fails only when the system's random source does (blinding): nothing a caller
        // can act on, and nothing can be signed without it.
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("the system random source works");
        signature
    }
}

/// A public key that verifies RSA PKCS#1 v1.5 SHA-256 signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The PKCS#1 `RSAPublicKey` DER, which is what ring reads.
    rsa_der: Vec<u8>,
    bits: usize,
}

impl PublicKey {
    /// Reads an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM public key of at least
    /// [`MIN_RSA_BITS`] bits.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(pem)?;
        let rsa_der = match label.as_str() {
            "PUBLIC KEY" => {
                let info = spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
                    .map_err(|_| KeyError::Der)?;
                if info.algorithm.oid != RSA_ENCRYPTION {
                    return Err(KeyError::NotRsa);
                }
                info.subject_public_key
                    .as_bytes()
                    .ok_or(KeyError::Der)?
                    .to_vec()
            }
            "RSA PUBLIC KEY" => der,
            _ => {
                return Err(KeyError::WrongLabel {
                    found: label,
                    expected: "PUBLIC KEY",
                })
            }
        };
        let key = pkcs1::RsaPublicKey::from_der(&rsa_der).map_err(|_| KeyError::Der)?;
        let bits = bit_length(key.modulus.as_bytes());
        if bits < MIN_RSA_BITS {
            return Err(KeyError::TooSmall(bits));
        }
        Ok(PublicKey { rsa_der, bits })
    }

    /// The modulus's length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rsa_der)
            .verify(message, signature)
            .is_ok()
    }
}

/// rsaEncryption, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

fn bit_length(big_endian: &[u8]) -> usize {
    let digits = match big_endian.iter().position(|b| *b != 0) {
        Some(first) => &big_endian[first..],
        None => return 0,
    };
    digits.len() * 8 - digits[0].leading_zeros() as usize
}

/// The label and bytes of the first PEM block in `text`. Lenient on what peers vary: line
/// lengths, CRLF, surrounding whitespace.
fn decode_pem(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    let start = text.find("-----BEGIN ").ok_or(KeyError::NotPem)?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----").ok_or(KeyError::NotPem)?;
    let end_marker = format!("-----END {label}-----");
    let (body, _) = rest.split_once(&end_marker).ok_or(KeyError::NotPem)?;
    let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| KeyError::Base64)?;
    Ok((label.to_string(), der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn not_pem_is_refused() {
        assert_eq!(PublicKey::from_pem("hello"), Err(KeyError::NotPem));
        assert_eq!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"),
            Err(KeyError::Base64)
        );
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            Err(KeyError::WrongLabel { .. })
        ));
    }
}
