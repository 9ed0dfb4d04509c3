from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    """The agency's whole portfolio: client groups, the overview across clients, the location ranking."""

    name = "clients.portfolio"
    label = "portfolio"
