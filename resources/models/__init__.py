"""Models of the three lists and the loop; import them from ``resources.models``."""

from resources.models.attachments import NeedAttachment  # noqa: F401
from resources.models.escalation import EscalationLevel, NeedEscalation  # noqa: F401
from resources.models.lists import *  # noqa: F403
from resources.models.lists import SPECIAL_GROUPS  # noqa: F401 (re-exported)
from resources.models.matching import Match, MatchStatus  # noqa: F401
