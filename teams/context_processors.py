from . import selectors


def navigation(request):
    """The teams menu and the 'Invite Team' entry, for signed-in people."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(selectors.teams_of(user))
    admin_orgs = list(selectors.organizations_for_team_creation(user))
    can_invite = bool(admin_orgs) or any("team:invite" in m.scopes for m in memberships)
    return {
        "nav_memberships": memberships,
        "nav_admin_orgs": admin_orgs,
        "nav_can_create_team": bool(admin_orgs),
        "nav_can_invite": can_invite,
    }
