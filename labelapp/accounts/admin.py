from django.contrib import admin

from labelapp.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "hint", "created_at", "last_used_at"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]
