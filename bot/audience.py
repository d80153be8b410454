"""NLU component: customers and staff share one bot, but not one set of intents.

Staff intents (``staff_*``) are only for messages that carry a staff token; customer intents
are only for everyone else. "close complaint CMP-000123" means withdraw to a customer and a
status change to staff; "my complaints" is a customer's own list or a staff queue. The
component drops the intents that are not for the sender and renormalises the rest, before
the fallback classifier judges the confidence.

The token is only read to pick the audience, never trusted: the backend verifies it on every
call, so a forged "staff" claim gains nothing but staff wording and a 401.
"""

import base64
import json
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

STAFF_PREFIX = "staff_"
# Small talk and answers anyone may give.
SHARED = frozenset(
    {"greet", "goodbye", "affirm", "deny", "help", "bot_challenge", "out_of_scope", "stop",
     "inform", "change_answer", "nlu_fallback"}
)  # fmt: skip


# Rasa checks the graph's types from these annotations: keep typing's generics here.
def token_kind(metadata: Any) -> Optional[str]:
    """The ``kind`` claim of the JWT in the message metadata, unverified."""
    token = metadata.get("token") if isinstance(metadata, dict) else None
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    kind = claims.get("kind") if isinstance(claims, dict) else None
    return kind if isinstance(kind, str) else None


def allowed(intent: str, staff: bool) -> bool:
    if intent in SHARED:
        return True
    return intent.startswith(STAFF_PREFIX) == staff


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AudienceIntentFilter(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AudienceIntentFilter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._filter(message)
        return messages

    @staticmethod
    def _filter(message: Message) -> None:
        ranking = message.get(INTENT_RANKING_KEY) or []
        if not ranking:
            return
        staff = token_kind(message.get("metadata")) == "staff"
        kept = [dict(entry) for entry in ranking if allowed(str(entry.get("name")), staff)]
        if len(kept) == len(ranking):
            return
        if not kept:
            message.set(INTENT, {"name": "nlu_fallback", PREDICTED_CONFIDENCE_KEY: 1.0}, True)
            message.set(INTENT_RANKING_KEY, [], True)
            return
        total = sum(float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for entry in kept) or 1.0
        for entry in kept:
            entry[PREDICTED_CONFIDENCE_KEY] = (
                float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0) / total
            )
        kept.sort(key=lambda entry: entry[PREDICTED_CONFIDENCE_KEY], reverse=True)
        top = kept[0]
        message.set(
            INTENT,
            {"name": top["name"], PREDICTED_CONFIDENCE_KEY: top[PREDICTED_CONFIDENCE_KEY]},
            True,
        )
        message.set(INTENT_RANKING_KEY, kept, True)
