from django import forms

from labelapp.projects.models import LabelClass, Project

MAX_VERSION = 2**31 - 1


class ReviewForm(forms.Form):
    """Keeping a label: the label version the person saw."""

    label_version = forms.IntegerField(min_value=0, max_value=MAX_VERSION)


class RelabelForm(ReviewForm):
    """Relabeling: the class to give, and the label version the person saw."""

    class_id = forms.IntegerField(min_value=1, max_value=2**62)

    def __init__(self, project: Project, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.project = project

    def clean_class_id(self) -> LabelClass:
        label_class = self.project.classes.filter(pk=self.cleaned_data["class_id"]).first()
        if label_class is None:
            raise forms.ValidationError("That class does not exist in this project.")
        return label_class


def first_error(form: forms.Form) -> str:
    for field_name, errors in form.errors.items():
        prefix = "" if field_name == "__all__" else f"{field_name.replace('_', ' ')}: "
        return f"{prefix}{errors[0]}"
    return "The form is not valid."
