from .models import SiteSettings


def site(request):
    current = SiteSettings.current()
    return {"site_name": current.site_name, "open_signup": current.signup_is_open}


def navigation(request):
    """The teams menu and the 'Invite Team' entry, for signed-in people."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from teams import selectors

    memberships = list(selectors.teams_of(user))
    can_create = selectors.organizations_for_team_creation(user).exists()
    can_invite = can_create or any("team:invite" in m.scopes for m in memberships)
    return {"nav_memberships": memberships, "nav_can_create_team": can_create, "nav_can_invite": can_invite}
