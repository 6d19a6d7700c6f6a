//! Client authentication at the token endpoint (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post`, or `none` for public
//! clients. Secrets are 256-bit random values compared by SHA-256 in
//! constant time — a slow hash would add nothing but latency.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD};

use super::{OAuthClient, OAuthError, client_registration::secret_matches, params::Params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Basic,
    Post,
    None,
}

#[derive(Debug, Clone)]
pub struct Presented {
    pub client_id: String,
    pub secret: Option<String>,
    pub method: Method,
}

/// Reads the credentials from the `Authorization` header or the body;
/// using both at once is an error (RFC 6749 §2.3).
pub fn presented(authorization: Option<&str>, params: &Params) -> Result<Presented, OAuthError> {
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    if let Some(header) = authorization {
        let Some(encoded) = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))
        else {
            return Err(OAuthError::invalid_client(
                "unsupported Authorization scheme",
            ));
        };
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
        // Both halves are form-urlencoded before base64 (RFC 6749 §2.3.1).
        let id = form_decode(id)?;
        let secret = form_decode(secret)?;
        if body_id.is_some_and(|body| body != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the Authorization header",
            ));
        }
        return Ok(Presented {
            client_id: id,
            secret: Some(secret),
            method: Method::Basic,
        });
    }
    let Some(client_id) = body_id else {
        return Err(OAuthError::invalid_client(
            "client authentication is required",
        ));
    };
    Ok(match body_secret {
        Some(secret) => Presented {
            client_id: client_id.to_owned(),
            secret: Some(secret.to_owned()),
            method: Method::Post,
        },
        None => Presented {
            client_id: client_id.to_owned(),
            secret: None,
            method: Method::None,
        },
    })
}

fn form_decode(value: &str) -> Result<String, OAuthError> {
    let plus_as_space = value.replace('+', " ");
    url::form_urlencoded::parse(
        format!(
            "x={}",
            plus_as_space.replace('&', "%26").replace('=', "%3D")
        )
        .as_bytes(),
    )
    .next()
    .map(|(_, v)| v.into_owned())
    .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))
}

/// Checks the credentials against the registered client.
pub fn authenticate(
    client: Option<Arc<OAuthClient>>,
    presented: &Presented,
) -> Result<Arc<OAuthClient>, OAuthError> {
    let failure = || OAuthError::invalid_client("client authentication failed");
    let Some(client) = client.filter(|c| !c.disabled) else {
        // Spend the same comparison on unknown clients.
        let _ = secret_matches(presented.secret.as_deref().unwrap_or_default(), "");
        return Err(failure());
    };
    match (&client.secret_hash, &presented.secret) {
        (Some(hash), Some(secret)) if secret_matches(secret, hash) => Ok(client),
        (None, None) if client.is_public => Ok(client),
        _ => Err(failure()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%3Aapp:s%2Bcret"));
        let p = presented(Some(&header), &Params::default()).unwrap();
        assert_eq!(p.client_id, "my:app");
        assert_eq!(p.secret.as_deref(), Some("s+cret"));
        assert_eq!(p.method, Method::Basic);
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let header = format!("Basic {}", STANDARD.encode("a:b"));
        let params = Params::parse(b"client_secret=x");
        assert!(presented(Some(&header), &params).is_err());
    }
}

/// Property tests (issue 10): no `Authorization` header panics the parser,
/// and any client id and secret survive Basic encoding (form-encoded, then
/// base64, RFC 6749 §2.3.1).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn form_encode(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_header_panics(header in any::<String>()) {
            let _ = presented(Some(&header), &Params::default());
            let _ = presented(Some(&format!("Basic {header}")), &Params::default());
        }

        #[test]
        fn no_decoded_bytes_panic(raw in prop::collection::vec(any::<u8>(), 0..200)) {
            let header = format!("Basic {}", STANDARD.encode(&raw));
            let result = presented(Some(&header), &Params::default());
            if !raw.contains(&b':') {
                prop_assert!(result.is_err());
            }
        }

        #[test]
        fn basic_credentials_round_trip(id in any::<String>(), secret in any::<String>()) {
            let encoded = STANDARD.encode(format!("{}:{}", form_encode(&id), form_encode(&secret)));
            for scheme in ["Basic", "basic"] {
                let p = presented(Some(&format!("{scheme} {encoded}")), &Params::default()).unwrap();
                prop_assert_eq!(&p.client_id, &id);
                prop_assert_eq!(p.secret.as_deref(), Some(secret.as_str()));
                prop_assert_eq!(p.method, Method::Basic);
            }
        }

        #[test]
        fn body_credentials_are_taken_as_sent(id in "[^\\x00]{1,40}", secret in proptest::option::of("[^\\x00]{1,40}")) {
            let mut pairs = vec![("client_id", id.clone())];
            if let Some(secret) = &secret {
                pairs.push(("client_secret", secret.clone()));
            }
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let p = presented(None, &Params::parse(body.as_bytes())).unwrap();
            prop_assert_eq!(&p.client_id, &id);
            prop_assert_eq!(&p.secret, &secret);
            let method = if secret.is_some() { Method::Post } else { Method::None };
            prop_assert_eq!(p.method, method);
        }
    }
}
