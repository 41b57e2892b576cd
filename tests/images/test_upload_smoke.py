from labelapp.images.importing import import_staged_batch
from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from tests.images.conftest import picture_bytes, uploaded, zip_bytes


def test_upload_then_import_adds_pictures(project, owner, django_capture_on_commit_callbacks):
    files = [
        uploaded("red.png", picture_bytes((255, 0, 0))),
        uploaded("pets.zip", zip_bytes({"a/green.png": picture_bytes((0, 255, 0))})),
    ]
    batch = receive_upload(project, owner, files)
    report = import_staged_batch(batch)
    assert report.counts == {"added": 2, "duplicate": 0, "rejected": 0}, report.entries
    assert sorted(Image.objects.values_list("original_name", flat=True)) == ["a/green.png", "red.png"]
