"""Sign-in with the company's identity provider (OpenID Connect), for records that name people.

The Authorization Code flow with PKCE, through Authlib: ``api/login`` sends the person to
the provider, ``api/callback`` takes the code back, and Authlib checks the ID token (its
signature against the provider's published keys, issuer, audience, expiry and nonce). The
email comes from that verified token, and only when the provider says it is verified. The
service then keeps a signed session cookie (HttpOnly, SameSite=Lax, Secure except on a
loopback http address), valid for ``session_lifetime`` seconds at most.
"""

from __future__ import annotations

import html
import os
import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import PolicyError
from .identity import email_problem

SECRET_ENV = "POLICY_RECORDS_OIDC_CLIENT_SECRET"
SESSION_SECRET_ENV = "POLICY_RECORDS_SESSION_SECRET"
COOKIE = "policy_records_session"
SESSION_LIFETIME = 8 * 3600


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    session_lifetime: int = SESSION_LIFETIME
    public_url: str | None = None
    """The service's own address as people reach it, for the callback (default: as asked)."""

    @classmethod
    def from_options(cls, issuer: str, client_id: str | None, session_lifetime: int,
                     public_url: str | None) -> "OidcSettings":
        if not client_id:
            raise PolicyError("--oidc-issuer needs --oidc-client-id")
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            raise PolicyError(f"--oidc-issuer: set the client secret in {SECRET_ENV} where the service runs")
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise PolicyError(f"--oidc-issuer: {issuer!r} is not an https:// address")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise PolicyError(f"--oidc-issuer: {issuer!r} must use https (http only on loopback)")
        return cls(issuer.rstrip("/"), client_id, secret, session_lifetime, public_url)


def _secure_cookie(settings: OidcSettings) -> bool:
    base = urlsplit(settings.public_url or settings.issuer)
    return not (base.scheme == "http" and base.hostname in ("127.0.0.1", "localhost", "::1"))


def _safe_next(value: str | None) -> str:
    """A path on this site to return to; never another site (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _page(status: int, title: str, text: str, back: str) -> HTMLResponse:
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>'
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            f'<p><a href="{html.escape(back)}">Back to the training</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


class SignIn:
    """The sign-in routes and the person a request's session names."""

    def __init__(self, settings: OidcSettings) -> None:
        with warnings.catch_warnings():
            # Authlib 1.7+ prefers the httpx2 fork; the locked httpx works the same for it.
            # Its module of deprecations puts an "always" filter first when imported: after it.
            import authlib.deprecate  # noqa: F401
            warnings.filterwarnings("ignore", message="The httpx module is deprecated")
            from authlib.integrations.starlette_client import OAuth

        self.settings = settings
        self.oauth = OAuth()
        self.oauth.register(
            "idp", client_id=settings.client_id, client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"})

    def middleware(self) -> Middleware:
        secret = os.environ.get(SESSION_SECRET_ENV) or secrets.token_urlsafe(32)
        # The cookie outlives the sign-in by a day, so that the service can say "expired" rather
        # than "not signed in"; the sign-in's own end is kept (signed) inside it.
        return Middleware(SessionMiddleware, secret_key=secret, session_cookie=COOKIE,
                          max_age=self.settings.session_lifetime + 86400, same_site="lax",
                          https_only=_secure_cookie(self.settings))

    def routes(self) -> list[Route]:
        return [Route("/api/login", self.login, methods=["GET"]),
                Route("/api/callback", self.callback, methods=["GET"], name="oidc_callback"),
                Route("/api/logout", self.logout, methods=["GET"])]

    def person(self, request: Request) -> tuple[dict[str, Any] | None, str]:
        """The signed-in person, or ``None`` and why not."""
        person = request.session.get("person")
        if not isinstance(person, dict) or not person.get("email"):
            return None, "not signed in"
        if not isinstance(person.get("until"), (int, float)) or person["until"] < time.time():
            request.session.pop("person", None)
            return None, "your sign-in has expired"
        return person, ""

    async def login(self, request: Request) -> Response:
        request.session["next"] = _safe_next(request.query_params.get("next"))
        base = self.settings.public_url
        redirect_uri = f"{base.rstrip('/')}/api/callback" if base else str(request.url_for("oidc_callback"))
        try:
            return await self.oauth.idp.authorize_redirect(request, redirect_uri)
        except Exception as e:  # noqa: BLE001 - the provider is down or its metadata unreadable
            return _page(503, "Sign-in is not available",
                         f"The identity provider cannot be reached just now ({type(e).__name__}). "
                         "Your answers are kept in this browser; try again later.",
                         request.session.get("next", "/"))

    async def callback(self, request: Request) -> Response:
        from authlib.integrations.starlette_client import OAuthError

        back = request.session.get("next", "/")
        try:
            token = await self.oauth.idp.authorize_access_token(request)
        except OAuthError as e:
            return _page(401, "Sign-in failed", f"The identity provider said: {e.description or e.error}. "
                         "Nothing was recorded; you can try again.", back)
        except Exception as e:  # noqa: BLE001 - a token the library refuses, or the provider down
            return _page(401, "Sign-in failed", f"The sign-in could not be completed ({type(e).__name__}). "
                         "Nothing was recorded; you can try again.", back)
        claims = token.get("userinfo") or {}
        email = str(claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is not True:
            return _page(403, "Sign-in failed", "The identity provider did not give a verified email "
                         "address for this account, so a completion could not name you.", back)
        problem = email_problem(email)
        if problem:
            return _page(403, "Sign-in failed", f"The identity provider's email {problem}.", back)
        until = time.time() + self.settings.session_lifetime
        request.session.pop("next", None)
        request.session["person"] = {"email": email, "name": str(claims.get("name") or "")[:200],
                                     "until": until}
        return RedirectResponse(back, status_code=303)

    async def logout(self, request: Request) -> Response:
        request.session.clear()
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
