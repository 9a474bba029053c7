"""Words the pages show for the service's own codes (roles, statuses, errors), translated
when a page is drawn."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..access.roles import Role

__all__ = [
    "BULK_STATES",
    "CHECK_NAMES",
    "CHECK_OUTCOMES",
    "CLAIM_STATES",
    "DELIVERY_STATES",
    "ERROR_TEXTS",
    "ERROR_TITLES",
    "EVENT_STATES",
    "NOTICE_KINDS",
    "PATH_KINDS",
    "PUBLIC_NAME_TEXTS",
    "ROLE_NAMES",
    "ROLE_TEXTS",
    "ROW_PROBLEMS",
    "STATUS_NAMES",
    "TRIGGER_KINDS",
]

ROLE_NAMES = {
    Role.LEARNER: _l("Learner"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ASSESSOR: _l("Assessor"),
    Role.HR: _l("HR"),
    Role.ADMIN: _l("Administrator"),
}
ROLE_TEXTS = {
    Role.LEARNER: _l("You follow your own learning path and collect your badges."),
    Role.SUPERVISOR: _l("You guide your team's learning and approve their paths."),
    Role.ASSESSOR: _l("You assess evidence of competence people have submitted."),
    Role.HR: _l("You follow the organisation's competence reserve."),
    Role.ADMIN: _l("You look after the service: badges, paths, connections and people."),
}
STATUS_NAMES = {
    "valid": _l("valid"),
    "revoked": _l("revoked"),
    "expired": _l("expired"),
}
CLAIM_STATES = {
    "submitted": _l("waiting for an assessor"),
    "accepted": _l("accepted"),
    "returned": _l("returned"),
}
EVENT_STATES = {
    "received": _l("received, not processed yet"),
    "processed": _l("processed"),
    "unmatched": _l("matched no sub-goal"),
    "ignored": _l("ignored (not a completion)"),
    "parked": _l("parked (person unknown)"),
    "failed": _l("failed"),
}
DELIVERY_STATES = {
    "dead": _l("given up"),
    "pending": _l("waiting to be delivered"),
    "delivered": _l("delivered"),
}
BULK_STATES = {
    "preview": _l("checked, not confirmed"),
    "queued": _l("being awarded"),
    "done": _l("done"),
}
ROW_PROBLEMS = {
    "unknown-person": _l("no such person in the organisation"),
    "inactive-person": _l("the person is deactivated"),
    "unknown-badge": _l("no such badge or step"),
    "bad-link": _l("the evidence link is not a web address"),
    "too-long": _l("the narrative is longer than 5,000 characters"),
    "repeat": _l("the same person and badge as line"),
}
NOTICE_KINDS = {
    "issued": _l("When I get a badge"),
    "expiry": _l("Before a badge of mine expires"),
    "digest": _l("A weekly digest of my team's badges"),
}
TRIGGER_KINDS = {
    "lms": _l("a completion in the learning environment"),
    "xapi": _l("an xAPI statement"),
    "manual": _l("an award by a supervisor"),
    "evidence": _l("evidence accepted by an assessor"),
}
PATH_KINDS = {
    "organisation": _l("Organisation path"),
    "team": _l("Team path"),
    "individual": _l("My own path"),
}
PUBLIC_NAME_TEXTS = {
    "full": _l("Full name"),
    "given": _l("Given name only"),
    "initials": _l("Initials"),
}
CHECK_NAMES = {
    "type": _l("Credential type"),
    "proof": _l("Signature"),
    "issuer": _l("Issuer's key"),
    "validity": _l("Validity period"),
    "status": _l("Revocation status"),
    "schema": _l("Open Badges format"),
}
CHECK_OUTCOMES = {
    "passed": _l("passed"),
    "failed": _l("failed"),
    "skipped": _l("not checked"),
}
ERROR_TITLES = {
    "400": _l("The request could not be used"),
    "403": _l("This page is not for you"),
    "404": _l("Page not found"),
    "405": _l("That does not work here"),
    "413": _l("Too much data"),
    "429": _l("Too many requests"),
    "500": _l("Something went wrong"),
    "form-expired": _l("The form has expired"),
}
ERROR_TEXTS = {
    "400": _l("Something in the request was not right. Go back and try again."),
    "403": _l("Your roles do not give access to this page."),
    "404": _l("There is no page at this address. Check the address, or start from the front page."),
    "405": _l("This address does not accept that kind of request."),
    "413": _l("The data sent was larger than this service accepts."),
    "429": _l("You sent many requests in a short time. Wait a minute and try again."),
    "500": _l("The service ran into an error. It has been logged; please try again later."),
    "form-expired": _l(
        "The page was open too long or the session changed. Go back, reload the page and "
        "send the form again."
    ),
}
