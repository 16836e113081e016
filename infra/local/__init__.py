"""Local S3 servers with a stack plan applied, for the demo, the smoke suite and tests.

`local_deployment(plan)` starts SeaweedFS (`weed mini`) as a process or in a Docker
container, creates the plan's bucket and one key per role, and says which of the plan's
restrictions the server cannot enforce (`LocalDeployment.unenforced`).
"""

from infra.local.backend_choice import select_backend
from infra.local.deployment import local_deployment
from infra.local.model import LocalDeployment, LocalServerError
from infra.local.s3_client import client_config, client_for, s3_client

__all__ = [
    "LocalDeployment",
    "LocalServerError",
    "client_config",
    "client_for",
    "local_deployment",
    "s3_client",
    "select_backend",
]
