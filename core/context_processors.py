from .models import SiteSettings


def site(request):
    current = SiteSettings.current()
    return {"site_name": current.site_name, "open_signup": current.signup_is_open}
