"""``microasgi.hub``, the public path of ``microasgi.batteries.hub``."""

from microasgi.batteries.hub import Gap, Hub, HubUnavailable, Message, Subscription

__all__ = ["Gap", "Hub", "HubUnavailable", "Message", "Subscription"]
