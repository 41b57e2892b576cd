"""Forms of the project pages; each turns raw POST data into clean values or messages."""

from typing import Any

from django import forms

from labelapp.projects.class_lines import ClassLinesError, ClassSpec, parse_class_lines
from labelapp.projects.models import EncoderStart, Role

CLASSES_HELP = (
    "One class per line. Optionally add a colour and a key after the name, "
    "e.g. “cat #e15759 c”. Otherwise a class named by one character is typed with it "
    "(class 7 with 7), the others with 1–9 and 0."
)


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    classes = forms.CharField(
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "cat\ndog\nbird"}),
        help_text=CLASSES_HELP,
    )
    encoder_start = forms.ChoiceField(
        label="Start from",
        choices=EncoderStart.choices,
        initial=EncoderStart.IMAGENET,
        required=False,
        help_text=(
            "Photos: start from features learned on ImageNet's 1.3 million photos, so the first "
            "labels already count (the weights ship with labelapp; nothing is downloaded). "
            "Choose random initialization for images far from photos (scans, spectrograms) or "
            "to use no outside weights; then pretrain before training."
        ),
    )

    def clean_encoder_start(self) -> str:
        return str(self.cleaned_data.get("encoder_start") or EncoderStart.IMAGENET)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name

    def clean_classes(self) -> list[ClassSpec]:
        try:
            return parse_class_lines(self.cleaned_data["classes"])
        except ClassLinesError as error:
            raise forms.ValidationError(str(error)) from None


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.LABELER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class DeleteProjectForm(forms.Form):
    confirm_name = forms.CharField(max_length=200, label="Type the project's name to confirm")

    def __init__(self, *args: Any, project_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project_name = project_name

    def clean_confirm_name(self) -> str:
        typed: str = self.cleaned_data["confirm_name"]
        if typed.strip() != self.project_name:
            raise forms.ValidationError("That is not the project's name; nothing was deleted.")
        return typed


class AcceptPredictionsForm(forms.Form):
    minimum_confidence = forms.FloatField(min_value=0.0, max_value=1.0, initial=0.95)
    expected_count = forms.IntegerField(min_value=0, required=False)


class ClassForm(forms.Form):
    name = forms.CharField(max_length=100)
    color = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", max_length=7, initial="#4e79a7")
    key = forms.CharField(max_length=1, required=False, strip=False)
