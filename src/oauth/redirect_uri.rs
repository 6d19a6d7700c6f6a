//! Registered redirect URIs: parsed once, compared by exact string.

use url::Url;

use crate::config::{is_loopback_host, parse_absolute_url};

/// A redirect URI fit for registration: absolute, no fragment, and https
/// unless the host is loopback (RFC 8252 native apps) or the scheme is a
/// private-use one (`com.example.app:/cb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(input: &str) -> Result<Self, String> {
        let url = parse_absolute_url(input).map_err(|e| format!("redirect URI {input:?} {e}"))?;
        if url.fragment().is_some() || input.contains('#') {
            return Err(format!(
                "redirect URI {input:?} must not contain a fragment"
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(&url) => {}
            "http" => {
                return Err(format!(
                    "redirect URI {input:?}: plain http is allowed only for loopback hosts"
                ));
            }
            "javascript" | "data" | "file" | "vbscript" => {
                return Err(format!("redirect URI {input:?}: scheme not allowed"));
            }
            // Private-use schemes must look like reverse domain names.
            scheme if scheme.contains('.') => {}
            scheme => {
                return Err(format!(
                    "redirect URI {input:?}: scheme {scheme:?} is not allowed (use https, loopback http, or a reverse-domain scheme)"
                ));
            }
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `requested` may be used for this registration: an exact
    /// string match, or — for public clients — the same loopback IP URI on
    /// another port (RFC 8252 §7.3: the port is chosen at run time).
    pub fn matches(&self, requested: &str, is_public_client: bool) -> bool {
        if self.0 == requested {
            return true;
        }
        if !is_public_client {
            return false;
        }
        let (Ok(registered), Ok(requested)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        let loopback_ip = |url: &Url| {
            url.scheme() == "http"
                && match url.host() {
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    _ => false,
                }
        };
        if !loopback_ip(&registered) || !loopback_ip(&requested) {
            return false;
        }
        let mut without_port = requested.clone();
        let _ = without_port.set_port(registered.port());
        without_port.as_str() == registered.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(RedirectUri::parse("https://app.example.com/cb").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:3000/cb").is_ok());
        assert!(RedirectUri::parse("http://app.example.com/cb").is_err());
        assert!(RedirectUri::parse("https://app.example.com/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("not a uri").is_err());
    }

    #[test]
    fn matching_is_exact_except_loopback_ports_for_public_clients() {
        let uri = RedirectUri::parse("http://127.0.0.1:3000/cb").unwrap();
        assert!(uri.matches("http://127.0.0.1:3000/cb", false));
        assert!(!uri.matches("http://127.0.0.1:4000/cb", false));
        assert!(uri.matches("http://127.0.0.1:4000/cb", true));
        assert!(!uri.matches("http://127.0.0.1:4000/cb/x", true));
        let https = RedirectUri::parse("https://app.example.com/cb").unwrap();
        assert!(!https.matches("https://app.example.com/cb/", true));
        assert!(!https.matches("https://app.example.com/cb?x=1", true));
    }
}
