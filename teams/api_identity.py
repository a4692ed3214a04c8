"""Who the caller is, and accounts for others: /api/v1/viewer and /api/v1/users.

Here rather than in accounts because the viewer lists the caller's teams and
creating someone else's account asks the policy.
"""

from ninja import Router, Schema, Status
from pydantic import Field

from . import services
from .selectors import teams_of

router = Router(tags=["identity"])


class ViewerTeam(Schema):
    team: str
    role: str


class ViewerOut(Schema):
    username: str
    email: str
    display_name: str
    is_service: bool
    is_system_admin: bool
    teams: list[ViewerTeam]


class UserIn(Schema):
    username: str = Field(max_length=150)
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)


class UserOut(Schema):
    username: str
    email: str



@router.get("/viewer", response=ViewerOut, summary="Who the caller is")
def viewer(request):
    user = request.auth
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.shown_name,
        "is_service": user.is_service,
        "is_system_admin": user.is_superuser,
        "teams": [{"team": m.team.slug, "role": m.role_name} for m in teams_of(user)],
    }


@router.post("/users", response={201: UserOut}, summary="Create a user (system admins)")
def user_create(request, payload: UserIn):
    user = services.user_create(actor=request.auth, username=payload.username, email=payload.email, password=payload.password)
    return Status(201, {"username": user.username, "email": user.email})
