"""The members page: owners add people, change their role, or remove them."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from labelapp.projects import services
from labelapp.projects.forms import AddMemberForm, RoleForm
from labelapp.projects.models import Membership
from labelapp.projects.permissions import ProjectAccess, project_role


def _members_page(
    request: HttpRequest, access: ProjectAccess, form: AddMemberForm, status: int = 200
) -> HttpResponse:
    memberships = access.project.memberships.select_related("user").order_by("user__username")
    context = {"access": access, "project": access.project, "memberships": memberships}
    return render(request, "projects/members.html", {**context, "form": form}, status=status)


@project_role("owner", methods=("GET", "POST"))
def members(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    if request.method != "POST":
        return _members_page(request, access, AddMemberForm())
    form = AddMemberForm(request.POST)
    if form.is_valid():
        try:
            services.add_member(
                access.project, form.cleaned_data["username"], form.cleaned_data["role"]
            )
        except services.MembershipError as error:
            form.add_error("username", str(error))
        else:
            messages.success(request, f"Added {form.cleaned_data['username']}.")
            return redirect("project-members", project_id=access.project.pk)
    return _members_page(request, access, form, status=400)


@project_role("owner", methods=("POST",))
def member_role(request: HttpRequest, access: ProjectAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, project=access.project)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the roles owner, labeler or viewer.")
    else:
        try:
            services.change_role(membership, form.cleaned_data["role"])
        except services.MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{membership.user} is now {membership.role}.")
    return redirect("project-members", project_id=access.project.pk)


@project_role("owner", methods=("POST",))
def member_remove(request: HttpRequest, access: ProjectAccess, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, project=access.project)
    try:
        services.remove_member(membership)
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {membership.user}.")
    return redirect("project-members", project_id=access.project.pk)
