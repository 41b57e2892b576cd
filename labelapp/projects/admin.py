from django.contrib import admin

from labelapp.projects.models import Membership, Project


class MembershipInline(admin.TabularInline[Membership, Project]):
    model = Membership
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["id", "name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]
