def post_init_hook(env):
    """Partners that existed before the install become clients like new ones: each
    top-level client gets its number (in creation order) and the default status."""
    partners = (
        env["res.partner"]
        .with_context(active_test=False)
        .search([("is_client", "=", True), ("client_number", "=", False)], order="id")
    )
    partners._client_assign_defaults()
