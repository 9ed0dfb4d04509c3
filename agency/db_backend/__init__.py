"""The database backend: django-tenants' PostgreSQL one, with a table list that stays fast as
agencies (and their tables) pile up."""
