"""The demo that `make run` loads into an empty database.

Each capability adds what it brings here, so a new user of `make run` sees the
product with real content. Passwords are public on purpose: this is a demo.
"""

from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from teams import services as team_services

DEMO_PASSWORD = "teamsite-demo"
OPERATOR_PASSWORD = "teamsite-operator"

PEOPLE = [
    # username, email, display name
    ("ada", "ada@demo-lab.example", "Ada Admin"),
    ("max", "max@demo-lab.example", "Max Member"),
    ("vera", "vera@demo-lab.example", "Vera Viewer"),
]


@transaction.atomic
def load_demo():
    """Create the demo content in one transaction."""
    operator = user_create(username="operator", email="operator@demo-lab.example", password=OPERATOR_PASSWORD)
    operator.is_staff = operator.is_superuser = True
    operator.display_name = "Site Operator"
    operator.save()
    people = {}
    for username, email, display_name in PEOPLE:
        person = user_create(username=username, email=email, password=DEMO_PASSWORD)
        person.display_name = display_name
        person.save(update_fields=["display_name"])
        people[username] = person

    org = team_services.organization_create(slug="demo-org", name="Demo Organization", admin=people["ada"])
    team = team_services.team_create(organization=org, slug="demo-lab", name="Demo Lab", creator=people["ada"])
    for username, role in (("max", "member"), ("vera", "viewer")):
        team_services.org_member_set(organization=org, user=people[username], role="member")
        team_services.member_add(team=team, user=people[username], role=role)
    team_services.service_account_create(team=team, name="nightly-training", created_by=people["ada"])


SIGN_INS = [
    ("operator", OPERATOR_PASSWORD, "system admin: /admin/ and every setting"),
    ("ada", DEMO_PASSWORD, "admin of the team demo-lab and of the organization demo-org"),
    ("max", DEMO_PASSWORD, "member of demo-lab"),
    ("vera", DEMO_PASSWORD, "view-only member of demo-lab"),
]


def demo_sign_ins():
    """The demo sign-ins whose accounts exist in this database."""
    present = set(User.objects.filter(username__in=[name for name, _, _ in SIGN_INS]).values_list("username", flat=True))
    return [row for row in SIGN_INS if row[0] in present]


def database_is_empty():
    return not User.objects.exists()
