from django import template

register = template.Library()


@register.filter
def duration(value):
    """A timedelta as people say it: 42s, 3m 12s, 2h 5m, 3d 4h."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


@register.filter
def metric(value):
    """A number as a chart legend shows it: six significant digits; NaN for a missing value."""
    if value is None:
        return "NaN"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return f"{value:.6g}"
