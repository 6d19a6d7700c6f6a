// The tables, written by hand to match both migration sets (a test compares
// the two dialects' columns).

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        tokens_valid_after -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        built_in -> Bool,
        created_at -> BigInt,
        require_mfa -> Bool,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    api_resources (id) {
        id -> Text,
        identifier -> Text,
        name -> Text,
        built_in -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    permissions (id) {
        id -> Text,
        api_id -> Text,
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    role_permissions (role_id, permission_id) {
        role_id -> Text,
        permission_id -> Text,
    }
}

diesel::table! {
    clients (client_id) {
        client_id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        is_public -> Bool,
        grant_types -> Text,
        scopes -> Text,
        skip_consent -> Bool,
        id_token_alg -> Nullable<Text>,
        backchannel_logout_uri -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    client_redirect_uris (client_id, kind, uri) {
        client_id -> Text,
        kind -> Text,
        uri -> Text,
    }
}

diesel::table! {
    client_resources (client_id, api_id) {
        client_id -> Text,
        api_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    client_roles (client_id, role_id) {
        client_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key -> Binary,
        created_at -> BigInt,
        activates_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    change_epoch (id) {
        id -> BigInt,
        epoch -> BigInt,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        id -> Text,
        occurred_at -> BigInt,
        kind -> Text,
        actor -> Nullable<Text>,
        subject -> Nullable<Text>,
        client_ip -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    setup_tokens (token_hash) {
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::table! {
    totp_factors (user_id) {
        user_id -> Text,
        secret -> Binary,
        created_at -> BigInt,
        confirmed_at -> Nullable<BigInt>,
        last_used_step -> BigInt,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        created_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(permissions -> api_resources (api_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(role_permissions -> permissions (permission_id));
diesel::joinable!(client_redirect_uris -> clients (client_id));
diesel::joinable!(client_resources -> clients (client_id));
diesel::joinable!(client_resources -> api_resources (api_id));
diesel::joinable!(client_roles -> clients (client_id));
diesel::joinable!(client_roles -> roles (role_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    roles,
    user_roles,
    api_resources,
    permissions,
    role_permissions,
    clients,
    client_redirect_uris,
    client_resources,
    client_roles,
    signing_keys,
    audit_events,
    setup_tokens,
);

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        sid -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        amr -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
        pending -> Bool,
    }
}

diesel::table! {
    authorization_requests (id) {
        id -> Text,
        browser_binding -> Text,
        client_id -> Text,
        redirect_uri -> Text,
        redirect_uri_sent -> Bool,
        scope -> Text,
        resources -> Text,
        state -> Nullable<Text>,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        prompt -> Text,
        max_age -> Nullable<BigInt>,
        login_hint -> Nullable<Text>,
        user_id -> Nullable<Text>,
        session_id_hash -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        client_ip -> Nullable<Text>,
        acr_values -> Nullable<Text>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        redirect_uri_sent -> Bool,
        scope -> Text,
        resources -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        auth_time -> BigInt,
        sid -> Text,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        access_token_jti -> Nullable<Text>,
        access_token_expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scope -> Text,
        resources -> Text,
        granted_at -> BigInt,
    }
}

// The account page lists a person's consents with each client's name.
diesel::joinable!(consents -> clients (client_id));
diesel::allow_tables_to_appear_in_same_query!(consents, clients);

diesel::table! {
    login_failures (throttle_key) {
        throttle_key -> Text,
        failures -> BigInt,
        first_failure_at -> BigInt,
        last_failure_at -> BigInt,
        blocked_until -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(sessions, users);
// Housekeeping keeps the codes of live sessions (a subquery on sessions).
diesel::allow_tables_to_appear_in_same_query!(authorization_codes, sessions);

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Text,
        scope -> Text,
        resources -> Text,
        auth_time -> BigInt,
        sid -> Text,
        amr -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        family_expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        successor_hash -> Nullable<Text>,
        successor_sealed -> Nullable<Binary>,
        revoked_at -> Nullable<BigInt>,
        access_token_jti -> Nullable<Text>,
        access_token_expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    backchannel_deliveries (id) {
        id -> Text,
        client_id -> Text,
        uri -> Text,
        sub -> Text,
        sid -> Text,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
        failed_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    client_introspection (client_id, api_id) {
        client_id -> Text,
        api_id -> Text,
    }
}

diesel::joinable!(client_introspection -> api_resources (api_id));
diesel::allow_tables_to_appear_in_same_query!(client_introspection, api_resources);

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        credential_id -> Text,
        passkey -> Text,
        name -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webauthn_ceremonies (id_hash) {
        id_hash -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        browser_binding -> Text,
        client_ip -> Nullable<Text>,
        state -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}
