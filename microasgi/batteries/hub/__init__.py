"""Channels across processes: publish here, receive in every worker.

``Hub`` is the public face (``hub.py``); a broker stores and delivers the
messages: ``memory.py`` in one process, ``redis_streams.py`` across
processes and machines. ``subscription.py`` is one subscriber's bounded
queue, ``events.py`` what it yields, and ``stream.py`` turns a channel into
resumable Server-Sent Events.
"""

from microasgi.batteries.hub.events import Gap, HubUnavailable, Message
from microasgi.batteries.hub.hub import Hub
from microasgi.batteries.hub.subscription import Subscription

__all__ = ["Gap", "Hub", "HubUnavailable", "Message", "Subscription"]
