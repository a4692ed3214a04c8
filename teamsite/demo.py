"""The demo that `make run` loads into an empty database.

Each capability adds what it brings here, so a new user of `make run` sees the
product with real content. Passwords are public on purpose: this is a demo.
"""

from django.db import transaction

from accounts.models import User
from accounts.services import user_create

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


SIGN_INS = [
    ("operator", OPERATOR_PASSWORD, "system admin: /admin/ and every setting"),
    ("ada", DEMO_PASSWORD, "a person who will run the demo team"),
    ("max", DEMO_PASSWORD, "a colleague"),
    ("vera", DEMO_PASSWORD, "a colleague who only looks"),
]


def demo_sign_ins():
    """The demo sign-ins whose accounts exist in this database."""
    present = set(User.objects.filter(username__in=[name for name, _, _ in SIGN_INS]).values_list("username", flat=True))
    return [row for row in SIGN_INS if row[0] in present]


def database_is_empty():
    return not User.objects.exists()
