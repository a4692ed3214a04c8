from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApiKey, User
from teams import policy, services
from teams.models import Invitation, Membership, OrganizationMember
from core.errors import Conflict
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    admin = factories.user(username="boss")
    org = services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)
    team = services.team_create(organization=org, slug="lab", name="The Lab", actor=SYSTEM, admin=admin)
    return team


def add(team, role, **fields):
    person = factories.user(**fields)
    services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    return services.member_add(actor=SYSTEM, team=team, user=person, role=role)


def test_team_creator_is_admin_and_org_member(lab):
    boss = User.objects.get(username="boss")
    assert Membership.objects.get(team=lab, user=boss).role == "admin"
    assert OrganizationMember.objects.filter(organization=lab.organization, user=boss).exists()


@pytest.mark.parametrize("slug", ["admin", "API", "settings", "Health", "teams", "orgs", "..", "-", "has space", "x" * 65, ""])
def test_bad_team_slugs_are_refused(lab, slug):
    with pytest.raises(ValidationError) as info:
        services.team_create(organization=lab.organization, slug=slug, name="x", actor=SYSTEM, admin=User.objects.get(username="boss"))
    assert "slug" in info.value.message_dict


def test_taken_slug_ignores_case(lab):
    with pytest.raises(ValidationError, match="taken"):
        services.team_create(organization=lab.organization, slug="LAB", name="x", actor=SYSTEM, admin=User.objects.get(username="boss"))


def test_removing_a_member_keeps_the_person(lab):
    membership = add(lab, "member")
    services.member_remove(actor=SYSTEM, membership=membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=membership.user_id, is_active=True).exists()


def test_last_admin_can_be_neither_removed_nor_demoted(lab):
    only = Membership.objects.get(team=lab, role="admin")
    with pytest.raises(Conflict, match="last admin"):
        services.member_remove(actor=SYSTEM, membership=only)
    with pytest.raises(Conflict, match="last admin"):
        services.member_change_role(actor=SYSTEM, membership=only, role="member")
    second = add(lab, "admin")
    services.member_change_role(actor=SYSTEM, membership=only, role="member")
    with pytest.raises(Conflict):
        services.member_remove(actor=SYSTEM, membership=second)


def test_registry_admin_flag(lab):
    member = add(lab, "member")
    services.member_change_role(actor=SYSTEM, membership=member, registry_admin=True)
    member.refresh_from_db()
    assert "registry:manage_protected_aliases" in member.scopes
    viewer = add(lab, "viewer")
    with pytest.raises(ValidationError, match="View-only"):
        services.member_change_role(actor=SYSTEM, membership=viewer, registry_admin=True)
    with pytest.raises(ValidationError, match="View-only"):
        services.member_change_role(actor=SYSTEM, membership=member, role="viewer")


def test_custom_role_scopes_are_base_plus_extra(lab):
    role = services.custom_role_create(actor=SYSTEM, organization=lab.organization, name="reviewer", base="viewer", scopes=["report:create", "run:view"])
    assert role.extra_scopes == ["report:create"]  # run:view is in the base already
    membership = add(lab, "reviewer")
    assert membership.role_name == "reviewer"
    assert policy.can(membership.user, "report:create", lab)
    assert policy.can(membership.user, "run:view", lab)
    assert not policy.can(membership.user, "run:log", lab)
    with pytest.raises(Conflict):
        services.custom_role_delete(actor=SYSTEM, role=role)


def test_invitation_lifecycle(lab, django_capture_on_commit_callbacks, mailoutbox):
    boss = User.objects.get(username="boss")
    with django_capture_on_commit_callbacks(execute=True):
        created = services.member_invite(team=lab, email="Newbie@Example.com", role="viewer", actor=boss, base_url="http://site/")
    assert created.accept_url == f"http://site/invitations/{created.token}/"
    assert created.accept_url in mailoutbox[0].body
    assert created.token not in created.invitation.token_digest
    newbie = factories.user(email="newbie@example.com")
    membership = services.invitation_accept(invitation=services.invitation_by_token(created.token), actor=newbie)
    assert membership.role == "viewer"
    assert OrganizationMember.objects.filter(organization=lab.organization, user=newbie).exists()
    with pytest.raises(Conflict, match="already accepted"):
        services.invitation_accept(invitation=created.invitation, actor=newbie)


def test_invitation_needs_the_verified_address(lab):
    boss = User.objects.get(username="boss")
    created = services.member_invite(team=lab, email="x@example.com", role="member", actor=boss, base_url="http://s/")
    stranger = factories.user(email="y@example.com")
    problem = services.invitation_problem(created.invitation, stranger)
    assert problem.kind == "email"
    unverified = factories.user(email="x@example.com", verified=False)
    assert services.invitation_problem(created.invitation, unverified).kind == "email"


def test_expired_invitation(lab):
    boss = User.objects.get(username="boss")
    created = services.member_invite(team=lab, email="late@example.com", role="member", actor=boss, base_url="http://s/")
    Invitation.objects.filter(pk=created.invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.invitation_problem(services.invitation_by_token(created.token)).kind == "expired"


def test_service_account_and_its_revocation(lab):
    boss = User.objects.get(username="boss")
    created = services.service_account_create(team=lab, name="Nightly training", actor=boss)
    bot = created.service_account.user
    assert bot.is_service and not bot.has_usable_password()
    assert Membership.objects.get(team=lab, user=bot).role == "service"
    assert policy.can(bot, "run:log", lab) and not policy.can(bot, "report:create", lab)
    services.service_account_revoke(actor=SYSTEM, account=created.service_account)
    bot.refresh_from_db()
    assert not bot.is_active
    assert not ApiKey.objects.active().filter(user=bot).exists()
    assert not Membership.objects.filter(team=lab, user=bot).exists()


def test_visible_memberships(lab):
    member = add(lab, "member")
    outsider = factories.user()
    assert policy.visible(member.user, Membership.objects.all()).count() == 2
    assert policy.visible(outsider, Membership.objects.all()).count() == 0
    assert policy.visible(outsider, Invitation.objects.all()).count() == 0


def test_inactive_users_hold_no_scopes(lab):
    member = add(lab, "admin")
    User.objects.filter(pk=member.user_id).update(is_active=False)
    member.user.refresh_from_db()
    assert not policy.can(member.user, "team:view", lab)
