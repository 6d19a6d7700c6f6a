//! The whole sign-in as a real relying party sees it, with the
//! `openidconnect` crate: discovery, an authorization URL with PKCE and a
//! nonce, login and consent in a cookie-keeping browser, the code exchange,
//! the ID token verified against the JWKS, and userinfo.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use openidconnect::{
    AccessTokenHash, AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, JsonWebKey, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl,
    Scope, TokenResponse,
    core::{
        CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
        CoreUserInfoClaims,
    },
};

use super::flow::{self, REDIRECT_URI, param};
use crate::helpers::TestApp;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Basic,
    Post,
    Public,
}

/// What a relying party ends up knowing.
struct Outcome {
    app: TestApp,
    sub: String,
    id_token_alg: CoreJwsSigningAlgorithm,
    id_token_header_alg: String,
    access_token: String,
}

fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn relying_party_flow(kind: Kind, client_extra: &[&str]) -> Outcome {
    let app = TestApp::spawn().await;
    let sub = flow::add_alice(&app);
    let secret = match kind {
        Kind::Public => {
            app.add_client("app", &[&["--public"], client_extra].concat());
            None
        }
        Kind::Basic | Kind::Post => Some(app.add_client("app", client_extra)),
    };

    let http = http_client();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http)
            .await
            .unwrap_or_else(|e| panic!("discovery failed: {e:?}"));
    assert_eq!(metadata.issuer().as_str(), app.issuer);
    let jwks = metadata.jwks().clone();
    let mut client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("app".into()),
        secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    if kind == Kind::Post {
        client = client.set_auth_type(AuthType::RequestBody);
    }

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The person: login and consent pages, in a browser of their own.
    let browser = flow::browser();
    let callback = flow::sign_in_at(&app, &browser, authorize_url.as_str(), "alice").await;
    assert!(callback.as_str().starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(
        param(&callback, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(
        param(&callback, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
    let code = param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"));

    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange failed: {e:?}"));
    assert_eq!(
        token.token_type(),
        &openidconnect::core::CoreTokenType::Bearer
    );
    assert!(token.expires_in().is_some_and(|d| d.as_secs() > 0));

    let id_token = token.id_token().expect("no ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .unwrap_or_else(|e| panic!("the ID token does not verify: {e:?}"));
    assert_eq!(claims.subject().as_str(), sub);
    assert_eq!(claims.issuer().as_str(), app.issuer);
    assert_eq!(
        claims
            .audiences()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        vec!["app"]
    );
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );
    assert_eq!(claims.email_verified(), Some(false));
    assert_eq!(
        claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some("Alice Liddell")
    );
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("alice")
    );
    assert!(claims.updated_at().is_some(), "updated_at must be a number");
    assert!(claims.auth_time().is_some());

    // at_hash, recomputed by the library with the ID token's own key.
    let alg = id_token.signing_alg().unwrap().clone();
    let key = id_token.signing_key(&verifier).unwrap();
    let expected = AccessTokenHash::from_token(token.access_token(), &alg, key).unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected));

    // The access token verifies against the published JWKS too (ES256).
    let access_token = token.access_token().secret().clone();
    let (header, _) = flow::jwt_parts(&access_token);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
    let kid = header["kid"].as_str().expect("access token without kid");
    let signing_key = jwks
        .keys()
        .iter()
        .find(|k| k.key_id().map(|id| id.as_str()) == Some(kid))
        .unwrap_or_else(|| panic!("kid {kid} is not in the JWKS"));
    let (message, signature) = access_token.rsplit_once('.').unwrap();
    signing_key
        .verify_signature(
            &CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            message.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).unwrap(),
        )
        .unwrap_or_else(|e| panic!("the access token does not verify: {e:?}"));

    let userinfo: CoreUserInfoClaims = client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo failed: {e:?}"));
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );

    let id_token_header_alg = flow::jwt_parts(&id_token.to_string()).0["alg"]
        .as_str()
        .unwrap()
        .to_owned();
    Outcome {
        app,
        sub,
        id_token_alg: alg,
        id_token_header_alg,
        access_token,
    }
}

#[tokio::test]
async fn a_confidential_client_signs_in_with_client_secret_basic() {
    let outcome = relying_party_flow(Kind::Basic, &[]).await;
    // RS256 is every client's default.
    assert_eq!(
        outcome.id_token_alg,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
    );
    assert_eq!(outcome.id_token_header_alg, "RS256");
}

#[tokio::test]
async fn a_confidential_client_signs_in_with_client_secret_post() {
    let outcome = relying_party_flow(Kind::Post, &[]).await;
    assert_eq!(outcome.id_token_header_alg, "RS256");
    // The access token is good at userinfo for the same user.
    let response = flow::userinfo(&outcome.app, &outcome.access_token).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["sub"], outcome.sub.as_str());
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_no_secret() {
    let outcome = relying_party_flow(Kind::Public, &[]).await;
    assert_eq!(outcome.id_token_header_alg, "RS256");
}

#[tokio::test]
async fn a_client_with_eddsa_id_tokens_verifies_them_and_their_sha512_at_hash() {
    let outcome = relying_party_flow(Kind::Basic, &["--id-token-alg", "EdDSA"]).await;
    assert_eq!(outcome.id_token_alg, CoreJwsSigningAlgorithm::EdDsa);
    assert_eq!(outcome.id_token_header_alg, "EdDSA");
}

#[tokio::test]
async fn a_client_with_es256_id_tokens_verifies_them() {
    let outcome = relying_party_flow(Kind::Public, &["--id-token-alg", "ES256"]).await;
    assert_eq!(
        outcome.id_token_alg,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256
    );
}
