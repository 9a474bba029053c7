"""The learner's pages: my badges (each with its downloads, sharing, LinkedIn and a QR
code) and my path drawn as trails (my settings: :mod:`.settings_pages`). Every page is the
signed-in person's own: another person's badge is not found, whoever asks."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from flask import Response, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..achievements.models import AchievementVersion
from ..achievements.services import get_achievement
from ..db import database, get_session, utcnow
from ..errors import BadRequest, NotFound
from ..evidence.services import claims_of, evidence_goals
from ..issuers.models import Issuer
from ..issuers.services import IssuerService
from ..issuing.copies import copies_of
from ..issuing.services import compact_jws
from ..obapi.holdings import brought_badges, brought_file, import_badge
from ..obapi.imports import verify_address, verify_upload
from ..paths.approvals import path_history
from ..paths.data import PathData, SubGoalData
from ..paths.models import Path, PathKind
from ..paths.services import create_path, request_approval, update_path
from ..people.models import Person
from ..portability.reissue import copy_kind, copy_kinds
from ..services import issuer_service, keystore
from ..sharing import Visibility, get_sharing, set_sharing
from ..verification.services import ImportSources, egress_fetcher
from .badge_files import baked, qr_svg
from .badges import achievement_view, local_path, parse_time
from .base import render_page, web
from .i18n import current_language
from .learner_data import (
    BadgeStatus,
    StationState,
    badge_cards,
    badge_paths,
    goal_choices,
    own_credential,
    own_path,
    path_views,
    status_of,
)
from .session import page_visitor, requires_role
from .trail import trail_svg

__all__: list[str] = []


# The outcome of a push to a backpack (:mod:`.push_pages`), shown once on the badge page.
SENT = "obapi_push_sent"


def _public_url() -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


# -- my badges ------------------------------------------------------------------------


@web.get("/o/<slug>/badges")
@requires_role()
def my_badges() -> ResponseReturnValue:
    """Every badge of mine as a card; filters by status and by path."""
    return _my_badges_page()


def _my_badges_page(import_error: str | None = None) -> ResponseReturnValue:
    """My badges; after a refused import, with the reason beside the form (a 400)."""
    visitor, db = page_visitor(), get_session()
    status = request.args.get("status") or None
    if status is not None and status not in set(BadgeStatus):
        raise BadRequest(_("Choose one of the offered statuses."))
    paths = badge_paths(db, visitor.person)
    path_slug = request.args.get("path") or None
    path_id = None
    if path_slug is not None:
        if path_slug not in {slug for slug, _name in paths}:
            raise BadRequest(_("Choose one of the offered paths."))
        path_id = db.scalar(
            select(Path.id).where(
                Path.organisation_id == visitor.organisation.id, Path.slug == path_slug
            )
        )
    cards = badge_cards(
        db, visitor.person, visitor.organisation.slug, status=status, path_id=path_id
    )
    return render_page(
        "my_badges.html",
        status=400 if import_error else 200,
        active="badges",
        cards=cards,
        copies=copy_kinds(db, visitor.person),
        brought=brought_badges(db, visitor.person),
        imported=request.args.get("imported"),
        import_error=import_error,
        reissued=request.args.get("reissued"),
        chosen_status=status,
        path=path_slug,
        paths=paths,
        statuses=list(BadgeStatus),
    )


def _linkedin(name: str, issuer: str, issued: datetime, address: str, ident: str) -> str:
    """LinkedIn's add-to-profile address for a certification."""
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": issuer,
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": address,
        "certId": ident,
    }
    return "https://www.linkedin.com/profile/add?" + urlencode(query)


@web.get("/o/<slug>/badges/<credential_id>")
@requires_role()
def my_badge(credential_id: str) -> ResponseReturnValue:
    """One badge of mine: what it is, its state, and what I can do with it."""
    return badge_page(credential_id)


def badge_page(credential_id: str, push_error: str | None = None) -> ResponseReturnValue:
    """My badge's page; after a push to a backpack that failed, with the reason beside the
    form (a 400)."""
    visitor, db = page_visitor(), get_session()
    credential = own_credential(db, visitor.person, credential_id)
    sent = session.pop(SENT, None)
    if not isinstance(sent, dict) or sent.get("credential") != str(credential.id):
        sent = None
    document = credential.document
    subject = document.get("credentialSubject")
    achievement = achievement_view(
        subject.get("achievement") if isinstance(subject, dict) else None
    )
    issuer = db.get(Issuer, credential.issuer_id)
    assert issuer is not None
    sharing = get_sharing(db, credential)
    address = f"{_public_url()}/credentials/{credential.id}"
    name = achievement.name if achievement is not None else ""
    return render_page(
        "my_badge.html",
        copy_kind=copy_kind(credential),
        copies=[(copy_kind(c), c) for c in copies_of(db, credential)],
        active="badges",
        credential=credential,
        achievement=achievement,
        image_src=local_path(achievement.image if achievement else None, _public_url()),
        issuer=issuer,
        issued_at=parse_time(document.get("validFrom")) or credential.issued_at,
        valid_until=parse_time(document.get("validUntil")),
        badge_status=status_of(credential.revoked_at, credential.valid_until, utcnow()),
        sharing=sharing,
        address=address,
        linkedin=_linkedin(name, issuer.name, credential.issued_at, address, str(credential.id)),
        qr=qr_svg(address, _("QR code of the badge's address")) if sharing.public else None,
        public_name=visitor.person.public_display_name,
        saved=request.args.get("saved") == "1",
        sent=sent,
        push_error=push_error,
        host_url=request.form.get("host", "") if push_error else "",
    ), (400 if push_error else 200)


@web.post("/o/<slug>/badges/import")
@requires_role()
def import_my_badge() -> ResponseReturnValue:
    """Bring a badge from elsewhere — a baked PNG or SVG, a VC-JWT or the JSON, or the
    address of one (an OB 2.0 hosted assertion too): verified, what it names fetched,
    then kept and listed with my badges."""
    visitor, db = page_visitor(), get_session()
    address = (request.form.get("address") or "").strip()
    upload = request.files.get("badge")
    if not address and (upload is None or not upload.filename):
        raise BadRequest(_("Choose the badge file to import, or give its address."))
    data = b"" if address or upload is None else upload.read()
    person = visitor.person
    # An OB 2.0 badge is made out to an e-mail address: mine, or my confirmed own one.
    personal = person.personal_email if person.personal_email_verified_at else None
    emails = [email for email in (person.email, personal) if email]
    person_id = person.id
    # Fetching the issuer's documents may take seconds: not while holding the request's
    # transaction (on SQLite, the database's write lock); this service's own keys and
    # lists are read in a snapshot that blocks nobody.
    db.rollback()
    with database().read_sessions() as reader:
        issuers = IssuerService(
            reader, public_url=current_app.config["PUBLIC_URL"], keystore=keystore()
        )
        sources = ImportSources(reader, issuers, egress_fetcher(current_app.config))
        try:
            if address:
                verified = verify_address(address, sources, emails, now=utcnow())
            else:
                verified = verify_upload(data, sources, emails, now=utcnow())
        except BadRequest as exc:
            # The reason is the verifier's own words (the checks that failed), in English.
            return _my_badges_page(_("The badge was not imported: %(reason)s", reason=exc.detail))
    owner = db.get(Person, person_id)
    assert owner is not None
    created = import_badge(db, owner, verified)
    target = url_for(
        "web.my_badges", slug=visitor.organisation.slug, imported="new" if created else "again"
    )
    return redirect(f"{target}#other-badges", code=303)


@web.get("/o/<slug>/badges/brought/<key>/file")
@requires_role()
def download_brought_badge(key: str) -> ResponseReturnValue:
    """A badge I brought, exactly as it came: the baked image, the JWS or the JSON."""
    visitor, db = page_visitor(), get_session()
    data, media_type, extension = brought_file(db, visitor.person, key)
    disposition = {"Content-Disposition": f'attachment; filename="badge-{key}.{extension}"'}
    return Response(data, mimetype=media_type, headers=disposition)


@web.post("/o/<slug>/badges/<credential_id>/sharing")
@requires_role()
def share_badge(credential_id: str) -> ResponseReturnValue:
    """Make my badge public or private, with or without my name; back to the badge."""
    visitor, db = page_visitor(), get_session()
    credential = own_credential(db, visitor.person, credential_id)
    visibility = request.form.get("visibility", "")
    if visibility not in set(Visibility):
        raise BadRequest(_("Choose whether the badge is public or private."))
    set_sharing(
        db, credential, visibility=visibility, show_name=request.form.get("show_name") == "on"
    )
    target = url_for("web.my_badge", slug=visitor.organisation.slug, credential_id=credential.id)
    return redirect(f"{target}?saved=1#sharing", code=303)


@web.get("/o/<slug>/badges/<credential_id>/badge.<kind>")
@requires_role()
def download_badge(credential_id: str, kind: str) -> ResponseReturnValue:
    """My badge to take away: the signed JSON, its VC-JWT (``.jws``, a compact JWS), or
    its image with the credential baked in."""
    visitor, db = page_visitor(), get_session()
    credential = own_credential(db, visitor.person, credential_id)
    filename = f"badge-{credential.id}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if kind == "json":
        body = json.dumps(credential.document, ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/ld+json", headers=disposition)
    if kind == "jws":
        token = compact_jws(issuer_service(), credential)
        return Response(token, mimetype="application/vc+jwt", headers=disposition)
    if kind not in ("png", "svg"):
        raise NotFound(f"no download {kind!r}")
    version = db.get(AchievementVersion, credential.achievement_version_id)
    if version is None or version.image is None or version.image_media_type is None:
        raise NotFound(_("This badge has no image to bake it into; download the JSON."))
    data = baked(version.image, version.image_media_type, credential.document, kind)
    mimetype = "image/png" if kind == "png" else "image/svg+xml"
    return Response(data, mimetype=mimetype, headers=disposition)


# -- my path --------------------------------------------------------------------------


def _state_words() -> dict[str, str]:
    return {
        StationState.ACHIEVED: _("achieved"),
        StationState.EXPIRED: _("expired"),
        StationState.LOCKED: _("locked"),
        StationState.AVAILABLE: _("not started"),
        "optional": _("optional"),
        "after": _("after {names}"),
    }


@web.get("/o/<slug>/path")
@requires_role()
def my_path() -> ResponseReturnValue:
    """My paths drawn as trails, each sub-goal with its state and what completes it."""
    visitor, db = page_visitor(), get_session()
    views = path_views(db, visitor.person, visitor.organisation.slug)
    words = _state_words()
    drawings = []
    for view in views:
        title = _("Path %(name)s", name=view.path.text("name", current_language()))
        description = _(
            "%(done)s of %(total)s required steps achieved.",
            done=view.achieved,
            total=view.required,
        )
        drawings.append(
            (
                trail_svg(view, per_row=4, words=words, title=title, description=description),
                trail_svg(view, per_row=1, words=words, title=title, description=description),
            )
        )
    own = own_path(db, visitor.person)
    history = path_history(db, own) if own is not None else []
    return render_page(
        "my_path.html",
        last_review=history[-1] if history else None,
        active="path",
        views=list(zip(views, drawings, strict=True)),
        words=words,
        STATE=StationState,
        own=own,
        choices=goal_choices(db, visitor.person, own),
        added=request.args.get("added") == "1",
        asked=request.args.get("asked") == "1",
        submitted=request.args.get("submitted") == "1",
        evidence_ids=set(evidence_goals(db, visitor.person)),
        claims=claims_of(db, visitor.person.id),
    )


@web.post("/o/<slug>/path/goals")
@requires_role()
def add_goal() -> ResponseReturnValue:
    """Add a badge to my own path as an optional goal (my own path is made if I have none);
    a change of an approved path needs approving again."""
    visitor, db = page_visitor(), get_session()
    person = visitor.person
    path = own_path(db, person)
    choices = dict(goal_choices(db, person, path))
    wanted = request.form.get("achievement", "")
    if wanted not in choices:
        raise BadRequest(_("Choose one of the offered badges."))
    achievement = get_achievement(db, person.organisation_id, wanted)
    names = (achievement.current.texts or {}).get("name")
    goal = SubGoalData(
        slug=achievement.slug,
        name=achievement.current.name,
        achievement_id=achievement.id,
        required=False,
        texts={"name": dict(names)} if names else {},  # named by its badge, in each language
    )
    if path is None:
        data = PathData(
            slug=f"own-{person.id.hex[:12]}",
            kind=PathKind.INDIVIDUAL,
            name=person.display_name,
            person_id=person.id,
            sub_goals=[goal],
        )
        create_path(db, person.organisation_id, data)
    else:
        update_path(db, path, {"add_sub_goals": [goal]})
    target = url_for("web.my_path", slug=visitor.organisation.slug)
    return redirect(f"{target}?added=1#own-path", code=303)


@web.post("/o/<slug>/path/approval")
@requires_role()
def ask_approval() -> ResponseReturnValue:
    """Ask my supervisor to approve my own path as it is now."""
    visitor, db = page_visitor(), get_session()
    path = own_path(db, visitor.person)
    if path is None:
        raise BadRequest(_("You have no own path to approve yet: add a goal first."))
    request_approval(db, path, visitor.person)
    target = url_for("web.my_path", slug=visitor.organisation.slug)
    return redirect(f"{target}?asked=1#own-path", code=303)
