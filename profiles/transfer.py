"""The profiles app's part of a team export: the showcase, in its order."""

from core import hooks
from core.transfer import Part

from .models import ShowcaseItem


def _dump(team, out):
    out.rows("showcase", [{"report": out.ref("report", i.report_id) if i.report_id else None,
                           "project": out.ref("project", i.project_id) if i.project_id else None, "position": i.position}
                          for i in ShowcaseItem.objects.filter(team=team).order_by("position", "pk")])


def _load(team, inp):
    ShowcaseItem.objects.bulk_create([
        ShowcaseItem(team=team, position=row["position"], report=inp.get("report", row["report"]) if row["report"] else None,
                     project=inp.get("project", row["project"]) if row["project"] else None)
        for row in inp.rows("showcase")
    ])


hooks.register("export.parts", Part("profiles", 40, _dump, _load))
