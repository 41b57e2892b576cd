from django.contrib import admin

from labelapp.projects.models import LabelClass, Membership, Project


class MembershipInline(admin.TabularInline[Membership, Project]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class LabelClassInline(admin.TabularInline[LabelClass, Project]):
    model = LabelClass
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    list_display = ["id", "name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [LabelClassInline, MembershipInline]
    raw_id_fields = ["current_classifier", "current_encoder"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["project", "user", "role"]
    list_filter = ["role"]
    search_fields = ["project__name", "user__username"]


@admin.register(LabelClass)
class LabelClassAdmin(admin.ModelAdmin[LabelClass]):
    list_display = ["project", "name", "key", "color", "position"]
    search_fields = ["project__name", "name"]
