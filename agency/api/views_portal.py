"""The portal page for personal API tokens: every member manages their own.

A token acts as its user (same role, same clients), so each member creates and
revokes only their own; a removed member's tokens stop working with their account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agency.api import selectors, services
from agency.api.forms import ApiTokenForm
from agency.formerrors import form_errors_add
from agency.team.access import recent_auth_required
from agency.team.models import Role


@never_cache
@login_required
@recent_auth_required(posts_only=True)
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    if request.user.role == Role.CLIENT_VIEWER:
        form.fields["scope"].choices = [("read", "Read only")]
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            created = {"token": token, "raw": raw}
            form = ApiTokenForm()
    context = {"tokens": selectors.api_tokens_of(user=request.user), "form": form, "created": created}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(selectors.api_tokens_of(user=request.user), pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect("api_tokens")
