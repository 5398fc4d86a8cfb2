from django.db import migrations

ROLES = ("poradce", "manager", "administrator", "klient")
CANARY_PLAINTEXT = "hypoteky-encryption-canary-v1"  # same as klienti.encryption


def create_roles_and_canary(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    EncryptionCanary = apps.get_model("klienti", "EncryptionCanary")
    if not EncryptionCanary.objects.exists():
        # The historical model keeps the encrypted field class, so this row is
        # encrypted under the key in force when the database is first migrated.
        EncryptionCanary.objects.create(value=CANARY_PLAINTEXT)


class Migration(migrations.Migration):
    dependencies = [
        ("klienti", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles_and_canary, migrations.RunPython.noop)]
