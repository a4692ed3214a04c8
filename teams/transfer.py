"""The teams app's part of a team export: the team's settings and avatar, the custom roles its members hold,
members, service accounts (no keys) and the audit log. Webhooks stay behind: their URLs and secrets point
into the old site's neighbourhood."""

from __future__ import annotations

from core import hooks
from core.transfer import ImportProblem, Part, plain, restore

from .models import AuditEvent, CustomRole, Membership, ServiceAccount, Team

TEAM_FIELDS = ("name", "intro", "links", "projects_stay_inside", "mail_run_finished", "mail_run_crashed", "created_at")
MEMBER_FIELDS = ("role", "registry_admin", "created_at")
AUDIT_FIELDS = ("actor_name", "action", "target", "detail", "at")


def _dump(team: Team, out):
    out.rows("team", [plain(team, TEAM_FIELDS)])
    for field in ("avatar_large", "avatar_small"):
        if getattr(team, field):
            with getattr(team, field).open("rb") as handle:
                out.file(f"team/{field}", handle)
    memberships = team.memberships.select_related("user", "custom_role").order_by("pk")
    roles = {m.custom_role for m in memberships if m.custom_role}
    out.rows("custom_roles", [{"name": r.name, "base": r.base, "extra_scopes": r.extra_scopes} for r in sorted(roles, key=lambda r: r.name)])
    out.rows("members", [{**plain(m, MEMBER_FIELDS), "user": out.user(m.user), "custom_role": m.custom_role.name if m.custom_role else None}
                         for m in memberships])
    accounts = ServiceAccount.objects.filter(team=team).order_by("pk")
    out.rows("service_accounts", [{"name": a.name, "user": out.user(a.user), "created_by": out.user(a.created_by),
                                   "created_at": a.created_at.isoformat(), "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None}
                                  for a in accounts])
    out.rows("audit", [{**plain(e, AUDIT_FIELDS), "actor": out.user(e.actor)} for e in AuditEvent.objects.filter(team=team).order_by("pk")])


def _load(team: Team, inp):
    from core.transfer import parse_when

    (data,) = list(inp.rows("team")) or [None]
    if data is None:
        raise ImportProblem("team.jsonl is empty: the archive holds no team.")
    for field in TEAM_FIELDS:
        if field != "created_at":
            setattr(team, field, data[field])
    team.created_at = parse_when(data["created_at"])
    for field in ("avatar_large", "avatar_small"):
        if inp.has(f"team/{field}"):
            getattr(team, field).save(f"{team.slug}-{field[7:]}.webp", inp.content(f"team/{field}"), save=False)
    team.save()
    roles = {}
    for row in inp.rows("custom_roles"):
        role, _ = CustomRole.objects.get_or_create(organization=team.organization, name=row["name"],
                                                   defaults={"base": row["base"], "extra_scopes": row["extra_scopes"]})
        roles[row["name"]] = role
    Membership.objects.filter(team=team).delete()  # the importer's own admin row: the archive's members replace it
    for row in inp.rows("members"):
        user = inp.user(row["user"])
        if user is None:
            raise ImportProblem(f"members.jsonl names user {row['user']}, who is not in users.jsonl.")
        member = restore(Membership, row, MEMBER_FIELDS, team=team, user=user, custom_role=roles.get(row["custom_role"]))
        member.role = "custom" if member.custom_role else member.role
        member.save()
        from .services import ensure_org_member

        ensure_org_member(team.organization, user)
    for row in inp.rows("service_accounts"):
        ServiceAccount.objects.create(team=team, name=row["name"], user=inp.user(row["user"]), created_by=inp.user(row["created_by"]),
                                      created_at=parse_when(row["created_at"]), revoked_at=parse_when(row["revoked_at"]))
    for row in inp.rows("audit"):
        restore(AuditEvent, row, AUDIT_FIELDS, team=team, team_slug=team.slug, actor=inp.user(row["actor"])).save()


hooks.register("export.parts", Part("teams", 10, _dump, _load))
