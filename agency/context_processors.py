def agency(request):
    """The agency whose domain this is (None on the public site), for white-labeled pages."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {"agency": None}
    return {"agency": tenant}
