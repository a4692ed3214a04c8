"""The lineage graph drawn as SVG: runs and versions in columns by their distance from the version shown."""

from __future__ import annotations

from django.urls import reverse

NODE_W, NODE_H, GAP_X, GAP_Y = 180, 40, 80, 24


def layout(found: dict, center) -> dict:
    """Nodes with x/y and links, edges as lines; versions flow into runs that used them, runs into what they logged."""
    edges = found["edges"]
    depth = {("version", center.pk): 0}
    changed = True
    while changed:  # breadth-first over the few nodes there are: upstream negative, downstream positive
        changed = False
        for source, target in edges:
            if source in depth and target not in depth:
                depth[target] = depth[source] + 1
                changed = True
            elif target in depth and source not in depth:
                depth[source] = depth[target] - 1
                changed = True
    columns = {}
    for key in sorted(depth, key=lambda k: (depth[k], k)):
        columns.setdefault(depth[key], []).append(key)
    low = min(columns) if columns else 0
    tallest = max((len(keys) for keys in columns.values()), default=1)
    nodes, where = [], {}
    for column, keys in columns.items():
        for row, key in enumerate(keys):
            x = (column - low) * (NODE_W + GAP_X) + 10
            y = row * (NODE_H + GAP_Y) + 10
            where[key] = (x, y)
            nodes.append({**_label(found, key, center), "x": x, "y": y, "tx": x + 10, "ty": y + 25, "w": NODE_W, "h": NODE_H})
    lines = []
    for source, target in edges:
        if source in where and target in where:
            (x1, y1), (x2, y2) = where[source], where[target]
            lines.append({"x1": x1 + NODE_W, "y1": y1 + NODE_H // 2, "x2": x2, "y2": y2 + NODE_H // 2})
    width = len(columns) * (NODE_W + GAP_X) - GAP_X + 20 if columns else NODE_W + 20
    return {"nodes": nodes, "lines": lines, "width": width, "height": tallest * (NODE_H + GAP_Y) + 10}


def _label(found, key, center):
    kind, pk = key
    if kind == "run":
        run = found["runs"][pk]
        url = reverse("run", kwargs={"team": run.project.team.slug, "project": run.project.name, "run_id": run.run_id})
        return {"kind": "run", "label": f"run {run.name}"[:26], "url": url, "current": False}
    version = found["versions"][pk]
    url = reverse("artifact-version", kwargs={"team": version.project.team.slug, "project": version.project.name, "name": version.artifact.name, "version": version.version})
    return {"kind": "version", "label": f"{version.artifact.name}:{version.version}"[:26], "url": url, "current": pk == center.pk}
