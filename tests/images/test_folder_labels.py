"""Class folders offered as labels on import: off by default, a person's labels when asked."""

from django.core.management import call_command

from labelapp.images.importing import import_staged_batch
from labelapp.images.models import Label
from labelapp.images.uploads import receive_upload
from tests.images.conftest import picture_bytes, uploaded, zip_bytes

ARCHIVE = {
    "pets/cat/1.png": picture_bytes((10, 0, 0)),
    "pets/bird/2.png": picture_bytes((20, 0, 0)),
    "pets/Dog/3.png": picture_bytes((30, 0, 0)),
    "loose.png": picture_bytes((40, 0, 0)),
}


def import_zip(project, owner, labels_from_folders: bool):
    batch = receive_upload(
        project, owner, [uploaded("pets.zip", zip_bytes(ARCHIVE))], labels_from_folders
    )
    return import_staged_batch(batch)


def test_folders_become_classes_and_labels_when_asked(project, owner, classes):
    report = import_zip(project, owner, labels_from_folders=True)

    labels = {
        i.original_name: i.current_label and i.current_label.name for i in project.images.all()
    }
    assert labels == {
        "pets/cat/1.png": "cat",
        "pets/bird/2.png": "bird",  # a class the project lacked, created
        "pets/Dog/3.png": "dog",  # the existing class, whatever the case
        "loose.png": None,
    }
    assert report.as_result()["labeled_from_folders"] == 3
    assert sorted(project.classes.values_list("name", flat=True)) == ["bird", "cat", "dog"]
    assert set(Label.objects.values_list("source", flat=True)) == {"import"}


def test_folder_classes_get_keys_their_own_name_first(project, owner, classes):
    # given classes cat (key 1) and dog (key 2), and folders 2 and 7 beside bird
    archive = {f"{name}/1.png": picture_bytes((index, 0, 0))
               for index, name in enumerate(["bird", "2", "7"])}  # fmt: skip
    batch = receive_upload(project, owner, [uploaded("d.zip", zip_bytes(archive))], True)
    import_staged_batch(batch)
    # then 7 is typed with 7; 2, whose digit dog has, and bird take the first free keys
    keys = dict(project.classes.values_list("name", "key"))
    assert keys == {"cat": "1", "dog": "2", "2": "3", "7": "7", "bird": "4"}


def test_folders_are_not_labels_by_default(project, owner, classes):
    report = import_zip(project, owner, labels_from_folders=False)

    assert "labeled_from_folders" not in report.as_result()
    assert not project.images.filter(current_label__isnull=False).exists()


def test_a_duplicate_keeps_the_label_it_had(project, owner, classes):
    import_zip(project, owner, labels_from_folders=False)
    project.images.filter(original_name="pets/cat/1.png").update(current_label=classes["dog"])

    import_zip(project, owner, labels_from_folders=True)

    assert project.images.get(original_name="pets/cat/1.png").current_label == classes["dog"]


def test_a_server_folder_is_labeled_by_its_class_folders(project, tmp_path):
    (tmp_path / "bird").mkdir()
    (tmp_path / "bird" / "a.png").write_bytes(picture_bytes((1, 2, 3)))

    call_command("import_folder", str(project.pk), str(tmp_path), "--labels-from-folders")

    assert project.images.get().current_label.name == "bird"


def test_the_upload_api_takes_the_choice_as_a_form_field(client, project, owner, classes):
    client.force_login(owner)
    archive = uploaded("pets.zip", zip_bytes(ARCHIVE))

    response = client.post(
        f"/api/projects/{project.pk}/images", {"files": [archive], "labels_from_folders": "true"}
    )

    assert response.status_code == 201
    assert project.upload_batches.get().labels_from_folders is True
