//! `/admin/api/v1/keys` and `/admin/api/v1/audit`: rotation as JWKS and
//! token signatures show it, retirement and revocation, and the audit log's
//! filters and actors.

use gatehouse::clock::Clock;
use serde_json::{Value, json};

use super::{Api, OPS, add_console, add_service_account, jwt_header, service_token, user_token};
use crate::helpers::TestApp;

const ALGS: [&str; 3] = ["EdDSA", "ES256", "RS256"];

fn keys_of<'a>(keys: &'a Value, alg: &str) -> Vec<&'a Value> {
    keys.as_array()
        .unwrap_or_else(|| panic!("not a list: {keys}"))
        .iter()
        .filter(|k| k["alg"] == alg)
        .collect()
}

fn key<'a>(keys: &'a Value, kid: &str) -> &'a Value {
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("no key {kid}: {keys}"))
}

/// Re-reads the signing keys now, as the server does every 30 s.
fn refresh_keys(app: &TestApp) {
    let now = app.clock.now();
    let keys = app.state.keys.clone();
    app.db(move |conn| Ok(keys.refresh(conn, now))).unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_published_first_and_signs_later() {
    let app = TestApp::spawn().await;
    let secret = add_service_account(&app, OPS, &["admin"]);
    let admin = Api::new(&app, service_token(&app, OPS, &secret).await);
    let start = app.clock.now();

    let keys = admin.get("/keys").await.expect(200).clone();
    for alg in ALGS {
        let of_alg = keys_of(&keys, alg);
        assert_eq!(of_alg.len(), 1, "{alg}: {keys}");
        assert_eq!(of_alg[0]["state"], "active", "{keys}");
        assert_eq!(of_alg[0]["retired_at"], Value::Null);
        assert!(of_alg[0]["activates_at"].as_i64().unwrap() <= start);
    }
    let old = keys_of(&keys, "ES256")[0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(jwt_header(&admin.token)["kid"], old.as_str());
    let published_before = app.published_kids().await;
    assert_eq!(published_before.len(), 3);

    let rotated = admin
        .post("/keys/rotate", json!({"alg": "ES256"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(admin.get("/keys").await.expect(200), &rotated);
    let es256 = keys_of(&rotated, "ES256");
    assert_eq!(es256.len(), 2, "{rotated}");
    let new = es256.iter().find(|k| k["kid"] != old.as_str()).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    // Published ahead by the JWKS cache lifetime; the old key signs until then.
    let ahead = i64::try_from(app.state.settings.keys.jwks_max_age_secs).unwrap();
    assert_eq!(
        key(&rotated, &new),
        &json!({
            "kid": new,
            "alg": "ES256",
            "state": "pending",
            "created_at": start,
            "activates_at": start + ahead,
            "retired_at": null,
            "revoked_at": null,
        })
    );
    assert_eq!(key(&rotated, &old)["state"], "active");
    assert_eq!(key(&rotated, &old)["retired_at"], start + ahead);
    for alg in ["EdDSA", "RS256"] {
        assert_eq!(keys_of(&rotated, alg).len(), 1, "only ES256 rotated");
    }
    let published = app.published_kids().await;
    assert!(published.contains(&new), "{published:?}");
    assert!(published.contains(&old), "{published:?}");
    let token = service_token(&app, OPS, &secret).await;
    assert_eq!(jwt_header(&token)["kid"], old.as_str());

    // Once active, it signs; the old key stays published for the tokens it
    // signed (this caller's among them).
    app.clock.advance(ahead + 1);
    refresh_keys(&app);
    let keys = admin.get("/keys").await.expect(200).clone();
    assert_eq!(key(&keys, &new)["state"], "active");
    assert_eq!(key(&keys, &old)["state"], "retired");
    let token = service_token(&app, OPS, &secret).await;
    assert_eq!(jwt_header(&token)["kid"], new.as_str());
    assert!(app.published_kids().await.contains(&old));

    // When no token it signed can be alive, it leaves the JWKS.
    app.clock.advance(601);
    refresh_keys(&app);
    let admin = Api::new(&app, service_token(&app, OPS, &secret).await);
    let keys = admin.get("/keys").await.expect(200).clone();
    assert_eq!(key(&keys, &old)["state"], "expired");
    assert!(!app.published_kids().await.contains(&old));

    let event = admin.audited("admin.key.rotated", &new).await;
    assert_eq!(
        event["details"],
        json!({"alg": "ES256", "immediately": false})
    );
}

#[tokio::test]
async fn an_immediate_rotation_signs_at_once_and_old_tokens_still_verify() {
    let app = TestApp::spawn().await;
    let secret = add_service_account(&app, OPS, &["admin"]);
    let admin = Api::new(&app, service_token(&app, OPS, &secret).await);
    let old = jwt_header(&admin.token)["kid"].as_str().unwrap().to_owned();

    let rotated = admin
        .post("/keys/rotate", json!({"alg": "ES256", "now": true}))
        .await
        .expect(200)
        .clone();
    let new = keys_of(&rotated, "ES256")
        .into_iter()
        .find(|k| k["kid"] != old.as_str())
        .unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(key(&rotated, &new)["state"], "active");
    assert_eq!(key(&rotated, &old)["state"], "retired");
    let token = service_token(&app, OPS, &secret).await;
    assert_eq!(jwt_header(&token)["kid"], new.as_str());
    // The token signed by the retired key still verifies.
    admin.get("/keys").await.expect(200);
    Api::new(&app, token).get("/keys").await.expect(200);
    let event = admin.audited("admin.key.rotated", &new).await;
    assert_eq!(
        event["details"],
        json!({"alg": "ES256", "immediately": true})
    );

    // Without `alg`: every algorithm.
    let before = rotated.as_array().unwrap().len();
    let all = admin
        .post("/keys/rotate", json!({}))
        .await
        .expect(200)
        .clone();
    assert_eq!(all.as_array().unwrap().len(), before + 3, "{all}");
    for alg in ALGS {
        let pending: Vec<&Value> = keys_of(&all, alg)
            .into_iter()
            .filter(|k| k["state"] == "pending")
            .collect();
        assert_eq!(pending.len(), 1, "{alg}: {all}");
        let kid = pending[0]["kid"].as_str().unwrap();
        assert!(app.published_kids().await.contains(&kid.to_owned()));
        let event = admin.audited("admin.key.rotated", kid).await;
        assert_eq!(event["details"]["alg"], alg);
    }

    // Unknown algorithms change nothing.
    for alg in ["HS256", "none", "es256x", ""] {
        admin
            .post("/keys/rotate", json!({"alg": alg}))
            .await
            .expect_error(422, "invalid_input");
    }
    assert_eq!(admin.get("/keys").await.expect(200), &all);
    assert_eq!(admin.admin_events().await.len(), 4);
}

#[tokio::test]
async fn a_key_is_retired_then_revoked_through_the_api() {
    let app = TestApp::spawn().await;
    // Tokens are ES256 and RS256: this caller's own stays valid throughout.
    let admin = Api::ops(&app).await;
    let keys = admin.get("/keys").await.expect(200).clone();
    let eddsa = keys_of(&keys, "EdDSA")[0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = app.clock.now();

    // Retiring the only EdDSA signer makes a replacement that signs at once.
    let retired = admin
        .post_empty(&format!("/keys/{eddsa}/retire"))
        .await
        .expect(200)
        .clone();
    assert_eq!(retired["kid"], eddsa.as_str());
    let replacement = retired["replacement"].as_str().unwrap().to_owned();
    assert_eq!(key(&retired["keys"], &eddsa)["state"], "retired");
    assert_eq!(key(&retired["keys"], &eddsa)["retired_at"], now);
    assert_eq!(key(&retired["keys"], &replacement)["state"], "active");
    let event = admin.audited("admin.key.retired", &eddsa).await;
    assert_eq!(
        event["details"],
        json!({"kid": eddsa, "replacement": replacement})
    );
    assert!(app.published_kids().await.contains(&eddsa));

    // Revoking it: out of the JWKS at once; the replacement signs on.
    let revoked = admin
        .post_empty(&format!("/keys/{eddsa}/revoke"))
        .await
        .expect(200)
        .clone();
    assert_eq!(revoked["kid"], eddsa.as_str());
    assert_eq!(revoked["replacement"], Value::Null);
    assert_eq!(revoked["already_revoked"], false);
    let view = key(&revoked["keys"], &eddsa);
    assert_eq!(view["state"], "revoked");
    assert_eq!(view["revoked_at"], now);
    assert_eq!(
        view["retired_at"], now,
        "revoking keeps the earlier retirement"
    );
    let event = admin.audited("admin.key.revoked", &eddsa).await;
    assert_eq!(
        event["details"],
        json!({"alg": "EdDSA", "replacement": null})
    );
    let published = app.published_kids().await;
    assert!(!published.contains(&eddsa), "{published:?}");
    assert!(published.contains(&replacement), "{published:?}");
    assert_eq!(
        app.state
            .keys
            .signer(gatehouse::crypto::SigningAlgorithm::EdDSA)
            .unwrap()
            .kid(),
        replacement
    );

    // Twice: harmless, said so, nothing more on record.
    let again = admin
        .post_empty(&format!("/keys/{eddsa}/revoke"))
        .await
        .expect(200)
        .clone();
    assert_eq!(again["already_revoked"], true);
    assert_eq!(again["replacement"], Value::Null);
    admin.audited("admin.key.revoked", &eddsa).await;

    // Unknown keys are 404s that change nothing.
    let changes = admin.admin_events().await.len();
    for action in ["retire", "revoke"] {
        let message = admin
            .post_empty(&format!("/keys/no-such-kid/{action}"))
            .await
            .expect_error(404, "not_found");
        assert!(message.contains("no-such-kid"), "{message}");
    }
    assert_eq!(admin.admin_events().await.len(), changes);
}

#[tokio::test]
async fn the_audit_log_filters_by_kind_and_names_the_actor() {
    let app = TestApp::spawn().await;
    let console = add_console(&app);
    let admin = Api::ops(&app).await;
    let alice_id = app.add_user("alice", &["admin"]);
    let alice = Api::new(&app, user_token(&app, &console, "alice").await);

    let nina = admin
        .post("/users", json!({"username": "nina"}))
        .await
        .expect(201)
        .clone();
    alice
        .post("/roles", json!({"name": "auditor"}))
        .await
        .expect(201);
    admin
        .post("/apis", json!({"identifier": "ledger"}))
        .await
        .expect(201);

    // Everything, newest first, with every field.
    let all = admin.get("/audit").await.expect(200).clone();
    let all = all.as_array().unwrap();
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"token.issued"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with("login")), "{kinds:?}");
    // The CLI and the server keep different clocks (the server's is the
    // test's manual clock): `seq`, not the time, is the order of events.
    for pair in all.windows(2) {
        assert!(
            pair[0]["seq"].as_i64() > pair[1]["seq"].as_i64(),
            "not newest first: {pair:?}"
        );
    }
    for event in all {
        for field in [
            "id",
            "occurred_at",
            "kind",
            "actor",
            "subject",
            "client_ip",
            "details",
        ] {
            assert!(event.get(field).is_some(), "{field} missing: {event}");
        }
    }

    // Admin changes made through the API only, each with its actor.
    let events = admin.admin_events().await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    admin
        .audited("admin.user.created", nina["id"].as_str().unwrap())
        .await;
    admin.audited("admin.api.created", "ledger").await;
    let event = alice.audited("admin.role.created", "auditor").await;
    assert_eq!(event["actor"], alice_id.as_str());

    let narrow = admin
        .get(&format!("/audit?kind=admin.user.&actor={OPS}"))
        .await
        .expect(200)
        .clone();
    // Nina by the API (Alice's set-up at the command line is the operator's).
    let narrow: Vec<&Value> = narrow
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] != gatehouse::administration::OPERATOR)
        .collect();
    assert_eq!(narrow.len(), 1, "{narrow:?}");
    assert_eq!(narrow[0]["kind"], "admin.user.created");
    assert_eq!(narrow[0]["subject"], nina["id"]);
    assert_eq!(narrow[0]["details"]["username"], "nina");
    let tokens = admin.get("/audit?kind=token.").await.expect(200).clone();
    assert!(!tokens.as_array().unwrap().is_empty());
    assert!(
        tokens
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"].as_str().unwrap().starts_with("token."))
    );
    // A prefix taken literally: no wildcards, no other case.
    for kind in ["nothing.", "%25", "admin_", "_dmin.", "ADMIN."] {
        let reply = admin.get(&format!("/audit?kind={kind}")).await;
        assert_eq!(reply.expect(200), &json!([]), "kind={kind}");
    }

    // `limit`, clamped to 1..=500.
    let one = admin.get("/audit?limit=1").await.expect(200).clone();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["seq"], all[0]["seq"]);
    assert_eq!(
        admin
            .get("/audit?limit=0")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin
            .get("/audit?limit=2&kind=admin.")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_audit_log_pages_by_seq_and_filters_by_subject_and_actor_within_one_second() {
    let app = TestApp::spawn().await;
    let admin = Api::ops(&app).await;
    // Twelve changes in the same (manual) second: only `seq` orders them.
    let mut made = Vec::new();
    for n in 0..12 {
        let role = format!("team-{n:02}");
        admin
            .post("/roles", json!({ "name": role }))
            .await
            .expect(201);
        made.push(role);
    }

    // Five at a time, newest first, each page continuing where the last ended.
    let mut seen: Vec<String> = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(seq) => format!("/audit?kind=admin.role.created&limit=5&before={seq}"),
            None => "/audit?kind=admin.role.created&limit=5".to_owned(),
        };
        let page = admin.get(&path).await.expect(200).clone();
        let page = page.as_array().unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        for event in page {
            assert_eq!(event["occurred_at"], page[0]["occurred_at"]);
            seen.push(event["subject"].as_str().unwrap().to_owned());
        }
        before = page.last().unwrap()["seq"].as_i64();
    }
    made.reverse();
    assert_eq!(seen, made, "every event once, newest first");

    // By subject and by actor.
    let about = admin
        .get("/audit?subject=team-03")
        .await
        .expect(200)
        .clone();
    let about = about.as_array().unwrap();
    assert_eq!(about.len(), 1, "{about:?}");
    assert_eq!(about[0]["kind"], "admin.role.created");
    let by_ops = admin
        .get(&format!("/audit?actor={OPS}&kind=admin."))
        .await
        .expect(200)
        .clone();
    assert_eq!(by_ops.as_array().unwrap().len(), 12);
    let by_nobody = admin.get("/audit?actor=nobody").await.expect(200).clone();
    assert_eq!(by_nobody, json!([]));

    // A cursor that is not a number is the caller's mistake.
    admin
        .get("/audit?before=yesterday")
        .await
        .expect_error(422, "invalid_input");
}
