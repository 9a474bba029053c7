"""Recognition of prior learning on the pages: a learner submits evidence for a step of
their path (text, a link, files), an assessor works through the organisation's queue and
accepts (the badge is issued with the evidence) or returns it with a reason. Files are only
ever downloads: ``Content-Disposition: attachment``, a sandboxing policy, and never to
anyone but the learner and the organisation's assessors."""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..access.roles import Role
from ..achievements.models import Achievement
from ..api import parse_id
from ..db import get_session
from ..errors import BadRequest, NotFound
from ..evidence.files import MAX_FILE_BYTES, MAX_FILES, UploadError, checked_upload
from ..evidence.models import EvidenceClaim, EvidenceFile
from ..evidence.services import (
    Submission,
    accept_claim,
    claim_for_assessor,
    claims_of,
    evidence_goals,
    history,
    queue,
    return_claim,
    submit_claim,
)
from ..issuing.services import issuing_service
from ..paths.models import SubGoal
from ..people.models import Person
from .base import render_page, web
from .i18n import current_language
from .session import page_visitor, requires_role

__all__: list[str] = []

# A whole submission: the files and the form's text, with room for the multipart framing.
_REQUEST_LIMIT = MAX_FILES * MAX_FILE_BYTES + 256 * 1024


def _upload_problem(error: UploadError) -> str:
    messages = {
        "empty": _("%(name)s is empty.", name=error.filename),
        "too-large": _(
            "%(name)s is larger than %(size)s MiB.",
            name=error.filename,
            size=MAX_FILE_BYTES // (1024 * 1024),
        ),
        "type": _(
            "%(name)s is not a PDF, a PNG, JPEG or WebP image, or plain text.",
            name=error.filename,
        ),
    }
    return str(messages.get(error.reason, error.reason))


# -- the learner ------------------------------------------------------------------------


@web.route("/o/<slug>/path/evidence/<sub_goal_id>", methods=["GET", "POST"])
@requires_role()
def submit_evidence(sub_goal_id: str) -> ResponseReturnValue:
    """Evidence for one step of my path, instead of completing its course."""
    visitor, db = page_visitor(), get_session()
    goal = evidence_goals(db, visitor.person).get(parse_id(sub_goal_id, "step"))
    if goal is None:
        raise NotFound("no such step on your paths takes evidence")
    previous = claims_of(db, visitor.person.id).get(goal.id)
    problems: list[str] = []
    form = {"narrative": "", "url": ""}
    if request.method == "POST":
        request.max_content_length = _REQUEST_LIMIT
        form = {key: request.form.get(key, "") for key in form}
        uploads = []
        chosen = [item for item in request.files.getlist("files") if item.filename]
        if len(chosen) > MAX_FILES:
            problems.append(_("Attach at most %(count)s files.", count=MAX_FILES))
        for item in chosen[:MAX_FILES]:
            try:
                uploads.append(checked_upload(item.filename or "", item.read(MAX_FILE_BYTES + 1)))
            except UploadError as error:
                problems.append(_upload_problem(error))
        url = form["url"].strip()
        if url and not url.lower().startswith(("https://", "http://")):
            problems.append(_("The link must be an address starting with https://."))
        if not form["narrative"].strip():
            problems.append(_("Describe what you did and how it shows the competence."))
        if not problems:
            submit_claim(db, visitor.person, goal.id, Submission(form["narrative"], url, uploads))
            target = url_for("web.my_path", slug=visitor.organisation.slug, submitted=1)
            return redirect(target, code=303)
    return render_page(
        "evidence_form.html",
        status=400 if problems else 200,
        active="path",
        goal=goal,
        goal_name=goal.text("name", current_language()),
        previous=previous,
        problems=problems,
        form=form,
        max_files=MAX_FILES,
        max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
    )


@web.get("/o/<slug>/path/evidence/<sub_goal_id>/files/<file_id>")
@requires_role()
def own_evidence_file(sub_goal_id: str, file_id: str) -> Response:
    """A file I attached, as a download."""
    visitor, db = page_visitor(), get_session()
    found = db.get(EvidenceFile, parse_id(file_id, "file"))
    claim = found.claim if found is not None else None
    if found is None or claim is None or claim.person_id != visitor.person.id:
        raise NotFound("no such file")
    return _download(found)


# -- the assessor -----------------------------------------------------------------------


@web.get("/o/<slug>/assess")
@requires_role(Role.ASSESSOR)
def assess_queue() -> ResponseReturnValue:
    """The evidence waiting for an assessor, oldest first."""
    visitor, db = page_visitor(), get_session()
    waiting = queue(db, visitor.organisation.id)
    return render_page(
        "assess_queue.html",
        active="assess",
        claims=[_claim_view(claim) for claim in waiting],
        decided=request.args.get("decided"),
    )


@web.route("/o/<slug>/assess/<claim_id>", methods=["GET", "POST"])
@requires_role(Role.ASSESSOR)
def assess_claim(claim_id: str) -> ResponseReturnValue:
    """One claim: the evidence, the history of the person's claims for the step, and the
    decision (accept, or return with a reason)."""
    visitor, db = page_visitor(), get_session()
    claim = claim_for_assessor(db, visitor.organisation.id, parse_id(claim_id, "evidence"))
    problems: list[str] = []
    if request.method == "POST":
        decision = request.form.get("decision")
        note = request.form.get("reason", "")
        if decision == "accept":
            accept_claim(db, issuing_service(db), claim, visitor.person, note)
        elif decision == "return" and note.strip():
            return_claim(db, claim, visitor.person, note)
        elif decision == "return":
            problems.append(_("Say why the evidence is returned; the learner reads it."))
        else:
            raise BadRequest(_("Choose to accept or to return the evidence."))
        if not problems:
            target = url_for("web.assess_queue", slug=visitor.organisation.slug, decided=decision)
            return redirect(target, code=303)
    view = _claim_view(claim)
    return render_page(
        "assess_claim.html",
        status=400 if problems else 200,
        active="assess",
        claim=view,
        own=claim.person_id == visitor.person.id,
        history=[_claim_view(item) for item in history(db, claim) if item.id != claim.id],
        problems=problems,
    )


@web.get("/o/<slug>/assess/<claim_id>/files/<file_id>")
@requires_role(Role.ASSESSOR)
def assess_file(claim_id: str, file_id: str) -> Response:
    """A file of a claim of the organisation, as a download."""
    visitor, db = page_visitor(), get_session()
    claim = claim_for_assessor(db, visitor.organisation.id, parse_id(claim_id, "evidence"))
    found = next((item for item in claim.files if item.id == parse_id(file_id, "file")), None)
    if found is None:
        raise NotFound("no such file")
    return _download(found)


def _download(found: EvidenceFile) -> Response:
    response = Response(found.data, mimetype=found.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _claim_view(claim: EvidenceClaim) -> dict[str, object]:
    """What the assessor's pages show of a claim: whose, for which step, decided by whom."""
    db = get_session()
    person = db.get(Person, claim.person_id)
    decider = db.get(Person, claim.decided_by_id) if claim.decided_by_id else None
    goal = db.get(SubGoal, claim.sub_goal_id)
    language = current_language()
    badge = db.get(Achievement, goal.achievement_id) if goal is not None else None
    return {
        "claim": claim,
        "person": person.display_name if person else "—",
        "decider": decider.display_name if decider else None,
        "goal": goal.text("name", language) if goal is not None else "—",
        # What the badge asks for, to judge the evidence against.
        "criteria": badge.current.text("criteria_narrative", language) if badge else None,
    }
