"""Staff pages: deliveries that failed or are stuck, with a retry button."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from clinic.accounts.permissions import permission_required

from . import selectors, services
from .models import Message


@require_safe
@never_cache
@permission_required("accounts.manage_calendar")
def deliveries(request):
    pager = selectors.deliveries_needing_attention(page=request.GET.get("page"))
    return render(
        request,
        "notify/deliveries.html",
        {
            "deliveries": pager.rows,
            "pager": pager,
            "page_size": selectors.DELIVERIES_PAGE_SIZE,
            "clinic_time_zone": settings.CLINIC_TIME_ZONE,
        },
    )


@require_POST
@permission_required("accounts.manage_calendar")
def delivery_retry(request, message_id: int):
    message = get_object_or_404(Message, pk=message_id)
    if services.message_retry(message_id=message.pk):
        messages.success(request, _("Queued again: it will be sent in a moment."))
    else:
        messages.info(request, _("That delivery no longer needs a retry."))
    return redirect("notify:deliveries")
