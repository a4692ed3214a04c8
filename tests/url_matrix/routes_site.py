"""Site-wide routes: the home page, health, a person's own settings and keys, organizations, the system.

Statuses in the order: anonymous outsider viewer member admin service.
"""

from tests.url_matrix.table import api, page

ROUTES = [
    page("home", "GET", "200 200 200 200 200 200"),
    page("health", "GET", "200 200 200 200 200 200"),
    page("health-ready", "GET", "200 200 200 200 200 200"),
    # a person's own settings: anyone signed in
    page("settings", "GET", "in 200 200 200 200 in"),
    page("settings-profile", "POST", "in 302 302 302 302 in", body={"display_name": "New Name"}),
    page("settings-avatar", "POST", "in 302 302 302 302 in", body={"remove": "1"}),
    page("settings-api-key-create", "POST", "in 200 200 200 200 in", body={"name": "laptop"}),
    page("settings-api-key-revoke", "POST", "in 302 302 302 302 in"),
    page("settings-notifications", "GET", "in 200 200 200 200 in"),
    page("settings-notifications", "POST", "in 302 302 302 302 in", body={"alerts": "1"}, case="save"),
    # the link in notification mails works without signing in: the signed token is the permission
    page("unsubscribe", "GET", "200 200 200 200 200 200", kwargs={"token": lambda w, actor: _unsubscribe(w)}),
    page("unsubscribe", "POST", "200 200 200 200 200 200", kwargs={"token": lambda w, actor: _unsubscribe(w)}, case="confirm"),
    # invitations: the world's invitation is addressed to the outsider
    page("team-new", "GET", "in 403 403 403 403 in"),
    # "Invite": admins go to their team's invite form; people who can invite nowhere are told so
    page("invite-entry", "GET", "in 403 403 403 302 in"),
    page("invitation", "GET", "200 200 409 409 409 200"),
    page("invitation", "POST", "in 302 409 409 409 in", case="accept"),
    # organizations are not secret: their members read the custom roles, others are refused by name
    page("org-roles", "GET", "in 403 200 200 200 in"),
    page("org-role-delete", "POST", "in 403 403 403 403 in"),
    page("system-settings", "GET", "in 403 403 403 403 in"),
    # the JSON API: the schema is public
    api("openapi-json", "GET", "200 200 200 200 200 200"),
    api("openapi-view", "GET", "200 200 200 200 200 200"),
    api("api-root", "GET", "200 200 200 200 200 200"),
    api("viewer", "GET", "401 200 200 200 200 200"),
    api("user_create", "POST", "401 403 403 403 403 403",
        body={"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-pass-phrase-1"}),
    api("api_key_list", "GET", "401 200 200 200 200 200"),
    api("api_key_create", "POST", "401 201 201 201 201 201", body={"name": "laptop"}),
    api("api_key_revoke", "DELETE", "401 204 204 204 204 404"),  # the service account has no key of its own here
    api("organization_create", "POST", "401 403 403 403 403 403", body={"slug": "new-org", "name": "New"}),
    api("org_member_set", "PUT", "401 403 403 403 403 403", body={"role": "admin"}),
    api("custom_role_list", "GET", "401 403 200 200 200 403"),
    api("custom_role_create", "POST", "401 403 403 403 403 403", body={"name": "triager", "base": "viewer", "scopes": ["team:invite"]}),
    api("custom_role_delete", "DELETE", "401 403 403 403 403 403"),
    api("team_create", "POST", "401 403 403 403 403 403", body={"slug": "new-team", "name": "New"}),
    # the outsider is the invitee; everyone else in the world is in the team already (409)
    api("invitation_accept", "POST", "401 200 409 409 409 409"),
]


def _unsubscribe(w):
    from accounts.notifications import unsubscribe_token

    return unsubscribe_token(w.users["member"], "alerts")
