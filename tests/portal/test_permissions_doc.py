from django.core.management import call_command


def test_permissions_doc_matches_the_matrix_in_code():
    # Raises CommandError when docs/permissions.md was not regenerated after a change.
    call_command("permissions_doc", "--check")
