"""A resource server (an API) that trusts Gatehouse, in FastAPI.

    GET    /profile              any valid access token for this API
    DELETE /students/{id}        the ``students:delete`` permission

It never talks to Gatehouse's database: it verifies each token with the
public keys Gatehouse publishes (PyJWT's ``PyJWKClient`` fetches them once,
caches them, and fetches again when a token names an unknown ``kid``) and
decides from the token's ``permissions`` claim.

Configuration (environment):

    GATEHOUSE_ISSUER   the issuer URL, e.g. http://127.0.0.1:8080 (required)
    RESOURCE_AUDIENCE  this API's identifier (default https://api.example.com/school)
    JWKS_URI           default {GATEHOUSE_ISSUER}/jwks.json
    JWKS_REFRESH_COOLDOWN_SECS  least time between JWKS fetches for unknown kids (default 30)
    LISTEN             for ``python app.py``: address to listen on (default
                       127.0.0.1:8002; port 0 picks one)

Run: ``uvicorn app:app --port 8002``, or ``python app.py``, which prints
``listening on http://ADDR`` once it accepts connections.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ISSUER = os.environ["GATEHOUSE_ISSUER"]  # byte for byte, as in the tokens' iss
AUDIENCE = os.environ.get("RESOURCE_AUDIENCE") or "https://api.example.com/school"
JWKS_URI = os.environ.get("JWKS_URI") or f"{ISSUER}/jwks.json"

# Never "none", never HS256: with an HMAC algorithm allowed, anyone could
# "sign" a token using the published public key as the HMAC secret.
ALGORITHMS = ["ES256", "RS256", "EdDSA"]
# RFC 9068: access tokens say typ "at+jwt"; an ID token ("JWT") is refused.
ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}
LEEWAY_SECS = 30

jwks = jwt.PyJWKClient(
    JWKS_URI,
    cache_jwk_set=True,
    lifespan=300,  # Gatehouse's keys.jwks_max_age_secs
    cooldown_duration=float(os.environ.get("JWKS_REFRESH_COOLDOWN_SECS") or 30),
    timeout=10,
)
bearer = HTTPBearer(auto_error=False)
app = FastAPI(title="School API")


class AuthError(Exception):
    """A refused request: 401/403 with ``WWW-Authenticate`` (RFC 6750 §3)."""

    def __init__(self, status: int, error: str, description: str | None = None,
                 scope: str | None = None) -> None:
        super().__init__(description or error)
        self.status = status
        self.error = error
        self.description = description
        self.scope = scope

    def challenge(self) -> str | None:
        if self.status not in (401, 403):
            return None
        parts = [f'Bearer realm="{AUDIENCE}"']
        # A request without credentials gets a bare challenge (§3.1).
        if self.error != "unauthorized":
            parts.append(f'error="{self.error}"')
        if self.description and self.status == 401:
            parts.append(f'error_description="{self.description}"')
        if self.scope:
            parts.append(f'scope="{self.scope}"')
        return ", ".join(parts)


@app.exception_handler(AuthError)
async def auth_error_response(_: Request, error: AuthError) -> JSONResponse:
    body: dict[str, Any] = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    headers = {"Cache-Control": "no-store"}
    if (challenge := error.challenge()) is not None:
        headers["WWW-Authenticate"] = challenge
    return JSONResponse(body, status_code=error.status, headers=headers)


def invalid(description: str) -> AuthError:
    return AuthError(401, "invalid_token", description)


def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, Any]:
    """The verified claims of the request's bearer token (a FastAPI dependency).

    A plain ``def``: PyJWKClient fetches with blocking I/O, so FastAPI runs
    this in its thread pool.
    """
    if credentials is None or not credentials.credentials:
        raise AuthError(401, "unauthorized")
    token = credentials.credentials
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise invalid("the token is not a signed JWT") from None
    # The header is not trusted: it only picks among keys we already trust,
    # and its algorithm must be the one that key is published for.
    if header.get("alg") not in ALGORITHMS:
        raise invalid("the token's algorithm is not accepted")
    if str(header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
        raise invalid("the token is not an access token")
    try:
        key = jwks.get_signing_key(header.get("kid"))
    except jwt.PyJWKClientConnectionError:
        raise AuthError(503, "temporarily_unavailable") from None
    except jwt.PyJWKClientError:
        raise invalid("the token was signed by an unknown key") from None
    if key.algorithm_name not in ALGORITHMS or key.algorithm_name != header["alg"]:
        raise invalid("the token's algorithm does not match its key")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise invalid("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid("the token is not valid yet") from None
    except jwt.InvalidAudienceError:
        raise invalid("the token is for another API") from None
    except jwt.InvalidIssuerError:
        raise invalid("the token is from another issuer") from None
    except jwt.InvalidSignatureError:
        raise invalid("the token's signature is invalid") from None
    except jwt.MissingRequiredClaimError:
        raise invalid("the token lacks a required claim") from None
    except jwt.InvalidTokenError:
        raise invalid("the token is invalid") from None


Claims = Annotated[dict[str, Any], Depends(authenticated)]


def require_permission(permission: str):
    """A dependency: a valid token whose ``permissions`` include ``permission``."""

    def check(claims: Claims) -> dict[str, Any]:
        if permission not in claims.get("permissions", []):
            raise AuthError(403, "insufficient_scope",
                            f"requires the permission {permission}", scope=permission)
        return claims

    return check


@app.get("/profile")
def profile(claims: Claims) -> dict[str, Any]:
    """Anyone signed in may read their profile."""
    return {
        "sub": claims["sub"],
        "client_id": claims.get("client_id"),
        "roles": claims.get("roles", []),
        "permissions": claims.get("permissions", []),
        "scope": claims.get("scope", ""),
    }


@app.delete("/students/{student_id}")
def delete_student(
    student_id: str,
    claims: Annotated[dict[str, Any], Depends(require_permission("students:delete"))],
) -> dict[str, Any]:
    """Only a holder of ``students:delete`` gets here."""
    return {"deleted": student_id, "by": claims["sub"]}


def main() -> None:
    import socket

    import uvicorn

    host, _, port = (os.environ.get("LISTEN") or "127.0.0.1:8002").rpartition(":")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), int(port)))
    sock.listen(128)  # connections queue from here on
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"listening on http://{shown}:{bound_port}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    main()
