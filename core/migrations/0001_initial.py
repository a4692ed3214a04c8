from django.db import migrations, models


class Migration(migrations.Migration):
    """SiteSettings moved here from the teamsite app: the table already exists."""

    initial = True

    dependencies = [("teamsite", "0001_initial")]
    run_before = [("teamsite", "0002_sitesettings_moved_to_core")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SiteSettings",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("site_name", models.CharField(max_length=64)),
                        ("open_signup", models.BooleanField(help_text="Anyone may create an account. Off: invitations only.")),
                        (
                            "allowed_signup_domains",
                            models.TextField(
                                blank=True,
                                help_text="One email domain per line (example.org). When set, new accounts need an address at one of them.",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "site settings",
                        "verbose_name_plural": "site settings",
                        "db_table": "teamsite_sitesettings",
                    },
                )
            ],
            database_operations=[],
        )
    ]
