"""``microasgi.validate``, the public path of ``microasgi.testing.validate``."""

from microasgi.testing.validate import ASGIProtocolError, ConversationChecker, validate

__all__ = ["ASGIProtocolError", "ConversationChecker", "validate"]
