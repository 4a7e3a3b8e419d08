"""``microasgi.replay``, the public path of ``microasgi.testing.replay``."""

from microasgi.testing.replay import (
    Recording,
    RecordingError,
    assert_replays,
    load,
    replay,
    save,
)

__all__ = ["Recording", "RecordingError", "assert_replays", "load", "replay", "save"]
