"""Signing in with the personal e-mail: a link mailed to a verified personal address signs
in a session that reaches the person's badges and nothing else — the way back to their
badges for someone who has left (and a second way in for someone who has not).

The answer to asking for a link never tells whether the address is known; the link's
page asks for a press of a button before it signs in (a mail scanner following the link
spends nothing)."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from ..db import get_session
from ..portability.links import request_sign_in_link, sign_in_by_link
from ..portability.models import TokenPurpose
from ..portability.tokens import TokenRefused, use_token
from .base import organisation, render_page, web
from .personal_pages import token_key
from .session import EMAIL_LINK, sign_in_person

__all__: list[str] = []


@web.route("/o/<slug>/sign-in/email", methods=["GET", "POST"])
def email_sign_in() -> ResponseReturnValue:
    """Ask for a sign-in link; the same answer whether or not the address is known."""
    if request.method == "POST":
        address = request.form.get("email", "").strip()
        if not address:
            return render_page("email_sign_in.html", status=400, missing=True)
        request_sign_in_link(get_session(), organisation().id, address, token_key())
        return render_page("email_sign_in.html", sent=True)
    return render_page("email_sign_in.html")


@web.get("/o/<slug>/sign-in/email/<token>")
def email_link_page(token: str) -> ResponseReturnValue:
    """The link in the mail: a button that signs in, or a clear page when it is spent."""
    try:
        use_token(get_session(), token, TokenPurpose.SIGN_IN, organisation().id, spend=False)
    except TokenRefused as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render_page("link_refused.html", status=status, reason=exc.reason, sign_in=True)
    response = render_page("email_link.html", token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.post("/o/<slug>/sign-in/email/<token>")
def email_link_sign_in(token: str) -> ResponseReturnValue:
    try:
        person = sign_in_by_link(get_session(), organisation().id, token)
    except TokenRefused as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render_page("link_refused.html", status=status, reason=exc.reason, sign_in=True)
    sign_in_person(person, EMAIL_LINK)
    return redirect(url_for("web.my_badges", slug=organisation().slug), code=303)
