from django.db import migrations


class Migration(migrations.Migration):
    """SiteSettings now lives in the core app; its table stays where it is."""

    dependencies = [("teamsite", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SiteSettings")],
            database_operations=[],
        )
    ]
