//! Authorization responses: parameters appended to the client's verified
//! redirect URI, always with `iss` (RFC 9207).

use url::Url;

use super::OAuthError;

fn with_params(redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    // The URI was validated at registration and matched on this request.
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
    }
    url.into()
}

pub fn success(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    with_params(
        redirect_uri,
        &[
            ("code", Some(code)),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    )
}

pub fn error(redirect_uri: &str, error: &OAuthError, state: Option<&str>, issuer: &str) -> String {
    with_params(
        redirect_uri,
        &[
            ("error", Some(error.code.as_str())),
            ("error_description", Some(&error.description)),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    )
}
