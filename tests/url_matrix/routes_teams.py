"""A team's people: members, invitations, service accounts, the audit log (team:* scopes).

The team itself is public (its profile), so an outsider who lacks a scope gets 403,
not 404. Statuses in the order: anonymous outsider viewer member admin service.
"""

from teams import services
from tests.url_matrix.table import api, page

HOOK = {"url": "https://93.184.215.14/hook", "events": ["alert"]}  # a public address: no DNS, no SSRF refusal


def extend(w):
    w.names["webhook_id"] = services.webhook_create(actor=w.users["admin"], team=w.team, **HOOK).pk


def _boss(w, actor):
    return "m-orgboss"  # an organization member who is not in the team yet


def _bot(w, actor):
    return w.other_bot.user.username


ROUTES = [
    api("team_detail", "GET", "200 200 200 200 200 200"),
    api("team_update", "PATCH", "401 403 403 403 200 403", body={"name": "Acme Labs"}),
    api("team_delete", "DELETE", "401 403 403 403 403 403"),
    api("member_list", "GET", "401 403 200 200 200 200"),
    api("member_set", "PUT", "401 403 403 403 200 403", body={"role": "member"}, kwargs={"username": _boss}, case="new member"),
    api("member_set", "PUT", "401 403 403 403 200 403", body={"role": "member"}, case="role change"),
    api("member_remove", "DELETE", "401 403 403 403 204 403"),
    api("invitation_list", "GET", "401 403 403 403 200 403"),
    api("invitation_create", "POST", "401 403 403 403 201 403", body={"email": "colleague@example.com", "role": "member"}),
    api("invitation_revoke", "DELETE", "401 403 403 403 204 403"),
    api("service_account_list", "GET", "401 403 403 403 200 403"),
    api("service_account_create", "POST", "401 403 403 403 201 403", body={"name": "evaluator"}),
    api("service_account_revoke", "DELETE", "401 403 403 403 204 403", kwargs={"username": _bot}),
    api("audit_list", "GET", "401 403 403 403 200 403"),
    # the settings pages (team:manage; inviting and adding people: team:invite)
    page("team-settings-members", "GET", "in 403 403 403 200 in"),
    page("team-member-invite", "POST", "in 403 403 403 302 in", body={"email": "colleague@example.com", "role": "member"}),
    page("team-member-add", "POST", "in 403 403 403 302 in", body=lambda w, actor: {"user": w.boss.pk, "role": "member"}),
    page("team-member-role", "POST", "in 403 403 403 302 in", body={"role": "member"}),
    page("team-member-remove", "POST", "in 403 403 403 302 in"),
    page("team-invitation-revoke", "POST", "in 403 403 403 302 in"),
    page("team-settings-service-accounts", "GET", "in 403 403 403 200 in"),
    page("team-settings-service-accounts", "POST", "in 403 403 403 200 in", body={"name": "evaluator"}, case="create"),
    page("team-service-account-revoke", "POST", "in 403 403 403 302 in", kwargs={"username": _bot}),
    page("team-settings-audit", "GET", "in 403 403 403 200 in"),
    # webhooks and the team's run mails (team:manage)
    api("webhook_list", "GET", "401 403 403 403 200 403"),
    api("webhook_create", "POST", "401 403 403 403 201 403", body=HOOK),
    api("webhook_update", "PATCH", "401 403 403 403 200 403", body={"enabled": False}),
    api("webhook_delete", "DELETE", "401 403 403 403 204 403"),
    api("delivery_list", "GET", "401 403 403 403 200 403"),
    api("webhook_test", "POST", "401 403 403 403 202 403"),
    page("team-settings-webhooks", "GET", "in 403 403 403 200 in"),
    page("team-settings-webhooks", "POST", "in 403 403 403 302 in", body=HOOK, case="add"),
    page("team-webhook-test", "POST", "in 403 403 403 302 in"),
    page("team-webhook-toggle", "POST", "in 403 403 403 302 in"),
    page("team-webhook-delete", "POST", "in 403 403 403 302 in"),
    page("team-run-mails", "POST", "in 403 403 403 302 in", body={"crashed": "1"}),
]
