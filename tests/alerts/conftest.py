from tests.portal.conftest import outsider, viewer_of

__all__ = ["outsider", "viewer_of"]
