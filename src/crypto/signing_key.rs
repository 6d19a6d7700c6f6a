//! One asymmetric signing key: generated, parsed once from PKCS#8, and used
//! to sign JWS compact serialisations.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::{
    rand::SystemRandom,
    signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
        RsaKeyPair,
    },
};
use serde_json::{Map, Value, json};

use super::SigningAlgorithm;

const RSA_BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("stored key material for {alg} is not a valid PKCS#8 key")]
    Parse { alg: SigningAlgorithm },
    #[error("signing failed")]
    Sign,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key plus what the world may know of it.
pub struct SigningKey {
    kid: String,
    alg: SigningAlgorithm,
    pair: Pair,
    public_jwk: Map<String, Value>,
    decoding_key: jsonwebtoken::DecodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Fresh PKCS#8 (DER) private key material for `alg`.
pub fn generate_pkcs8(alg: SigningAlgorithm) -> Result<Vec<u8>, KeyError> {
    let rng = SystemRandom::new();
    match alg {
        SigningAlgorithm::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map(|doc| doc.as_ref().to_vec())
                .map_err(|e| KeyError::Generate(e.to_string()))
        }
        SigningAlgorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|e| KeyError::Generate(e.to_string())),
        SigningAlgorithm::RS256 => {
            // ring cannot generate RSA keys; the `rsa` crate does only this,
            // never signing (RUSTSEC-2023-0071).
            use rsa::pkcs8::EncodePrivateKey;
            let mut rng = RingRng(rng);
            let key = rsa::PrivateKey::new(&mut rng, RSA_BITS)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let der = key
                .to_pkcs8_der()
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            Ok(der.as_bytes().to_vec())
        }
    }
}

impl SigningKey {
    pub fn from_pkcs8(alg: SigningAlgorithm, pkcs8: &[u8]) -> Result<Self, KeyError> {
        let parse_error = || KeyError::Parse { alg };
        let (pair, public_jwk, decoding_key) = match alg {
            SigningAlgorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| parse_error())?;
                let public =
                    ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                let (n, e) = (public.n.as_slice(), public.e.as_slice());
                let jwk = json!({"kty": "RSA", "n": b64(n), "e": b64(e)});
                let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(n, e);
                (Pair::Rsa(pair), jwk, decoding)
            }
            SigningAlgorithm::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(|_| parse_error())?;
                // Uncompressed point: 0x04 ‖ x ‖ y.
                let point = pair.public_key().as_ref();
                if point.len() != 65 {
                    return Err(parse_error());
                }
                let (x, y) = (b64(&point[1..33]), b64(&point[33..]));
                let decoding = jsonwebtoken::DecodingKey::from_ec_components(&x, &y)
                    .map_err(|_| parse_error())?;
                let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
                (Pair::Ec(pair), jwk, decoding)
            }
            SigningAlgorithm::EdDSA => {
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| parse_error())?;
                let x = b64(pair.public_key().as_ref());
                let decoding =
                    jsonwebtoken::DecodingKey::from_ed_components(&x).map_err(|_| parse_error())?;
                let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
                (Pair::Ed(pair), jwk, decoding)
            }
        };
        let Value::Object(mut public_jwk) = public_jwk else {
            return Err(parse_error());
        };
        let kid = thumbprint(&public_jwk);
        public_jwk.insert("kid".into(), Value::String(kid.clone()));
        public_jwk.insert("use".into(), Value::String("sig".into()));
        public_jwk.insert("alg".into(), Value::String(alg.as_str().into()));
        Ok(Self {
            kid,
            alg,
            pair,
            public_jwk,
            decoding_key,
        })
    }

    /// A brand-new key that is stored nowhere (for tools and tests that
    /// need a key this issuer does not publish).
    pub fn generate(alg: SigningAlgorithm) -> Result<Self, KeyError> {
        Self::from_pkcs8(alg, &generate_pkcs8(alg)?)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// The public JWK: `kty`, `kid`, `use`, `alg` and the public parameters.
    pub fn public_jwk(&self) -> &Map<String, Value> {
        &self.public_jwk
    }

    /// The public half, parsed once, for verifying our own tokens.
    pub fn decoding_key(&self) -> &jsonwebtoken::DecodingKey {
        &self.decoding_key
    }

    /// Signs `payload` as a JWS compact serialisation with header
    /// `{"alg", "kid", "typ"}`.
    pub fn sign_jwt(&self, typ: &str, payload: &impl serde::Serialize) -> Result<String, KeyError> {
        let header = json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": typ});
        let header = serde_json::to_vec(&header).map_err(|_| KeyError::Sign)?;
        let payload = serde_json::to_vec(payload).map_err(|_| KeyError::Sign)?;
        let mut token = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 400);
        URL_SAFE_NO_PAD.encode_string(header, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| KeyError::Sign)?;
                Ok(signature)
            }
            Pair::Ec(pair) => pair
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7638 JWK thumbprint: SHA-256 over the required members in
/// lexicographic order, so the same key always gets the same `kid`.
fn thumbprint(jwk: &Map<String, Value>) -> String {
    let required: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    // serde_json's Map is a BTreeMap here (no preserve_order), so the
    // members serialise sorted.
    let members: Map<String, Value> = required
        .iter()
        .filter_map(|name| jwk.get(*name).map(|v| ((*name).to_owned(), v.clone())))
        .collect();
    let canonical = Value::Object(members).to_string();
    b64(&super::random::sha256(canonical.as_bytes()))
}

/// Adapts ring's system RNG to the `rand_core` traits the `rsa` crate takes.
struct RingRng(SystemRandom);

impl rsa::rand_core::TryRng for RingRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        use ring::rand::SecureRandom;
        if self.0.fill(dst).is_err() {
            // No entropy from the OS: nothing safe can continue.
            std::process::abort();
        }
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for RingRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_parses_and_has_a_stable_kid() {
        for alg in SigningAlgorithm::ALL {
            let pkcs8 = generate_pkcs8(alg).unwrap();
            let a = SigningKey::from_pkcs8(alg, &pkcs8).unwrap();
            let b = SigningKey::from_pkcs8(alg, &pkcs8).unwrap();
            assert_eq!(a.kid(), b.kid());
            let jwk = a.public_jwk();
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(!jwk.contains_key(private), "{alg}: {private} leaked");
            }
            assert!(!format!("{a:?}").contains("pair"));
        }
    }
}
