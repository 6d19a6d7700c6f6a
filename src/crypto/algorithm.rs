use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// The JWS algorithms Gatehouse signs with. Anything else (`none`, HS*) is
/// unrepresentable, which is the algorithm allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 3] = [Self::RS256, Self::ES256, Self::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    pub fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::ES256 => jsonwebtoken::Algorithm::ES256,
            Self::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The digest that OIDC's `at_hash`/`c_hash` take the left half of: the
    /// hash inside the signing algorithm (SHA-512 for Ed25519).
    pub fn half_hash(self, data: &[u8]) -> Vec<u8> {
        let digest = match self {
            Self::RS256 | Self::ES256 => ring::digest::digest(&ring::digest::SHA256, data),
            Self::EdDSA => ring::digest::digest(&ring::digest::SHA512, data),
        };
        let bytes = digest.as_ref();
        bytes[..bytes.len() / 2].to_vec()
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: tables (`keys list`) align it with `{:<6}`.
        f.pad(self.as_str())
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RS256" => Ok(Self::RS256),
            "ES256" => Ok(Self::ES256),
            "EdDSA" => Ok(Self::EdDSA),
            other => Err(format!(
                "unsupported signing algorithm {other:?} (use RS256, ES256 or EdDSA)"
            )),
        }
    }
}
