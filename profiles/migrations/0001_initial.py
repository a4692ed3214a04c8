import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """ShowcaseItem moved here from the teams app: the table already exists."""

    initial = True

    dependencies = [
        ("experiments", "0003_alert_sent"),
        ("reports", "0002_revision_visibility"),
        ("teams", "0003_profile"),
    ]
    run_before = [("teams", "0004_showcase_moved_to_profiles")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ShowcaseItem",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("position", models.PositiveIntegerField(default=0)),
                        ("project", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="experiments.project")),
                        ("report", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reports.report")),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="showcase", to="teams.team")),
                    ],
                    options={
                        "db_table": "teams_showcaseitem",
                        "ordering": ["position", "id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("report__isnull", False), ("project__isnull", True)),
                                    models.Q(("report__isnull", True), ("project__isnull", False)),
                                    _connector="OR",
                                ),
                                name="showcase_one_thing",
                            )
                        ],
                    },
                )
            ],
            database_operations=[],
        )
    ]
