"""Cases: creating, editing and firing events (the one place a case changes state), who may
see and act (access), consent-based merge, and the case pages and JSON API."""

from workflow.cases import merging as _merging
from workflow.cases import service as _service
from workflow.states.features import MERGE as _MERGE

# Consent-based merge: ``merge`` into a case the actor does not own only proposes it.
_service.intercept(_MERGE, _merging.propose_unless_owner)
