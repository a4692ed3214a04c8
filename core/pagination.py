"""The list shape of spec/api.md: {"results": [...], "next": url | null}."""

from django.core.exceptions import ValidationError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def paginate(request, queryset, serialize, *, default_limit=DEFAULT_LIMIT):
    """Slice an ordered queryset by ?limit=&offset= and name the next page."""
    try:
        limit = int(request.GET.get("limit", default_limit))
        offset = int(request.GET.get("offset", 0))
    except ValueError:
        raise ValidationError("limit and offset must be whole numbers.") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, and offset at least 0.")
    rows = list(queryset[offset : offset + limit + 1])
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        query = request.GET.copy()
        query["limit"] = str(limit)
        query["offset"] = str(offset + limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"results": [serialize(row) for row in rows], "next": next_url}
