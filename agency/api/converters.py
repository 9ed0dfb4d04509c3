"""``<id:pk>`` in API addresses: a database id, short enough for a bigint (a longer number is
simply not found). Registered by the API app when Django starts."""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
