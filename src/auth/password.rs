//! Django's PBKDF2 password hasher: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`.
//!
//! Users of the legacy database log in unchanged, and users created here log in there. The
//! iteration count of each stored hash is honoured. PBKDF2 comes from `ring` (the TLS stack's
//! crypto library, already in the build), fast even in debug builds. Hashing is deliberately slow (10^6 rounds),
//! so callers run it on the blocking pool (`verify_blocking`, `make_blocking`).

use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use ring::pbkdf2::{PBKDF2_HMAC_SHA256, derive as ring_derive, verify as ring_verify};

const ALGORITHM: &str = "pbkdf2_sha256";
const SALT_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Whether `password` matches the Django-encoded `encoded` hash. Unusable passwords (`!...`),
/// other algorithms and malformed hashes never match.
pub fn verify(password: &str, encoded: &str) -> bool {
    let mut parts = encoded.splitn(4, '$');
    let (Some(alg), Some(iterations), Some(salt), Some(hash)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if alg != ALGORITHM {
        return false;
    }
    let Some(iterations) = iterations
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 100_000_000)
        .and_then(NonZeroU32::new)
    else {
        return false;
    };
    let Ok(expected) = STANDARD.decode(hash) else {
        return false;
    };
    // constant-time comparison inside ring
    ring_verify(
        PBKDF2_HMAC_SHA256,
        iterations,
        salt.as_bytes(),
        password.as_bytes(),
        &expected,
    )
    .is_ok()
}

/// A new Django-format hash of `password` with a random 22-character salt.
pub fn make(password: &str, iterations: u32) -> String {
    let mut rng = rand::rng();
    let salt: String = (0..22)
        .map(|_| SALT_CHARS[rng.random_range(0..SALT_CHARS.len())] as char)
        .collect();
    let hash = STANDARD.encode(derive(password, &salt, iterations));
    format!("{ALGORITHM}${iterations}${salt}${hash}")
}

/// Spends the same time as verifying against a hash of `iterations` rounds, so that an unknown
/// username answers as slowly as a wrong password.
pub fn burn(password: &str, iterations: u32) {
    let _ = derive(password, "timing-equaliser", iterations);
}

fn derive(password: &str, salt: &str, iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    let rounds = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    ring_derive(
        PBKDF2_HMAC_SHA256,
        rounds,
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    out
}

/// `verify` on the blocking pool.
pub async fn verify_blocking(password: String, encoded: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &encoded))
        .await
        .unwrap_or(false)
}

/// `make` on the blocking pool.
pub async fn make_blocking(password: String, iterations: u32) -> String {
    tokio::task::spawn_blocking(move || make(&password, iterations))
        .await
        .expect("password hashing task panicked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_made_hashes_verify() {
        assert!(verify(
            "inventory-hub-2025",
            "pbkdf2_sha256$1000000$fV4dqUu6bIjQgsWBLYhVV2$VGOZbGEWrtjRWzi8QGy/RvRPsumnSlMDHlUzWKpbWy0="
        ));
        assert!(verify(
            "admin12345",
            "pbkdf2_sha256$870000$ZkzyoqNRiAQ3J6Tq8hbYBE$bUr/OSYFy9KGKgdZ1O+HSo/fnZ2/gTSnpwP8U9h7UN0="
        ));
    }

    #[test]
    fn wrong_passwords_and_odd_hashes_do_not() {
        assert!(!verify(
            "admin1234",
            "pbkdf2_sha256$870000$ZkzyoqNRiAQ3J6Tq8hbYBE$bUr/OSYFy9KGKgdZ1O+HSo/fnZ2/gTSnpwP8U9h7UN0="
        ));
        assert!(!verify("x", "!unusable"));
        assert!(!verify("x", "md5$1$a$b"));
        assert!(!verify("x", "pbkdf2_sha256$abc$salt$hash"));
        assert!(!verify("x", ""));
    }

    #[test]
    fn made_hashes_verify_and_are_django_shaped() {
        let h = make("s3cret", 1000);
        assert!(h.starts_with("pbkdf2_sha256$1000$"));
        let salt = h.split('$').nth(2).unwrap();
        assert_eq!(salt.len(), 22);
        assert!(verify("s3cret", &h));
        assert!(!verify("s3cret!", &h));
    }
}
