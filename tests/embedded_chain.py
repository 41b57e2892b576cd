"""Run inside the embedded app's environment (SQLite, file-system broker) by
tests/test_embedded_mode.py: creates a project of 100 CIFAR-10 images, labels 20 and
enqueues pretrain, then retrain. Prints the job ids as JSON."""

import json
import sys

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402

from labelapp.images.models import Image  # noqa: E402
from labelapp.jobs import services  # noqa: E402
from labelapp.projects.models import Project  # noqa: E402
from tests.fixtures.cifar import add_classes, add_image, cifar_sample  # noqa: E402

# Enough for a pretrain batch and two labels per class; the chain, not the scale, is tested.
PER_CLASS = 10


def create_project() -> Project:
    owner = User.objects.get(username="admin")
    project = Project.objects.create(
        name="Embedded CIFAR", created_by=owner, encoder_start="random"
    )
    classes = {
        c.name: c
        for c in add_classes(project, sorted({n for _, n in cifar_sample("train", PER_CLASS)}))
    }
    for index, (data, name) in enumerate(cifar_sample("train", PER_CLASS)):
        image = add_image(project, data, f"{name}-{index}.jpg")
        if index % (PER_CLASS // 2) == 0:
            Image.objects.filter(pk=image.pk).update(current_label=classes[name], label_version=1)
    return project


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "pretrain":
        project = create_project()
        job = services.enqueue_job("pretrain", project, None, epochs=2)
    else:
        project = Project.objects.get(name="Embedded CIFAR")
        job = services.enqueue_job(command, project, None)
    print(json.dumps({"job": job.pk, "project": project.pk}))
