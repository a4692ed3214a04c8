from django.db import migrations


class Migration(migrations.Migration):
    """ShowcaseItem now lives in the profiles app; its table stays where it is."""

    dependencies = [("teams", "0003_profile")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ShowcaseItem")],
            database_operations=[],
        )
    ]
